//! Messages to applicants (办件通知): what the applicant is told, and the way it goes out.
//!
//! A command writes its event to the outbox in its own transaction, as every command does. The
//! outbox's consumer — in process by default, a durable JetStream consumer with NATS — turns the
//! events that concern the applicant into messages (the domain's `notice::notices_for` and
//! `notice::address`): one row per channel and recipient, its id made of the event's, so an
//! event delivered twice writes its messages once. The inbox row is the message; SMS and
//! e-mail rows are a ledger that a sender job works through, trying again with the domain's
//! back-off while the gateway is down and giving up after the policy's last try, which the
//! hall sees on its monitor. Phone numbers never reach a log: only their last four digits.

pub mod gateway;
pub mod templates;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use onewindow_domain::access::{self, Role};
use onewindow_domain::case::{Case, CaseEvent};
use onewindow_domain::notice::{
    self, AfterFailure, MessageChannel, MessageState, Notice, NoticeKind, Owner, Preferences,
    RetryPolicy, mask_phone,
};
use onewindow_store::messages::{self as rows, MessageRecord, TryOutcome};
use onewindow_store::{Conn, OutboxMessage, cases as case_rows};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::{Page, Service};
pub use gateway::{Sent, SmsGateway};
use templates::Form;
pub use templates::{TemplateError, Templates};

/// The outbox topics that may tell the applicant something.
pub const NOTICE_TOPICS: [&str; 3] = ["case.submitted", "case.changed", "delivery.changed"];

/// The SMS signature when the county names none (the gateway's account is registered with it).
pub const DEFAULT_SIGNATURE: &str = "【政务服务】";

/// Characters of a rating invitation's short code.
const CODE_LENGTH: usize = 10;
/// Letters and digits that cannot be misread (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// How messages are written and sent on this node.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    pub templates: Arc<Templates>,
    pub sms: SmsGateway,
    /// Put before every SMS, e.g. 【宁海政务】.
    pub signature: String,
    /// The address the public reaches the service at, for links in messages.
    pub public_url: String,
    pub retry: RetryPolicy,
}

impl MessagingConfig {
    /// The configuration of a node: its templates (the county's from `templates_dir`, or the
    /// built-in ones) checked against its signature and public address — a template that does
    /// not fit stops the start here.
    pub fn new(
        public_url: &str,
        signature: &str,
        sms: SmsGateway,
        templates_dir: Option<&Path>,
    ) -> Result<MessagingConfig, TemplateError> {
        let public_url = public_url.trim_end_matches('/').to_string();
        let link_length = short_link_length(&public_url);
        let templates = match templates_dir {
            Some(dir) => Templates::from_dir(dir, signature, link_length)?,
            None => Templates::builtin(signature, link_length)?,
        };
        Ok(MessagingConfig {
            templates: Arc::new(templates),
            sms,
            signature: signature.to_string(),
            public_url,
            retry: RetryPolicy::default(),
        })
    }
}

impl Default for MessagingConfig {
    fn default() -> Self {
        let public_url = "http://127.0.0.1:8080".to_string();
        let templates = Templates::builtin(DEFAULT_SIGNATURE, short_link_length(&public_url))
            .unwrap_or_else(|e| {
                panic!("the built-in message templates are checked by their tests: {e}")
            });
        MessagingConfig {
            templates: Arc::new(templates),
            sms: SmsGateway::Logging,
            signature: DEFAULT_SIGNATURE.into(),
            public_url,
            retry: RetryPolicy::default(),
        }
    }
}

fn short_link_length(public_url: &str) -> usize {
    public_url.chars().count() + "/r/".len() + CODE_LENGTH
}

/// A message of an applicant's inbox.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxMessage {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub kind: NoticeKind,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// A message of a case as staff see it: where it went (masked), its state and tries.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseMessage {
    pub id: String,
    pub case_number: String,
    pub kind: NoticeKind,
    pub channel: MessageChannel,
    /// The phone's last four digits, the e-mail's domain, or the account's inbox.
    pub to: String,
    pub subject: String,
    pub state: MessageState,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
}

