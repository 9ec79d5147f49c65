//! The electronic monitor (电子监察): a sweep gives every running clock its light and raises one
//! alert per change of light, into the inbox of the department responsible and of the
//! supervisors, and through the outbox to whatever notifies people (e-mail, a broker).

use chrono::{Duration, NaiveDate};
use onewindow_domain::access::{self, CaseScope, Role};
use onewindow_domain::monitor::{Light, LightRule};
use onewindow_store::monitor::{self as monitor_rows, Alert, ClockRow};
use onewindow_store::{Store, enqueue_outbox};
use serde::Serialize;

use crate::accounts::Actor;
use crate::error::AppError;
use crate::service::{Page, Service};

/// Clocks due further away than this cannot be anything but green, whatever their limit: the
/// sweep reads only the nearer ones through the due-date index (a yellow stretch of 20% of a
/// 120-working-day limit is 24 working days, under 40 calendar days even across the Spring
/// Festival).
pub const HORIZON_CALENDAR_DAYS: i64 = 60;

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SweepReport {
    /// Clocks whose light was computed.
    pub checked: usize,
    /// Alerts raised (changes of light).
    pub alerts: usize,
    /// Lights removed because their clock stopped for good (decided, closed).
    pub cleared: usize,
}

/// A lit clock as the monitor page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct LitClock {
    #[serde(flatten)]
    pub clock: ClockRow,
    pub light: Light,
    /// Working days left (negative when overdue); absent while the clock is stopped.
    pub days_left: Option<i64>,
}

/// The monitor of a scope: the lit clocks, most urgent first, and the counts per light.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorOverview {
    pub red: Vec<LitClock>,
    pub yellow: Vec<LitClock>,
    /// Open clocks (running or stopped) that are neither red nor yellow.
    pub green: i64,
}

/// An alert in someone's inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    #[serde(flatten)]
    pub alert: Alert,
    pub read: bool,
}

/// The clocks whose alerts reach `who`: supervisors all; reviewers and approvers their
/// departments; clerks their centres. Others have no inbox.
fn monitor_scope(who: &access::Principal) -> Result<CaseScope, AppError> {
    if who.is_system() || who.has_role(Role::Supervisor) {
        return Ok(CaseScope {
            all: true,
            ..CaseScope::default()
        });
    }
    let scope = access::case_scope(who);
    let staff = [Role::Clerk, Role::Reviewer, Role::Approver]
        .iter()
        .any(|r| who.has_role(*r));
    if !staff || (scope.departments.is_empty() && scope.centres.is_empty()) {
        return Err(AppError::Forbidden(
            "the monitor is for supervisors and the staff of a department or centre".into(),
        ));
    }
    Ok(CaseScope {
        departments: scope.departments,
        centres: scope.centres,
        ..CaseScope::default()
    })
}

impl Service {
    fn light_rule(&self) -> LightRule {
        LightRule::default()
    }

    fn light_of(
        &self,
        clock: &ClockRow,
        today: NaiveDate,
    ) -> Result<Option<(Light, i64)>, AppError> {
        let (Some(due), Some(limit)) = (clock.due_on, clock.limit_days) else {
            return Ok(None);
        };
        let left = onewindow_domain::monitor::days_left_until(self.calendar(), due, today)?;
        Ok(Some((self.light_rule().light(limit, left), left)))
    }

    /// Gives every running clock its light and raises one alert per change. Safe to run at any
    /// time, on any node, after any restart: the last light of each clock is stored, so a light
    /// that did not change raises nothing.
    pub async fn sweep_lights(&self) -> Result<SweepReport, AppError> {
        let today = self.today();
        let now = self.now();
        let readers = self.store().readers();
        let horizon = today + Duration::days(HORIZON_CALENDAR_DAYS);
        let near = monitor_rows::running_clocks_due_by(readers, horizon).await?;
        let lit = monitor_rows::lit_clocks(readers).await?;
        let mut stored: std::collections::HashMap<String, Light> =
            lit.iter().map(|(c, l)| (c.case_id.clone(), *l)).collect();
        let mut report = SweepReport::default();
        let mut changes: Vec<(ClockRow, Light, Light)> = Vec::new();
        let mut clear: Vec<String> = Vec::new();
        for clock in near {
            report.checked += 1;
            let previous = stored.remove(&clock.case_id).unwrap_or(Light::Green);
            if let Some((light, _)) = self.light_of(&clock, today)?
                && light != previous
            {
                changes.push((clock, light, previous));
            }
        }
        // Lit clocks the near set did not cover: stopped for good, suspended, or pushed back by
        // an extension beyond the horizon.
        for (clock, previous) in lit {
            if !stored.contains_key(&clock.case_id) {
                continue;
            }
            match clock.status.as_str() {
                // A stopped clock keeps its light until it runs again.
                "suspended" => {}
                "accepted" | "in_review" => {
                    report.checked += 1;
                    if let Some((light, _)) = self.light_of(&clock, today)?
                        && light != previous
                    {
                        changes.push((clock, light, previous));
                    }
                }
                _ => clear.push(clock.case_id),
            }
        }
        report.alerts = changes.len();
        report.cleared = clear.len();
        if changes.is_empty() && clear.is_empty() {
            return Ok(report);
        }
        write_changes(self.store(), changes, clear, now).await?;
        Ok(report)
    }

