//! Messages to applicants (办件通知): which event of a case tells the applicant what, by which
//! channels it goes, and how a message the gateway could not take is tried again.
//!
//! The applicant never has to log in to learn that something happened: a receipt, a one-time
//! notice, an acceptance, a suspension or extension, the decision, the licence, the parcel and
//! the invitation to rate each become a [`Notice`]. The inbox on the applicant's pages (站内信)
//! always receives it; SMS and e-mail follow the applicant's choices ([`Preferences`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseEvent};

/// The working days the one-time notice gives the applicant to hand in everything it lists,
/// counted from the day after the notice. The law sets no period; this is the county's practice,
/// printed on the notice and told in the message. Nothing closes a case when it passes: the
/// window follows it up.
pub const SUPPLEMENT_PERIOD_DAYS: u32 = 20;

/// The last day to hand in the supplement asked for by a notice issued on `issued_on`.
pub fn supplement_deadline(
    calendar: &crate::calendar::Calendar,
    issued_on: NaiveDate,
) -> Result<NaiveDate, crate::calendar::CalendarError> {
    calendar.add_working_days(issued_on, SUPPLEMENT_PERIOD_DAYS)
}

/// What a message tells (通知类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 收件: the application was received.
    Received,
    /// 一次性告知: materials to supplement, all at once.
    SupplementRequested,
    /// 补正材料已收到
    SupplementReceived,
    /// 受理, with the promised date.
    Accepted,
    /// 不予受理, with the reason.
    NotAccepted,
    /// 中止 (the clock stopped), with the reason.
    Suspended,
    /// 延期, with the reason and the new date.
    Extended,
    /// 审批决定
    Decided,
    /// 证照已出: the result can be downloaded or collected.
    LicenceReady,
    /// 快递已寄出, with the courier and the waybill.
    ParcelSent,
    /// 评价邀请: a signed link to rate the service.
    RatingInvitation,
    /// 容缺提醒: a material promised at acceptance is due.
    PromiseReminder,
    /// 撤销许可: the approval was revoked (a commitment found false), with the reason.
    Revoked,
    /// 已撤回: the applicant's withdrawal, confirmed.
    Withdrawn,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 14] = [
        NoticeKind::Received,
        NoticeKind::SupplementRequested,
        NoticeKind::SupplementReceived,
        NoticeKind::Accepted,
        NoticeKind::NotAccepted,
        NoticeKind::Suspended,
        NoticeKind::Extended,
        NoticeKind::Decided,
        NoticeKind::LicenceReady,
        NoticeKind::ParcelSent,
        NoticeKind::RatingInvitation,
        NoticeKind::PromiseReminder,
        NoticeKind::Revoked,
        NoticeKind::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Received => "received",
            NoticeKind::SupplementRequested => "supplement_requested",
            NoticeKind::SupplementReceived => "supplement_received",
            NoticeKind::Accepted => "accepted",
            NoticeKind::NotAccepted => "not_accepted",
            NoticeKind::Suspended => "suspended",
            NoticeKind::Extended => "extended",
            NoticeKind::Decided => "decided",
            NoticeKind::LicenceReady => "licence_ready",
            NoticeKind::ParcelSent => "parcel_sent",
            NoticeKind::RatingInvitation => "rating_invitation",
            NoticeKind::PromiseReminder => "promise_reminder",
            NoticeKind::Revoked => "revoked",
            NoticeKind::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The placeholders a template of this kind may use; every case's message has `number`
    /// (the receipt number) and `item` (the item's name).
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::Received | NoticeKind::SupplementReceived => &["number", "item"],
            NoticeKind::SupplementRequested => {
                &["number", "item", "count", "missing", "note", "by"]
            }
            NoticeKind::Accepted => &["number", "item", "due_on"],
            NoticeKind::NotAccepted
            | NoticeKind::Suspended
            | NoticeKind::Revoked
            | NoticeKind::Withdrawn => &["number", "item", "reason"],
            NoticeKind::PromiseReminder => &["number", "item", "missing", "by"],
            NoticeKind::Extended => &["number", "item", "days", "due_on", "reason"],
            NoticeKind::Decided => &["number", "item", "outcome", "reason"],
            NoticeKind::LicenceReady => &["number", "item", "document"],
            NoticeKind::ParcelSent => &["number", "item", "courier", "waybill"],
            NoticeKind::RatingInvitation => &["number", "item", "link", "until"],
        }
    }

    /// The placeholders a short (SMS) template must use: enough for the applicant to know
    /// which case and what to do without opening anything (the rating link names its case).
    pub fn sms_placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::SupplementRequested => &["number", "count", "by"],
            NoticeKind::Accepted => &["number", "due_on"],
            NoticeKind::Extended => &["number", "due_on"],
            NoticeKind::Decided => &["number", "outcome"],
            NoticeKind::ParcelSent => &["number", "waybill"],
            NoticeKind::RatingInvitation => &["link"],
            NoticeKind::PromiseReminder => &["number", "by"],
            _ => &["number"],
        }
    }

    /// Placeholders of free text, whose length nobody bounds: never in an SMS, which must stay
    /// one message.
    pub const FREE_TEXT: [&'static str; 4] = ["item", "reason", "note", "missing"];

    /// Whether the kind goes by SMS at all: a supplement received is the applicant's own act,
    /// the inbox and mail tell it.
    pub fn by_sms(self) -> bool {
        !matches!(self, NoticeKind::SupplementReceived)
    }
}