/// What one round of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub sent: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// Messages to send at once: enough to keep a gateway busy, few enough for one transaction of
/// outcomes.
const SEND_BATCH: i64 = 500;
/// Tries in flight at once.
const SEND_CONCURRENCY: usize = 32;

fn mask_address(channel: MessageChannel, address: Option<&str>) -> String {
    match (channel, address) {
        (MessageChannel::Sms, Some(phone)) => mask_phone(phone),
        (MessageChannel::Email, Some(email)) => match email.split_once('@') {
            Some((_, domain)) => format!("***@{domain}"),
            None => "***".into(),
        },
        _ => "站内信".into(),
    }
}

impl CaseMessage {
    fn of(m: MessageRecord) -> CaseMessage {
        CaseMessage {
            to: mask_address(m.channel, m.address.as_deref()),
            id: m.id,
            case_number: m.case_number,
            kind: m.kind,
            channel: m.channel,
            subject: m.subject,
            state: m.state,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            read_at: m.read_at,
        }
    }
}

/// The part of a `case.changed` or `delivery.changed` body the messages need.
#[derive(Deserialize)]
struct ChangedBody {
    case_id: String,
    #[serde(default)]
    events: Vec<CaseEvent>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    parcel: Option<ParcelBody>,
}

#[derive(Deserialize)]
struct ParcelBody {
    waybill: String,
    courier: String,
}

/// A random short code for a rating invitation.
fn new_code() -> Result<String, AppError> {
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect())
}

/// What writing messages needs besides the connection.
pub(crate) struct Writing<'a> {
    pub config: &'a MessagingConfig,
    pub calendar: &'a onewindow_domain::calendar::Calendar,
    pub mail: bool,
    pub now: DateTime<Utc>,
}

/// The notices an outbox message makes, with the case they are about; none for topics and
/// bodies that tell the applicant nothing (a body that does not parse is skipped, logged).
async fn notices_of(
    conn: &mut Conn,
    writing: &Writing<'_>,
    message: &OutboxMessage,
) -> Result<Option<(Case, Vec<Notice>)>, AppError> {
    match message.topic.as_str() {
        "case.submitted" => {
            let Ok(case) = serde_json::from_str::<Case>(&message.body) else {
                tracing::debug!(id = %message.id, "a case.submitted body without a case; no message");
                return Ok(None);
            };
            Ok(Some((case, vec![Notice::Received])))
        }
        "case.changed" | "delivery.changed" => {
            let Ok(body) = serde_json::from_str::<ChangedBody>(&message.body) else {
                tracing::debug!(id = %message.id, topic = %message.topic, "a body without a case; no message");
                return Ok(None);
            };
            let Some(case) = case_rows::load(&mut *conn, &body.case_id).await? else {
                return Ok(None);
            };
            let mut notices = Vec::new();
            if message.topic == "case.changed" {
                let due_on = case.due_on(writing.calendar).ok().flatten();
                notices = notice::notices_for(&case, &body.events, due_on, writing.calendar);
                if body
                    .events
                    .iter()
                    .any(|e| matches!(e, CaseEvent::Delivered { .. }))
                {
                    let link = crate::evaluation::signed_link_in(&mut *conn, &case.id, writing.now)
                        .await?;
                    let code = new_code()?;
                    rows::insert_invitation(
                        &mut *conn,
                        &code,
                        &case.id,
                        link.expires_at,
                        writing.now,
                    )
                    .await?;
                    notices.push(Notice::RatingInvitation {
                        link: format!("{}/r/{code}", writing.config.public_url),
                        until: link.expires_at.date_naive(),
                    });
                }
            } else if body.action.as_deref() == Some("delivery.dispatch")
                && let Some(parcel) = body.parcel
            {
                let courier = onewindow_store::deliveries::courier(&mut *conn, &parcel.courier)
                    .await?
                    .map_or(parcel.courier, |c| c.name);
                notices.push(Notice::ParcelSent {
                    courier,
                    waybill: parcel.waybill,
                });
            }
            Ok(Some((case, notices)))
        }
        _ => Ok(None),
    }
}

