//! Catalogue items edited as drafts, compared with the published version, published; cancellations.

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct ItemsQuery {
    pub(super) q: Option<String>,
    pub(super) cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/items.html")]
pub(super) struct ItemsPage {
    pub(super) chrome: Chrome,
    pub(super) q: String,
    pub(super) items: Vec<PublishedItem>,
    pub(super) next: Option<String>,
    pub(super) departments: Vec<Department>,
}

impl ItemsPage {
    /// A department's name, not its code.
    fn department(&self, code: &str) -> String {
        crate::pages::case_view::department_name(self.chrome.t, &self.departments, code)
    }
}

pub(super) async fn items(
    State(service): State<Service>,
    Admin { ctx, .. }: Admin,
    Query(q): Query<ItemsQuery>,
) -> PageResult {
    let query = q.q.clone().unwrap_or_default();
    let page = match service
        .items(ItemFilter {
            query: (!query.trim().is_empty()).then(|| query.trim().to_string()),
            department: None,
            run_mode: None,
            kind: None,
            after_code: q.cursor,
            limit: 50,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let next = page.next_cursor.map(|c| {
        format!(
            "/admin/items?q={}&cursor={}",
            crate::pages::encode_query_value(&query),
            crate::pages::encode_query_value(&c)
        )
    });
    let departments = service.departments().await.unwrap_or_default();
    Ok(render(&ItemsPage {
        chrome: ctx.chrome,
        q: query,
        items: page.items,
        next,
        departments,
    }))
}

/// One option of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
}

pub(super) fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    t: &Messages,
    prefix: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = value(*v);
            Choice {
                value,
                label: t.get(&format!("{prefix}{value}")).to_string(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/item.html")]
pub(super) struct ItemPage {
    pub(super) chrome: Chrome,
    pub(super) view: DraftView,
    pub(super) departments: Vec<Department>,
    pub(super) kinds: Vec<Choice>,
    pub(super) run_modes: Vec<Choice>,
    pub(super) forms: Vec<Choice>,
    pub(super) sources: Vec<Choice>,
    pub(super) categories: Vec<Choice>,
    /// 必要 / 容缺 / 可承诺 / 免交.
    pub(super) necessities: Vec<Choice>,
    pub(super) errors: FieldErrors,
    pub(super) notice: Option<String>,
    pub(super) today: String,
}

pub(super) async fn item_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    code: &str,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let view = match service.draft(actor, code).await {
        Ok(v) => v,
        Err(e) => return ctx.app_error(e),
    };
    let departments = service.departments().await.unwrap_or_default();
    let t = ctx.chrome.t;
    let page = ItemPage {
        kinds: choices(&ItemKind::ALL, ItemKind::as_str, t, "admin-kind-"),
        run_modes: choices(&RunMode::ALL, RunMode::as_str, t, "admin-run-mode-"),
        forms: choices(&MaterialForm::ALL, MaterialForm::as_str, t, "admin-form-"),
        sources: choices(
            &MaterialSource::ALL,
            MaterialSource::as_str,
            t,
            "admin-source-",
        ),
        categories: choices(
            &MaterialCategory::ALL,
            MaterialCategory::as_str,
            t,
            "admin-category-",
        ),
        necessities: choices(
            &onewindow_domain::catalogue::Necessity::ALL,
            onewindow_domain::catalogue::Necessity::as_str,
            t,
            "admin-necessity-",
        ),
        chrome: ctx.chrome.clone(),
        view,
        departments,
        errors,
        notice,
        today: service.today().format("%Y-%m-%d").to_string(),
    };
    (status, render(&page)).into_response()
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct SavedQuery {
    pub(super) saved: Option<String>,
}

pub(super) async fn item(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let actor = session.actor;
    let notice = q
        .saved
        .map(|_| ctx.chrome.t.get("admin-draft-saved").to_string());
    Ok(item_page(
        &service,
        &ctx,
        &actor,
        &code,
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await)
}

pub(super) fn number(
    form: &HashMap<String, String>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> u32 {
    let text = form.get(field).map(|s| s.trim()).unwrap_or_default();
    match text.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "must be a whole number of days (0 or more)",
            ));
            0
        }
    }
}

pub(super) async fn save_item(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = session.actor;
    let form: HashMap<String, String> = pairs.into_iter().collect();
    ctx.check_csrf(
        form.get("csrf_token")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let view = service.draft(&actor, &code).await.or_page(&ctx)?;
    let mut item = view.item.clone();
    let mut errors = Vec::new();
    let text = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    item.name = text("name");
    item.department = text("department");
    item.legal_basis = text("legal_basis");
    item.statutory_days = number(&form, "statutory_days", &mut errors);
    item.promised_days = number(&form, "promised_days", &mut errors);
    item.visits_required = number(&form, "visits_required", &mut errors);
    if let Some(kind) = ItemKind::parse(&text("kind")) {
        item.kind = kind;
    }
    if let Some(mode) = RunMode::parse(&text("run_mode")) {
        item.run_mode = mode;
    }
    item.decision_without_proposal = form.contains_key("decision_without_proposal");
    item.auto_approval = form.contains_key("auto_approval");
    item.fee.charged = form.contains_key("fee_charged");
    item.fee.description = text("fee_description");
    let commitment = text("commitment_text");
    item.commitment_text = (!commitment.is_empty()).then_some(commitment);
    let licence = text("result_licence_type");
    item.result_licence_type = (!licence.is_empty()).then_some(licence);
    // Materials: the rows shown, plus the blank row when it was filled in. Cancellations are
    // kept from the draft: they are recorded with their own form and reason.
    let mut materials = Vec::new();
    for i in 0..=item.materials.len() {
        let field = |f: &str| text(&format!("m{i}_{f}"));
        let key = field("key");
        let name = field("name");
        let existing = item.materials.get(i).cloned();
        if existing.is_none() && key.is_empty() && name.is_empty() {
            continue;
        }
        let copies = field("copies").parse::<u32>().unwrap_or(0);
        materials.push(Material {
            key,
            name,
            form: MaterialForm::parse(&field("form")).unwrap_or(MaterialForm::Original),
            copies,
            source: MaterialSource::parse(&field("source")).unwrap_or(MaterialSource::Applicant),
            licence_type: Some(field("licence_type")).filter(|s| !s.is_empty()),
            category: MaterialCategory::parse(&field("category"))
                .unwrap_or(MaterialCategory::Ordinary),
            required: form.contains_key(&format!("m{i}_required")),
            necessity: onewindow_domain::catalogue::Necessity::parse(&field("necessity"))
                .unwrap_or_default(),
            sample: Some(field("sample")).filter(|s| !s.is_empty()),
            cancelled: existing.and_then(|m| m.cancelled),
        });
    }
    item.materials = materials;
    if !errors.is_empty() {
        let t = ctx.chrome.t;
        let errors = FieldErrors::from(
            t,
            &errors,
            &["statutory_days", "promised_days", "visits_required"],
        );
        return Ok(item_page(
            &service,
            &ctx,
            &actor,
            &code,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    Ok(match service.save_draft(&actor, item).await {
        Ok(_) => see_other(&format!(
            "/admin/items/{}?saved=1",
            crate::pages::encode_query_value(&code)
        )),
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(ctx.chrome.t, &errors, ITEM_FIELDS);
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

pub(super) const ITEM_FIELDS: &[&str] = &[
    "code",
    "name",
    "department",
    "legal_basis",
    "statutory_days",
    "promised_days",
    "visits_required",
    "decision_without_proposal",
    "auto_approval",
];

pub(super) async fn publish(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(form): Form<crate::pages::TokenOnlyForm>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    Ok(match service.publish_draft(&actor, &code).await {
        Ok(published) => {
            let notice = t.fill1("admin-published", "version", published.version.to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                FieldErrors::default(),
                Some(notice),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(t, &errors, ITEM_FIELDS);
            let notice = Some(t.get("admin-publish-refused").to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::VersionConflict { .. }) => {
            let notice = Some(t.get("admin-publish-conflict").to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

pub(super) async fn discard(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(form): Form<crate::pages::TokenOnlyForm>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    Ok(match service.discard_draft(&actor, &code).await {
        Ok(()) | Err(AppError::NotFound { .. }) => see_other(&format!(
            "/admin/items/{}",
            crate::pages::encode_query_value(&code)
        )),
        Err(e) => ctx.app_error(e),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct CancelForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) target: String,
    #[serde(default)]
    pub(super) date: String,
    #[serde(default)]
    pub(super) reason: String,
}

pub(super) async fn cancel(
    service: Service,
    Admin { ctx, session, .. }: Admin,
    code: String,
    form: CancelForm,
    material: bool,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let Ok(date) = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") else {
        let errors = FieldErrors::from(
            t,
            &[FieldError::new("cancel", t.get("admin-error-date"))],
            &["cancel"],
        );
        return Ok(item_page(
            &service,
            &ctx,
            &actor,
            &code,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    };
    let result = if material {
        service
            .cancel_material(&actor, &code, &form.target, date, &form.reason)
            .await
    } else {
        service
            .cancel_intermediary(&actor, &code, &form.target, date, &form.reason)
            .await
    };
    Ok(match result {
        Ok(_) => see_other(&format!(
            "/admin/items/{}?saved=1",
            crate::pages::encode_query_value(&code)
        )),
        Err(AppError::Invalid(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError::new("cancel", e.reason))
                .collect();
            let errors = FieldErrors::from(t, &errors, &["cancel"]);
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

pub(super) async fn cancel_material(
    State(service): State<Service>,
    admin: Admin,
    Path(code): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    cancel(service, admin, code, form, true).await
}

pub(super) async fn cancel_intermediary(
    State(service): State<Service>,
    admin: Admin,
    Path(code): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    cancel(service, admin, code, form, false).await
}
