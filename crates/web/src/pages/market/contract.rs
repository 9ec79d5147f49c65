//! A contract: the parties, the price against the ceiling, the agreed days on the clock with its
//! light, the reports handed in (the last one downloadable), the rating and the complaints, and
//! the forms of exactly the actions the service says the viewer may take now.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use onewindow_app::files::Upload;
use onewindow_domain::intermediary::NewRating;

use super::*;

/// A report as the contract lists it.
struct DeliverableLine {
    number: String,
    title: String,
    file_name: String,
    sha256: String,
    size: String,
    delivered_on: String,
    returned: Option<String>,
    /// The last report is the one the service serves.
    href: Option<String>,
}

struct ClockView {
    light_class: &'static str,
    light: String,
    due_on: String,
    used: String,
    left: String,
    running: bool,
}

struct RatingView {
    line: String,
    comment: String,
    on: String,
}

struct ComplaintLine {
    text: String,
    by: String,
    on: String,
}

#[derive(Template)]
#[template(path = "market/contract.html")]
struct ContractPage {
    chrome: Chrome,
    notice: Option<String>,
    general: Vec<String>,
    id: String,
    base: String,
    need_href: String,
    need_id: String,
    project_name: String,
    project_code: String,
    project_href: Option<String>,
    owner_name: String,
    firm_name: String,
    firm_href: String,
    service: String,
    work: Option<String>,
    price_line: String,
    agreed: String,
    signed_on: String,
    status: String,
    tone: &'static str,
    clock: Option<ClockView>,
    clock_line: String,
    late: bool,
    accepted_on: Option<String>,
    deliverables: Vec<DeliverableLine>,
    rating: Option<RatingView>,
    complaints: Vec<ComplaintLine>,
    version: u64,
    actions: Vec<String>,
    /// Each form field's refusal, by the field's id.
    errors: HashMap<String, String>,
    /// What a refused form carried, by the field's id.
    typed: HashMap<String, String>,
}