/// The material names of a case's item, for a one-time notice's list.
async fn material_names(conn: &mut Conn, case: &Case) -> Result<Vec<(String, String)>, AppError> {
    let item = onewindow_store::catalogue::get_item_version(
        &mut *conn,
        &case.item_code,
        case.item_version,
    )
    .await?;
    Ok(item
        .map(|i| {
            i.item
                .materials
                .iter()
                .map(|m| (m.key.clone(), m.name.clone()))
                .collect()
        })
        .unwrap_or_default())
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "—".to_string(), |d| d.to_string())
}

/// The values a notice's templates are filled with, in `language`.
fn values(
    templates: &Templates,
    language: &str,
    case: &Case,
    notice: &Notice,
    names: &[(String, String)],
) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("number", case.number.clone()),
        ("item", case.item_name.clone()),
    ];
    match notice {
        Notice::Received | Notice::SupplementReceived => {}
        Notice::SupplementRequested { missing, note, by } => {
            v.push(("by", date_text(*by)));
            let listed: Vec<String> = missing
                .iter()
                .map(|key| {
                    names
                        .iter()
                        .find(|(k, _)| k == key)
                        .map_or_else(|| key.clone(), |(_, n)| n.clone())
                })
                .collect();
            let separator = if language == "en" { "; " } else { "、" };
            v.push(("count", missing.len().to_string()));
            v.push(("missing", listed.join(separator)));
            v.push((
                "note",
                if note.trim().is_empty() {
                    "—".into()
                } else {
                    note.clone()
                },
            ));
        }
        Notice::Accepted { due_on } => v.push(("due_on", date_text(*due_on))),
        Notice::NotAccepted { reason }
        | Notice::Suspended { reason }
        | Notice::Revoked { reason }
        | Notice::Withdrawn { reason } => v.push(("reason", reason.clone())),
        Notice::PromiseReminder { material, by } => {
            v.push(("by", by.to_string()));
            v.push((
                "missing",
                names
                    .iter()
                    .find(|(k, _)| k == material)
                    .map_or_else(|| material.clone(), |(_, n)| n.clone()),
            ));
        }
        Notice::Extended {
            working_days,
            due_on,
            reason,
        } => {
            v.push(("days", working_days.to_string()));
            v.push(("due_on", date_text(*due_on)));
            v.push(("reason", reason.clone()));
        }
        Notice::Decided { approved, reason } => {
            let key = if *approved {
                "outcome-approved"
            } else {
                "outcome-refused"
            };
            v.push(("outcome", templates.word(language, key)));
            v.push(("reason", reason.clone()));
        }
        Notice::LicenceReady { document_number } => v.push(("document", document_number.clone())),
        Notice::ParcelSent { courier, waybill } => {
            v.push(("courier", courier.clone()));
            v.push(("waybill", waybill.clone()));
        }
        Notice::RatingInvitation { link, until } => {
            v.push(("link", link.clone()));
            v.push(("until", until.to_string()));
        }
    }
    v
}

/// The accounts a case belongs to, with their choices: the applicant's own accounts (standing
/// for its identity) and the account that filed it.
async fn owners(conn: &mut Conn, case: &Case) -> Result<Vec<Owner>, AppError> {
    let users = onewindow_store::accounts::owners_of(
        &mut *conn,
        &case.applicant.id_number,
        case.filed_by.as_deref(),
    )
    .await?;
    // The applicant's own account stands for the case's identity (as the access policy's
    // owner does); the filer is the agent's (or the applicant's) account that filed it.
    let owning: Vec<(bool, _)> = users
        .into_iter()
        .map(|u| {
            let is_applicant = u.identity.as_deref() == Some(case.applicant.id_number.as_str())
                && u.posts.iter().any(|p| p.role == Role::Applicant);
            (is_applicant, u)
        })
        .filter(|(is_applicant, u)| {
            *is_applicant || case.filed_by.as_deref() == Some(u.id.as_str())
        })
        .collect();
    let ids: Vec<String> = owning.iter().map(|(_, u)| u.id.clone()).collect();
    // One choice per id, in the order asked.
    let preferences = rows::preferences_of(&mut *conn, &ids).await?;
    Ok(owning
        .into_iter()
        .zip(preferences)
        .map(|((is_applicant, u), (_, preferences))| Owner {
            is_applicant,
            user_id: u.id,
            phone: u.phone,
            email: u.email,
            preferences,
        })
        .collect())
}

