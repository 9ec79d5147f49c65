//! What the hall's own records say: waiting and serving times by window, hour and day; the
//! tickets waiting beyond the hall's limit now (the supervisor's alert); and the cases with more
//! than one visit, with the reasons, by department and window (最多跑一次 followed up).

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use onewindow_domain::access::{Operation, Role};
use onewindow_domain::case::VisitException;
use onewindow_domain::hall::{QueueTimes, TicketTimes, queue_times, waits_too_long};
use onewindow_store::cases as case_rows;
use onewindow_store::queue as queue_rows;
use serde::Serialize;

use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

/// How long a ticket may wait before the hall's supervisor is alerted, unless configured.
pub const DEFAULT_WAIT_ALERT_MINUTES: u32 = 30;

/// Cases listed at most in one answer of the follow-up.
const REPEAT_VISITS_LIMIT: i64 = 500;

/// A ticket waiting beyond the limit now (超时等候).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LongWait {
    pub number: String,
    pub business: String,
    pub issued_at: DateTime<Utc>,
    pub minutes: i64,
}

/// A centre's queue over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueReport {
    pub centre: String,
    pub centre_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    /// By the window that called (its code as `key`, its name beside).
    pub by_window: Vec<WindowTimes>,
    /// By the local hour the ticket was taken (`09`).
    pub by_hour: Vec<QueueTimes>,
    /// By day.
    pub by_day: Vec<QueueTimes>,
    /// The alert: tickets of today waiting beyond the limit now, longest first.
    pub long_waits: Vec<LongWait>,
    pub wait_alert_minutes: u32,
}

/// One window's times, with its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowTimes {
    pub window_name: String,
    #[serde(flatten)]
    pub times: QueueTimes,
}

/// One visit of a case visited more than once.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatVisit {
    pub at: DateTime<Utc>,
    pub purpose: String,
    /// The window that served the ticket it was recorded from; empty for a visit typed in.
    pub window: String,
    pub extra_visit_reason: Option<String>,
    pub exception: Option<VisitException>,
}

/// A case visited more than once (跑了不止一次).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatVisitCase {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub centre: String,
    pub visits: Vec<RepeatVisit>,
}

/// A count of cases visited more than once, by department or by window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatCount {
    pub key: String,
    pub name: String,
    pub cases: u32,
}

/// The follow-up of at most once over a period: the cases, and their counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatVisits {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    pub by_department: Vec<RepeatCount>,
    /// By the window of the visits beyond the first (`centre/window`).
    pub by_window: Vec<RepeatCount>,
    pub cases: Vec<RepeatVisitCase>,
    /// More cases matched than are listed.
    pub truncated: bool,
}

fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(29));
    (from, to)
}

fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), AppError> {
    if from > to {
        return Err(AppError::invalid("from", "the period starts after it ends"));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::invalid("to", "a period of at most a year"));
    }
    Ok(())
}

