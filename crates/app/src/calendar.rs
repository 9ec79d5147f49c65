//! Loading the State Council's holiday notice (节假日安排) into the working-day calendar, and what
//! that does to the deadlines counted on the provisional year before it came.
//!
//! Until a year's notice is out, that year is answered on the regulation alone and every date on
//! it is marked provisional (see `onewindow_domain::calendar`). When an administrator loads the
//! notice (`onewindow calendar load`, the calendar page, `PUT /calendar/notices/{year}`), in one
//! transaction: the notice is stored (every node and every restart counts with it), every case
//! and department task whose due day it moves gets a `deadline_recomputed` event in its history
//! and an audit record, and the staff whose deadline moved earlier get an alert (inbox, mail).
//!
//! What the applicant is promised: the due day the law gives, counted on the notice. The
//! receipt printed it as "预计" (an estimate, subject to the notice); when the notice moves it,
//! the case page shows the new day beside the one printed, and the history says why. A move
//! earlier is the department's to absorb (it is alerted); a move later follows the law's count of
//! working days, which the applicant was told the printed day was subject to.

use std::sync::Arc;

use chrono::NaiveDate;
use onewindow_domain::access::{self, Operation};
use onewindow_domain::audit::Outcome;
use onewindow_domain::calendar::{Calendar, first_day_a_notice_reaches};
use onewindow_domain::case::{Case, CaseEvent};
use onewindow_domain::validation::FieldError;
use onewindow_store::calendar::{self as calendar_rows, StoredNotice};
use onewindow_store::cases as case_rows;
use onewindow_store::monitor::{self as monitor_rows, Alert};
use onewindow_store::{audit as audit_rows, enqueue_outbox};
use serde::Serialize;

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// What loading a notice did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeLoaded {
    pub year: i32,
    /// Cases whose deadline (or a task's) was looked at: those due from the last week of the
    /// year before the notice on.
    pub cases_checked: usize,
    /// Cases with a deadline (theirs or a task's) that moved.
    pub deadlines_moved: usize,
    /// Of those, the ones where a deadline moved earlier (their staff are alerted).
    pub moved_earlier: usize,
    /// The year now answered provisionally, if any.
    pub provisional_year: Option<i32>,
}

/// The calendar as an administrator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarOverview {
    /// Years with a State Council notice.
    pub covered_years: Vec<i32>,
    pub provisional_year: Option<i32>,
    /// The provisional year's statutory days off, with their festivals.
    pub provisional_days_off: Vec<(NaiveDate, String)>,
    /// Notices loaded by administrators (beyond the ones shipped), newest year first.
    pub loaded: Vec<LoadedNotice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadedNotice {
    pub year: i32,
    pub loaded_at: chrono::DateTime<chrono::Utc>,
    pub loaded_by: String,
}

/// A case's due day as a screen or the API shows it: the day, and whether it is provisional.
pub fn is_provisional(calendar: &Calendar, due_on: Option<NaiveDate>) -> bool {
    due_on.is_some_and(|d| calendar.is_provisional(d))
}

impl Service {
    /// Loads the notice in `json` (the holiday-cn format) for the provisional year, or in place
    /// of a year held; recomputes the deadlines it moves. Administrators only; audited.
    pub async fn load_holiday_notice(
        &self,
        actor: &Actor,
        json: &str,
    ) -> Result<NoticeLoaded, AppError> {
        if let access::Decision::Refuse(reason) =
            access::decide(&actor.principal, Operation::ManageCalendar)
        {
            return Err(AppError::Forbidden(reason));
        }
        let before = self.calendar();
        let (after, year) = before
            .as_ref()
            .clone()
            .with_notice(json)
            .map_err(|e| AppError::Invalid(vec![FieldError::new("notice", e.to_string())]))?;
        // Commands that start from now count on the notice; should the write fail, the
        // calendar goes back (a command in between keeps a due day the next load recomputes).
        let after = Arc::new(after);
        let signature = self.notices_signature();
        self.replace_calendar(after.clone(), signature.clone());
        match self
            .write_notice(actor, json, year, before.clone(), after.clone())
            .await
        {
            Ok(loaded) => {
                let signature = calendar_rows::notices_signature(self.store().readers()).await?;
                self.replace_calendar(after, Some(signature));
                Ok(loaded)
            }
            Err(error) => {
                self.replace_calendar(before, signature);
                Err(error)
            }
        }
    }

