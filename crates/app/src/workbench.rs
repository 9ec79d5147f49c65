//! The two workbenches' lists: the cases waiting at a clerk's window (oldest first), and the
//! cases on a department's clock (soonest deadline first).
//!
//! Both are the ordinary case list ([`Service::cases`], so the same access scope) narrowed to the
//! actor's own centres or departments, put in the order the work is done in, and paged with a
//! cursor over that order. The store pages cases newest first only, so a queue is read whole (in
//! pages of 200, at most [`MAX_SCANNED`] cases) and ordered here; a waiting queue or a
//! department's open cases are hundreds, not tens of thousands. A store query ordered by
//! `(received_at, id)` and `(due_on, id)` would remove the bound.

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::access::{self, CaseOperation, Role};
use onewindow_domain::case::{Case, Status};
use onewindow_domain::circulation::TaskStatus;
use onewindow_domain::clock::{Timeliness, notice_deadline};
use onewindow_store::bundles as bundle_rows;
use onewindow_store::cases as case_rows;

use crate::case_policy::{disclose, facts};
use crate::error::AppError;
use crate::service::{Actor, CaseQuery, Page, Service};

/// The most cases one workbench list reads before ordering them.
pub const MAX_SCANNED: usize = 5_000;

/// What waits at a window: received, in pre-review, waiting for the applicant's supplement, and
/// results to hand over.
pub const WINDOW_STATUSES: [Status; 4] = [
    Status::Submitted,
    Status::PreReview,
    Status::SupplementRequested,
    Status::ResultIssued,
];

/// What is on a department's clock.
pub const DESK_STATUSES: [Status; 3] = [Status::Accepted, Status::InReview, Status::Suspended];

/// The states of a joint case's task that put it on its department's desk: ready to claim, in
/// review, or stopped (for the applicant's supplement or an inspection).
pub const DESK_TASK_STATUSES: [TaskStatus; 4] = [
    TaskStatus::Open,
    TaskStatus::InReview,
    TaskStatus::AwaitingSupplement,
    TaskStatus::Suspended,
];

/// Filters of the window queue.
#[derive(Debug, Clone, Default)]
pub struct WindowQueueQuery {
    /// Some of [`WINDOW_STATUSES`]; empty means all of them.
    pub statuses: Vec<Status>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One case waiting at the window.
#[derive(Debug, Clone)]
pub struct WaitingCase {
    pub case: Case,
    /// Working days since the day of receipt (0 on that day); `None` when the calendar does not
    /// cover the dates.
    pub waiting_working_days: Option<u32>,
    /// Minutes since receipt, for cases received today.
    pub waiting_minutes: i64,
    /// The last day for the one-time notice (received or in pre-review, no notice sent yet).
    pub notice_due_on: Option<NaiveDate>,
    /// Working days left to send the notice; negative once the period has passed.
    pub notice_days_left: Option<i64>,
}

/// The window queue and how many cases wait in each state.
#[derive(Debug, Clone)]
pub struct WindowQueue {
    pub page: Page<WaitingCase>,
    /// Every waiting state with its count, in the order of [`WINDOW_STATUSES`].
    pub counts: Vec<(Status, usize)>,
    /// True when more than [`MAX_SCANNED`] cases wait and some were not read.
    pub truncated: bool,
}

/// Filters of the department's task list.
#[derive(Debug, Clone, Default)]
pub struct DeskQuery {
    /// Only cases past their due date.
    pub overdue_only: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One case on a department's clock, or one department task of a joint case.
#[derive(Debug, Clone)]
pub struct Task {
    pub case: Case,
    /// For a joint case: the key of the department's own task this row is (its clock, not the
    /// case's, gives the dates). A department with two members of one bundle has two rows.
    pub task_key: Option<String>,
    /// The clock is stopped (a suspended case, or a task waiting for a supplement or stopped).
    pub stopped: bool,
    /// The working days of the clock's limit (with any extension), for the light.
    pub limit_days: Option<u32>,
    /// `None` while the clock is stopped (suspended) or the calendar does not cover the dates.
    pub due_on: Option<NaiveDate>,
    /// `due_on` is counted on the provisional calendar (预计).
    pub provisional: bool,
    pub working_days_used: Option<u32>,
    /// Where the clock stands today; `None` when the calendar does not cover the dates.
    pub timeliness: Option<Timeliness>,
}

impl Task {
    pub fn is_overdue(&self) -> bool {
        !self.stopped && self.timeliness.is_some_and(Timeliness::is_overdue)
    }

