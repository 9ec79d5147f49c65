//! Pages: investment projects (投资项目) — registration with the unified code, the project page
//! with its plan by stage, the critical-path chart and progress, the forms of simulated approval,
//! the land and the agent, and the agent's board with the monthly progress review.
//!
//! Every rule is the service's (`onewindow_app::projects`); these pages parse the forms, call it
//! and put its answers and refusals (next to their fields) into words.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use onewindow_app::accounts::Authenticated;
use onewindow_app::projects::{BoardLine, ProjectView, Region};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::catalogue::Department;
use onewindow_domain::identifiers::{IdentifierError, UnifiedSocialCreditCode};
use onewindow_domain::project::{
    Assessment, Land, NewProject, Project, ProjectType, Stage, StepProgress,
};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::case_view::department_name;
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::Messages;

/// Who may register a project: its owner (an enterprise account), an agent, a window clerk.
const REGISTER_ROLES: &[Role] = &[Role::Applicant, Role::Agent, Role::Clerk];
/// Who sees the board.
const BOARD_ROLES: &[Role] = &[Role::Agent, Role::Clerk, Role::Supervisor];

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/projects", get(list))
        .route("/projects/new", get(new_form).post(register))
        .route("/projects/board", get(board))
        .route("/projects/{code}", get(show_project))
        .route("/projects/{code}/opinion", post(opinion))
        .route("/projects/{code}/land", post(land))
        .route("/projects/{code}/agent", post(agent))
}

fn type_key(t: ProjectType) -> &'static str {
    match t {
        ProjectType::Industrial => "projects-type-industrial",
        ProjectType::Commercial => "projects-type-commercial",
        ProjectType::Public => "projects-type-public",
        ProjectType::Village => "projects-type-village",
    }
}

fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::ProjectAndLand => "projects-stage-project_and_land",
        Stage::ConstructionLicence => "projects-stage-construction_licence",
        Stage::ConstructionPermit => "projects-stage-construction_permit",
        Stage::Completion => "projects-stage-completion",
    }
}

fn assessment_key(a: Assessment) -> &'static str {
    match a {
        Assessment::EnvironmentalImpact => "projects-assessment-environmental_impact",
        Assessment::SoilAndWater => "projects-assessment-soil_and_water",
        Assessment::Energy => "projects-assessment-energy",
        Assessment::Traffic => "projects-assessment-traffic",
        Assessment::GeologicalHazard => "projects-assessment-geological_hazard",
    }
}

fn parse_type(text: &str) -> Option<ProjectType> {
    match text.trim() {
        "industrial" => Some(ProjectType::Industrial),
        "commercial" => Some(ProjectType::Commercial),
        "public" => Some(ProjectType::Public),
        "village" => Some(ProjectType::Village),
        _ => None,
    }
}

fn type_value(t: ProjectType) -> &'static str {
    match t {
        ProjectType::Industrial => "industrial",
        ProjectType::Commercial => "commercial",
        ProjectType::Public => "public",
        ProjectType::Village => "village",
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn project_href(code: &str) -> String {
    format!("/projects/{}", encode_query_value(code))
}

/// Whether `session` is the project's owner (an enterprise account with its credit code).
fn is_owner(session: &Authenticated, project: &Project) -> bool {
    let who = &session.actor.principal;
    who.has_role(Role::Applicant)
        && who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&project.owner_identity))
}

fn region_name(regions: &[Region], code: &str) -> String {
    regions
        .iter()
        .find(|r| r.code == code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

/// What is wrong with a credit code, in words, naming the wrong character.
fn credit_code_problem(t: &Messages, text: &str) -> Option<String> {
    let e = UnifiedSocialCreditCode::parse(text).err()?;
    Some(match (&e, e.position()) {
        (IdentifierError::Empty { .. }, _) => t.get("projects-error-required").to_string(),
        (_, Some(n)) => t.fill1("projects-error-code-position", "n", n.to_string()),
        _ => t.get("projects-error-code-invalid").to_string(),
    })
}

/// An option of a select.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

// ---- the list -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct ListRow {
    href: String,
    code: String,
    name: String,
    owner: String,
    kind: String,
    registered: String,
}

#[derive(Template)]
#[template(path = "projects/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    may_register: bool,
    may_board: bool,
}

async fn list(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let session = ctx.require_login()?;
    let t = ctx.chrome.t;
    let projects = service.projects(&session.actor).await.or_page(&ctx)?;
    let who = &session.actor.principal;
    let rows = projects
        .iter()
        .map(|p| ListRow {
            href: project_href(p.code.as_str()),
            code: p.code.to_string(),
            name: p.name.clone(),
            owner: p.owner_name.clone(),
            kind: t.get(type_key(p.project_type)).to_string(),
            registered: t.date(&p.registered_on),
        })
        .collect();
    Ok(render(&ListPage {
        may_register: REGISTER_ROLES.iter().any(|r| who.has_role(*r)),
        may_board: BOARD_ROLES.iter().any(|r| who.has_role(*r)),
        chrome: ctx.chrome,
        rows,
    }))
}

// ---- registration -------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
struct RegisterForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner_identity: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    project_type: String,
    #[serde(default)]
    government_funded: Option<String>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    land_obtained_on: String,
}

#[derive(Template)]
#[template(path = "projects/new.html")]
struct NewPage {
    chrome: Chrome,
    form: RegisterForm,
    types: Vec<Choice>,
    regions: Vec<Choice>,
    government_funded: bool,
    general: Vec<String>,
    name_error: Option<String>,
    owner_identity_error: Option<String>,
    owner_name_error: Option<String>,
    type_error: Option<String>,
    region_error: Option<String>,
    land_error: Option<String>,
}