    async fn write_notice(
        &self,
        actor: &Actor,
        json: &str,
        year: i32,
        before: Arc<Calendar>,
        after: Arc<Calendar>,
    ) -> Result<NoticeLoaded, AppError> {
        let now = self.now();
        let today = self.today();
        let actor = actor.clone();
        let rule = self.light_rule();
        let notice = StoredNotice {
            year,
            body: json.to_owned(),
            loaded_at: now,
            loaded_by: actor.username().to_owned(),
        };
        let from = first_day_a_notice_reaches(year)
            .ok_or_else(|| AppError::invalid("notice", format!("no year {year}")))?;
        let provisional_year = after.provisional_year();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    calendar_rows::save_notice(&mut *conn, &notice).await?;
                    let ids = case_rows::ids_due_from(&mut *conn, from).await?;
                    let mut loaded = NoticeLoaded {
                        year,
                        cases_checked: ids.len(),
                        deadlines_moved: 0,
                        moved_earlier: 0,
                        provisional_year,
                    };
                    let mut alerts = Vec::new();
                    for id in &ids {
                        let Some(case) = case_rows::load(&mut *conn, id).await? else {
                            continue;
                        };
                        let Some(event) = case.deadline_changes(&before, &after, year) else {
                            continue;
                        };
                        let mut next = case.clone();
                        next.apply(&event, actor.username(), now, today);
                        let due_on = next.due_on(&after).ok().flatten();
                        let written = case_rows::update(
                            &mut *conn,
                            &next,
                            case.version,
                            std::slice::from_ref(&event),
                            actor.username(),
                            now,
                            due_on,
                        )
                        .await?;
                        if !written {
                            return Err(AppError::Internal(format!(
                                "case {} changed while the notice was being loaded",
                                case.number
                            )));
                        }
                        crate::case_sync::sync_tasks(&mut *conn, &next, &after).await?;
                        let earlier = earlier_alerts(&next, &event, &after, &rule, today, now);
                        loaded.deadlines_moved += 1;
                        loaded.moved_earlier += usize::from(!earlier.is_empty());
                        alerts.extend(earlier);
                        audit_rows::append(
                            &mut *conn,
                            actor.entry(
                                now,
                                "case.deadline_recomputed",
                                format!("case:{}", next.number),
                                Outcome::Success,
                                describe(&event),
                            ),
                        )
                        .await?;
                    }
                    monitor_rows::insert_alerts(&mut *conn, &alerts).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "calendar.load",
                            format!("calendar:{year}"),
                            Outcome::Success,
                            format!(
                                "holiday notice for {year}: {} cases checked, {} deadlines moved, {} earlier",
                                loaded.cases_checked, loaded.deadlines_moved, loaded.moved_earlier
                            ),
                        ),
                    )
                    .await?;
                    let message = serde_json::json!({
                        "year": year,
                        "deadlines_moved": loaded.deadlines_moved,
                        "moved_earlier": loaded.moved_earlier,
                    });
                    enqueue_outbox(
                        &mut *conn,
                        "calendar.notice_loaded",
                        &message.to_string(),
                        &now.to_rfc3339(),
                    )
                    .await?;
                    Ok::<_, AppError>(loaded)
                })
            })
            .await
    }

    /// Takes in the notices another node (or an earlier run) stored, when they differ from the
    /// ones this service counts with: one small read, so the sweeps call it every tick. Returns
    /// true when the calendar changed.
    pub async fn sync_calendar(&self) -> Result<bool, AppError> {
        let signature = calendar_rows::notices_signature(self.store().readers()).await?;
        if self.notices_signature().as_deref() == Some(signature.as_str()) {
            return Ok(false);
        }
        let mut calendar = self.calendar().as_ref().clone();
        for notice in calendar_rows::notices(self.store().readers()).await? {
            calendar = calendar.with_year_json(&notice.body).map_err(|e| {
                AppError::Internal(format!("the stored notice for {}: {e}", notice.year))
            })?;
        }
        let changed = calendar != *self.calendar();
        self.replace_calendar(Arc::new(calendar), Some(signature));
        Ok(changed)
    }

    /// The calendar's years, the provisional year's days off and the notices loaded.
    pub async fn calendar_overview(&self, actor: &Actor) -> Result<CalendarOverview, AppError> {
        if let access::Decision::Refuse(reason) =
            access::decide(&actor.principal, Operation::ManageCalendar)
        {
            return Err(AppError::Forbidden(reason));
        }
        let calendar = self.calendar();
        let mut loaded: Vec<LoadedNotice> = calendar_rows::notices(self.store().readers())
            .await?
            .into_iter()
            .map(|n| LoadedNotice {
                year: n.year,
                loaded_at: n.loaded_at,
                loaded_by: n.loaded_by,
            })
            .collect();
        loaded.reverse();
        Ok(CalendarOverview {
            covered_years: calendar.covered_years().collect(),
            provisional_year: calendar.provisional_year(),
            provisional_days_off: calendar
                .provisional_days_off()
                .into_iter()
                .map(|(d, name)| (d, name.to_owned()))
                .collect(),
            loaded,
        })
    }
}