impl ContractPage {
    fn may(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    fn error(&self, id: &str) -> Option<&String> {
        self.errors.get(id)
    }

    fn typed(&self, id: &str) -> &str {
        self.typed.get(id).map_or("", String::as_str)
    }

    /// The rating's choices, 5 first; `id`'s typed value chosen.
    fn levels(&self, id: &str) -> Vec<(u8, bool)> {
        let typed = self.typed(id);
        (1..=5u8)
            .rev()
            .map(|n| (n, typed == n.to_string() || (typed.is_empty() && n == 5)))
            .collect()
    }

    fn has_errors(&self) -> bool {
        !self.general.is_empty() || !self.errors.is_empty()
    }

    /// The rating form's three marks: the field's id, its name, its label's key.
    fn rating_fields(&self) -> [(&'static str, &'static str, &'static str); 3] {
        [
            ("rate-timeliness", "timeliness", "market-rate-timeliness"),
            ("rate-quality", "quality", "market-rate-quality"),
            ("rate-attitude", "attitude", "market-rate-attitude"),
        ]
    }
}

/// What a refused form sent back.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    general: Vec<String>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

async fn draw_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    id: &str,
    shown: Shown,
) -> Result<ContractPage, super::super::page_error::PageError> {
    let t = ctx.chrome.t;
    let view = service.contract(actor, id).await.or_page(ctx)?;
    let c = &view.contract;
    let (status_key, tone) = contract_status_key(c.status);
    let who = &actor.principal;
    let sees_project = is_staff(who) || view.actions.iter().any(|a| a == "complain");
    let last = c.deliverables.len().saturating_sub(1);
    Ok(ContractPage {
        notice: shown.notice,
        general: shown.general,
        id: c.id.clone(),
        base: contract_href(&c.id),
        need_href: need_href(&c.need),
        need_id: c.need.clone(),
        project_name: c.project_name.clone(),
        project_code: c.project_code.clone(),
        project_href: sees_project.then(|| project_href(&c.project_code)),
        owner_name: c.owner_name.clone(),
        firm_name: c.firm_name.clone(),
        firm_href: firm_href(&c.firm),
        service: service_name(t.lang(), &c.service),
        work: c.work_name.as_ref().map(|w| match c.planned_days {
            Some(n) => t.fill(
                "market-need-work-days",
                &[("name", w), ("n", &n.to_string())],
            ),
            None => w.clone(),
        }),
        price_line: t.fill(
            "market-price-vs-ceiling",
            &[
                ("price", &money(t, c.price_fen)),
                ("ceiling", &money(t, c.ceiling_fen)),
                (
                    "share",
                    &percent(
                        (c.ceiling_fen > 0).then(|| c.price_fen as f64 / c.ceiling_fen as f64),
                    ),
                ),
            ],
        ),
        agreed: t.fill1("common-working-days", "n", c.agreed_days.to_string()),
        signed_on: t.date(&c.signed_on),
        status: t.get(status_key).to_string(),
        tone,
        clock: view.clock.as_ref().map(|k| {
            let (light_class, key) = light_parts(k.light);
            ClockView {
                light_class,
                light: t.get(key).to_string(),
                due_on: match k.due_on {
                    Some(d) => t.date(&d),
                    None => t.get("market-clock-due-stands").to_string(),
                },
                used: t.fill1("common-working-days", "n", k.used_days.to_string()),
                left: if k.days_left < 0 {
                    t.fill1("market-clock-over-by", "n", (-k.days_left).to_string())
                } else {
                    t.fill1("common-working-days", "n", k.days_left.to_string())
                },
                running: k.running,
            }
        }),
        clock_line: clock_line(t, &view),
        late: view.late,
        accepted_on: c.accepted_on.as_ref().map(|d| t.date(d)),
        deliverables: c
            .deliverables
            .iter()
            .enumerate()
            .map(|(i, d)| DeliverableLine {
                number: d.number.clone(),
                title: d.title.clone(),
                file_name: d.file_name.clone(),
                sha256: d.sha256.clone(),
                size: size_text(d.size),
                delivered_on: t.date(&d.delivered_on),
                returned: d.returned.clone(),
                href: (i == last).then(|| format!("{}/report", contract_href(&c.id))),
            })
            .collect(),
        rating: c.rating.as_ref().map(|r| RatingView {
            line: t.fill(
                "market-rating-line",
                &[
                    ("timeliness", &r.timeliness.to_string()),
                    ("quality", &r.quality.to_string()),
                    ("attitude", &r.attitude.to_string()),
                    ("mean", &format!("{:.1}", r.mean())),
                ],
            ),
            comment: r.comment.clone(),
            on: t.date(&r.on),
        }),
        complaints: c
            .complaints
            .iter()
            .map(|k| ComplaintLine {
                text: k.text.clone(),
                by: k.by.clone(),
                on: t.date(&k.on),
            })
            .collect(),
        version: c.version,
        actions: view.actions.clone(),
        errors: shown.errors,
        typed: shown.typed,
        chrome: ctx.chrome.clone(),
    })
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn done_notice(t: &Messages, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "hand_over" => "market-notice-hand-over",
        "wait_on_owner" => "market-notice-wait",
        "owner_supplied" => "market-notice-supplied",
        "deliver" => "market-notice-delivered",
        "accept" => "market-notice-accepted",
        "return" => "market-notice-returned",
        "rate" => "market-notice-rated",
        "complain" => "market-notice-complained",
        _ => return None,
    };
    Some(t.get(key).to_string())
}

pub(super) async fn show(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let session = ctx.require_login()?;
    let shown = Shown {
        notice: done_notice(ctx.chrome.t, q.done.as_deref()),
        ..Shown::default()
    };
    Ok(render(
        &draw_page(&service, &ctx, &session.actor, &id, shown).await?,
    ))
}

/// The last report, for whoever may read the contract (the service decides and records it).
pub(super) async fn report(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    let (report, bytes) = service
        .open_report(&session.actor, &id)
        .await
        .or_page(&ctx)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename*=UTF-8''{}",
                    rfc5987(&report.file_name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A file name for `filename*=UTF-8''…` (RFC 5987/8187): every byte outside `attr-char` encoded.
fn rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every form of the contract but the report's: the version it was drawn at and its fields.
#[derive(Debug, Deserialize, Default)]
pub(super) struct ContractForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    timeliness: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    attitude: String,
    #[serde(default)]
    comment: String,
}

impl CarriesCsrf for ContractForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl ContractForm {
    fn version(&self) -> u64 {
        self.version.trim().parse().unwrap_or(0)
    }
}

/// The answer to a contract command: back to the contract, or the page again with the refusal
/// next to the form's field (`fields` maps the service's field names to this form's ids).
#[allow(clippy::too_many_arguments)]
async fn answer(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    id: &str,
    action: &str,
    result: Result<ContractView, AppError>,
    fields: &[(&str, &str)],
    typed: HashMap<String, String>,
) -> PageResult {
    let t = ctx.chrome.t;
    let mut shown = Shown {
        typed,
        ..Shown::default()
    };
    let status = match result {
        Ok(_) => {
            return Ok(see_other(&format!("{}?done={action}", contract_href(id))));
        }
        Err(e) => match refusal(ctx, e)? {
            Refusal::Fields(errors, status) => {
                for e in &errors {
                    let words = reason_words(t, e);
                    match fields.iter().find(|(field, _)| *field == e.field) {
                        Some((_, form_id)) => {
                            shown.errors.entry((*form_id).to_string()).or_insert(words);
                        }
                        None => shown.general.push(words),
                    }
                }
                status
            }
            Refusal::General(words, status) => {
                shown.general.push(words);
                status
            }
        },
    };
    let page = draw_page(service, ctx, actor, id, shown).await?;
    Ok((status, render(&page)).into_response())
}

pub(super) async fn hand_over(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service.hand_over(&session.actor, &id, form.version()).await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "hand_over",
        result,
        &[],
        HashMap::new(),
    )
    .await
}

pub(super) async fn wait_on_owner(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service
        .wait_on_owner(&session.actor, &id, form.version(), &form.reason)
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "wait_on_owner",
        result,
        &[("reason", "wait-reason")],
        HashMap::from([("wait-reason".to_string(), form.reason.clone())]),
    )
    .await
}