    /// The department task of a joint case this row is about.
    pub fn joint_task(&self) -> Option<&onewindow_domain::circulation::Task> {
        let key = self.task_key.as_deref()?;
        self.case.circulation.as_ref()?.task(key)
    }
}

/// The department's tasks and how many are overdue.
#[derive(Debug, Clone)]
pub struct DeskTasks {
    pub page: Page<Task>,
    pub total: usize,
    pub overdue: usize,
    pub truncated: bool,
}

impl Service {
    /// The cases waiting at the actor's window(s), oldest first. Only for window clerks; the
    /// cases are those received at the centres of their clerk posts.
    pub async fn window_queue(
        &self,
        actor: &Actor,
        query: WindowQueueQuery,
    ) -> Result<WindowQueue, AppError> {
        let centres: Vec<String> = own_places(actor, &[Role::Clerk], |p| p.centre.as_deref());
        if centres.is_empty() {
            return Err(AppError::Forbidden(
                "the window queue is for window clerks".into(),
            ));
        }
        let mut truncated = false;
        let mut all = Vec::new();
        for centre in &centres {
            let (cases, cut) = self
                .scan(
                    actor,
                    CaseQuery {
                        statuses: WINDOW_STATUSES
                            .iter()
                            .map(|s| s.as_str().to_string())
                            .collect(),
                        centre: Some(centre.clone()),
                        ..CaseQuery::default()
                    },
                )
                .await?;
            truncated |= cut;
            all.extend(cases);
        }
        let counts = WINDOW_STATUSES
            .iter()
            .map(|s| (*s, all.iter().filter(|c| c.status == *s).count()))
            .collect();
        let wanted: &[Status] = if query.statuses.is_empty() {
            &WINDOW_STATUSES
        } else {
            &query.statuses
        };
        all.retain(|c| wanted.contains(&c.status));
        all.sort_by_key(queue_key);
        let after = query.cursor.as_deref().and_then(parse_queue_cursor);
        let page = page_after(all, after.as_ref(), query.limit, queue_key, |k| {
            format!("{}~{}", k.0.timestamp_millis(), k.1)
        });
        let calendar = &self.calendar();
        let today = self.today();
        let now = self.now();
        let items = page
            .items
            .into_iter()
            .map(|case| {
                let notice_open = matches!(case.status, Status::Submitted | Status::PreReview)
                    && case.supplement_notices.iter().all(|n| n.during_review);
                let notice_due_on = notice_open
                    .then(|| notice_deadline(calendar, case.received_on).ok())
                    .flatten();
                let notice_days_left = notice_due_on.and_then(|due| {
                    if due >= today {
                        calendar
                            .working_days_between(today, due)
                            .ok()
                            .map(i64::from)
                    } else {
                        calendar
                            .working_days_between(due, today)
                            .ok()
                            .map(|d| -i64::from(d))
                    }
                });
                WaitingCase {
                    waiting_working_days: calendar
                        .working_days_between(case.received_on, today)
                        .ok(),
                    waiting_minutes: (now - case.received_at).num_minutes().max(0),
                    notice_due_on,
                    notice_days_left,
                    case,
                }
            })
            .collect();
        Ok(WindowQueue {
            page: Page {
                items,
                next_cursor: page.next_cursor,
            },
            counts,
            truncated,
        })
    }