    /// The lit clocks of the actor's scope and how many are green.
    pub async fn monitor_overview(&self, actor: &Actor) -> Result<MonitorOverview, AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let readers = self.store().readers();
        let today = self.today();
        let mut red = Vec::new();
        let mut yellow = Vec::new();
        for (clock, light) in monitor_rows::lit_clocks_in(readers, &scope).await? {
            let days_left = self.light_of(&clock, today)?.map(|(_, left)| left);
            let entry = LitClock {
                clock,
                light,
                days_left,
            };
            match light {
                Light::Red => red.push(entry),
                Light::Yellow => yellow.push(entry),
                Light::Green => {}
            }
        }
        let open = monitor_rows::open_clock_count(readers, &scope).await?;
        let green = open - (red.len() + yellow.len()) as i64;
        Ok(MonitorOverview {
            red,
            yellow,
            green: green.max(0),
        })
    }

    /// The alerts that reach the actor, newest first, with what they have read.
    pub async fn inbox(
        &self,
        actor: &Actor,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<InboxEntry>, AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let limit = i64::from(limit.unwrap_or(50).clamp(1, 200));
        let mut items: Vec<InboxEntry> = monitor_rows::alerts_for(
            self.store().readers(),
            &scope,
            &actor.principal.user_id,
            cursor.as_deref(),
            limit + 1,
        )
        .await?
        .into_iter()
        .map(|(alert, read)| InboxEntry { alert, read })
        .collect();
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| e.alert.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Marks an alert of the actor's inbox as read (for the actor only).
    pub async fn mark_alert_read(&self, actor: &Actor, alert_id: &str) -> Result<(), AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let alert = monitor_rows::get_alert(self.store().readers(), alert_id)
            .await?
            .filter(|a| {
                scope.all
                    || scope.departments.contains(&a.department)
                    || scope.centres.contains(&a.centre)
            })
            .ok_or_else(|| AppError::not_found(format!("alert {alert_id}")))?;
        let user = actor.principal.user_id.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    monitor_rows::mark_read(&mut *conn, &alert.id, &user, now).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }
}