pub(super) async fn owner_supplied(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service
        .owner_supplied(&session.actor, &id, form.version())
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "owner_supplied",
        result,
        &[],
        HashMap::new(),
    )
    .await
}

pub(super) async fn accept(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service
        .accept_report(&session.actor, &id, form.version())
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "accept",
        result,
        &[],
        HashMap::new(),
    )
    .await
}

pub(super) async fn return_report(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service
        .return_report(&session.actor, &id, form.version(), &form.reason)
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "return",
        result,
        &[("reason", "return-reason")],
        HashMap::from([("return-reason".to_string(), form.reason.clone())]),
    )
    .await
}

pub(super) async fn rate(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let typed = HashMap::from([
        ("rate-timeliness".to_string(), form.timeliness.clone()),
        ("rate-quality".to_string(), form.quality.clone()),
        ("rate-attitude".to_string(), form.attitude.clone()),
        ("rate-comment".to_string(), form.comment.clone()),
    ]);
    let level = |text: &str| text.trim().parse::<u8>().ok();
    let (Some(timeliness), Some(quality), Some(attitude)) = (
        level(&form.timeliness),
        level(&form.quality),
        level(&form.attitude),
    ) else {
        let mut shown = Shown {
            typed,
            ..Shown::default()
        };
        for (value, id) in [
            (&form.timeliness, "rate-timeliness"),
            (&form.quality, "rate-quality"),
            (&form.attitude, "rate-attitude"),
        ] {
            if level(value).is_none() {
                shown
                    .errors
                    .insert(id.to_string(), t.get("market-error-rating").to_string());
            }
        }
        let page = draw_page(&service, &ctx, &session.actor, &id, shown).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let result = service
        .rate_firm(
            &session.actor,
            &id,
            form.version(),
            NewRating {
                timeliness,
                quality,
                attitude,
                comment: form.comment.clone(),
            },
        )
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "rate",
        result,
        &[
            ("timeliness", "rate-timeliness"),
            ("quality", "rate-quality"),
            ("attitude", "rate-attitude"),
            ("comment", "rate-comment"),
        ],
        typed,
    )
    .await
}

pub(super) async fn complain(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> PageResult {
    let result = service
        .complain(&session.actor, &id, form.version(), &form.text)
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "complain",
        result,
        &[("text", "complaint-text")],
        HashMap::from([("complaint-text".to_string(), form.text.clone())]),
    )
    .await
}

/// The report form as read: its fields and the file (a file input left empty is no file).
#[derive(Default)]
struct ReportForm {
    fields: HashMap<String, String>,
    file: Option<(String, Vec<u8>)>,
}

impl ReportForm {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

async fn read_report_form(mut multipart: Multipart) -> Option<ReportForm> {
    let mut form = ReportForm::default();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.ok()?;
        match file_name {
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) if name == "file" => form.file = Some((file_name, bytes.to_vec())),
            Some(_) => {}
            None => {
                form.fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Some(form)
}

/// The firm hands in its report: a PDF with its number and title (multipart).
pub(super) async fn deliver(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let t = ctx.chrome.t;
    let form = match multipart {
        Ok(m) => read_report_form(m).await,
        Err(_) => None,
    };
    let Some(form) = form else {
        return Ok(ctx.error(StatusCode::BAD_REQUEST, "market-error-upload-read"));
    };
    ctx.check_csrf(form.field("csrf_token"))?;
    let typed = HashMap::from([
        (
            "report-number".to_string(),
            form.field("number").to_string(),
        ),
        ("report-title".to_string(), form.field("title").to_string()),
    ]);
    let Some((file_name, bytes)) = form.file.clone() else {
        let shown = Shown {
            typed,
            errors: HashMap::from([(
                "report-file".to_string(),
                t.get("market-error-file-choose").to_string(),
            )]),
            ..Shown::default()
        };
        let page = draw_page(&service, &ctx, &session.actor, &id, shown).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let version = form.field("version").trim().parse().unwrap_or(0);
    let result = service
        .deliver_report(
            &session.actor,
            &id,
            version,
            form.field("number"),
            form.field("title"),
            Upload {
                material_key: "report".into(),
                file_name,
                bytes,
            },
        )
        .await;
    answer(
        &service,
        &ctx,
        &session.actor,
        &id,
        "deliver",
        result,
        &[
            ("number", "report-number"),
            ("title", "report-title"),
            ("file", "report-file"),
            ("files", "report-file"),
        ],
        typed,
    )
    .await
}
