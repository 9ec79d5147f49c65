//! The application service: every command and query of onewindow, from the API, the pages, the
//! CLI and the background jobs, goes through here, so each rule is applied in one place.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::{
    self, Action, Applicant, ApplicantKind, Case, CaseCommand, Channel, Context, NewCase,
};
use onewindow_domain::catalogue::{Department, PublishedItem};
use onewindow_domain::figures::{CatalogueFigures, catalogue_figures};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::validation::FieldError;
use onewindow_store::cases::{self as case_rows, CaseFilter, StoredEvent};
use onewindow_store::catalogue::{self as catalogue_rows, ItemFilter};
use onewindow_store::{Store, enqueue_outbox, next_counter};
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, local_date};
use crate::error::AppError;

/// Who is acting. Until accounts exist this is the name the caller gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
}

impl Actor {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The service itself, for what the law does on its own (acceptance by lapse of time).
    pub fn system() -> Self {
        Self::new("system")
    }
}

/// An application as it arrives at the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitCase {
    pub item_code: String,
    pub applicant: Applicant,
    pub channel: Channel,
    pub centre: String,
    #[serde(default)]
    pub materials: Vec<String>,
}

/// The answer to a submission: the case, and whether it is the replay of an earlier answer.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub case: Case,
    pub replayed: bool,
}

/// A case with everything a reader needs: history, deadline, visits, what can be done next.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    pub case: Case,
    pub history: Vec<StoredEvent>,
    pub due_on: Option<NaiveDate>,
    pub working_days_used: Option<u32>,
    pub working_days_left: Option<i64>,
    pub visit_count: usize,
    pub at_most_once: bool,
    pub allowed_actions: Vec<Action>,
}

/// One page of a list and the cursor of the next, if any.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Filters of the case list as the caller gives them.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub statuses: Vec<String>,
    pub item_code: Option<String>,
    pub department: Option<String>,
    pub centre: Option<String>,
    pub overdue: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

struct Inner {
    store: Store,
    calendar: Arc<Calendar>,
    clock: Arc<dyn Clock>,
    /// The GB/T 2260 code of the county, the prefix of case numbers.
    division: String,
}

