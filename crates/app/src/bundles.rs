//! Joint approval (联办): the bundles of the catalogue, filing a bundle as one case, and the
//! department tasks of its internal circulation.

use onewindow_domain::access::{self, CaseOperation, Decision, Operation, Role};
use onewindow_domain::audit::Outcome;
use onewindow_domain::bundle::{Bundle, BundleFigures, BundlePlan, Equivalence, PublishedBundle};
use onewindow_domain::case::{Case, Context};
use onewindow_domain::circulation::TaskCommand;
use onewindow_domain::monitor::Light;
use onewindow_store::audit as audit_rows;
use onewindow_store::bundles::{self as bundle_rows};
use onewindow_store::cases as case_rows;
use onewindow_store::catalogue as catalogue_rows;
use onewindow_store::monitor::Alert;
use onewindow_store::{Conn, enqueue_outbox};
use serde::Serialize;

use crate::actor::Actor;
use crate::case_policy::{disclose, facts, refusal};
use crate::case_sync::{current_plan, sync_tasks};
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

/// A bundle as the portal and the catalogue report show it: its definition and its plan over
/// the items as published now.
#[derive(Debug, Clone, Serialize)]
pub struct BundleView {
    #[serde(flatten)]
    pub bundle: PublishedBundle,
    pub plan: BundlePlan,
}

/// One line of the bundle report: materials and visits before and after.
#[derive(Debug, Clone, Serialize)]
pub struct BundleReportLine {
    pub code: String,
    pub name: String,
    pub lead_department: String,
    pub members: usize,
    #[serde(flatten)]
    pub figures: BundleFigures,
}

impl Service {
    /// Gives every task clock of the joint cases its light and raises one alert per change of
    /// light into the department's inbox, as the case sweep does for cases: only the clocks
    /// written since the last sweep or due to change colour by today are read. Returns the
    /// alerts raised and the lights cleared.
    pub(crate) async fn sweep_task_lights(&self) -> Result<(usize, usize), AppError> {
        let today = self.today();
        let now = self.now();
        let rule = onewindow_domain::monitor::LightRule::default();
        let mut alerts_raised = 0;
        let mut cleared = 0;
        loop {
            let page =
                bundle_rows::task_clocks_to_check(self.store().readers(), today, 1_000).await?;
            if page.is_empty() {
                break;
            }
            let full = page.len() == 1_000;
            let mut looked = Vec::with_capacity(page.len());
            let mut changes = Vec::new();
            for clock in &page {
                let previous = clock.light.unwrap_or(Light::Green);
                let (light, next) = match (clock.status.as_str(), clock.due_on, clock.limit_days) {
                    ("open" | "in_review", Some(due), Some(limit)) => {
                        let light = rule.light_by_due_date(&self.calendar(), limit, due, today)?;
                        // Looked at again tomorrow while it can still change colour.
                        let next = (light != Light::Red).then(|| today.succ_opt()).flatten();
                        (light, next)
                    }
                    // A stopped task keeps its light until its case is written again.
                    ("awaiting_supplement" | "suspended", _, _) => (previous, None),
                    _ => (Light::Green, None),
                };
                looked.push(bundle_rows::TaskLooked {
                    case_id: clock.case_id.clone(),
                    task_key: clock.task_key.clone(),
                    check_on: clock.check_on.clone(),
                    next,
                    light: (light != Light::Green).then_some(light),
                });
                if light != previous {
                    changes.push((clock.clone(), light, previous));
                }
            }
            let (raised, gone, stored) = self
                .store()
                .write(move |conn| {
                    Box::pin(async move {
                        let stored = bundle_rows::set_task_lights(&mut *conn, &looked).await?;
                        let alerts: Vec<Alert> = changes
                            .iter()
                            .filter(|(c, light, _)| {
                                *light != Light::Green
                                    && stored.contains(&(c.case_id.clone(), c.task_key.clone()))
                            })
                            .map(|(c, light, previous)| Alert {
                                id: uuid::Uuid::now_v7().to_string(),
                                case_id: c.case_id.clone(),
                                case_number: c.case_number.clone(),
                                item_name: c.item_name.clone(),
                                department: c.department.clone(),
                                centre: c.centre.clone(),
                                light: *light,
                                previous: *previous,
                                due_on: c.due_on,
                                previous_due_on: None,
                                raised_at: now,
                            })
                            .collect();
                        onewindow_store::monitor::insert_alerts(&mut *conn, &alerts).await?;
                        let gone = changes
                            .iter()
                            .filter(|(_, light, _)| *light == Light::Green)
                            .count();
                        Ok::<_, AppError>((alerts.len(), gone, stored.len()))
                    })
                })
                .await?;
            alerts_raised += raised;
            cleared += gone;
            // Rows written meanwhile are left for the next sweep.
            if !full || stored == 0 {
                break;
            }
        }
        Ok((alerts_raised, cleared))
    }

