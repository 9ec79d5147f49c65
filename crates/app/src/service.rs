//! The application service: every command and query of onewindow, from the API, the pages, the
//! CLI and the background jobs, goes through here, so each rule is applied in one place.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::access::{self, CaseOperation, Decision, Operation};
use onewindow_domain::audit::Outcome;
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::{
    self, Action, Applicant, ApplicantKind, Case, CaseCommand, Channel, Context, NewCase,
};
use onewindow_domain::catalogue::{Department, PublishedItem};
use onewindow_domain::circulation::TaskAction;
use onewindow_domain::clock::Timeliness;
use onewindow_domain::figures::{CatalogueFigures, catalogue_figures};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::validation::FieldError;
use onewindow_store::audit as audit_rows;
use onewindow_store::cases::{self as case_rows, CaseFilter, StoredEvent};
use onewindow_store::catalogue::{self as catalogue_rows, ItemFilter};
use onewindow_store::{Store, enqueue_outbox, next_counter};
use serde::{Deserialize, Serialize};

pub use crate::actor::Actor;
use crate::case_policy::{authorise_command, disclose, disclose_history, facts};
use crate::clock::{Clock, local_date};
use crate::error::AppError;
pub use crate::error::RefusalKind;

/// An application as it arrives at the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitCase {
    pub item_code: String,
    pub applicant: Applicant,
    pub channel: Channel,
    pub centre: String,
    #[serde(default)]
    pub materials: Vec<String>,
    /// Materials marked 可承诺 for which the applicant signs the item's commitment instead of
    /// handing them in (告知承诺制).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<String>,
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
    /// True when `due_on` is counted on the provisional calendar (预计): it may move when the
    /// holiday notice of [`CaseDetail::provisional_year`] is loaded.
    pub provisional: bool,
    /// The year whose notice is awaited, when `provisional`.
    pub provisional_year: Option<i32>,
    pub working_days_used: Option<u32>,
    /// Where the clock stands today, while the case is on it.
    pub timeliness: Option<Timeliness>,
    pub visit_count: usize,
    /// Commitments of this applicant found false (承诺不实), for the staff who may read that
    /// list: the window sees them before accepting a new commitment. Empty for everyone else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub false_commitments_on_record: Vec<crate::tolerance::CommitmentEntry>,
    pub at_most_once: bool,
    pub allowed_actions: Vec<Action>,
    /// For a joint case: what this actor may do to each task, by task key.
    pub task_actions: Vec<(String, Vec<TaskAction>)>,
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

#[derive(Clone)]
pub(crate) struct Inner {
    store: Store,
    /// Replaced whole when a holiday notice is loaded (here or on another node): readers take
    /// the `Arc` and count on one calendar for the whole of a request.
    calendar: Arc<RwLock<CalendarState>>,
    clock: Arc<dyn Clock>,
    /// The GB/T 2260 code of the county, the prefix of case numbers.
    pub(crate) division: String,
    /// Where uploaded files live; absent, uploads are refused.
    files: Option<Arc<dyn object_store::ObjectStore>>,
    /// The SMTP relay alerts are mailed through; absent, alerts stay in the inbox.
    mail: Option<crate::mail_config::MailConfig>,
    /// The issuing authorities' licence signing keys of this node.
    pub(crate) licences: Arc<crate::licences::LicenceSigner>,
    /// The public look-up's budgets per source address and per receipt number.
    pub(crate) lookups: Arc<crate::lookup::LookupBudgets>,
    /// How messages to applicants are written and sent.
    pub(crate) messaging: Arc<crate::messages::MessagingConfig>,
    /// Minutes a ticket may wait before the hall's supervisor is alerted.
    pub(crate) queue_wait_alert_minutes: u32,
}

/// The calendar a service counts with, and which stored notices it holds.
struct CalendarState {
    calendar: Arc<Calendar>,
    /// [`onewindow_store::calendar::notices_signature`] when the stored notices were last
    /// applied; `None` before the first look at the store.
    notices_signature: Option<String>,
}

