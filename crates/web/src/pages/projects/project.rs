//! One project: its plan by stage, the chart, and the forms of its steps by role.

use super::*;

/// One step of the plan as its row shows it.
#[derive(Debug, Clone)]
pub(super) struct StepRow {
    pub(super) key: String,
    pub(super) item_name: String,
    pub(super) department: String,
    pub(super) intermediary: String,
    pub(super) admin_days: String,
    pub(super) dates: String,
    pub(super) status: String,
    pub(super) status_class: &'static str,
    pub(super) critical: bool,
    pub(super) behind: bool,
    /// The catalogue item's page, if the catalogue has it.
    pub(super) item_href: Option<String>,
    /// "Apply under this project", for the owner or an agent while the step is not started.
    pub(super) apply_href: Option<String>,
    /// The link's words for a screen reader: which approval.
    pub(super) apply_label: String,
    /// The joint-approval bundle the step is filed in.
    pub(super) bundle_href: Option<String>,
    /// The case of the step, when the viewer may open it.
    pub(super) case_href: Option<String>,
    /// A provisional-opinion form for the viewer's department, before the land.
    pub(super) opinion_form: bool,
    pub(super) opinion: String,
    pub(super) opinion_error: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct StageTable {
    pub(super) id: &'static str,
    pub(super) title: String,
    pub(super) rows: Vec<StepRow>,
}

#[derive(Template)]
#[template(path = "projects/project.html")]
pub(super) struct ProjectPage {
    pub(super) chrome: Chrome,
    pub(super) notice: Option<String>,
    pub(super) general: Vec<String>,
    pub(super) code: String,
    pub(super) action_base: String,
    pub(super) name: String,
    pub(super) owner: String,
    pub(super) kind: String,
    pub(super) funded: String,
    pub(super) region: String,
    pub(super) land: String,
    pub(super) registered: String,
    pub(super) agent: String,
    pub(super) totals: String,
    /// The calendar does not cover the plan's years yet (next year's holidays are published
    /// late in the year): those dates are counted on weekdays, the working days stand.
    pub(super) dates_unknown: bool,
    pub(super) ends_on: String,
    pub(super) progress_line: String,
    pub(super) chart: String,
    pub(super) stages: Vec<StageTable>,
    pub(super) version: u64,
    /// "Land obtained" form for a clerk while the land is not obtained.
    pub(super) land_form: bool,
    pub(super) land_on: String,
    pub(super) land_error: Option<String>,
    /// "Assign an agent" form for the owner or a clerk.
    pub(super) agent_form: bool,
    pub(super) agent_value: String,
    pub(super) agent_error: Option<String>,
    /// The intermediary market's section (中介服务（网上中介超市）), drawn by the market's pages.
    pub(super) market: crate::pages::market::ProjectMarketSection,
}

/// What a form of the project page sent back, to draw it again with its error.
#[derive(Debug, Clone, Default)]
pub(super) struct Refused {
    pub(super) notice: Option<String>,
    pub(super) general: Vec<String>,
    pub(super) step: String,
    pub(super) opinion: String,
    pub(super) opinion_error: Option<String>,
    pub(super) land_on: String,
    pub(super) land_error: Option<String>,
    pub(super) agent: String,
    pub(super) agent_error: Option<String>,
}

pub(super) fn step_status(t: &Messages, progress: Option<&StepProgress>) -> (String, &'static str) {
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

pub(super) fn project_page(
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
        market: String::new(),
    }
}

impl ProjectPage {
    pub(super) fn has_errors(&self) -> bool {
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
pub(super) struct DoneQuery {
    pub(super) done: Option<String>,
}

/// Draws the project page for `session`, with what a refused form sent back.
pub(super) async fn draw_project(
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
    let mut page = project_page(
        &ctx.chrome,
        session,
        &view,
        &departments,
        &regions,
        service.today(),
        refused,
    );
    page.market =
        crate::pages::market::project_section(service, &ctx.chrome, &session.actor, &view.project)
            .await;
    Ok(page)
}

pub(super) async fn project_page_handler(
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

pub(super) async fn show_project(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    project_page_handler(service, ctx, code, q.done).await
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ProjectForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) version: String,
    #[serde(default)]
    pub(super) step: String,
    #[serde(default)]
    pub(super) opinion: String,
    #[serde(default)]
    pub(super) on: String,
    #[serde(default)]
    pub(super) agent: String,
}

/// The answer to a project form: back to the page, or the page again with the refusal placed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn answer(
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

pub(super) fn version_of(form: &ProjectForm) -> u64 {
    form.version.trim().parse().unwrap_or(0)
}

pub(super) async fn opinion(
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
                        t.fill1(
                            "projects-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        )
                    });
                }
            }
        },
    )
    .await)
}

pub(super) async fn land(
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
                        t.fill1(
                            "projects-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        )
                    }
                });
            }
        },
    )
    .await)
}

pub(super) async fn agent(
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
                        t.fill1(
                            "projects-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        )
                    }
                });
            }
        },
    )
    .await)
}