    /// The cases on the clock of the actor's department(s) (accepted, in review, suspended),
    /// soonest due date first; suspended cases, whose clock is stopped, last.
    pub async fn desk_tasks(&self, actor: &Actor, query: DeskQuery) -> Result<DeskTasks, AppError> {
        let departments: Vec<String> = own_places(actor, &[Role::Reviewer, Role::Approver], |p| {
            p.department.as_deref()
        });
        if departments.is_empty() {
            return Err(AppError::Forbidden(
                "the department desk is for reviewers and approvers".into(),
            ));
        }
        let mut truncated = false;
        let mut all = Vec::new();
        for department in &departments {
            let (cases, cut) = self
                .scan(
                    actor,
                    CaseQuery {
                        statuses: DESK_STATUSES
                            .iter()
                            .map(|s| s.as_str().to_string())
                            .collect(),
                        department: Some(department.clone()),
                        ..CaseQuery::default()
                    },
                )
                .await?;
            truncated |= cut;
            all.extend(cases);
        }
        let calendar = &self.calendar();
        let today = self.today();
        // A joint case is worked in its tasks: its lead department sees it through its own task
        // like every other member department, not as a case of its own.
        all.retain(|case| case.circulation.is_none());
        let mut tasks: Vec<Task> = all
            .into_iter()
            .map(|case| {
                // A date the calendar does not cover shows as unknown rather than failing the list.
                let due_on = case.due_on(calendar).ok().flatten();
                let (used, left) = match &case.clock {
                    Some(clock) => (
                        clock.used_days(calendar, today).ok(),
                        clock.timeliness(calendar, today).ok(),
                    ),
                    None => (None, None),
                };
                Task {
                    stopped: case.status == Status::Suspended || due_on.is_none(),
                    limit_days: case.clock.as_ref().map(|c| c.total_limit()),
                    task_key: None,
                    case,
                    provisional: crate::calendar::is_provisional(calendar, due_on),
                    due_on,
                    working_days_used: used,
                    timeliness: left,
                }
            })
            .collect();
        let (joint, cut) = self.joint_desk_tasks(actor, &departments).await?;
        truncated |= cut;
        tasks.extend(joint);
        let total = tasks.len();
        let overdue = tasks.iter().filter(|t| t.is_overdue()).count();
        if query.overdue_only {
            tasks.retain(Task::is_overdue);
        }
        tasks.sort_by_key(task_key);
        let after = query.cursor.as_deref().and_then(parse_task_cursor);
        let page = page_after(tasks, after.as_ref(), query.limit, task_key, task_cursor);
        Ok(DeskTasks {
            page,
            total,
            overdue,
            truncated,
        })
    }

    /// The tasks of joint cases that stand on the desks of `departments` ([`DESK_TASK_STATUSES`]),
    /// one row per task, each on the task's own clock; true when more than [`MAX_SCANNED`] cases
    /// had such tasks. Each case is read as its reader may see it (other departments' opinions
    /// removed, personal data masked).
    async fn joint_desk_tasks(
        &self,
        actor: &Actor,
        departments: &[String],
    ) -> Result<(Vec<Task>, bool), AppError> {
        let statuses: Vec<&str> = DESK_TASK_STATUSES.iter().map(|s| s.as_str()).collect();
        let limit = i64::try_from(MAX_SCANNED).unwrap_or(i64::MAX);
        let mut ids = bundle_rows::cases_with_tasks(
            self.store().readers(),
            departments,
            &statuses,
            limit + 1,
        )
        .await?;
        let truncated = ids.len() > MAX_SCANNED;
        let calendar = &self.calendar();
        let today = self.today();
        let mut rows = Vec::new();
        ids.truncate(MAX_SCANNED);
        // Read in a few chunked queries, not one query per case.
        for mut case in case_rows::load_many(self.store().readers(), &ids).await? {
            if !access::decide_case(&actor.principal, CaseOperation::Read, &facts(&case))
                .is_allowed()
            {
                continue;
            }
            disclose(&actor.principal, &mut case);
            let mine: Vec<&onewindow_domain::circulation::Task> = case
                .circulation
                .iter()
                .flat_map(|c| c.tasks.iter())
                .filter(|t| {
                    departments.iter().any(|d| d == t.department())
                        && DESK_TASK_STATUSES.contains(&t.status)
                })
                .collect();
            let made: Vec<Task> = mine
                .into_iter()
                .map(|t| {
                    let due_on = t.due_on(calendar).ok().flatten();
                    let (used, left) = match &t.clock {
                        Some(clock) => (
                            clock.used_days(calendar, today).ok(),
                            clock.timeliness(calendar, today).ok(),
                        ),
                        None => (None, None),
                    };
                    Task {
                        case: Case::clone(&case),
                        task_key: Some(t.key().to_string()),
                        stopped: t.status.stops_the_clock() || due_on.is_none(),
                        limit_days: t.clock.as_ref().map(|c| c.total_limit()),
                        provisional: crate::calendar::is_provisional(calendar, due_on),
                        due_on,
                        working_days_used: used,
                        timeliness: left,
                    }
                })
                .collect();
            rows.extend(made);
        }
        Ok((rows, truncated))
    }