/// One thing to tell the applicant of a case, with what its templates fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Received,
    SupplementRequested {
        /// Material keys, as the notice named them.
        missing: Vec<String>,
        note: String,
        /// The last day to hand them in ([`supplement_deadline`]).
        by: Option<NaiveDate>,
    },
    SupplementReceived,
    Accepted {
        due_on: Option<NaiveDate>,
    },
    NotAccepted {
        reason: String,
    },
    Suspended {
        reason: String,
    },
    Extended {
        working_days: u32,
        due_on: Option<NaiveDate>,
        reason: String,
    },
    Decided {
        approved: bool,
        reason: String,
    },
    LicenceReady {
        document_number: String,
    },
    ParcelSent {
        courier: String,
        waybill: String,
    },
    RatingInvitation {
        link: String,
        until: NaiveDate,
    },
    PromiseReminder {
        /// The material's key.
        material: String,
        by: NaiveDate,
    },
    Revoked {
        reason: String,
    },
    Withdrawn {
        reason: String,
    },
}

impl Notice {
    pub fn kind(&self) -> NoticeKind {
        match self {
            Notice::Received => NoticeKind::Received,
            Notice::SupplementRequested { .. } => NoticeKind::SupplementRequested,
            Notice::SupplementReceived => NoticeKind::SupplementReceived,
            Notice::Accepted { .. } => NoticeKind::Accepted,
            Notice::NotAccepted { .. } => NoticeKind::NotAccepted,
            Notice::Suspended { .. } => NoticeKind::Suspended,
            Notice::Extended { .. } => NoticeKind::Extended,
            Notice::Decided { .. } => NoticeKind::Decided,
            Notice::LicenceReady { .. } => NoticeKind::LicenceReady,
            Notice::ParcelSent { .. } => NoticeKind::ParcelSent,
            Notice::RatingInvitation { .. } => NoticeKind::RatingInvitation,
            Notice::PromiseReminder { .. } => NoticeKind::PromiseReminder,
            Notice::Revoked { .. } => NoticeKind::Revoked,
            Notice::Withdrawn { .. } => NoticeKind::Withdrawn,
        }
    }
}

/// What the events of one command tell the applicant of `case` (the case as the command left
/// it). Events the applicant has no use for (a review started, a department's task, a visit)
/// tell nothing; the internal steps of a joint case reach the applicant through the case's own
/// acceptance and decision.
pub fn notices_for(
    case: &Case,
    events: &[CaseEvent],
    due_on: Option<NaiveDate>,
    calendar: &crate::calendar::Calendar,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    for event in events {
        let notice = match event {
            CaseEvent::Submitted { .. } => Some(Notice::Received),
            CaseEvent::SupplementRequested { missing, note } => Some(Notice::SupplementRequested {
                missing: missing.clone(),
                note: note.clone(),
                by: case
                    .supplement_notices
                    .last()
                    .and_then(|n| supplement_deadline(calendar, n.issued_on).ok()),
            }),
            CaseEvent::SupplementProvided { .. } => Some(Notice::SupplementReceived),
            CaseEvent::Accepted {
                due_on: promised, ..
            } => Some(Notice::Accepted {
                due_on: promised.or(due_on),
            }),
            CaseEvent::Rejected { reason } => Some(Notice::NotAccepted {
                reason: reason.clone(),
            }),
            CaseEvent::Suspended { reason, .. } => Some(Notice::Suspended {
                reason: reason.clone(),
            }),
            CaseEvent::Extended {
                working_days,
                reason,
            } => Some(Notice::Extended {
                working_days: *working_days,
                due_on,
                reason: reason.clone(),
            }),
            CaseEvent::Decided { approved, reason } => Some(Notice::Decided {
                approved: *approved,
                reason: reason.clone(),
            }),
            CaseEvent::PromiseReminded { material } => case
                .promises
                .iter()
                .find(|p| p.key == *material)
                .map(|p| Notice::PromiseReminder {
                    material: material.clone(),
                    by: p.due_on,
                }),
            CaseEvent::DecisionRevoked { reason } => Some(Notice::Revoked {
                reason: reason.clone(),
            }),
            CaseEvent::Withdrawn { reason } => Some(Notice::Withdrawn {
                reason: reason.clone(),
            }),
            CaseEvent::ResultIssued { document_number }
                if case.decision.as_ref().is_some_and(|d| d.approved) =>
            {
                Some(Notice::LicenceReady {
                    document_number: document_number.clone(),
                })
            }
            _ => None,
        };
        notices.extend(notice);
    }
    notices
}

