//! Keeping the rows beside a case in step with it, in the transaction of every case write: a
//! joint case's department tasks and the plan they follow, what a department may see and do of
//! them, and the progress of the investment project a case is filed under.

use onewindow_domain::access::{self, Principal};
use onewindow_domain::bundle::{BundlePlan, Equivalence};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::Case;
use onewindow_domain::circulation::TaskAction;
use onewindow_domain::project::{Project, StepProgress};
use onewindow_domain::validation::FieldError;
use onewindow_store::bundles::{self as bundle_rows, TaskRow};
use onewindow_store::projects::{self as project_rows};
use onewindow_store::{Conn, catalogue as catalogue_rows};

use crate::case_policy::facts;
use crate::clock::local_date;
use crate::error::AppError;

/// The stored list of equivalent materials (材料等同清单) as the rule that merges a bundle's
/// materials: every plan of a bundle is resolved with it, so the portal, the API and a filed case
/// ask the same materials.
pub(crate) async fn equivalence(conn: &mut Conn) -> Result<Equivalence, AppError> {
    let groups = onewindow_store::equivalents::load(&mut *conn).await?;
    Ok(Equivalence::new(&groups))
}

/// The plan of a bundle's current version over the current items, or `None` when no bundle has
/// this code. A bundle whose members are no longer all published cannot be filed.
pub(crate) async fn current_plan(
    conn: &mut Conn,
    code: &str,
) -> Result<Option<BundlePlan>, AppError> {
    let Some(published) = bundle_rows::get(&mut *conn, code).await? else {
        return Ok(None);
    };
    let mut items = Vec::with_capacity(published.bundle.members.len());
    for member in &published.bundle.members {
        if let Some(item) = catalogue_rows::get_item(&mut *conn, &member.item_code).await? {
            items.push(item);
        }
    }
    let equivalence = equivalence(&mut *conn).await?;
    published
        .bundle
        .resolve_with(published.version, &items, &equivalence)
        .map(Some)
        .map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|e| {
                        FieldError::new(
                            "item_code",
                            format!(
                                "bundle {code} cannot be filed now: {}: {}",
                                e.field, e.reason
                            ),
                        )
                    })
                    .collect(),
            )
        })
}

/// Keeps the task rows of a joint case in step with its body, in the same transaction.
pub(crate) async fn sync_tasks(
    conn: &mut Conn,
    case: &Case,
    calendar: &Calendar,
) -> Result<(), AppError> {
    let Some(circulation) = &case.circulation else {
        return Ok(());
    };
    let mut rows = Vec::with_capacity(circulation.tasks.len());
    for task in &circulation.tasks {
        // A task whose due day falls in a year without a holiday notice shows no date rather
        // than failing the command.
        let due_on = task.due_on(calendar).ok().flatten();
        rows.push(TaskRow {
            task_key: task.key().to_string(),
            item_name: task.spec.item_name.clone(),
            department: task.department().to_string(),
            status: task.status.as_str().to_string(),
            claimed_by: task.claimed_by.clone(),
            due_on: due_on.map(|d| d.to_string()),
            limit_days: task.clock.as_ref().map(|c| c.total_limit()),
        });
    }
    bundle_rows::sync_tasks(conn, &case.id, &rows).await?;
    Ok(())
}

/// What `who` may do to each task of a joint case now.
pub(crate) fn task_actions(who: &Principal, case: &Case) -> Vec<(String, Vec<TaskAction>)> {
    let Some(circulation) = &case.circulation else {
        return Vec::new();
    };
    let facts = facts(case);
    circulation
        .tasks
        .iter()
        .map(|t| {
            let actions = t
                .status
                .allowed_actions()
                .iter()
                .copied()
                .filter(|a| access::decide_task(who, *a, &facts, t.department()).is_allowed())
                .collect();
            (t.key().to_string(), actions)
        })
        .collect()
}

/// What a project already holds that its later applications take as materials: the licences
/// its decided steps issued, and the intermediary reports its owner accepted.
pub(crate) async fn project_results(
    conn: &mut onewindow_store::Conn,
    project: &Project,
) -> Result<Vec<onewindow_domain::case::IssuedResult>, AppError> {
    let catalogue = catalogue_rows::items_named(&mut *conn, &project.plan.item_names()).await?;
    let licence_of = |name: &str| {
        catalogue
            .iter()
            .find(|i| i.item.name == name)
            .and_then(|i| i.item.result_licence_type.clone())
    };
    let mut results = Vec::new();
    for (key, progress) in &project.progress {
        let StepProgress::Done { document, .. } = progress else {
            continue;
        };
        let Some(step) = project.step(key) else {
            continue;
        };
        if let Some(licence_type) = licence_of(&step.item_name) {
            results.push(onewindow_domain::case::IssuedResult {
                licence_type,
                document: document.clone(),
                item_name: step.item_name.clone(),
                from_intermediary: false,
            });
        }
    }
    results.extend(crate::market::accepted_reports(&mut *conn, project.code.as_str()).await?);
    Ok(results)
}