    /// Every case of `query` (newest first, as the store pages), up to [`MAX_SCANNED`]; true when
    /// there were more.
    async fn scan(
        &self,
        actor: &Actor,
        mut query: CaseQuery,
    ) -> Result<(Vec<Case>, bool), AppError> {
        query.limit = Some(200);
        let mut out = Vec::new();
        loop {
            let page = self.cases(actor, query.clone()).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(_) if out.len() >= MAX_SCANNED => return Ok((out, true)),
                Some(next) => query.cursor = Some(next),
                None => return Ok((out, false)),
            }
        }
    }
}

/// The centres or departments of the actor's posts in `roles`, without repeats.
fn own_places(
    actor: &Actor,
    roles: &[Role],
    place: impl Fn(&onewindow_domain::access::Post) -> Option<&str>,
) -> Vec<String> {
    let mut places: Vec<String> = actor
        .principal
        .posts
        .iter()
        .filter(|p| roles.contains(&p.role))
        .filter_map(|p| place(p).map(str::to_string))
        .collect();
    places.sort();
    places.dedup();
    places
}

type QueueKey = (DateTime<Utc>, String);

fn queue_key(case: &Case) -> QueueKey {
    (case.received_at, case.id.clone())
}

fn parse_queue_cursor(cursor: &str) -> Option<QueueKey> {
    let (millis, id) = cursor.split_once('~')?;
    let at = DateTime::from_timestamp_millis(millis.parse().ok()?)?;
    Some((at, id.to_string()))
}

/// Running clocks by due date, then stopped ones (no due date); the id breaks ties.
type TaskKey = (bool, Option<NaiveDate>, String);

fn task_key(task: &Task) -> TaskKey {
    let stopped = task.stopped;
    let id = match &task.task_key {
        Some(key) => format!("{}/{key}", task.case.id),
        None => task.case.id.clone(),
    };
    (stopped, if stopped { None } else { task.due_on }, id)
}

fn task_cursor(key: &TaskKey) -> String {
    let due = key.1.map(|d| d.format("%Y-%m-%d").to_string());
    format!("{}~{}~{}", u8::from(key.0), due.unwrap_or_default(), key.2)
}

fn parse_task_cursor(cursor: &str) -> Option<TaskKey> {
    let mut parts = cursor.splitn(3, '~');
    let stopped = match parts.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let due = match parts.next()? {
        "" => None,
        text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
    };
    Some((stopped, due, parts.next()?.to_string()))
}

/// The page of `sorted` after the key `after`, and the cursor of the next page.
fn page_after<T, K: Ord>(
    sorted: Vec<T>,
    after: Option<&K>,
    limit: Option<u32>,
    key: impl Fn(&T) -> K,
    cursor: impl Fn(&K) -> String,
) -> Page<T> {
    let limit = limit.unwrap_or(50).clamp(1, 200) as usize;
    let mut items: Vec<T> = sorted
        .into_iter()
        .filter(|item| after.is_none_or(|a| key(item) > *a))
        .take(limit + 1)
        .collect();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| cursor(&key(last)))
    } else {
        None
    };
    Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_order_and_end_with_no_cursor() {
        let items: Vec<u32> = (1..=5).collect();
        let first = page_after(items.clone(), None, Some(2), |i| *i, |k| k.to_string());
        assert_eq!(first.items, vec![1, 2]);
        assert_eq!(first.next_cursor.as_deref(), Some("2"));
        let last = page_after(items, Some(&4), Some(2), |i| *i, |k| k.to_string());
        assert_eq!(last.items, vec![5]);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn cursors_read_back() {
        let at = DateTime::from_timestamp_millis(1_790_000_000_123).expect("instant");
        let key = (at, "01abc-def".to_string());
        let text = format!("{}~{}", key.0.timestamp_millis(), key.1);
        assert_eq!(parse_queue_cursor(&text), Some(key));
        let due = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        for key in [
            (false, Some(due), "01ab-cd".to_string()),
            (true, None, "01ab-ce".to_string()),
        ] {
            assert_eq!(parse_task_cursor(&task_cursor(&key)), Some(key));
        }
        assert_eq!(parse_task_cursor("x~2026-12-01~a"), None);
        assert_eq!(parse_queue_cursor("garbage"), None);
    }
}