/// Writes the messages an outbox message makes, inside the caller's transaction; answers how
/// many were new.
pub(crate) async fn write_messages_for(
    conn: &mut Conn,
    writing: &Writing<'_>,
    message: &OutboxMessage,
) -> Result<u64, AppError> {
    let Some((case, notices)) = notices_of(&mut *conn, writing, message).await? else {
        return Ok(0);
    };
    if notices.is_empty() {
        return Ok(0);
    }
    let owners = owners(&mut *conn, &case).await?;
    let names = if notices.iter().any(|n| {
        matches!(
            n,
            Notice::SupplementRequested { .. } | Notice::PromiseReminder { .. }
        )
    }) {
        material_names(&mut *conn, &case).await?
    } else {
        Vec::new()
    };
    let templates = &writing.config.templates;
    let mut records = Vec::new();
    for (index, notice) in notices.iter().enumerate() {
        let kind = notice.kind();
        for addressed in notice::address(kind, case.applicant.phone.as_deref(), &owners) {
            if addressed.channel == MessageChannel::Email && !writing.mail {
                continue;
            }
            let language = addressed.language.as_str();
            let values = values(templates, language, &case, notice, &names);
            let subject = templates.render(language, kind, Form::Subject, &values);
            let body = match addressed.channel {
                MessageChannel::Sms => format!(
                    "{}{}",
                    writing.config.signature,
                    templates.render(language, kind, Form::Sms, &values)
                ),
                _ => templates.render(language, kind, Form::Body, &values),
            };
            let inbox = addressed.channel == MessageChannel::Inbox;
            records.push(MessageRecord {
                id: notice::message_id(&message.id, index, &addressed),
                case_id: case.id.clone(),
                case_number: case.number.clone(),
                centre: case.centre.clone(),
                user_id: addressed.user_id.clone(),
                channel: addressed.channel,
                kind,
                language: addressed.language.clone(),
                address: addressed.address.clone(),
                subject,
                body,
                state: if inbox {
                    MessageState::Sent
                } else {
                    MessageState::Pending
                },
                attempts: 0,
                next_attempt_at: (!inbox).then_some(writing.now),
                last_error: None,
                created_at: writing.now,
                sent_at: inbox.then_some(writing.now),
                read_at: None,
            });
        }
    }
    Ok(rows::insert_new(&mut *conn, &records).await?)
}

impl Service {
    pub fn messaging(&self) -> &MessagingConfig {
        &self.inner.messaging
    }