/// One line for the audit trail: the due days before and after.
fn describe(event: &CaseEvent) -> String {
    let day = |d: &Option<NaiveDate>| d.map_or_else(|| "—".to_owned(), |d| d.to_string());
    match event {
        CaseEvent::DeadlineRecomputed {
            notice_year,
            previous,
            due_on,
            tasks,
        } => {
            let mut line = format!(
                "holiday notice for {notice_year}: due {} -> {}",
                day(previous),
                day(due_on)
            );
            for task in tasks {
                line.push_str(&format!(
                    "; task {} {} -> {}",
                    task.task,
                    day(&task.previous),
                    day(&task.due_on)
                ));
            }
            line
        }
        other => other.kind().to_owned(),
    }
}

/// Alerts for the deadlines `event` moved earlier: the case's (to its department and centre) and
/// each task's (to the task's department), with the light the clock shows on the new day.
fn earlier_alerts(
    case: &Case,
    event: &CaseEvent,
    calendar: &Calendar,
    rule: &onewindow_domain::monitor::LightRule,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Alert> {
    let CaseEvent::DeadlineRecomputed {
        previous,
        due_on,
        tasks,
        ..
    } = event
    else {
        return Vec::new();
    };
    let light_on = |due: NaiveDate, limit: u32| {
        rule.light_by_due_date(calendar, limit, due, today)
            .unwrap_or(onewindow_domain::monitor::Light::Green)
    };
    let alert = |department: &str, item_name: &str, before: NaiveDate, after: NaiveDate, limit| {
        let light = light_on(after, limit);
        Alert {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case.id.clone(),
            case_number: case.number.clone(),
            item_name: item_name.to_owned(),
            department: department.to_owned(),
            centre: case.centre.clone(),
            light,
            previous: light,
            due_on: Some(after),
            previous_due_on: Some(before),
            raised_at: now,
        }
    };
    let mut alerts = Vec::new();
    if let (Some(before), Some(after)) = (previous, due_on)
        && after < before
    {
        let limit = case.clock.as_ref().map_or(0, |c| c.total_limit());
        alerts.push(alert(
            &case.department,
            &case.item_name,
            *before,
            *after,
            limit,
        ));
    }
    for moved in tasks.iter().filter(|t| t.moved_earlier()) {
        let Some(task) = case.circulation.as_ref().and_then(|c| c.task(&moved.task)) else {
            continue;
        };
        let (Some(before), Some(after)) = (moved.previous, moved.due_on) else {
            continue;
        };
        let limit = task.clock.as_ref().map_or(0, |c| c.total_limit());
        alerts.push(alert(
            task.department(),
            &task.spec.item_name,
            before,
            after,
            limit,
        ));
    }
    alerts
}