async fn write_changes(
    store: &Store,
    changes: Vec<(ClockRow, Light, Light)>,
    clear: Vec<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    store
        .write(move |conn| {
            Box::pin(async move {
                for (clock, light, previous) in changes {
                    monitor_rows::set_light(&mut *conn, &clock.case_id, light, now).await?;
                    let alert = Alert {
                        id: uuid::Uuid::now_v7().to_string(),
                        case_id: clock.case_id.clone(),
                        case_number: clock.number.clone(),
                        item_name: clock.item_name.clone(),
                        department: clock.department.clone(),
                        centre: clock.centre.clone(),
                        light,
                        previous,
                        due_on: clock.due_on,
                        raised_at: now,
                    };
                    monitor_rows::insert_alert(&mut *conn, &alert).await?;
                    let body = serde_json::to_string(&alert)
                        .map_err(|e| onewindow_store::StoreError::corrupt(alert.id.as_str(), e))?;
                    enqueue_outbox(&mut *conn, "alert.raised", &body, &now.to_rfc3339()).await?;
                }
                for case_id in clear {
                    monitor_rows::set_light(&mut *conn, &case_id, Light::Green, now).await?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onewindow_domain::access::{Post, Principal};
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};

    use super::*;
    use crate::clock::{ManualClock, local_morning};
    use crate::service::SubmitCase;

    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn actor(name: &str, post: Post) -> Actor {
        Actor::new(
            Principal {
                user_id: format!("u-{name}"),
                username: name.into(),
                display_name: name.into(),
                identity: None,
                posts: vec![post],
                may_reveal_personal_data: false,
            },
            "test",
        )
    }

    async fn service_at(dir: &std::path::Path, clock: Arc<ManualClock>) -> Service {
        let url = onewindow_store::data_dir_url(dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        Service::new(store, Calendar::prc(), clock, "330226")
    }

    #[tokio::test]
    async fn one_alert_per_change_of_light_and_none_again_after_a_restart() {
        let dir = TempDir(
            std::env::temp_dir().join(format!("onewindow-monitor-{}", uuid::Uuid::now_v7())),
        );
        let clock = Arc::new(ManualClock::at_local_morning(day(11, 2)));
        let service = service_at(&dir.0, clock.clone()).await;
        service.seed_demo(0).await.expect("catalogue");
        let item = onewindow_store::catalogue::all_items(service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item of SCJGJ");
        let clerk = actor("clerk", Post::new(Role::Clerk).at_centre("county-hall"));
        let approver = actor("approver", Post::new(Role::Approver).in_department("SCJGJ"));
        let supervisor = actor("supervisor", Post::new(Role::Supervisor));
        let elsewhere = actor("other", Post::new(Role::Reviewer).in_department("GAJ"));
        let submitted = service
            .submit_case(
                &clerk,
                SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "王芳".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                    },
                    channel: Channel::Window,
                    centre: "county-hall".into(),
                    materials: item
                        .item
                        .demanded_materials()
                        .map(|m| m.key.clone())
                        .collect(),
                },
                None,
            )
            .await
            .expect("filed");
        let id = submitted.case.id.clone();
        let case = service
            .execute(&clerk, &id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        let _accepted = service
            .execute(&clerk, &id, case.version, CaseCommand::Accept)
            .await
            .expect("accepted");
        // Accepted Monday 2 November with 5 working days: due Monday 9 November.
        assert_eq!(
            service.case(&supervisor, &id).await.expect("case").due_on,
            Some(day(11, 9))
        );

        let first = service.sweep_lights().await.expect("sweep");
        assert_eq!(
            (first.checked, first.alerts),
            (1, 0),
            "green raises nothing"
        );

        clock.set(local_morning(day(11, 5))); // Thursday: Friday and Monday left
        let yellow = service.sweep_lights().await.expect("sweep");
        assert_eq!(yellow.alerts, 1);
        assert_eq!(
            service.sweep_lights().await.expect("sweep").alerts,
            0,
            "not repeated"
        );
        // A restart (a new service on the same store) raises nothing either.
        let restarted = service_at(&dir.0, clock.clone()).await;
        assert_eq!(restarted.sweep_lights().await.expect("sweep").alerts, 0);

        clock.set(local_morning(day(11, 10))); // the day after the due day
        assert_eq!(service.sweep_lights().await.expect("sweep").alerts, 1);
        let overview = service
            .monitor_overview(&supervisor)
            .await
            .expect("overview");
        assert_eq!(overview.red.len(), 1);
        assert_eq!(overview.red[0].days_left, Some(-1));

        // The inbox of the supervisors and of the department, not of another department.
        let inbox = service.inbox(&supervisor, None, None).await.expect("inbox");
        let lights: Vec<(Light, Light)> = inbox
            .items
            .iter()
            .map(|e| (e.alert.previous, e.alert.light))
            .collect();
        assert_eq!(
            lights,
            [(Light::Yellow, Light::Red), (Light::Green, Light::Yellow)]
        );
        assert_eq!(
            service
                .inbox(&approver, None, None)
                .await
                .expect("inbox")
                .items
                .len(),
            2
        );
        assert!(
            service
                .inbox(&elsewhere, None, None)
                .await
                .expect("inbox")
                .items
                .is_empty()
        );
        let applicant = actor("citizen", Post::new(Role::Applicant));
        assert!(matches!(
            service.inbox(&applicant, None, None).await,
            Err(AppError::Forbidden(_))
        ));
        let newest = inbox.items[0].alert.id.clone();
        service
            .mark_alert_read(&approver, &newest)
            .await
            .expect("read");
        let read = service.inbox(&approver, None, None).await.expect("inbox");
        assert!(read.items[0].read && !read.items[1].read);
        assert!(
            !service
                .inbox(&supervisor, None, None)
                .await
                .expect("inbox")
                .items[0]
                .read,
            "read is per person"
        );
        assert!(matches!(
            service.mark_alert_read(&elsewhere, &newest).await,
            Err(AppError::NotFound { .. })
        ));

        // An extension turns the light back to green: one more alert.
        let case = service.case(&supervisor, &id).await.expect("case").case;
        service
            .execute(
                &approver,
                &id,
                case.version,
                CaseCommand::Extend {
                    working_days: 10,
                    reason: "需现场核查".into(),
                },
            )
            .await
            .expect("extended");
        let back = service.sweep_lights().await.expect("sweep");
        assert_eq!(back.alerts, 1);
        assert!(
            service
                .monitor_overview(&supervisor)
                .await
                .expect("overview")
                .red
                .is_empty()
        );

        // A decided case leaves the monitor.
        clock.set(local_morning(day(11, 20))); // yellow again first
        assert_eq!(service.sweep_lights().await.expect("sweep").alerts, 1);
        let case = service.case(&supervisor, &id).await.expect("case").case;
        service
            .execute(
                &approver,
                &id,
                case.version,
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .await
            .expect("decided");
        let after = service.sweep_lights().await.expect("sweep");
        assert_eq!((after.alerts, after.cleared), (0, 1));
        assert_eq!(
            service
                .monitor_overview(&supervisor)
                .await
                .expect("overview")
                .green,
            0
        );
    }
}
