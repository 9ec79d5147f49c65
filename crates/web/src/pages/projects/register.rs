//! Registering an investment project: the form and its plan proposal.

use super::*;

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct RegisterForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) owner_identity: String,
    #[serde(default)]
    pub(super) owner_name: String,
    #[serde(default)]
    pub(super) project_type: String,
    #[serde(default)]
    pub(super) government_funded: Option<String>,
    #[serde(default)]
    pub(super) region: String,
    #[serde(default)]
    pub(super) land_obtained_on: String,
}

#[derive(Template)]
#[template(path = "projects/new.html")]
pub(super) struct NewPage {
    pub(super) chrome: Chrome,
    pub(super) form: RegisterForm,
    pub(super) types: Vec<Choice>,
    pub(super) regions: Vec<Choice>,
    pub(super) government_funded: bool,
    pub(super) general: Vec<String>,
    pub(super) name_error: Option<String>,
    pub(super) owner_identity_error: Option<String>,
    pub(super) owner_name_error: Option<String>,
    pub(super) type_error: Option<String>,
    pub(super) region_error: Option<String>,
    pub(super) land_error: Option<String>,
}

impl NewPage {
    /// Every field with an error, for the summary above the form: (its id, the message).
    pub(super) fn field_errors(&self) -> Vec<(&'static str, String)> {
        let t = self.chrome.t;
        [
            ("name", "projects-field-name", &self.name_error),
            (
                "owner_identity",
                "projects-field-owner-identity",
                &self.owner_identity_error,
            ),
            (
                "owner_name",
                "projects-field-owner-name",
                &self.owner_name_error,
            ),
            ("project_type", "projects-field-type", &self.type_error),
            ("region", "projects-field-region", &self.region_error),
            ("land_obtained_on", "projects-field-land", &self.land_error),
        ]
        .into_iter()
        .filter_map(|(id, label, e)| {
            e.as_ref().map(|e| {
                (
                    id,
                    t.fill(
                        "projects-field-error",
                        &[("field", t.get(label)), ("error", e)],
                    ),
                )
            })
        })
        .collect()
    }

    pub(super) fn has_errors(&self) -> bool {
        !self.general.is_empty() || !self.field_errors().is_empty()
    }
}

pub(super) fn new_page(chrome: &Chrome, form: RegisterForm, regions: &[Region]) -> NewPage {
    let t = chrome.t;
    let chosen = parse_type(&form.project_type);
    let types = [
        ProjectType::Industrial,
        ProjectType::Commercial,
        ProjectType::Public,
        ProjectType::Village,
    ]
    .into_iter()
    .map(|k| Choice {
        value: type_value(k).to_string(),
        label: t.get(type_key(k)).to_string(),
        selected: chosen == Some(k),
    })
    .collect();
    let mut region_choices = vec![Choice {
        value: String::new(),
        label: t.get("projects-region-none").to_string(),
        selected: form.region.trim().is_empty(),
    }];
    for r in regions {
        let covers: Vec<&str> = r
            .assessments
            .iter()
            .map(|a| t.get(assessment_key(*a)))
            .collect();
        region_choices.push(Choice {
            value: r.code.clone(),
            label: t.fill(
                "projects-region-option",
                &[("name", &r.name), ("assessments", &covers.join("、"))],
            ),
            selected: r.code == form.region.trim(),
        });
    }
    NewPage {
        chrome: chrome.clone(),
        government_funded: form.government_funded.is_some(),
        form,
        types,
        regions: region_choices,
        general: Vec::new(),
        name_error: None,
        owner_identity_error: None,
        owner_name_error: None,
        type_error: None,
        region_error: None,
        land_error: None,
    }
}

pub(super) async fn new_form(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let session = ctx.require_role(REGISTER_ROLES)?;
    let who = &session.actor.principal;
    let mut form = RegisterForm {
        project_type: "industrial".into(),
        ..RegisterForm::default()
    };
    // An enterprise registers its own projects: its credit code and name are known.
    if who.has_role(Role::Applicant)
        && let Some(identity) = who
            .identity
            .as_deref()
            .filter(|i| UnifiedSocialCreditCode::parse(i).is_ok())
    {
        form.owner_identity = identity.to_string();
        form.owner_name = who.display_name.clone();
    }
    let regions = service.regions().await.unwrap_or_default();
    Ok(render(&new_page(&ctx.chrome, form, &regions)))
}

pub(super) async fn register(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    let session = ctx.require_role(REGISTER_ROLES)?;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let regions = service.regions().await.unwrap_or_default();
    let mut page = new_page(&ctx.chrome, form.clone(), &regions);
    // What the page can tell at once; the service checks all of it again.
    if form.name.trim().is_empty() {
        page.name_error = Some(t.get("projects-error-required").to_string());
    }
    page.owner_identity_error = credit_code_problem(t, &form.owner_identity);
    if form.owner_name.trim().is_empty() {
        page.owner_name_error = Some(t.get("projects-error-required").to_string());
    }
    let project_type = parse_type(&form.project_type);
    if project_type.is_none() {
        page.type_error = Some(t.get("projects-error-choose").to_string());
    }
    let region = Some(form.region.trim().to_string()).filter(|r| !r.is_empty());
    if let Some(r) = &region
        && !regions.iter().any(|x| &x.code == r)
    {
        page.region_error = Some(t.get("projects-error-region").to_string());
    }
    let land_obtained_on = match form.land_obtained_on.trim() {
        "" => None,
        text => match parse_date(text) {
            Some(d) if d > service.today() => {
                page.land_error = Some(t.get("projects-error-future").to_string());
                None
            }
            Some(d) => Some(d),
            None => {
                page.land_error = Some(t.get("projects-error-date").to_string());
                None
            }
        },
    };
    let Some(project_type) = project_type.filter(|_| !page.has_errors()) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let new = NewProject {
        name: form.name.trim().to_string(),
        owner_identity: form.owner_identity.trim().to_string(),
        owner_name: form.owner_name.trim().to_string(),
        project_type,
        government_funded: form.government_funded.is_some(),
        region,
        land_obtained_on,
    };
    Ok(match service.register_project(&session.actor, new).await {
        Ok(view) => see_other(&format!(
            "{}?done=registered",
            project_href(view.project.code.as_str())
        )),
        Err(AppError::Invalid(errors)) => {
            for e in &errors {
                let message = || {
                    t.fill1(
                        "projects-error-other",
                        "reason",
                        crate::pages::reasons::reason_or_general(t, e),
                    )
                };
                match e.field.as_str() {
                    "name" => {
                        page.name_error.get_or_insert_with(message);
                    }
                    "owner_identity" => {
                        page.owner_identity_error.get_or_insert_with(|| {
                            credit_code_problem(t, &form.owner_identity)
                                .unwrap_or_else(|| t.get("projects-error-code-invalid").to_string())
                        });
                    }
                    "owner_name" => {
                        page.owner_name_error.get_or_insert_with(message);
                    }
                    "region" => {
                        page.region_error
                            .get_or_insert_with(|| t.get("projects-error-region").to_string());
                    }
                    _ => page.general.push(message()),
                }
            }
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(AppError::Forbidden(_)) => {
            page.owner_identity_error = Some(t.get("projects-error-not-yours").to_string());
            (StatusCode::FORBIDDEN, render(&page)).into_response()
        }
        Err(e) => ctx.app_error(e),
    })
}