/// Files `case` under the project `code` (in the caller's transaction): the applicant must own
/// the project; the results of the project's earlier approvals become materials of an item's
/// case; the plan's steps the case stands for are under way.
pub(crate) async fn file_under_project(
    conn: &mut onewindow_store::Conn,
    case: &mut onewindow_domain::case::Case,
    code: &str,
    item: Option<&onewindow_domain::catalogue::PublishedItem>,
) -> Result<(), AppError> {
    let mut project = project_rows::get(&mut *conn, code)
        .await?
        .ok_or_else(|| AppError::invalid("project_code", format!("no project {code}")))?;
    if !project
        .owner_identity
        .eq_ignore_ascii_case(&case.applicant.id_number)
    {
        return Err(AppError::invalid(
            "project_code",
            format!("project {code} belongs to another owner"),
        ));
    }
    let results = project_results(&mut *conn, &project).await?;
    match item {
        Some(item) => case.file_under_project(code, item, &results),
        None => case.project_code = Some(code.to_string()),
    }
    let steps: Vec<String> = steps_of_case(&project, case)
        .into_iter()
        .filter(|k| !matches!(project.progress.get(k), Some(StepProgress::Done { .. })))
        .collect();
    if !steps.is_empty() {
        let expected = project.version;
        for step in steps {
            project.progress.insert(
                step,
                StepProgress::InProgress {
                    case_number: case.number.clone(),
                },
            );
        }
        project.version += 1;
        let at = case.received_at.to_rfc3339();
        if !project_rows::update(&mut *conn, &project, expected, &at).await? {
            return Err(AppError::Conflict(format!(
                "project {code} changed meanwhile; file again"
            )));
        }
    }
    Ok(())
}

/// Keeps a project's progress in step with a case filed under it (in the caller's
/// transaction): its step is done when the result is issued, and open again when the case is
/// refused or denied.
pub(crate) async fn follow_case(
    conn: &mut onewindow_store::Conn,
    case: &onewindow_domain::case::Case,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use onewindow_domain::case::Status;
    let Some(code) = &case.project_code else {
        return Ok(());
    };
    let progress = match case.status {
        Status::ResultIssued => StepProgress::Done {
            on: local_date(now),
            case_number: Some(case.number.clone()),
            document: case
                .result_document
                .clone()
                .unwrap_or_else(|| case.number.clone()),
            from_simulation: false,
        },
        Status::Rejected | Status::Denied => StepProgress::NotStarted,
        _ => return Ok(()),
    };
    let Some(mut project) = project_rows::get(&mut *conn, code).await? else {
        return Ok(());
    };
    let ours: Vec<String> = steps_of_case(&project, case)
        .into_iter()
        .filter(|k| {
            matches!(
                project.progress.get(k),
                Some(StepProgress::InProgress { case_number }) if *case_number == case.number
            )
        })
        .collect();
    if ours.is_empty() {
        return Ok(());
    }
    let expected = project.version;
    for step in ours {
        project.progress.insert(step, progress.clone());
    }
    project.version += 1;
    if !project_rows::update(&mut *conn, &project, expected, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(format!(
            "project {code} changed meanwhile; try again"
        )));
    }
    Ok(())
}

/// The plan's steps a case stands for: the step of its item, or every step filed in its bundle
/// (the joint completion acceptance).
fn steps_of_case(project: &Project, case: &onewindow_domain::case::Case) -> Vec<String> {
    project
        .plan
        .steps
        .iter()
        .filter(|s| {
            if case.circulation.is_some() {
                s.bundle.as_deref() == Some(case.item_code.as_str())
            } else {
                s.item_name == case.item_name
            }
        })
        .map(|s| s.key.clone())
        .collect()
}

/// Runs one of the service's own commands on `case` (a download that delivers, a courier's
/// signature) inside the caller's transaction, the way [`crate::service::Service::execute`]
/// runs a user's: decide, apply, write if the case is still at its version, keep the rows
/// beside it in step, audit as `audit_action` with `detail`, and tell the outbox.
pub(crate) async fn run_own_command(
    conn: &mut Conn,
    case: &Case,
    command: &onewindow_domain::case::CaseCommand,
    actor: &crate::actor::Actor,
    (now, calendar): (chrono::DateTime<chrono::Utc>, &Calendar),
    (audit_action, detail): (&str, String),
) -> Result<Case, AppError> {
    let today = local_date(now);
    let ctx = onewindow_domain::case::Context {
        actor: actor.username(),
        now,
        today,
        calendar,
    };
    let events = case.decide(command, &ctx)?;
    let mut next = case.clone();
    for event in &events {
        next.apply(event, actor.username(), now, today);
    }
    let due_on = next.due_on(calendar)?;
    let written = onewindow_store::cases::update(
        &mut *conn,
        &next,
        case.version,
        &events,
        actor.username(),
        now,
        due_on,
    )
    .await?;
    if !written {
        return Err(AppError::VersionConflict {
            expected: case.version,
            current: case.version + 1,
        });
    }
    sync_tasks(&mut *conn, &next, calendar).await?;
    follow_case(&mut *conn, &next, now).await?;
    onewindow_store::audit::append(
        &mut *conn,
        actor.entry(
            now,
            audit_action,
            format!("case:{}", next.number),
            onewindow_domain::audit::Outcome::Success,
            detail,
        ),
    )
    .await?;
    let message = serde_json::json!({
        "case_id": next.id,
        "number": next.number,
        "status": next.status,
        "events": events,
        "actor": actor.username(),
    });
    onewindow_store::enqueue_outbox(
        &mut *conn,
        "case.changed",
        &message.to_string(),
        &now.to_rfc3339(),
    )
    .await?;
    Ok(next)
}