/// The application service; cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl Service {
    pub fn new(
        store: Store,
        calendar: Calendar,
        clock: Arc<dyn Clock>,
        division: impl Into<String>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                calendar: Arc::new(calendar),
                clock,
                division: division.into(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn calendar(&self) -> &Calendar {
        &self.inner.calendar
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        local_date(self.now())
    }

    // ---- calendar -------------------------------------------------------------------------

    /// The date of the `working_days`th working day after `start`.
    pub fn deadline(&self, start: NaiveDate, working_days: u32) -> Result<NaiveDate, AppError> {
        Ok(self.inner.calendar.add_working_days(start, working_days)?)
    }

    // ---- catalogue ------------------------------------------------------------------------

    pub async fn departments(&self) -> Result<Vec<Department>, AppError> {
        Ok(catalogue_rows::list_departments(self.store().readers()).await?)
    }

    pub async fn item(&self, code: &str) -> Result<PublishedItem, AppError> {
        catalogue_rows::get_item(self.store().readers(), code)
            .await?
            .ok_or_else(|| AppError::not_found(format!("item {code}")))
    }

    pub async fn items(&self, mut filter: ItemFilter) -> Result<Page<PublishedItem>, AppError> {
        let limit = filter.limit.clamp(1, 200);
        filter.limit = limit + 1;
        let mut items = catalogue_rows::list_items(self.store().readers(), &filter).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| i.item.code.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    pub async fn catalogue_figures(&self) -> Result<CatalogueFigures, AppError> {
        let items: Vec<_> = catalogue_rows::all_items(self.store().readers())
            .await?
            .into_iter()
            .map(|p| p.item)
            .collect();
        Ok(catalogue_figures(&items))
    }

    // ---- cases: commands ------------------------------------------------------------------

    /// Receives an application. With an idempotency key, a retry returns the first answer and
    /// files nothing new.
    pub async fn submit_case(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
    ) -> Result<Submitted, AppError> {
        let mut request = request;
        request.applicant.id_number = canonical_applicant_id(&request.applicant)?;
        let fingerprint = serde_json::to_string(&request)
            .map_err(|e| AppError::invalid("body", e.to_string()))?;
        let calendar = self.inner.calendar.clone();
        let division = self.inner.division.clone();
        let actor = actor.id.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if let Some(key) = &idempotency_key
                        && let Some(previous) = case_rows::find_idempotent(&mut *conn, key).await?
                    {
                        if previous.fingerprint != fingerprint {
                            return Err(AppError::IdempotencyKeyReused);
                        }
                        let case: Case = serde_json::from_str(&previous.body)
                            .map_err(|e| onewindow_store::StoreError::corrupt(key.as_str(), e))?;
                        return Ok(Submitted {
                            case,
                            replayed: true,
                        });
                    }
                    let item = catalogue_rows::get_item(&mut *conn, &request.item_code)
                        .await?
                        .ok_or_else(|| {
                            AppError::invalid(
                                "item_code",
                                format!("no item with code {}", request.item_code),
                            )
                        })?;
                    let today = local_date(now);
                    let serial =
                        next_counter(&mut *conn, &format!("case:{}", today.format("%Y%m%d")))
                            .await?;
                    let number = format!("{}{}{:06}", division, today.format("%Y%m%d"), serial);
                    let id = uuid::Uuid::now_v7().to_string();
                    let ctx = Context {
                        actor: &actor,
                        now,
                        today,
                        calendar: &calendar,
                    };
                    let new = NewCase {
                        applicant: request.applicant,
                        channel: request.channel,
                        centre: request.centre,
                        materials: request.materials,
                    };
                    let (case, event) = case::submit(id, number, &item, new, &ctx)?;
                    case_rows::insert(&mut *conn, &case, &event, &actor, None).await?;
                    let body = serde_json::to_string(&case)
                        .map_err(|e| onewindow_store::StoreError::corrupt(case.id.as_str(), e))?;
                    if let Some(key) = &idempotency_key {
                        case_rows::remember_idempotent(
                            &mut *conn,
                            key,
                            &fingerprint,
                            &body,
                            &now.to_rfc3339(),
                        )
                        .await?;
                    }
                    enqueue_outbox(&mut *conn, "case.submitted", &body, &now.to_rfc3339()).await?;
                    Ok(Submitted {
                        case,
                        replayed: false,
                    })
                })
            })
            .await
    }

    /// Runs one command on a case, if the case is still at `expected_version`.
    pub async fn execute(
        &self,
        actor: &Actor,
        case_ref: &str,
        expected_version: u64,
        command: CaseCommand,
    ) -> Result<Case, AppError> {
        let calendar = self.inner.calendar.clone();
        let actor = actor.id.clone();
        let case_ref = case_ref.to_string();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let case = case_rows::load(&mut *conn, &case_ref)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
                    if case.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: case.version,
                        });
                    }
                    let today = local_date(now);
                    let ctx = Context {
                        actor: &actor,
                        now,
                        today,
                        calendar: &calendar,
                    };
                    let events = case.decide(&command, &ctx)?;
                    let mut next = case.clone();
                    for event in &events {
                        next.apply(event, &actor, now, today);
                    }
                    let due_on = next.due_on(&calendar)?;
                    let written = case_rows::update(
                        &mut *conn,
                        &next,
                        expected_version,
                        &events,
                        &actor,
                        now,
                        due_on,
                    )
                    .await?;
                    if !written {
                        let current = case_rows::load(&mut *conn, &case_ref)
                            .await?
                            .map_or(0, |c| c.version);
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current,
                        });
                    }
                    let message = serde_json::json!({
                        "case_id": next.id,
                        "number": next.number,
                        "status": next.status,
                        "events": events,
                        "actor": actor,
                    });
                    enqueue_outbox(
                        &mut *conn,
                        "case.changed",
                        &message.to_string(),
                        &now.to_rfc3339(),
                    )
                    .await?;
                    Ok(next)
                })
            })
            .await
    }

    // ---- cases: queries -------------------------------------------------------------------

    pub async fn case(&self, case_ref: &str) -> Result<CaseDetail, AppError> {
        let readers = self.store().readers();
        let case = case_rows::load(readers, case_ref)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let history = case_rows::history(readers, &case.id).await?;
        let calendar = self.calendar();
        let today = self.today();
        let due_on = case.due_on(calendar)?;
        let (used, left) = match (&case.clock, case.status.is_on_clock()) {
            (Some(clock), true) => (
                Some(clock.used_days(calendar, today)?),
                Some(clock.days_left(calendar, today)?),
            ),
            _ => (None, None),
        };
        Ok(CaseDetail {
            due_on,
            working_days_used: used,
            working_days_left: left,
            visit_count: case.visits.len(),
            at_most_once: case.is_at_most_once(),
            allowed_actions: case.status.allowed_actions().to_vec(),
            history,
            case,
        })
    }

    pub async fn cases(&self, query: CaseQuery) -> Result<Page<Case>, AppError> {
        let mut errors = Vec::new();
        for (i, s) in query.statuses.iter().enumerate() {
            if case::Status::parse(s).is_none() {
                errors.push(FieldError::new(
                    format!("status[{i}]"),
                    format!("unknown status {s:?}"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 200));
        let filter = CaseFilter {
            statuses: query.statuses,
            item_code: query.item_code,
            department: query.department,
            centre: query.centre,
            overdue_on: query.overdue.then(|| self.today()),
            before_id: query.cursor,
            limit: limit + 1,
        };
        let mut items = case_rows::list(self.store().readers(), &filter).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|c| c.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    // ---- background jobs ------------------------------------------------------------------

    /// Accepts, by law, every case that got no supplement notice within the notice period
    /// (art. 32). Safe to run at any time and on any node: a case already moved is skipped.
    pub async fn accept_lapsed_cases(&self) -> Result<usize, AppError> {
        let today = self.today();
        // A superset: five working days span at least five calendar days.
        let received_by = today - chrono::Duration::days(5);
        let ids = case_rows::awaiting_acceptance(self.store().readers(), received_by).await?;
        let mut accepted = 0;
        for id in ids {
            let Some(case) = case_rows::load(self.store().readers(), &id).await? else {
                continue;
            };
            match self
                .execute(&Actor::system(), &id, case.version, CaseCommand::DeemAccept)
                .await
            {
                Ok(_) => accepted += 1,
                // Not yet due, already moved, or a deadline in a year the calendar does not cover
                // yet: leave it for a later sweep, and go on with the others.
                Err(
                    AppError::Invalid(_)
                    | AppError::NotAllowed { .. }
                    | AppError::VersionConflict { .. }
                    | AppError::Calendar(_),
                ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(accepted)
    }
}

/// An applicant's identifier must be valid for its kind before anything is stored; it is
/// stored in its canonical form (upper-case check character).
fn canonical_applicant_id(applicant: &Applicant) -> Result<String, AppError> {
    let result = match applicant.kind {
        ApplicantKind::Person => {
            ResidentIdNumber::parse(&applicant.id_number).map(|id| id.as_str().to_string())
        }
        ApplicantKind::Enterprise => {
            UnifiedSocialCreditCode::parse(&applicant.id_number).map(|id| id.as_str().to_string())
        }
    };
    result.map_err(|e| AppError::invalid("applicant.id_number", e.to_string()))
}