/// A way a message reaches the applicant (通知渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// 站内信: always written.
    Inbox,
    Sms,
    Email,
}

impl MessageChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageChannel::Inbox => "inbox",
            MessageChannel::Sms => "sms",
            MessageChannel::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<MessageChannel> {
        [
            MessageChannel::Inbox,
            MessageChannel::Sms,
            MessageChannel::Email,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// An account's choices of how it is told (通知偏好). SMS and e-mail are on until the applicant
/// turns them off; the inbox cannot be turned off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    pub sms: bool,
    pub email: bool,
    /// The language of the messages (`zh-CN` or `en`).
    pub language: String,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            sms: true,
            email: true,
            language: "zh-CN".into(),
        }
    }
}

/// An account a case belongs to, as far as telling it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user_id: String,
    /// True for the applicant's own account (its identity is the case's applicant); false for
    /// the agent (or other account) that filed the case.
    pub is_applicant: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferences: Preferences,
}

/// One message to write: a channel, the account (none for an SMS to a walk-in applicant
/// without an account), the address and the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    pub channel: MessageChannel,
    pub user_id: Option<String>,
    /// The phone number or e-mail address; none for the inbox.
    pub address: Option<String>,
    pub language: String,
}

/// Who is told of a `kind` notice of a case, and how: every owning account in its inbox; one
/// SMS to the phone the application gave (or, without one, the applicant's account's phone),
/// unless the applicant (or, without an applicant account, the filer) turned SMS off; an
/// e-mail to each owning account with an address that did not turn e-mail off.
pub fn address(kind: NoticeKind, case_phone: Option<&str>, owners: &[Owner]) -> Vec<Addressed> {
    let mut out: Vec<Addressed> = owners
        .iter()
        .map(|o| Addressed {
            channel: MessageChannel::Inbox,
            user_id: Some(o.user_id.clone()),
            address: None,
            language: o.preferences.language.clone(),
        })
        .collect();
    // The account that speaks for the phone: the applicant's own, else the filer.
    let speaker = owners
        .iter()
        .find(|o| o.is_applicant)
        .or_else(|| owners.first());
    let phone = case_phone
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .or_else(|| speaker.and_then(|o| o.phone.clone()));
    let sms_on = speaker.is_none_or(|o| o.preferences.sms);
    if kind.by_sms()
        && sms_on
        && let Some(phone) = phone
    {
        out.push(Addressed {
            channel: MessageChannel::Sms,
            user_id: speaker.map(|o| o.user_id.clone()),
            address: Some(phone),
            language: speaker.map_or_else(
                || Preferences::default().language,
                |o| o.preferences.language.clone(),
            ),
        });
    }
    for o in owners {
        if let Some(email) = o.email.as_ref().filter(|e| !e.trim().is_empty())
            && o.preferences.email
        {
            out.push(Addressed {
                channel: MessageChannel::Email,
                user_id: Some(o.user_id.clone()),
                address: Some(email.trim().to_string()),
                language: o.preferences.language.clone(),
            });
        }
    }
    out
}

/// The id of one message: the event it tells of, the channel and the recipient (the account; the
/// SMS of an event is one). A redelivered event makes the same ids, so a message is written once
/// however often its event arrives.
pub fn message_id(event_id: &str, index: usize, addressed: &Addressed) -> String {
    // An event makes at most one SMS: keyed without the account that speaks for the phone, so
    // an account opened between two deliveries of the event does not make a second SMS.
    let recipient = match addressed.channel {
        MessageChannel::Sms => "-",
        _ => addressed.user_id.as_deref().unwrap_or("-"),
    };
    format!(
        "{event_id}:{index}:{}:{recipient}",
        addressed.channel.as_str()
    )
}