impl NewPage {
    /// Every field with an error, for the summary above the form: (its id, the message).
    fn field_errors(&self) -> Vec<(&'static str, String)> {
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

    fn has_errors(&self) -> bool {
        !self.general.is_empty() || !self.field_errors().is_empty()
    }
}

fn new_page(chrome: &Chrome, form: RegisterForm, regions: &[Region]) -> NewPage {
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

async fn new_form(State(service): State<Service>, ctx: PageCtx) -> PageResult {
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

async fn register(
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
                let message = || t.fill1("projects-error-other", "reason", &e.reason);
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

// ---- the project page ---------------------------------------------------------------------------

/// One step of the plan as its row shows it.
#[derive(Debug, Clone)]
struct StepRow {
    key: String,
    item_name: String,
    department: String,
    intermediary: String,
    admin_days: String,
    dates: String,
    status: String,
    status_class: &'static str,
    critical: bool,
    behind: bool,
    /// The catalogue item's page, if the catalogue has it.
    item_href: Option<String>,
    /// "Apply under this project", for the owner or an agent while the step is not started.
    apply_href: Option<String>,
    /// The link's words for a screen reader: which approval.
    apply_label: String,
    /// The joint-approval bundle the step is filed in.
    bundle_href: Option<String>,
    /// The case of the step, when the viewer may open it.
    case_href: Option<String>,
    /// A provisional-opinion form for the viewer's department, before the land.
    opinion_form: bool,
    opinion: String,
    opinion_error: Option<String>,
}

#[derive(Debug, Clone)]
struct StageTable {
    id: &'static str,
    title: String,
    rows: Vec<StepRow>,
}

#[derive(Template)]
#[template(path = "projects/project.html")]
struct ProjectPage {
    chrome: Chrome,
    notice: Option<String>,
    general: Vec<String>,
    code: String,
    action_base: String,
    name: String,
    owner: String,
    kind: String,
    funded: String,
    region: String,
    land: String,
    registered: String,
    agent: String,
    totals: String,
    /// The calendar does not cover the plan's years yet (next year's holidays are published
    /// late in the year): those dates are counted on weekdays, the working days stand.
    dates_unknown: bool,
    ends_on: String,
    progress_line: String,
    chart: String,
    stages: Vec<StageTable>,
    version: u64,
    /// "Land obtained" form for a clerk while the land is not obtained.
    land_form: bool,
    land_on: String,
    land_error: Option<String>,
    /// "Assign an agent" form for the owner or a clerk.
    agent_form: bool,
    agent_value: String,
    agent_error: Option<String>,
}

/// What a form of the project page sent back, to draw it again with its error.
#[derive(Debug, Clone, Default)]
struct Refused {
    notice: Option<String>,
    general: Vec<String>,
    step: String,
    opinion: String,
    opinion_error: Option<String>,
    land_on: String,
    land_error: Option<String>,
    agent: String,
    agent_error: Option<String>,
}

fn step_status(t: &Messages, progress: Option<&StepProgress>) -> (String, &'static str) {
    match progress {
        None | Some(StepProgress::NotStarted) => (
            t.get("projects-status-not-started").to_string(),
            "task-waiting",
        ),
        Some(StepProgress::Provisional {
            opinion, by, on, ..
        }) => (
            t.fill(
                "projects-status-provisional",
                &[("opinion", opinion), ("by", by), ("date", &t.date(on))],
            ),
            "task-stopped",
        ),
        Some(StepProgress::InProgress { case_number }) => (
            t.fill1("projects-status-in-progress", "number", case_number),
            "",
        ),
        Some(StepProgress::Done {
            on,
            document,
            from_simulation,
            ..
        }) => (
            t.fill(
                if *from_simulation {
                    "projects-status-done-simulated"
                } else {
                    "projects-status-done"
                },
                &[("date", &t.date(on)), ("document", document)],
            ),
            "task-done",
        ),
    }
}

fn project_page(
    chrome: &Chrome,
    session: &Authenticated,
    view: &ProjectView,
    departments: &[Department],
    regions: &[Region],
    today: NaiveDate,
    refused: Refused,
) -> ProjectPage {
    let t = chrome.t;
    let project = &view.project;
    let who = &session.actor.principal;
    let owner = is_owner(session, project);
    let is_agent = who.has_role(Role::Agent);
    let is_clerk = who.has_role(Role::Clerk);
    let land_obtained = matches!(project.land, Land::Obtained { .. });
    let code = project.code.to_string();
    let items: BTreeMap<&str, &str> = view
        .items
        .iter()
        .map(|(k, c)| (k.as_str(), c.as_str()))
        .collect();
    let dates: BTreeMap<&str, _> = view.dates.iter().map(|d| (d.key.as_str(), d)).collect();
    let scheduled: BTreeMap<&str, _> = view
        .schedule
        .iter()
        .flat_map(|s| s.steps.iter())
        .map(|s| (s.key.as_str(), s))
        .collect();
    let mut stages = Vec::new();
    for stage in Stage::ALL {
        let rows: Vec<StepRow> = project
            .plan
            .steps
            .iter()
            .filter(|s| s.stage == stage)
            .map(|step| {
                let progress = project.progress.get(&step.key);
                let (status, status_class) = step_status(t, progress);
                let not_started = matches!(progress, None | Some(StepProgress::NotStarted));
                let item_code = items.get(step.key.as_str()).copied();
                let dates = match dates.get(step.key.as_str()) {
                    Some(d) if d.starts_on == d.ends_on => t.date(&d.ends_on),
                    Some(d) => t.fill(
                        "projects-dates",
                        &[("from", &t.date(&d.starts_on)), ("to", &t.date(&d.ends_on))],
                    ),
                    None if stage == Stage::Completion => {
                        t.get("projects-dates-after-construction").to_string()
                    }
                    None => "—".to_string(),
                };
                let theirs = who.posts.iter().any(|p| {
                    matches!(p.role, Role::Reviewer | Role::Approver)
                        && p.department.as_deref() == Some(step.department.as_str())
                });
                let opinion_form = theirs
                    && step.simulated_before_land
                    && !land_obtained
                    && matches!(
                        progress,
                        None | Some(StepProgress::NotStarted | StepProgress::Provisional { .. })
                    );
                let case_href = match progress {
                    Some(
                        StepProgress::InProgress { case_number }
                        | StepProgress::Done {
                            case_number: Some(case_number),
                            ..
                        },
                    ) => {
                        if owner || is_agent {
                            Some(format!("/my/cases/{}", encode_query_value(case_number)))
                        } else if is_clerk {
                            Some(format!("/window/cases/{}", encode_query_value(case_number)))
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                let mine = refused.step == step.key;
                StepRow {
                    key: step.key.clone(),
                    item_name: step.item_name.clone(),
                    department: department_name(t, departments, &step.department),
                    intermediary: if step.intermediary.is_empty() {
                        "—".to_string()
                    } else {
                        step.intermediary
                            .iter()
                            .map(|w| {
                                t.fill(
                                    "projects-intermediary-work",
                                    &[("name", &w.name), ("n", &w.working_days.to_string())],
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("；")
                    },
                    admin_days: t.fill1("common-working-days", "n", step.admin_days.to_string()),
                    dates,
                    status,
                    status_class,
                    critical: scheduled.get(step.key.as_str()).is_some_and(|s| s.critical),
                    behind: view.behind.contains(&step.key),
                    item_href: item_code
                        .map(|c| format!("/catalogue/items/{}", encode_query_value(c))),
                    // A step of the joint completion acceptance is filed as its bundle.
                    apply_href: step
                        .bundle
                        .as_deref()
                        .or(item_code)
                        .filter(|_| (owner || is_agent) && not_started)
                        .map(|c| {
                            format!(
                                "/apply/{}?project={}",
                                encode_query_value(c),
                                encode_query_value(&code)
                            )
                        }),
                    apply_label: t.fill1("projects-apply-under-item", "item", &step.item_name),
                    bundle_href: step
                        .bundle
                        .as_deref()
                        .map(|b| format!("/bundles/{}", encode_query_value(b))),
                    case_href,
                    opinion_form,
                    opinion: if mine {
                        refused.opinion.clone()
                    } else {
                        String::new()
                    },
                    opinion_error: if mine {
                        refused.opinion_error.clone()
                    } else {
                        None
                    },
                }
            })
            .collect();
        if !rows.is_empty() {
            stages.push(StageTable {
                id: stage.as_str(),
                title: t.get(stage_key(stage)).to_string(),
                rows,
            });
        }
    }
    let (totals, chart) = match &view.schedule {
        Some(s) => {
            let totals = t.fill(
                "projects-totals",
                &[
                    ("total", &s.total_days.to_string()),
                    ("admin", &s.admin_days.to_string()),
                    ("intermediary", &s.intermediary_days.to_string()),
                ],
            );
            let chart = crate::gantt::gantt_svg(
                &project.plan.before_construction(),
                s,
                &totals,
                t.get("projects-gantt-axis"),
            );
            (totals, chart)
        }
        None => (String::new(), String::new()),
    };
    let done = project
        .progress
        .values()
        .filter(|p| matches!(p, StepProgress::Done { .. }))
        .count();
    ProjectPage {
        chrome: chrome.clone(),
        notice: refused.notice,
        general: refused.general,
        action_base: project_href(&code),
        code,
        name: project.name.clone(),
        owner: t.fill(
            "projects-owner-line",
            &[
                ("name", &project.owner_name),
                ("code", &project.owner_identity),
            ],
        ),
        kind: t.get(type_key(project.project_type)).to_string(),
        funded: if project.government_funded {
            t.get("projects-funded-yes").to_string()
        } else {
            t.get("projects-funded-no").to_string()
        },
        dates_unknown: view.estimated || (view.schedule.is_some() && view.dates.is_empty()),
        region: project.region.as_deref().map_or_else(
            || t.get("projects-region-none").to_string(),
            |r| region_name(regions, r),
        ),
        land: match project.land {
            Land::NotObtained => t.get("projects-land-not-obtained").to_string(),
            Land::Obtained { on } => t.fill1("projects-land-obtained", "date", t.date(&on)),
        },
        registered: t.date(&project.registered_on),
        agent: project
            .agent
            .clone()
            .unwrap_or_else(|| t.get("projects-agent-none").to_string()),
        totals,
        ends_on: t.date_or_dash(&view.ends_on),
        progress_line: t.fill(
            "projects-progress-line",
            &[
                ("done", &done.to_string()),
                ("total", &project.plan.steps.len().to_string()),
                ("behind", &view.behind.len().to_string()),
            ],
        ),
        chart,
        stages,
        version: project.version,
        land_form: is_clerk && !land_obtained,
        land_on: if refused.land_on.is_empty() {
            today.format("%Y-%m-%d").to_string()
        } else {
            refused.land_on
        },
        land_error: refused.land_error,
        agent_form: owner || is_clerk,
        agent_value: if refused.agent.is_empty() {
            project.agent.clone().unwrap_or_default()
        } else {
            refused.agent
        },
        agent_error: refused.agent_error,
    }
}

impl ProjectPage {
    fn has_errors(&self) -> bool {
        !self.general.is_empty()
            || self.land_error.is_some()
            || self.agent_error.is_some()
            || self
                .stages
                .iter()
                .flat_map(|s| s.rows.iter())
                .any(|r| r.opinion_error.is_some())
    }
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

/// Draws the project page for `session`, with what a refused form sent back.
async fn draw_project(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    code: &str,
    refused: Refused,
) -> Result<ProjectPage, Response> {
    let view = service
        .project(&session.actor, code)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let departments = service.departments().await.unwrap_or_default();
    let regions = service.regions().await.unwrap_or_default();
    Ok(project_page(
        &ctx.chrome,
        session,
        &view,
        &departments,
        &regions,
        service.today(),
        refused,
    ))
}

async fn project_page_handler(
    service: Service,
    ctx: PageCtx,
    code: String,
    done: Option<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    let t = ctx.chrome.t;
    let notice = match done.as_deref() {
        Some("registered") => Some(t.fill1("projects-notice-registered", "code", &code)),
        Some("opinion") => Some(t.get("projects-notice-opinion").to_string()),
        Some("land") => Some(t.get("projects-notice-land").to_string()),
        Some("agent") => Some(t.get("projects-notice-agent").to_string()),
        _ => None,
    };
    Ok(
        match draw_project(
            &service,
            &ctx,
            session,
            &code,
            Refused {
                notice,
                ..Refused::default()
            },
        )
        .await
        {
            Ok(page) => render(&page),
            Err(refused) => refused,
        },
    )
}

async fn show_project(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    project_page_handler(service, ctx, code, q.done).await
}

#[derive(Debug, Deserialize, Default)]
struct ProjectForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    opinion: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    agent: String,
}

/// The answer to a project form: back to the page, or the page again with the refusal placed.
#[allow(clippy::too_many_arguments)]
async fn answer(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    code: &str,
    result: Result<ProjectView, AppError>,
    done: &str,
    mut refused: Refused,
    place: impl FnOnce(&mut Refused, &[FieldError]),
) -> Response {
    let t = ctx.chrome.t;
    let status = match result {
        Ok(_) => return see_other(&format!("{}?done={done}", project_href(code))),
        Err(AppError::Invalid(errors)) => {
            place(&mut refused, &errors);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::VersionConflict { .. } | AppError::Conflict(_)) => {
            refused
                .general
                .push(t.get("projects-error-conflict").to_string());
            StatusCode::CONFLICT
        }
        Err(AppError::Forbidden(_)) => {
            refused
                .general
                .push(t.get("projects-error-forbidden").to_string());
            StatusCode::FORBIDDEN
        }
        Err(e) => return ctx.app_error(e),
    };
    match draw_project(service, ctx, session, code, refused).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(refused) => refused,
    }
}

fn version_of(form: &ProjectForm) -> u64 {
    form.version.trim().parse().unwrap_or(0)
}

async fn opinion(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Form(form): Form<ProjectForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Reviewer, Role::Approver])?;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let refused = Refused {
        step: form.step.clone(),
        opinion: form.opinion.clone(),
        ..Refused::default()
    };
    let result = if form.opinion.trim().is_empty() {
        Err(AppError::invalid("opinion", "must not be empty"))
    } else {
        service
            .provisional_opinion(
                &session.actor,
                &code,
                version_of(&form),
                &form.step,
                &form.opinion,
            )
            .await
    };
    Ok(answer(
        &service,
        &ctx,
        session,
        &code,
        result,
        "opinion",
        refused,
        |r, errors| {
            for e in errors {
                if e.field == "opinion" {
                    r.opinion_error = Some(t.get("projects-error-required").to_string());
                } else {
                    r.opinion_error.get_or_insert_with(|| {
                        t.fill1("projects-error-other", "reason", &e.reason)
                    });
                }
            }
        },
    )
    .await)
}

async fn land(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Form(form): Form<ProjectForm>,
) -> PageResult {
    let session = ctx.require_login()?;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let refused = Refused {
        land_on: form.on.clone(),
        ..Refused::default()
    };
    let on = match form.on.trim() {
        "" => Ok(None),
        text => parse_date(text)
            .map(Some)
            .ok_or_else(|| AppError::invalid("on", "not a date")),
    };
    let result = match on {
        Ok(on) => {
            service
                .obtain_land(&session.actor, &code, version_of(&form), on)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(answer(
        &service,
        &ctx,
        session,
        &code,
        result,
        "land",
        refused,
        |r, errors| {
            for e in errors {
                r.land_error.get_or_insert_with(|| {
                    if e.reason == "not a date" {
                        t.get("projects-error-date").to_string()
                    } else if e.reason.contains("future") {
                        t.get("projects-error-future").to_string()
                    } else {
                        t.fill1("projects-error-other", "reason", &e.reason)
                    }
                });
            }
        },
    )
    .await)
}

async fn agent(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Form(form): Form<ProjectForm>,
) -> PageResult {
    let session = ctx.require_login()?;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let refused = Refused {
        agent: form.agent.clone(),
        ..Refused::default()
    };
    let result = if form.agent.trim().is_empty() {
        Err(AppError::invalid("agent", "must not be empty"))
    } else {
        service
            .assign_agent(&session.actor, &code, version_of(&form), &form.agent)
            .await
    };
    Ok(answer(
        &service,
        &ctx,
        session,
        &code,
        result,
        "agent",
        refused,
        |r, errors| {
            for e in errors {
                r.agent_error.get_or_insert_with(|| {
                    if e.reason == "must not be empty" {
                        t.get("projects-error-required").to_string()
                    } else if e.field == "agent" {
                        t.get("projects-error-agent").to_string()
                    } else {
                        t.fill1("projects-error-other", "reason", &e.reason)
                    }
                });
            }
        },
    )
    .await)
}

// ---- the board ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct BoardRow {
    href: String,
    code: String,
    name: String,
    owner: String,
    agent: String,
    ends_on: String,
    done: String,
    behind: Vec<String>,
    under_way: Vec<String>,
}

#[derive(Template)]
#[template(path = "projects/board.html")]
struct BoardPage {
    chrome: Chrome,
    on: String,
    month_ends: Vec<Choice>,
    on_error: Option<String>,
    rows: Vec<BoardRow>,
    summary: String,
    /// Alerts of stalled steps, newest first.
    alerts: Vec<AlertRow>,
}

#[derive(Debug, Clone)]
struct AlertRow {
    href: String,
    text: String,
    raised: String,
}

#[derive(Debug, Deserialize, Default)]
struct BoardQuery {
    on: Option<String>,
}

/// The last day of the month of `day`.
fn month_end(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(day)
}

/// The ends of this month and the eleven before, newest first.
fn month_ends(today: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut end = month_end(today);
    for _ in 0..12 {
        out.push(end);
        match NaiveDate::from_ymd_opt(end.year(), end.month(), 1).and_then(|d| d.pred_opt()) {
            Some(previous) => end = previous,
            None => break,
        }
    }
    out
}

fn board_row(
    t: &Messages,
    departments: &[Department],
    line: &BoardLine,
    names: &BTreeMap<String, String>,
) -> BoardRow {
    let step = |(key, department): &(String, String)| {
        t.fill(
            "projects-board-step",
            &[
                ("step", names.get(key).map_or(key.as_str(), String::as_str)),
                ("department", &department_name(t, departments, department)),
            ],
        )
    };
    BoardRow {
        href: project_href(&line.code),
        code: line.code.clone(),
        name: line.name.clone(),
        owner: line.owner_name.clone(),
        agent: line.agent.clone().unwrap_or_else(|| "—".into()),
        ends_on: t.date_or_dash(&line.ends_on),
        done: t.fill(
            "projects-board-done",
            &[
                ("done", &line.done.to_string()),
                ("total", &line.steps.to_string()),
            ],
        ),
        behind: line.behind.iter().map(step).collect(),
        under_way: line.waiting_on.iter().map(step).collect(),
    }
}

async fn board(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let session = ctx.require_role(BOARD_ROLES)?;
    let t = ctx.chrome.t;
    let today = service.today();
    let mut on_error = None;
    let on = match q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match parse_date(text) {
            Some(d) => Some(d),
            None => {
                on_error = Some(t.get("projects-error-date").to_string());
                None
            }
        },
    };
    let lines = service
        .project_board(&session.actor, on)
        .await
        .or_page(&ctx)?;
    // Step names, from the projects the board lists.
    let mut names = BTreeMap::new();
    if let Ok(projects) = service.projects(&session.actor).await {
        for p in projects {
            for s in p.plan.steps {
                names.entry(s.key).or_insert(s.item_name);
            }
        }
    }
    let departments = service.departments().await.unwrap_or_default();
    let alerts: Vec<AlertRow> = service
        .stall_alerts(&session.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .take(50)
        .map(|a| AlertRow {
            href: project_href(&a.project_code),
            text: t.fill(
                "projects-alert",
                &[
                    ("project", &a.project_name),
                    ("step", &a.item_name),
                    (
                        "department",
                        &department_name(t, &departments, &a.department),
                    ),
                    ("date", &a.planned_end),
                ],
            ),
            raised: a.raised_at.get(..10).unwrap_or_default().to_string(),
        })
        .collect();
    let shown = on.unwrap_or(today);
    let rows: Vec<BoardRow> = lines
        .iter()
        .map(|l| board_row(t, &departments, l, &names))
        .collect();
    Ok(render(&BoardPage {
        alerts,
        on: t.date(&shown),
        month_ends: std::iter::once(Choice {
            value: String::new(),
            label: t.fill1("projects-board-today", "date", t.date(&today)),
            selected: on.is_none(),
        })
        .chain(month_ends(today).into_iter().map(|d| Choice {
            value: d.format("%Y-%m-%d").to_string(),
            label: t.date(&d),
            selected: on == Some(d),
        }))
        .collect(),
        on_error,
        summary: t.fill(
            "projects-board-summary",
            &[
                ("projects", &lines.len().to_string()),
                (
                    "behind",
                    &lines
                        .iter()
                        .filter(|l| !l.behind.is_empty())
                        .count()
                        .to_string(),
                ),
            ],
        ),
        rows,
        chrome: ctx.chrome,
    }))
}

// ---- applying under a project (the apply pages ask) ---------------------------------------------

/// A material of an application the project's earlier approval issued: not asked again.
#[derive(Debug, Clone)]
pub struct ReusedPreview {
    pub material_key: String,
    pub text: String,
}

/// What the apply page shows of the project an application is filed under.
#[derive(Debug, Clone)]
pub struct ProjectForApply {
    pub code: String,
    pub name: String,
    pub owner_identity: String,
    pub owner_name: String,
    pub href: String,
    /// "Filed under the investment project …".
    pub label: String,
    pub reused: Vec<ReusedPreview>,
}

/// The project `code` as `session` may see it, and the materials of `item_code` the results of
/// its earlier approvals provide (the service decides again when the case is filed).
pub async fn project_for_apply(
    service: &Service,
    t: &Messages,
    session: &Authenticated,
    code: &str,
    item_code: &str,
) -> Result<ProjectForApply, AppError> {
    let view = service.project(&session.actor, code).await?;
    let project = &view.project;
    // A bundle (the joint completion acceptance) takes no earlier result as a material.
    let item = match service.item(item_code).await {
        Ok(item) => Some(item),
        Err(AppError::NotFound { .. }) if service.bundle(item_code).await.is_ok() => None,
        Err(e) => return Err(e),
    };
    let mut reused: Vec<ReusedPreview> = Vec::new();
    for (key, progress) in &project.progress {
        let StepProgress::Done { document, .. } = progress else {
            continue;
        };
        let Some(step) = project.step(key) else {
            continue;
        };
        let Some((_, done_code)) = view.items.iter().find(|(k, _)| k == key) else {
            continue;
        };
        let Ok(done_item) = service.item(done_code).await else {
            continue;
        };
        let Some(licence) = done_item.item.result_licence_type.filter(|l| !l.is_empty()) else {
            continue;
        };
        let Some(item) = &item else {
            continue;
        };
        for m in item.item.demanded_materials() {
            if m.name.contains(&licence) && !reused.iter().any(|r| r.material_key == m.key) {
                reused.push(ReusedPreview {
                    material_key: m.key.clone(),
                    text: t.fill(
                        "projects-reused",
                        &[
                            ("material", &m.name),
                            ("item", &step.item_name),
                            ("document", document),
                        ],
                    ),
                });
            }
        }
    }
    Ok(ProjectForApply {
        code: project.code.to_string(),
        name: project.name.clone(),
        owner_identity: project.owner_identity.clone(),
        owner_name: project.owner_name.clone(),
        href: project_href(project.code.as_str()),
        label: t.fill(
            "projects-apply-project",
            &[("name", &project.name), ("code", project.code.as_str())],
        ),
        reused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::site;

    const ENTERPRISE: (&str, &str) = ("enterprise", "qiye-demo-2026");

    #[test]
    fn month_ends_are_the_last_days() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(month_end(d(2026, 2, 10)), d(2026, 2, 28));
        assert_eq!(month_end(d(2026, 12, 1)), d(2026, 12, 31));
        let ends = month_ends(d(2026, 11, 2));
        assert_eq!(ends.len(), 12);
        assert_eq!(ends[0], d(2026, 11, 30));
        assert_eq!(ends[1], d(2026, 10, 31));
        assert_eq!(ends[11], d(2025, 12, 31));
    }

    #[tokio::test]
    async fn the_joint_completion_acceptance_is_applied_for_once_under_the_project() {
        let site = crate::ui::testing::site_with_bundles().await;
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let path = registered(&site).await;
        let code = path.trim_start_matches("/projects/").to_string();
        let page = site.get(&me, &format!("/projects/{code}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let link = format!("/apply/LB-JUNGONG?project={code}");
        assert!(page.body.contains(&link), "{}", page.body);
        let form = site.get(&me, &link).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(
            form.body.contains(&code),
            "the form says which project: {}",
            form.body
        );
    }

    #[tokio::test]
    async fn the_enterprise_form_is_prefilled_and_errors_stand_next_to_their_fields() {
        let site = site().await;
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let form = site.get(&me, "/projects/new").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(
            form.body.contains("宁海县示范民宿有限公司"),
            "{}",
            form.body
        );
        assert!(form.body.contains("name=\"land_obtained_on\""));
        let answer = site
            .post_form(
                &me,
                "/projects/new",
                &[
                    ("name", " "),
                    ("owner_identity", "91330226MA2AGKRX4X"),
                    ("owner_name", "宁海县示范民宿有限公司"),
                    ("project_type", "industrial"),
                    ("region", "nowhere"),
                    ("land_obtained_on", "2026-13-40"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = &answer.body;
        for id in [
            "name-error",
            "owner_identity-error",
            "region-error",
            "land_obtained_on-error",
        ] {
            assert!(body.contains(&format!("id=\"{id}\"")), "{id}: {body}");
        }
        assert!(body.contains("aria-invalid=\"true\""));
        assert!(body.contains("id=\"form-errors\""));
        // Nothing was registered.
        let list = site.get(&me, "/projects").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(!list.body.contains("href=\"/projects/26"), "{}", list.body);
    }

    #[tokio::test]
    async fn another_enterprises_code_is_refused_at_the_owner_field() {
        let site = site().await;
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let answer = site
            .post_form(
                &me,
                "/projects/new",
                &[
                    ("name", "别人的项目"),
                    ("owner_identity", "91110108MA01AAAA0M"),
                    ("owner_name", "别人"),
                    ("project_type", "commercial"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert!(
            answer.body.contains("id=\"owner_identity-error\""),
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains("只能登记本企业的项目"),
            "{}",
            answer.body
        );
    }

    #[tokio::test]
    async fn a_registered_project_shows_its_plan_chart_and_forms_by_role() {
        let site = site().await;
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let identity = site
            .service
            .login(ENTERPRISE.0, ENTERPRISE.1, "t")
            .await
            .expect("login")
            .principal
            .identity
            .expect("an enterprise identity");
        let answer = site
            .post_form(
                &me,
                "/projects/new",
                &[
                    ("name", "年产 5 万套模具生产线项目"),
                    ("owner_identity", identity.as_str()),
                    ("owner_name", "宁海县示范民宿有限公司"),
                    ("project_type", "industrial"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let to = answer.location().expect("to the project").to_string();
        assert!(
            to.starts_with("/projects/") && to.ends_with("?done=registered"),
            "{to}"
        );
        let page = site.get(&me, &to).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let body = &page.body;
        assert!(body.contains("94 个工作日：行政 29 + 中介 65"), "{body}");
        assert!(body.contains("<svg") && body.contains("step critical"));
        for stage in ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收"]
        {
            assert!(body.contains(stage), "{stage}");
        }
        assert!(body.contains("?project="), "apply under the project");
        let en = site.get(&me.clone().in_english(), &to).await;
        assert!(
            en.body
                .contains("94 working days: administrative 29 + intermediary 65"),
            "{}",
            en.body
        );
        assert!(en.body.contains("Construction permit") && !en.body.contains("projects-"));
        assert!(body.contains("action=\"/projects/") && body.contains("/agent\""));
        assert!(!body.contains("/land\""), "no land form for the owner");
        // Wrong agent name: the error stands next to the field.
        let base = to.split('?').next().unwrap_or_default().to_string();
        let refused = site
            .post_form(
                &me,
                &format!("{base}/agent"),
                &[("version", "1"), ("agent", "nobody")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("id=\"agent-error\""),
            "{}",
            refused.body
        );
        let assigned = site
            .post_form(
                &me,
                &format!("{base}/agent"),
                &[("version", "1"), ("agent", "agent")],
            )
            .await;
        assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
        // The clerk records the land, with a date that is not one refused at its field.
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let page = site.get(&clerk, &base).await;
        assert!(
            page.body.contains(&format!("action=\"{base}/land\"")),
            "{}",
            page.body
        );
        let refused = site
            .post_form(
                &clerk,
                &format!("{base}/land"),
                &[("version", "2"), ("on", "someday")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("id=\"land-error\""),
            "{}",
            refused.body
        );
        // The agent's board lists it.
        let agent = site.login("agent", "daiban-2026").await;
        let board = site.get(&agent, "/projects/board?on=2026-11-30").await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.body);
        assert!(
            board.body.contains("年产 5 万套模具生产线项目"),
            "{}",
            board.body
        );
        assert!(board.body.contains("2026年11月30日"));
        assert!(!board.body.contains("id=\"stall-alerts\""));
        // At the month's end the steps that stalled reach the agent, once.
        site.clock.set(onewindow_app::clock::local_morning(
            NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        ));
        let swept = site.service.sweep_lights().await.expect("sweep");
        assert!(swept.alerts > 0, "{swept:?}");
        // Sessions last 12 hours: the agent logs in again on the new day.
        let agent = site.login("agent", "daiban-2026").await;
        let board = site.get(&agent, "/projects/board").await;
        assert!(board.body.contains("id=\"stall-alerts\""), "{}", board.body);
        assert!(board.body.contains("滞后提醒"), "{}", board.body);
        // A citizen may not see it.
        let citizen = site.login("citizen", "shimin-2026").await;
        assert_eq!(
            site.get(&citizen, &base).await.status,
            StatusCode::NOT_FOUND
        );
    }

    async fn staff_of_natural_resources(site: &crate::ui::testing::TestSite) {
        use onewindow_app::accounts::{Actor, NewUser};
        use onewindow_domain::access::Post;
        for (username, role) in [("zr-r", Role::Reviewer), ("zr-a", Role::Approver)] {
            site.service
                .create_user(
                    &Actor::command_line("test"),
                    NewUser {
                        username: username.into(),
                        display_name: username.into(),
                        password: "ziranziyuan-2026".into(),
                        identity: None,
                        phone: None,
                        posts: vec![Post::new(role).in_department("ZRZYJ")],
                        may_reveal_personal_data: false,
                    },
                )
                .await
                .expect("staff");
        }
    }

    /// Registers the enterprise's industrial project through the page; its path.
    async fn registered(site: &crate::ui::testing::TestSite) -> String {
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let identity = site
            .service
            .login(ENTERPRISE.0, ENTERPRISE.1, "t")
            .await
            .expect("login")
            .principal
            .identity
            .expect("identity");
        let answer = site
            .post_form(
                &me,
                "/projects/new",
                &[
                    ("name", "年产 5 万套模具生产线项目"),
                    ("owner_identity", identity.as_str()),
                    ("owner_name", "宁海县示范民宿有限公司"),
                    ("project_type", "industrial"),
                ],
            )
            .await;
        let to = answer.location().expect("registered").to_string();
        to.split('?').next().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn a_provisional_opinion_is_given_from_the_page_and_turns_formal_with_the_land() {
        let site = site().await;
        staff_of_natural_resources(&site).await;
        let base = registered(&site).await;
        let reviewer = site.login("zr-r", "ziranziyuan-2026").await;
        let page = site.get(&reviewer, &base).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        // Forms only on the steps of natural resources that may be pre-examined.
        assert!(page.body.contains("id=\"opinion-design-scheme\""));
        assert!(!page.body.contains("id=\"opinion-land-planning\""));
        assert!(!page.body.contains("id=\"opinion-eia\""));
        let refused = site
            .post_form(
                &reviewer,
                &format!("{base}/opinion"),
                &[
                    ("version", "1"),
                    ("step", "design-scheme"),
                    ("opinion", " "),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("id=\"opinion-design-scheme-error\""),
            "{}",
            refused.body
        );
        let given = site
            .post_form(
                &reviewer,
                &format!("{base}/opinion"),
                &[
                    ("version", "1"),
                    ("step", "design-scheme"),
                    ("opinion", "方案符合规划条件"),
                ],
            )
            .await;
        assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
        // An old version is a conflict, said in words.
        let stale = site
            .post_form(
                &reviewer,
                &format!("{base}/opinion"),
                &[
                    ("version", "1"),
                    ("step", "planning-permit"),
                    ("opinion", "可行"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.body.contains("项目刚被他人更新过"));
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let landed = site
            .post_form(
                &clerk,
                &format!("{base}/land"),
                &[("version", "2"), ("on", "2026-11-02")],
            )
            .await;
        assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
        let page = site.get(&clerk, &base).await;
        assert!(page.body.contains("模拟审批转正式"), "{}", page.body);
        assert!(page.body.contains("2026年11月2日 取得用地"));
        assert!(!page.body.contains("/land\""), "recorded once");
    }

    #[tokio::test]
    async fn applying_under_the_project_takes_its_earlier_licence_instead_of_an_upload() {
        use crate::ui::testing::FilePart;
        use onewindow_domain::case::CaseCommand;
        let site = site().await;
        staff_of_natural_resources(&site).await;
        let base = registered(&site).await;
        let code = base.trim_start_matches("/projects/").to_string();
        let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
        let page = site.get(&me, &base).await;
        // The apply links carry the project code.
        let link = |key: &str| -> String {
            let row = page
                .body
                .split(&format!("data-step=\"{key}\""))
                .last()
                .expect("the row of the table, after the chart's");
            let at = row.find("/apply/").expect("an apply link");
            row[at..row[at..].find('"').map_or(row.len(), |e| at + e)].replace("&#x3f;", "?")
        };
        let land = link("land-planning");
        assert!(land.contains("?project="), "{land}");
        let land_item = land
            .trim_start_matches("/apply/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        let pdf = b"%PDF-1.4 a scan";
        let files: Vec<FilePart<'_>> = ["file_M01", "file_M02", "file_M03", "file_M04"]
            .into_iter()
            .map(|field| FilePart {
                field,
                file_name: "scan.pdf",
                bytes: pdf,
            })
            .collect();
        let filed = site
            .post_multipart(
                &me,
                &format!("/apply/{land_item}"),
                &[
                    ("name", "宁海县示范民宿有限公司"),
                    ("centre", "county-hall"),
                    ("idempotency_key", "0123456789abcdef0123"),
                    ("project_code", code.as_str()),
                ],
                &files,
            )
            .await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        let case_path = filed.location().expect("the case").to_string();
        let case_page = site.get(&me, &case_path).await;
        assert!(
            case_page.body.contains("id=\"case-project\""),
            "{}",
            case_page.body
        );
        assert!(case_page.body.contains(&code));
        // The licence is decided and issued.
        let number = site
            .service
            .projects(
                &site
                    .service
                    .authenticate(me.session.as_deref().unwrap_or_default(), "t")
                    .await
                    .expect("session")
                    .actor,
            )
            .await
            .expect("projects")[0]
            .progress
            .get("land-planning")
            .and_then(|p| match p {
                StepProgress::InProgress { case_number } => Some(case_number.clone()),
                _ => None,
            })
            .expect("under way");
        let mut version = 1;
        for (who, password, command) in [
            ("clerk", "chuangkou-2026", CaseCommand::Accept),
            ("zr-r", "ziranziyuan-2026", CaseCommand::StartReview),
            (
                "zr-a",
                "ziranziyuan-2026",
                CaseCommand::Decide {
                    approve: true,
                    reason: "同意".into(),
                },
            ),
            (
                "zr-r",
                "ziranziyuan-2026",
                CaseCommand::IssueResult {
                    document_number: None,
                },
            ),
        ] {
            let grant = site.service.login(who, password, "t").await.expect("login");
            let actor = site
                .service
                .authenticate(&grant.token, "t")
                .await
                .expect("session")
                .actor;
            let detail = site.service.case(&actor, &number).await.expect("case");
            version = detail.case.version.max(version);
            site.service
                .execute(&actor, &number, version, command)
                .await
                .unwrap_or_else(|e| panic!("{who}: {e}"));
        }
        // The design scheme review does not ask for the licence again.
        let page = site.get(&me, &base).await;
        let design = {
            let row = page
                .body
                .split("data-step=\"design-scheme\"")
                .last()
                .expect("the row of the table, after the chart's");
            let at = row.find("/apply/").expect("an apply link");
            row[at..row[at..].find('"').map_or(row.len(), |e| at + e)].to_string()
        };
        let design = design.replace("&#x3f;", "?").replace("&#x3d;", "=");
        let form = site.get(&me, &design).await;
        assert_eq!(form.status, StatusCode::OK, "{design}: {}", form.body);
        assert!(form.body.contains("id=\"apply-reused\""), "{}", form.body);
        assert!(form.body.contains("建设用地规划许可证"));
        assert!(
            !form.body.contains("name=\"file_M03\""),
            "not uploaded again"
        );
        assert!(form.body.contains("name=\"file_M01\""));
        let design_item = design
            .trim_start_matches("/apply/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        let filed = site
            .post_multipart(
                &me,
                &format!("/apply/{design_item}"),
                &[
                    ("name", "宁海县示范民宿有限公司"),
                    ("centre", "county-hall"),
                    ("idempotency_key", "0123456789abcdef0124"),
                    ("project_code", code.as_str()),
                ],
                &[
                    FilePart {
                        field: "file_M01",
                        file_name: "a.pdf",
                        bytes: pdf,
                    },
                    FilePart {
                        field: "file_M02",
                        file_name: "b.pdf",
                        bytes: pdf,
                    },
                ],
            )
            .await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        let case_page = site.get(&me, filed.location().expect("the case")).await;
        assert!(
            case_page
                .body
                .contains("由本项目“建设用地规划许可证核发（新办）”出具"),
            "{}",
            case_page.body
        );
        // The window's checklist says where the material came from.
        let number = filed
            .location()
            .and_then(|l| l.rsplit('/').next())
            .expect("the case number")
            .to_string();
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let window = site.get(&clerk, &format!("/window/cases/{number}")).await;
        assert_eq!(window.status, StatusCode::OK, "{}", window.body);
        assert!(
            window
                .body
                .contains("由本项目「建设用地规划许可证核发（新办）」的结果提供"),
            "{}",
            window.body
        );
    }
}