impl Service {
    /// The queue of `centre` over `[from, to]` (default: the last 30 days): supervisors, and the
    /// clerks of the centre.
    pub async fn queue_report(
        &self,
        actor: &Actor,
        centre: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<QueueReport, AppError> {
        let posted = actor
            .principal
            .posts
            .iter()
            .any(|p| p.role == Role::Clerk && p.centre.as_deref() == Some(centre));
        if !posted {
            self.require(actor, Operation::ReadReports).await?;
        }
        let Some(found) = self.centre(centre).await? else {
            return Err(AppError::not_found(format!("centre {centre}")));
        };
        let now = self.now();
        let (from, to) = period(from, to, local_date(now));
        check_period(from, to)?;
        let tickets: Vec<queue_rows::Ticket> =
            queue_rows::of_period(self.store().readers(), centre, from, to).await?;
        let times: Vec<TicketTimes> = tickets
            .iter()
            .map(|t| TicketTimes {
                window: t.window.clone(),
                issued_at: t.issued_at,
                called_at: t.called_at,
                finished_at: t.finished_at,
                state: t.state,
            })
            .collect();
        let windows = self.windows().await?;
        let by_window = queue_times(&times, |t| Some(t.window.clone()).filter(|w| !w.is_empty()))
            .into_iter()
            .map(|times| WindowTimes {
                window_name: windows
                    .iter()
                    .find(|w| w.centre == centre && w.code == times.key)
                    .map_or_else(|| times.key.clone(), |w| w.name.clone()),
                times,
            })
            .collect();
        let by_hour = queue_times(&times, |t| {
            Some(format!(
                "{:02}",
                crate::clock::local_time(t.issued_at).hour()
            ))
        });
        let by_day = queue_times(&times, |t| Some(local_date(t.issued_at).to_string()));
        let limit = self.queue_wait_alert_minutes();
        let today = local_date(now);
        let mut long_waits: Vec<LongWait> = tickets
            .iter()
            .filter(|t| t.day == today && waits_too_long(t.state, t.issued_at, now, limit))
            .map(|t| LongWait {
                number: t.number.clone(),
                business: t.business.clone(),
                issued_at: t.issued_at,
                minutes: (now - t.issued_at).num_minutes(),
            })
            .collect();
        long_waits.sort_by_key(|w| std::cmp::Reverse(w.minutes));
        Ok(QueueReport {
            centre: found.code,
            centre_name: found.name,
            from,
            to,
            by_window,
            by_hour,
            by_day,
            long_waits,
            wait_alert_minutes: limit,
        })
    }

    /// The cases received in `[from, to]` (default: the last 30 days) with more than one visit,
    /// with each visit's window and reason, and their counts by department and by window.
    /// Supervisors only.
    pub async fn repeat_visits(
        &self,
        actor: &Actor,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<RepeatVisits, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let (from, to) = period(from, to, self.today());
        check_period(from, to)?;
        let found = case_rows::with_repeat_visits(
            self.store().readers(),
            from,
            to,
            REPEAT_VISITS_LIMIT + 1,
        )
        .await?;
        let truncated = found.len() as i64 > REPEAT_VISITS_LIMIT;
        let windows = self.windows().await?;
        let departments = self.departments().await?;
        let mut cases = Vec::new();
        let mut by_department: std::collections::BTreeMap<String, u32> = Default::default();
        let mut by_window: std::collections::BTreeMap<String, (String, u32)> = Default::default();
        for case in found.into_iter().take(REPEAT_VISITS_LIMIT as usize) {
            let mut visits = Vec::new();
            for visit in &case.visits {
                let window = match &visit.ticket {
                    Some(id) => queue_rows::get(self.store().readers(), id)
                        .await?
                        .map(|t| (t.centre, t.window))
                        .unwrap_or_default(),
                    None => Default::default(),
                };
                visits.push((visit, window));
            }
            *by_department.entry(case.department.clone()).or_default() += 1;
            let mut counted: Vec<String> = Vec::new();
            for (_, (centre, window)) in visits.iter().skip(1) {
                let key = if window.is_empty() {
                    String::new()
                } else {
                    format!("{centre}/{window}")
                };
                if counted.contains(&key) {
                    continue;
                }
                counted.push(key.clone());
                let name = windows
                    .iter()
                    .find(|w| w.centre == *centre && w.code == *window)
                    .map_or_else(String::new, |w| w.name.clone());
                by_window.entry(key).or_insert((name, 0)).1 += 1;
            }
            cases.push(RepeatVisitCase {
                number: case.number.clone(),
                item_name: case.item_name.clone(),
                department: case.department.clone(),
                centre: case.centre.clone(),
                visits: visits
                    .into_iter()
                    .map(|(v, (_, window))| RepeatVisit {
                        at: v.at,
                        purpose: v.purpose.clone(),
                        window,
                        extra_visit_reason: v.extra_visit_reason.clone(),
                        exception: v.exception,
                    })
                    .collect(),
            });
        }
        let mut by_department: Vec<RepeatCount> = by_department
            .into_iter()
            .map(|(key, n)| RepeatCount {
                name: departments
                    .iter()
                    .find(|d| d.code == key)
                    .map_or_else(|| key.clone(), |d| d.name.clone()),
                key,
                cases: n,
            })
            .collect();
        by_department.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
        let mut by_window: Vec<RepeatCount> = by_window
            .into_iter()
            .map(|(key, (name, n))| RepeatCount {
                key,
                name,
                cases: n,
            })
            .collect();
        by_window.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
        Ok(RepeatVisits {
            from,
            to,
            by_department,
            by_window,
            cases,
            truncated,
        })
    }
}