/// The state of one message (发送状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting for the gateway (first try or a retry).
    Pending,
    /// The gateway or relay took it (SMS, e-mail), or it is in the inbox.
    Sent,
    /// Tried as often as the policy allows, or refused for good; the hall is told.
    GivenUp,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Sent => "sent",
            MessageState::GivenUp => "given_up",
        }
    }

    pub fn parse(text: &str) -> Option<MessageState> {
        [
            MessageState::Pending,
            MessageState::Sent,
            MessageState::GivenUp,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// How a message the gateway did not take is tried again (重发策略): after `first_delay`,
/// doubling up to `max_delay`, `max_attempts` tries in all. The defaults try for well over an
/// hour, so a gateway down for ten minutes loses nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub first_delay_seconds: u32,
    pub max_delay_seconds: u32,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay_seconds: 15,
            max_delay_seconds: 300,
            max_attempts: 20,
        }
    }
}

/// What becomes of a message after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

impl RetryPolicy {
    /// After the `attempts`-th failed try (1 for the first) at `now`; a permanent refusal (the
    /// gateway says the number or the text is wrong) is given up at once.
    pub fn after_failure(self, attempts: u32, permanent: bool, now: DateTime<Utc>) -> AfterFailure {
        if permanent || attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doubling = attempts.saturating_sub(1).min(20);
        let delay = u64::from(self.first_delay_seconds)
            .saturating_mul(1u64 << doubling)
            .min(u64::from(self.max_delay_seconds));
        AfterFailure::RetryAt(now + Duration::seconds(delay as i64))
    }

    /// How long, in seconds, the policy keeps trying a message that always fails.
    pub fn patience_seconds(self) -> u64 {
        (1..self.max_attempts)
            .map(|a| {
                u64::from(self.first_delay_seconds)
                    .saturating_mul(1u64 << a.saturating_sub(1).min(20))
                    .min(u64::from(self.max_delay_seconds))
            })
            .sum()
    }
}

/// How many SMS parts a text takes: 70 characters in one part of UCS-2 (any Chinese), 160 in
/// GSM's 7-bit alphabet (plain ASCII here), and 67 / 153 per part of a longer text.
pub fn sms_parts(text: &str) -> u32 {
    let chars = text.chars().count() as u32;
    let ascii = text.is_ascii();
    let (single, part) = if ascii { (160, 153) } else { (70, 67) };
    if chars <= single {
        1
    } else {
        chars.div_ceil(part)
    }
}