/// The application service; cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(crate) inner: Arc<Inner>,
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
                calendar: Arc::new(RwLock::new(CalendarState {
                    calendar: Arc::new(calendar),
                    notices_signature: None,
                })),
                clock,
                division: division.into(),
                files: None,
                mail: None,
                licences: Arc::new(crate::licences::LicenceSigner::ephemeral()),
                lookups: Arc::new(crate::lookup::LookupBudgets::default()),
                messaging: Arc::new(crate::messages::MessagingConfig::default()),
                queue_wait_alert_minutes: crate::queue_report::DEFAULT_WAIT_ALERT_MINUTES,
            }),
        }
    }

    /// The same service with a file store for uploads (local disk, or S3-compatible at scale).
    pub fn with_file_store(self, files: Arc<dyn object_store::ObjectStore>) -> Self {
        let mut inner = (*self.inner).clone();
        inner.files = Some(files);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The same service alerting the hall's supervisor of a ticket waiting `minutes` or more.
    pub fn with_queue_wait_alert(self, minutes: u32) -> Self {
        let mut inner = (*self.inner).clone();
        inner.queue_wait_alert_minutes = minutes.max(1);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Minutes a ticket may wait before the hall's supervisor is alerted.
    pub fn queue_wait_alert_minutes(&self) -> u32 {
        self.inner.queue_wait_alert_minutes
    }

    /// The same service mailing alerts through an SMTP relay.
    pub fn with_mail(self, mail: crate::mail_config::MailConfig) -> Self {
        let mut inner = (*self.inner).clone();
        inner.mail = Some(mail);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The same service keeping its licence signing keys in `dir` (the data directory's
    /// `licence-keys`), loading the keys already there.
    pub fn with_licence_keys(self, dir: &std::path::Path) -> Result<Self, AppError> {
        let mut inner = (*self.inner).clone();
        inner.licences = Arc::new(crate::licences::LicenceSigner::in_dir(dir)?);
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub(crate) fn mail_config(&self) -> Option<&crate::mail_config::MailConfig> {
        self.inner.mail.as_ref()
    }

    pub(crate) fn file_store(&self) -> Option<&Arc<dyn object_store::ObjectStore>> {
        self.inner.files.as_ref()
    }

    /// The six-digit division code of the county this service runs for (330226: Ninghai).
    pub fn division(&self) -> &str {
        &self.inner.division
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The working-day calendar as it stands now (a later notice replaces it; this one stays
    /// whole for whoever holds it).
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.inner.calendar.read() {
            Ok(state) => state.calendar.clone(),
            Err(poisoned) => poisoned.into_inner().calendar.clone(),
        }
    }

    /// Puts `calendar` in place, with the signature of the stored notices it holds.
    pub(crate) fn replace_calendar(
        &self,
        calendar: Arc<Calendar>,
        notices_signature: Option<String>,
    ) {
        let mut state = match self.inner.calendar.write() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.calendar = calendar;
        state.notices_signature = notices_signature;
    }

    pub(crate) fn notices_signature(&self) -> Option<String> {
        match self.inner.calendar.read() {
            Ok(state) => state.notices_signature.clone(),
            Err(poisoned) => poisoned.into_inner().notices_signature.clone(),
        }
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
        Ok(self.calendar().add_working_days(start, working_days)?)
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

    /// Receives an application. With an idempotency key, a retry by the same account returns the
    /// first answer and files nothing new.
    pub async fn submit_case(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
    ) -> Result<Submitted, AppError> {
        self.submit_case_inner(actor, request, idempotency_key, Vec::new())
            .await
    }

    /// `submit_case` that also records `files` (already in the file store) against the new case,
    /// in the same transaction.
    pub(crate) async fn submit_case_inner(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
        files: Vec<onewindow_store::files::CaseFile>,
    ) -> Result<Submitted, AppError> {
        self.submit_case_with(actor, request, idempotency_key, files, None)
            .await
    }

    /// Files an application under an investment project's code: the applicant must be the
    /// project's owner, and results of the project's earlier approvals are taken as materials.
    pub async fn submit_case_in_project(
        &self,
        actor: &Actor,
        request: SubmitCase,
        project_code: &str,
        idempotency_key: Option<String>,
    ) -> Result<Submitted, AppError> {
        self.submit_case_with(
            actor,
            request,
            idempotency_key,
            Vec::new(),
            Some(project_code.trim().to_string()),
        )
        .await
    }

    pub(crate) async fn submit_case_with(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
        files: Vec<onewindow_store::files::CaseFile>,
        project_code: Option<String>,
    ) -> Result<Submitted, AppError> {
        let keyed = idempotency_key.is_some();
        let first = self
            .submit_case_once(
                actor,
                request.clone(),
                idempotency_key.clone(),
                files.clone(),
                project_code.clone(),
            )
            .await;
        let first = match first {
            // The same key sent to two nodes at the same instant: the other node's transaction
            // stored the key first and ours failed on it. Run again: the key is there now, and
            // the answer is the replay (or the refusal of a reused key), as on one node.
            Err(AppError::Store(e)) if keyed && e.is_unique_violation() => {
                self.submit_case_once(actor, request, idempotency_key, files, project_code)
                    .await
            }
            other => other,
        }?;
        if first.replayed || !first.case.auto_approval {
            return Ok(first);
        }
        // 秒批: the system accepts, approves and issues at once; an application it cannot
        // approve by its rules stays filed for the window, as any other.
        match self
            .execute_inner(
                &Actor::system(),
                &first.case.id,
                first.case.version,
                CaseCommand::AutoApprove,
                Vec::new(),
            )
            .await
        {
            Ok(mut case) => {
                disclose(&actor.principal, &mut case);
                Ok(Submitted {
                    case,
                    replayed: false,
                })
            }
            Err(AppError::Invalid(errors)) => {
                tracing::info!(
                    case = %first.case.number,
                    why = %errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join("; "),
                    "not approved automatically: left to the window"
                );
                Ok(first)
            }
            Err(e) => Err(e),
        }
    }

    async fn submit_case_once(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
        files: Vec<onewindow_store::files::CaseFile>,
        project_code: Option<String>,
    ) -> Result<Submitted, AppError> {
        let mut request = request;
        request.applicant.id_number = canonical_applicant_id(&request.applicant)?;
        let who = &actor.principal;
        if let Decision::Refuse(reason) =
            access::decide_submission(who, &request.applicant.id_number, &request.centre)
        {
            self.audit_denied(
                actor,
                "case.submit",
                format!("item:{}", request.item_code),
                &reason,
            )
            .await?;
            return Err(AppError::Forbidden(reason));
        }
        let at_own_window = who
            .posts
            .iter()
            .any(|p| p.role == access::Role::Clerk && p.centre.as_deref() == Some(&request.centre));
        let filed_by = ((who.has_role(access::Role::Applicant)
            || who.has_role(access::Role::Agent))
            && !at_own_window)
            .then(|| who.user_id.clone());
        let fingerprint = serde_json::to_string(&request)
            .map_err(|e| AppError::invalid("body", e.to_string()))?;
        let fingerprint = match &project_code {
            Some(code) => format!("{fingerprint}|project:{code}"),
            None => fingerprint,
        };
        // Keys are the caller's own: two accounts choosing the same key never meet.
        let idempotency_key = idempotency_key.map(|k| format!("{}:{k}", who.user_id));
        let calendar = self.calendar();
        let division = self.inner.division.clone();
        let reader = actor.principal.clone();
        let actor = actor.clone();
        let now = self.now();
        let mut submitted = self
            .store()
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
                    let item = catalogue_rows::get_item(&mut *conn, &request.item_code).await?;
                    // An item code or a bundle code: one window files both.
                    let plan = match &item {
                        Some(_) => None,
                        None => Some(
                            crate::case_sync::current_plan(&mut *conn, &request.item_code)
                                .await?
                                .ok_or_else(|| {
                                    AppError::invalid(
                                        "item_code",
                                        format!(
                                            "no item or bundle with code {}",
                                            request.item_code
                                        ),
                                    )
                                })?,
                        ),
                    };
                    crate::hall::check_filing_level(
                        &mut *conn,
                        &request.centre,
                        item.as_ref().map(|i| &i.item),
                    )
                    .await?;
                    let today = local_date(now);
                    let serial =
                        next_counter(&mut *conn, &format!("case:{}", today.format("%Y%m%d")))
                            .await?;
                    let number = format!("{}{}{:06}", division, today.format("%Y%m%d"), serial);
                    let id = uuid::Uuid::now_v7().to_string();
                    let ctx = Context {
                        actor: actor.username(),
                        now,
                        today,
                        calendar: &calendar,
                    };
                    if !request.commitments.is_empty() {
                        crate::tolerance::refuse_a_false_committer(
                            &mut *conn,
                            &request.applicant.id_number,
                        )
                        .await?;
                    }
                    let new = NewCase {
                        applicant: request.applicant,
                        channel: request.channel,
                        centre: request.centre,
                        materials: request.materials,
                        filed_by,
                        commitments: request.commitments,
                    };
                    let (mut case, event) = match (&item, &plan) {
                        (Some(item), _) => case::submit(id, number, item, new, &ctx)?,
                        (None, Some(plan)) => case::submit_bundle(id, number, plan, new, &ctx)?,
                        (None, None) => {
                            return Err(AppError::invalid("item_code", "no item or bundle"));
                        }
                    };
                    if let Some(code) = &project_code {
                        crate::case_sync::file_under_project(
                            &mut *conn,
                            &mut case,
                            code,
                            item.as_ref(),
                        )
                        .await?;
                    }
                    // 免证办: what the applicant's own valid licences serve is not asked for (after
                    // the project, whose own results name the approval they came from). Only the
                    // licence types of materials still missing are read, and of each only the
                    // newest usable ones: reading every licence the applicant held made each
                    // filing slower than the last (issue 19).
                    if let Some(item) = &item {
                        let wanted =
                            onewindow_domain::licence::wanted_types(&item.item.materials, |key| {
                                case.provided_materials.contains(key)
                            });
                        if !wanted.is_empty() {
                            let held: Vec<_> = onewindow_store::licences::usable_of_holder(
                                &mut *conn,
                                &case.applicant.id_number,
                                &wanted,
                                today,
                                crate::clock::local_day_start,
                            )
                            .await?
                            .into_iter()
                            .map(|stored| stored.licence)
                            .collect();
                            onewindow_domain::licence::take_from_library(
                                &mut case,
                                &item.item.materials,
                                &held,
                                today,
                            );
                        }
                    }
                    case_rows::insert(&mut *conn, &case, &event, actor.username(), None).await?;
                    crate::case_sync::sync_tasks(&mut *conn, &case, &calendar).await?;
                    for mut file in files {
                        file.case_id = case.id.clone();
                        onewindow_store::files::insert(&mut *conn, &file).await?;
                    }
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
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "case.submit",
                            format!("case:{}", case.number),
                            Outcome::Success,
                            format!("item {}", case.item_code),
                        ),
                    )
                    .await?;
                    enqueue_outbox(&mut *conn, "case.submitted", &body, &now.to_rfc3339()).await?;
                    Ok(Submitted {
                        case,
                        replayed: false,
                    })
                })
            })
            .await?;
        disclose(&reader, &mut submitted.case);
        Ok(submitted)
    }

    /// Runs one command on a case, if the actor may and the case is still at `expected_version`.
    /// A case the actor may not see answers "not found".
    pub async fn execute(
        &self,
        actor: &Actor,
        case_ref: &str,
        expected_version: u64,
        command: CaseCommand,
    ) -> Result<Case, AppError> {
        self.execute_inner(actor, case_ref, expected_version, command, Vec::new())
            .await
    }

    /// `execute` that also records `files` (already in the file store) against the case, in the
    /// same transaction.
    pub(crate) async fn execute_inner(
        &self,
        actor: &Actor,
        case_ref: &str,
        expected_version: u64,
        command: CaseCommand,
        files: Vec<onewindow_store::files::CaseFile>,
    ) -> Result<Case, AppError> {
        let calendar = self.calendar();
        let owned_actor = actor.clone();
        let owned_ref = case_ref.to_string();
        let now = self.now();
        let signer = self.inner.licences.clone();
        let action_name = command_name(&command).to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = owned_actor;
                    let case_ref = owned_ref;
                    let case = case_rows::load(&mut *conn, &case_ref)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
                    authorise_command(&actor, &case, &command, &case_ref)?;
                    if case.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: case.version,
                        });
                    }
                    let today = local_date(now);
                    let ctx = Context {
                        actor: actor.username(),
                        now,
                        today,
                        calendar: &calendar,
                    };
                    if matches!(
                        command,
                        CaseCommand::Accept | CaseCommand::AcceptWithPromises { .. }
                    ) && !case.commitments.is_empty()
                        || matches!(command, CaseCommand::AutoApprove)
                    {
                        // 秒批 too: an applicant with a false commitment on record is checked
                        // by people.
                        crate::tolerance::refuse_a_false_committer(
                            &mut *conn,
                            &case.applicant.id_number,
                        )
                        .await?;
                    }
                    let events = case.decide(&command, &ctx)?;
                    let mut next = case.clone();
                    for event in &events {
                        next.apply(event, actor.username(), now, today);
                    }
                    let due_on = next.due_on(&calendar)?;
                    let written = case_rows::update(
                        &mut *conn,
                        &next,
                        expected_version,
                        &events,
                        actor.username(),
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
                    crate::case_sync::sync_tasks(&mut *conn, &next, &calendar).await?;
                    crate::case_sync::follow_case(&mut *conn, &next, now).await?;
                    if events
                        .iter()
                        .any(|e| matches!(e, case::CaseEvent::ResultIssued { .. }))
                    {
                        crate::licences::issue_for_case(&mut *conn, &signer, &next, now).await?;
                    }
                    if let Some(reason) = events.iter().find_map(|e| match e {
                        case::CaseEvent::DecisionRevoked { reason } => Some(reason),
                        _ => None,
                    }) {
                        crate::licences::revoke_for_case(&mut *conn, &next, reason, &actor, now)
                            .await?;
                    }
                    for mut file in files {
                        file.case_id = next.id.clone();
                        onewindow_store::files::insert(&mut *conn, &file).await?;
                    }
                    let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            &format!("case.{}", command_name(&command)),
                            format!("case:{}", next.number),
                            Outcome::Success,
                            format!(
                                "version {} -> {}: {}",
                                expected_version,
                                next.version,
                                kinds.join(", ")
                            ),
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
            .await;
        let mut case = self
            .audit_refusal(actor, &format!("case.{action_name}"), case_ref, result)
            .await?;
        disclose(&actor.principal, &mut case);
        Ok(case)
    }

    /// The answer to a command the policy may have refused inside its write job: the refusal is
    /// written to the audit trail (the job's transaction rolled back) and becomes "not found"
    /// or "forbidden".
    pub(crate) async fn audit_refusal<T>(
        &self,
        actor: &Actor,
        action: &str,
        case_ref: &str,
        result: Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.audit_refusal_of(actor, action, &format!("case {case_ref}"), result)
            .await
    }

    /// [`Service::audit_refusal`] of any target: a hidden one is answered "`what` not found".
    pub(crate) async fn audit_refusal_of<T>(
        &self,
        actor: &Actor,
        action: &str,
        what: &str,
        result: Result<T, AppError>,
    ) -> Result<T, AppError> {
        match result {
            Err(AppError::Refused {
                status,
                reason,
                target,
            }) => {
                self.audit_denied(actor, action, target, &reason).await?;
                Err(match status {
                    RefusalKind::Hidden => AppError::not_found(what),
                    RefusalKind::Forbidden => AppError::Forbidden(reason),
                })
            }
            other => other,
        }
    }

    /// Records an attempt the access policy refused.
    pub(crate) async fn audit_denied(
        &self,
        actor: &Actor,
        action: &str,
        target: String,
        reason: &str,
    ) -> Result<(), AppError> {
        self.audit_alone(actor.entry(self.now(), action, target, Outcome::Denied, reason))
            .await
    }

    // ---- cases: queries -------------------------------------------------------------------

    /// A case as `actor` may see it: identity and phone numbers masked.
    pub async fn case(&self, actor: &Actor, case_ref: &str) -> Result<CaseDetail, AppError> {
        let readers = self.store().readers();
        let mut case = case_rows::load(readers, case_ref)
            .await?
            .filter(|c| {
                access::decide_case(&actor.principal, CaseOperation::Read, &facts(c)).is_allowed()
            })
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let mut history = case_rows::history(readers, &case.id).await?;
        let calendar = &self.calendar();
        let today = self.today();
        let due_on = case.due_on(calendar)?;
        let (used, left) = match (&case.clock, case.status.is_on_clock()) {
            (Some(clock), true) => (
                Some(clock.used_days(calendar, today)?),
                Some(clock.timeliness(calendar, today)?),
            ),
            _ => (None, None),
        };
        // What this actor may do next: the state machine's actions that the policy allows.
        let allowed_actions = case
            .available_actions()
            .into_iter()
            .filter(|a| {
                access::decide_case(&actor.principal, CaseOperation::Act(*a), &facts(&case))
                    .is_allowed()
            })
            .collect();
        let task_actions = crate::case_sync::task_actions(&actor.principal, &case);
        let false_commitments_on_record =
            if access::decide_false_commitment_list(&actor.principal).is_allowed() {
                self.false_commitments(actor, Some(&case.applicant.id_number))
                    .await?
            } else {
                Vec::new()
            };
        disclose_history(&actor.principal, &case, &mut history);
        disclose(&actor.principal, &mut case);
        let provisional = due_on.is_some_and(|d| calendar.is_provisional(d));
        Ok(CaseDetail {
            due_on,
            provisional,
            provisional_year: calendar.provisional_year().filter(|_| provisional),
            working_days_used: used,
            timeliness: left,
            visit_count: case.visits.len(),
            false_commitments_on_record,
            at_most_once: case.is_at_most_once(),
            allowed_actions,
            task_actions,
            history,
            case,
        })
    }

    /// The applicant's identity and phone number in full. A separate permission; every showing is
    /// written to the audit trail.
    pub async fn reveal_personal_data(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<Applicant, AppError> {
        let case = case_rows::load(self.store().readers(), case_ref)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let target = format!("case:{}", case.number);
        match access::decide_case(
            &actor.principal,
            CaseOperation::RevealPersonalData,
            &facts(&case),
        ) {
            Decision::Allow => {}
            Decision::Hide => {
                self.audit_denied(actor, "case.reveal_personal_data", target, "out of scope")
                    .await?;
                return Err(AppError::not_found(format!("case {case_ref}")));
            }
            Decision::Refuse(reason) => {
                self.audit_denied(actor, "case.reveal_personal_data", target, &reason)
                    .await?;
                return Err(AppError::Forbidden(reason));
            }
        }
        self.audit_alone(actor.entry(
            self.now(),
            "case.reveal_personal_data",
            target,
            Outcome::Success,
            "identity and phone number shown in full",
        ))
        .await?;
        Ok(case.applicant)
    }

    /// The cases `actor` may see, filtered; identity and phone numbers masked.
    pub async fn cases(&self, actor: &Actor, query: CaseQuery) -> Result<Page<Case>, AppError> {
        if let Decision::Refuse(reason) = access::decide(&actor.principal, Operation::ListCases) {
            return Err(AppError::Forbidden(reason));
        }
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
            scope: access::case_scope(&actor.principal),
        };
        let mut items = case_rows::list(self.store().readers(), &filter).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|c| c.id.clone())
        } else {
            None
        };
        for case in &mut items {
            disclose(&actor.principal, case);
        }
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

/// The name a command is audited and counted under.
fn command_name(command: &CaseCommand) -> &'static str {
    match command {
        CaseCommand::AutoApprove => "auto-approve",
        _ => command.action().map_or("deem-accept", |a| a.as_str()),
    }
}