    /// Every bundle with its plan over the items as published now. Open to everyone: the portal
    /// shows them beside the items.
    pub async fn bundles(&self) -> Result<Vec<BundleView>, AppError> {
        let mut conn = self.store().reader().await?;
        let published = bundle_rows::list(&mut *conn).await?;
        let groups = onewindow_store::equivalents::load(&mut *conn).await?;
        let equivalence = Equivalence::new(&groups);
        // Every member of every bundle in one read: the home page lists them all (issue 19).
        let mut codes: Vec<String> = published
            .iter()
            .flat_map(|b| b.bundle.members.iter().map(|m| m.item_code.clone()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let by_code: std::collections::HashMap<String, _> =
            catalogue_rows::items_coded(&mut conn, &codes)
                .await?
                .into_iter()
                .map(|item| (item.item.code.clone(), item))
                .collect();
        let mut views = Vec::with_capacity(published.len());
        for bundle in published {
            let items: Vec<_> = bundle
                .bundle
                .members
                .iter()
                .filter_map(|member| by_code.get(&member.item_code).cloned())
                .collect();
            // A bundle that no longer resolves (a member withdrawn) is not offered.
            if let Ok(plan) = bundle
                .bundle
                .resolve_with(bundle.version, &items, &equivalence)
            {
                views.push(BundleView { bundle, plan });
            }
        }
        Ok(views)
    }

    /// One bundle and its plan.
    pub async fn bundle(&self, code: &str) -> Result<BundleView, AppError> {
        let mut conn = self.store().reader().await?;
        let plan = current_plan(&mut conn, code)
            .await?
            .ok_or_else(|| AppError::not_found(format!("bundle {code}")))?;
        let bundle = bundle_rows::get(&mut *conn, code)
            .await?
            .ok_or_else(|| AppError::not_found(format!("bundle {code}")))?;
        Ok(BundleView { bundle, plan })
    }

    /// Publishes a bundle as its next version (administrators). It must resolve over the items
    /// as published now; every problem is named at once.
    pub async fn publish_bundle(
        &self,
        actor: &Actor,
        bundle: Bundle,
    ) -> Result<BundleView, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let actor = actor.clone();
        let now = self.now();
        let code = bundle.code.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut items = Vec::new();
                    for member in &bundle.members {
                        if let Some(item) =
                            catalogue_rows::get_item(&mut *conn, &member.item_code).await?
                        {
                            items.push(item);
                        }
                    }
                    bundle.resolve(0, &items).map_err(AppError::Invalid)?;
                    let version = bundle_rows::publish(
                        &mut *conn,
                        &bundle,
                        actor.username(),
                        &now.to_rfc3339(),
                    )
                    .await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "catalogue.publish_bundle",
                            format!("bundle:{}", bundle.code),
                            Outcome::Success,
                            format!("version {version}, {} members", bundle.members.len()),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.bundle(&code).await
    }

    /// Materials and visits before and after, per bundle (the catalogue report).
    pub async fn bundle_report(&self) -> Result<Vec<BundleReportLine>, AppError> {
        Ok(self
            .bundles()
            .await?
            .into_iter()
            .map(|v| BundleReportLine {
                code: v.bundle.bundle.code.clone(),
                name: v.bundle.bundle.name.clone(),
                lead_department: v.bundle.bundle.lead_department.clone(),
                members: v.plan.tasks.len(),
                figures: v.plan.figures,
            })
            .collect())
    }

    /// Runs one command on one department task of a joint case, if the actor may and the task
    /// is still at `expected_task_version`. Other tasks moving meanwhile do not conflict: the
    /// command is decided again on the case as it now stands.
    pub async fn execute_task(
        &self,
        actor: &Actor,
        case_ref: &str,
        task_key: &str,
        expected_task_version: u32,
        command: TaskCommand,
    ) -> Result<Case, AppError> {
        let calendar = self.calendar().clone();
        let owned_actor = actor.clone();
        let owned_ref = case_ref.to_string();
        let owned_task = task_key.to_string();
        let now = self.now();
        let action = command.action();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = owned_actor;
                    let case_ref = owned_ref;
                    let task_key = owned_task;
                    if let TaskCommand::Transfer { to, .. } = &command {
                        check_colleague(&mut *conn, &case_ref, &task_key, to).await?;
                    }
                    // Another department's command may land between our read and our write;
                    // then we read again and decide again.
                    for _ in 0..5 {
                        let case = case_rows::load(&mut *conn, &case_ref)
                            .await?
                            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
                        let department = case
                            .circulation
                            .as_ref()
                            .and_then(|c| c.task(&task_key))
                            .map(|t| (t.department().to_string(), t.version));
                        let Some((department, task_version)) = department else {
                            // A task of a case one may see is no secret; of one one may not, it is.
                            return Err(
                                match access::decide_case(
                                    &actor.principal,
                                    CaseOperation::Read,
                                    &facts(&case),
                                ) {
                                    Decision::Allow => AppError::not_found(format!(
                                        "task {task_key} of case {case_ref}"
                                    )),
                                    _ => AppError::not_found(format!("case {case_ref}")),
                                },
                            );
                        };
                        refusal(
                            access::decide_task(
                                &actor.principal,
                                action,
                                &facts(&case),
                                &department,
                            ),
                            &case,
                            &case_ref,
                        )?;
                        if task_version != expected_task_version {
                            return Err(AppError::VersionConflict {
                                expected: u64::from(expected_task_version),
                                current: u64::from(task_version),
                            });
                        }
                        let today = local_date(now);
                        let ctx = Context {
                            actor: actor.username(),
                            now,
                            today,
                            calendar: &calendar,
                        };
                        let events = case.decide_task(&task_key, &command, &ctx)?;
                        let mut next = case.clone();
                        for event in &events {
                            next.apply(event, actor.username(), now, today);
                        }
                        let due_on = next.due_on(&calendar)?;
                        let written = case_rows::update(
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
                            continue;
                        }
                        sync_tasks(&mut *conn, &next, &calendar).await?;
                        audit_rows::append(
                            &mut *conn,
                            actor.entry(
                                now,
                                &format!("task.{}", action.as_str()),
                                format!("case:{}", next.number),
                                Outcome::Success,
                                format!(
                                    "task {task_key} ({department}), case now {}",
                                    next.status.as_str()
                                ),
                            ),
                        )
                        .await?;
                        let message = serde_json::json!({
                            "case_id": next.id,
                            "number": next.number,
                            "status": next.status,
                            "task": task_key,
                            "events": events,
                            "actor": actor.username(),
                        });
                        enqueue_outbox(
                            &mut *conn,
                            "case.changed",
                            &message.to_string(),
                            &now.to_rfc3339(),
                        )
                        .await?;
                        return Ok(next);
                    }
                    Err(AppError::Conflict(
                        "the case is changing too fast; try again".into(),
                    ))
                })
            })
            .await;
        let mut case = self
            .audit_refusal(
                actor,
                &format!("task.{}", action.as_str()),
                case_ref,
                result,
            )
            .await?;
        disclose(&actor.principal, &mut case);
        Ok(case)
    }
}

/// A task is transferred only to an active colleague who reviews or approves in its department.
async fn check_colleague(
    conn: &mut Conn,
    case_ref: &str,
    task_key: &str,
    to: &str,
) -> Result<(), AppError> {
    let Some(case) = case_rows::load(&mut *conn, case_ref).await? else {
        return Ok(());
    };
    let Some(department) = case
        .circulation
        .as_ref()
        .and_then(|c| c.task(task_key))
        .map(|t| t.department().to_string())
    else {
        return Ok(());
    };
    let colleague = onewindow_store::accounts::user_by_username(&mut *conn, to.trim())
        .await?
        .filter(|u| !u.disabled)
        .is_some_and(|u| {
            u.posts.iter().any(|p| {
                matches!(p.role, Role::Reviewer | Role::Approver)
                    && p.department.as_deref() == Some(department.as_str())
            })
        });
    if colleague {
        Ok(())
    } else {
        Err(AppError::invalid(
            "to",
            format!("{to} is not an active reviewer or approver of department {department}"),
        ))
    }
}