/// A phone number as logs may show it: the last four digits only.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("*******{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn owner(id: &str, is_applicant: bool) -> Owner {
        Owner {
            user_id: id.into(),
            is_applicant,
            phone: Some("13800000000".into()),
            email: Some(format!("{id}@example.cn")),
            preferences: Preferences::default(),
        }
    }

    #[test]
    fn every_owner_has_the_message_in_the_inbox_and_the_phone_one_sms() {
        let owners = [owner("agent", false), owner("self", true)];
        let out = address(NoticeKind::Accepted, Some("13900000001"), &owners);
        let inbox: Vec<_> = out
            .iter()
            .filter(|a| a.channel == MessageChannel::Inbox)
            .collect();
        assert_eq!(inbox.len(), 2);
        let sms: Vec<_> = out
            .iter()
            .filter(|a| a.channel == MessageChannel::Sms)
            .collect();
        assert_eq!(sms.len(), 1);
        assert_eq!(sms[0].address.as_deref(), Some("13900000001"));
        assert_eq!(sms[0].user_id.as_deref(), Some("self"));
        assert_eq!(
            out.iter()
                .filter(|a| a.channel == MessageChannel::Email)
                .count(),
            2
        );
    }

    #[test]
    fn the_applicant_who_turned_sms_off_gets_none_even_when_an_agent_filed() {
        let mut me = owner("self", true);
        me.preferences.sms = false;
        me.preferences.email = false;
        let out = address(
            NoticeKind::Decided,
            Some("13900000001"),
            &[owner("agent", false), me],
        );
        assert!(out.iter().all(|a| a.channel != MessageChannel::Sms));
        assert_eq!(
            out.iter()
                .filter(|a| a.channel == MessageChannel::Email)
                .count(),
            1
        );
    }

    #[test]
    fn a_walk_in_applicant_without_an_account_is_told_by_sms_only() {
        let out = address(NoticeKind::Received, Some("13900000001"), &[]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].channel, MessageChannel::Sms);
        assert_eq!(out[0].user_id, None);
        assert!(address(NoticeKind::Received, None, &[]).is_empty());
        assert!(address(NoticeKind::SupplementReceived, Some("139"), &[]).is_empty());
    }

    #[test]
    fn without_a_phone_on_the_case_the_account_phone_is_used() {
        let out = address(NoticeKind::Received, None, &[owner("self", true)]);
        let sms = out
            .iter()
            .find(|a| a.channel == MessageChannel::Sms)
            .expect("an sms");
        assert_eq!(sms.address.as_deref(), Some("13800000000"));
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a time");
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.after_failure(1, false, now),
            AfterFailure::RetryAt(now + Duration::seconds(15))
        );
        assert_eq!(
            policy.after_failure(2, false, now),
            AfterFailure::RetryAt(now + Duration::seconds(30))
        );
        assert_eq!(
            policy.after_failure(10, false, now),
            AfterFailure::RetryAt(now + Duration::seconds(300))
        );
        assert_eq!(policy.after_failure(20, false, now), AfterFailure::GiveUp);
        assert_eq!(policy.after_failure(1, true, now), AfterFailure::GiveUp);
        // A ten-minute outage is well inside the policy's patience.
        assert!(policy.patience_seconds() > 3_600);
    }

    #[test]
    fn sms_parts_count_chinese_and_ascii_texts() {
        assert_eq!(sms_parts(&"办".repeat(70)), 1);
        assert_eq!(sms_parts(&"办".repeat(71)), 2);
        assert_eq!(sms_parts(&"a".repeat(160)), 1);
        assert_eq!(sms_parts(&"a".repeat(161)), 2);
        assert_eq!(sms_parts(&"a".repeat(306)), 2);
    }

    #[test]
    fn phones_are_masked_to_their_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "*******5678");
        assert_eq!(mask_phone("12"), "*******12");
    }

    #[test]
    fn every_kind_round_trips_and_its_sms_placeholders_are_among_its_own() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
            for p in kind.sms_placeholders() {
                assert!(kind.placeholders().contains(p), "{kind:?} {p}");
            }
        }
    }

    proptest! {
        #[test]
        fn the_inbox_always_has_one_message_per_owner_and_at_most_one_sms(
            flags in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()), 0..5),
            case_phone in proptest::option::of("1[3-9][0-9]{9}"),
            kind in proptest::sample::select(NoticeKind::ALL.to_vec()),
        ) {
            let owners: Vec<Owner> = flags.iter().enumerate().map(|(i, (applicant, sms, email, phone))| Owner {
                user_id: format!("u{i}"),
                is_applicant: *applicant,
                phone: phone.then(|| "13700000000".to_string()),
                email: Some(format!("u{i}@example.cn")),
                preferences: Preferences { sms: *sms, email: *email, language: "zh-CN".into() },
            }).collect();
            let out = address(kind, case_phone.as_deref(), &owners);
            let inbox = out.iter().filter(|a| a.channel == MessageChannel::Inbox).count();
            prop_assert_eq!(inbox, owners.len());
            let sms: Vec<_> = out.iter().filter(|a| a.channel == MessageChannel::Sms).collect();
            prop_assert!(sms.len() <= 1);
            if !sms.is_empty() {
                prop_assert!(kind.by_sms());
                let speaker = owners.iter().find(|o| o.is_applicant).or(owners.first());
                prop_assert!(speaker.is_none_or(|o| o.preferences.sms));
            }
            let emails = out.iter().filter(|a| a.channel == MessageChannel::Email).count();
            prop_assert_eq!(emails, owners.iter().filter(|o| o.preferences.email).count());
            // Ids are distinct within one event.
            let mut ids: Vec<String> = out.iter().map(|a| message_id("e", 0, a)).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), out.len());
        }

        #[test]
        fn retry_delays_never_shrink_and_stay_under_the_cap(attempts in 1u32..19) {
            let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a time");
            let policy = RetryPolicy::default();
            let at = |a| match policy.after_failure(a, false, now) {
                AfterFailure::RetryAt(t) => t,
                AfterFailure::GiveUp => now,
            };
            prop_assert!(at(attempts + 1) >= at(attempts) || attempts + 1 >= policy.max_attempts);
            prop_assert!(at(attempts) <= now + Duration::seconds(i64::from(policy.max_delay_seconds)));
        }
    }
}