    /// The same service writing and sending messages as `config` says.
    pub fn with_messaging(self, config: MessagingConfig) -> Self {
        let mut inner = (*self.inner).clone();
        inner.messaging = Arc::new(config);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The outbox in process: takes up to `limit` events and writes the applicant's messages
    /// they make in the same transaction, so an event is gone exactly when its messages exist.
    /// Answers the events, for the alert mail.
    pub async fn dispatch_outbox(&self, limit: i64) -> Result<Vec<OutboxMessage>, AppError> {
        match self.dispatch_outbox_together(limit).await {
            Ok(taken) => Ok(taken),
            Err(e) => {
                // One event whose messages cannot be written must not hold back the others (nor
                // alert mail): each is taken on its own, and one that still fails is taken
                // without its messages, loudly.
                tracing::warn!(error = %e, "writing the messages of a batch of events failed; taking them one by one");
                let pending = onewindow_store::pending_outbox(self.store(), limit).await?;
                let mut taken = Vec::with_capacity(pending.len());
                for event in pending {
                    match self.dispatch_one(&event, true).await {
                        Ok(true) => taken.push(event),
                        Ok(false) => {}
                        Err(e) => {
                            tracing::error!(error = %e, id = %event.id, topic = %event.topic, "the applicants' messages of an event cannot be written; the event is passed on without them");
                            if self.dispatch_one(&event, false).await? {
                                taken.push(event);
                            }
                        }
                    }
                }
                Ok(taken)
            }
        }
    }

    /// Takes one event from the outbox (false when another node took it first), with its
    /// messages when `with_messages`.
    async fn dispatch_one(
        &self,
        event: &OutboxMessage,
        with_messages: bool,
    ) -> Result<bool, AppError> {
        let calendar = self.calendar();
        let config = self.inner.messaging.clone();
        let mail = self.mail_config().is_some();
        let now = self.now();
        let event = event.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if onewindow_store::delete_outbox_in(
                        &mut *conn,
                        std::slice::from_ref(&event.id),
                    )
                    .await?
                        == 0
                    {
                        return Ok(false);
                    }
                    if with_messages {
                        let writing = Writing {
                            config: &config,
                            calendar: &calendar,
                            mail,
                            now,
                        };
                        write_messages_for(&mut *conn, &writing, &event).await?;
                    }
                    Ok::<_, AppError>(true)
                })
            })
            .await
    }

    async fn dispatch_outbox_together(&self, limit: i64) -> Result<Vec<OutboxMessage>, AppError> {
        let calendar = self.calendar();
        let config = self.inner.messaging.clone();
        let mail = self.mail_config().is_some();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let taken = onewindow_store::take_outbox(&mut *conn, limit).await?;
                    let writing = Writing {
                        config: &config,
                        calendar: &calendar,
                        mail,
                        now,
                    };
                    for m in &taken {
                        write_messages_for(&mut *conn, &writing, m).await?;
                    }
                    Ok::<_, AppError>(taken)
                })
            })
            .await
    }

    /// Writes the messages of events a transport delivered (JetStream), all in one
    /// transaction; an event delivered again writes nothing new. Answers how many were new.
    pub async fn take_events(&self, events: Vec<OutboxMessage>) -> Result<u64, AppError> {
        if events.is_empty() {
            return Ok(0);
        }
        let calendar = self.calendar();
        let config = self.inner.messaging.clone();
        let mail = self.mail_config().is_some();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let writing = Writing {
                        config: &config,
                        calendar: &calendar,
                        mail,
                        now,
                    };
                    let mut written = 0;
                    for m in &events {
                        written += write_messages_for(&mut *conn, &writing, m).await?;
                    }
                    Ok::<_, AppError>(written)
                })
            })
            .await
    }

    /// One round of the sender: tries the SMS and e-mail that are due, up to 500, 32 at a
    /// time, and records each outcome (sent, again later, or given up) in one transaction.
    pub async fn send_due_messages(&self) -> Result<SendReport, AppError> {
        let now = self.now();
        let due = rows::due(self.store().readers(), now, SEND_BATCH).await?;
        if due.is_empty() {
            return Ok(SendReport::default());
        }
        let config = self.inner.messaging.clone();
        let relay = self
            .mail_config()
            .map(|c| (c.clone(), gateway::smtp_transport(c)));
        let tries = futures::stream::iter(due.into_iter().map(|m| {
            let config = config.clone();
            let relay = relay.clone();
            async move {
                let sent = match (m.channel, m.address.as_deref()) {
                    (MessageChannel::Sms, Some(phone)) => {
                        config.sms.send(&m.id, phone, &m.body).await
                    }
                    (MessageChannel::Email, Some(to)) => match &relay {
                        Some((mail, transport)) => {
                            gateway::send_mail(mail, transport, to, &m.subject, &m.body).await
                        }
                        None => Sent::Later("no SMTP relay on this node".into()),
                    },
                    _ => Sent::Refused("no address".into()),
                };
                (m, sent)
            }
        }))
        .buffer_unordered(SEND_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
        let now = self.now();
        let mut report = SendReport::default();
        let mut outcomes = Vec::with_capacity(tries.len());
        for (m, sent) in tries {
            let attempts = m.attempts + 1;
            let outcome = match sent {
                Sent::Taken => {
                    report.sent += 1;
                    TryOutcome {
                        id: m.id.clone(),
                        state: MessageState::Sent,
                        attempts,
                        next_attempt_at: None,
                        error: None,
                        sent_at: Some(now),
                    }
                }
                Sent::Later(error) => self.failed(&m, attempts, false, error, now, &mut report),
                Sent::Refused(error) => self.failed(&m, attempts, true, error, now, &mut report),
            };
            outcomes.push(outcome);
        }
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    rows::record_tries(&mut *conn, &outcomes).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(report)
    }

    fn failed(
        &self,
        m: &MessageRecord,
        attempts: u32,
        permanent: bool,
        error: String,
        now: DateTime<Utc>,
        report: &mut SendReport,
    ) -> TryOutcome {
        let to = mask_address(m.channel, m.address.as_deref());
        match self
            .inner
            .messaging
            .retry
            .after_failure(attempts, permanent, now)
        {
            AfterFailure::RetryAt(at) => {
                report.retried += 1;
                tracing::debug!(id = %m.id, to = %to, attempts, error = %error, "a message not sent; trying again later");
                TryOutcome {
                    id: m.id.clone(),
                    state: MessageState::Pending,
                    attempts,
                    next_attempt_at: Some(at),
                    error: Some(error),
                    sent_at: None,
                }
            }
            AfterFailure::GiveUp => {
                report.given_up += 1;
                tracing::warn!(id = %m.id, case = %m.case_number, centre = %m.centre, to = %to, attempts, error = %error, "giving up a message to an applicant; the hall is told on its monitor");
                TryOutcome {
                    id: m.id.clone(),
                    state: MessageState::GivenUp,
                    attempts,
                    next_attempt_at: None,
                    error: Some(error),
                    sent_at: None,
                }
            }
        }
    }

    /// The actor's own inbox, newest first.
    pub async fn my_messages(
        &self,
        actor: &Actor,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<InboxMessage>, AppError> {
        let limit = i64::from(limit.unwrap_or(50).clamp(1, 200));
        let readers = self.store().readers();
        let before = match cursor.as_deref() {
            Some(id) => {
                let m = rows::get(readers, id)
                    .await?
                    .filter(|m| m.user_id.as_deref() == Some(actor.principal.user_id.as_str()))
                    .ok_or_else(|| AppError::invalid("cursor", "not a message of your inbox"))?;
                Some((rows::stamp(m.created_at), m.id))
            }
            None => None,
        };
        let mut found = rows::inbox(
            readers,
            &actor.principal.user_id,
            before.as_ref().map(|(t, id)| (t.as_str(), id.as_str())),
            limit + 1,
        )
        .await?;
        let next_cursor = if found.len() as i64 > limit {
            found.truncate(limit as usize);
            found.last().map(|m| m.id.clone())
        } else {
            None
        };
        Ok(Page {
            items: found
                .into_iter()
                .map(|m| InboxMessage {
                    read: m.read_at.is_some(),
                    id: m.id,
                    case_id: m.case_id,
                    case_number: m.case_number,
                    kind: m.kind,
                    subject: m.subject,
                    body: m.body,
                    created_at: m.created_at,
                })
                .collect(),
            next_cursor,
        })
    }

    /// How many messages of the actor's inbox are unread.
    pub async fn unread_messages(&self, actor: &Actor) -> Result<i64, AppError> {
        Ok(rows::unread(self.store().readers(), &actor.principal.user_id).await?)
    }

    /// Marks a message of the actor's own inbox read.
    pub async fn mark_message_read(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let user = actor.principal.user_id.clone();
        let found = rows::get(self.store().readers(), id).await?.filter(|m| {
            m.channel == MessageChannel::Inbox && m.user_id.as_deref() == Some(user.as_str())
        });
        if found.is_none() {
            return Err(AppError::not_found(format!("message {id}")));
        }
        let id = id.to_string();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    rows::mark_read(&mut *conn, &user, &id, now).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// The messages of a case with their delivery state, for those who may see the case (the
    /// window, the department, the supervisors, the applicant); addresses masked.
    pub async fn case_messages(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<Vec<CaseMessage>, AppError> {
        let detail = self.case(actor, case_ref).await?;
        let case = &detail.case;
        let found = rows::of_case(self.store().readers(), &case.id).await?;
        let who = &actor.principal;
        // The case's window, its deciding department and the supervisors see every message; an
        // applicant, an agent, or a member department of a joint case only what was sent to
        // them.
        let serving = who.is_system()
            || who.has_role(Role::Supervisor)
            || who.centres_for(&[Role::Clerk]).any(|c| c == case.centre)
            || who
                .departments_for(&[Role::Reviewer, Role::Approver])
                .any(|d| d == case.department);
        let own = who.user_id.as_str();
        Ok(found
            .into_iter()
            .filter(|m| serving || m.user_id.as_deref() == Some(own))
            .map(CaseMessage::of)
            .collect())
    }

    /// The actor's choices of how they are told.
    pub async fn message_preferences(&self, actor: &Actor) -> Result<Preferences, AppError> {
        let id = actor.principal.user_id.clone();
        Ok(
            rows::preferences_of(self.store().readers(), std::slice::from_ref(&id))
                .await?
                .pop()
                .map(|(_, p)| p)
                .unwrap_or_default(),
        )
    }

    /// Keeps the actor's choices; the language must be one messages are written in.
    pub async fn set_message_preferences(
        &self,
        actor: &Actor,
        preferences: Preferences,
    ) -> Result<Preferences, AppError> {
        if actor.principal.is_system() {
            return Err(AppError::Forbidden("the system has no inbox".into()));
        }
        if !templates::LANGUAGES.contains(&preferences.language.as_str()) {
            return Err(AppError::invalid(
                "language",
                format!(
                    "messages are written in {}",
                    templates::LANGUAGES.join(" or ")
                ),
            ));
        }
        let user = actor.principal.user_id.clone();
        let now = self.now();
        let kept = preferences.clone();
        let entry = actor.entry(
            now,
            "messages.preferences",
            format!("user:{}", actor.principal.username),
            onewindow_domain::audit::Outcome::Success,
            format!(
                "sms {} · email {} · {}",
                kept.sms, kept.email, kept.language
            ),
        );
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    rows::set_preferences(&mut *conn, &user, &kept, now).await?;
                    onewindow_store::audit::append(&mut *conn, entry).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(preferences)
    }

    /// The messages given up, for the hall: a clerk sees their centres', a supervisor all.
    pub async fn undelivered_messages(&self, actor: &Actor) -> Result<Vec<CaseMessage>, AppError> {
        let who = &actor.principal;
        let centres: Option<Vec<String>> = if who.is_system() || who.has_role(Role::Supervisor) {
            None
        } else {
            let mine: Vec<String> = who.centres_for(&[Role::Clerk]).map(String::from).collect();
            if mine.is_empty() {
                return Err(AppError::Forbidden(
                    "undelivered messages are for the hall's clerks and the supervisors".into(),
                ));
            }
            Some(mine)
        };
        let found = rows::given_up(self.store().readers(), centres.as_deref(), 200).await?;
        Ok(found.into_iter().map(CaseMessage::of).collect())
    }

    /// The signed rating link a short code of an SMS invitation opens.
    pub async fn rating_invitation(
        &self,
        code: &str,
    ) -> Result<crate::evaluation::RatingLink, AppError> {
        let code = code.trim().to_ascii_uppercase();
        let now = self.now();
        let (case_id, expires_at) = rows::invitation(self.store().readers(), &code)
            .await?
            .ok_or_else(|| AppError::not_found("a rating invitation with this code"))?;
        if expires_at < now {
            return Err(AppError::Conflict(
                "this rating invitation has expired; rate from My cases instead".into(),
            ));
        }
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    crate::evaluation::signed_link_in(&mut *conn, &case_id, now).await
                })
            })
            .await
    }
}

/// Whether an actor may see the monitor card of undelivered messages.
pub fn sees_undelivered(who: &access::Principal) -> bool {
    who.has_role(Role::Supervisor) || who.centres_for(&[Role::Clerk]).next().is_some()
}

#[cfg(test)]
mod tests {
    //! E-mail to applicants through a fake SMTP relay: sent to the account's address, tried
    //! again while the relay is busy, sent once when it is back.

    use std::sync::Arc;

    use chrono::{Duration, NaiveDate};
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::case::{Applicant, ApplicantKind, Channel};

    use super::*;
    use crate::clock::ManualClock;
    use crate::mail::MailConfig;
    use crate::mail::tests::switchable_relay;
    use crate::service::SubmitCase;

    #[tokio::test]
    async fn an_applicant_with_an_address_is_mailed_and_a_busy_relay_is_tried_again() {
        let (port, got, busy) = switchable_relay().await;
        let dir = std::env::temp_dir().join(format!("onewindow-messages-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let clock = Arc::new(ManualClock::at_local_morning(
            NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        ));
        let mail = MailConfig::parse(&format!("smtp://127.0.0.1:{port}"), "onewindow@nh.gov.cn")
            .expect("mail config");
        let service = Service::new(store, Calendar::prc(), clock.clone(), "330226").with_mail(mail);
        service.seed_demo(0).await.expect("catalogue");
        service.seed_demo_accounts().await.expect("accounts");
        let mut user =
            onewindow_store::accounts::user_by_username(service.store().readers(), "enterprise")
                .await
                .expect("read")
                .expect("the demo enterprise");
        user.email = Some("qiye@example.cn".into());
        service
            .store()
            .write(move |conn| {
                Box::pin(async move { onewindow_store::accounts::update_user(conn, &user).await })
            })
            .await
            .expect("an address");
        let grant = service
            .login("enterprise", "qiye-demo-2026", "test")
            .await
            .expect("login");
        let enterprise = Actor::new(grant.principal, "test");
        let filed = service
            .submit_case(
                &enterprise,
                SubmitCase {
                    item_code: "1133022625630452684010401700100".into(),
                    applicant: Applicant {
                        kind: ApplicantKind::Enterprise,
                        name: "宁海县跃龙小吃有限公司".into(),
                        id_number: "91330226MA2DEMH01W".into(),
                        phone: None,
                    },
                    channel: Channel::Online,
                    centre: "county-hall".into(),
                    materials: vec!["M01".into(), "M02".into(), "M03".into(), "M04".into()],
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");

        // The relay is busy: the mail waits, tried again later, and the case shows why.
        busy.store(true, std::sync::atomic::Ordering::SeqCst);
        service.dispatch_outbox(100).await.expect("the outbox");
        let report = service.send_due_messages().await.expect("a round");
        assert_eq!(report.retried, 1, "{report:?}");
        let messages = service
            .case_messages(&enterprise, &filed.case.id)
            .await
            .expect("messages");
        let mail = messages
            .iter()
            .find(|m| m.channel == MessageChannel::Email)
            .expect("an e-mail");
        assert_eq!(mail.state, MessageState::Pending);
        assert_eq!(mail.to, "***@example.cn");
        assert!(got.lock().map(|g| g.is_empty()).unwrap_or(false));

        // Back: sent once, to the account's address.
        busy.store(false, std::sync::atomic::Ordering::SeqCst);
        clock.advance(Duration::seconds(20));
        let report = service.send_due_messages().await.expect("a round");
        assert_eq!(report.sent, 1, "{report:?}");
        let sent = got.lock().map(|g| g.clone()).unwrap_or_default();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "qiye@example.cn");
        assert!(sent[0].1.contains("To: qiye@example.cn"), "{}", sent[0].1);
        clock.advance(Duration::minutes(10));
        assert_eq!(service.send_due_messages().await.expect("a round").sent, 0);
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
