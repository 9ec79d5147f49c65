//! A case (办件): one application for one item, from receipt to closing.
//!
//! `decide` is the whole state machine: given the current case, a command and the context
//! (who, when, the calendar), it returns the events to append or the reason it refuses.
//! `apply` folds an event into the case. Both are pure, so the same rules hold for the window,
//! the API, the background jobs and the tests.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bundle::{BundlePlan, JOINT_MAX_EXTENSION_DAYS};
use crate::calendar::{Calendar, CalendarError};
use crate::catalogue::{Necessity, PublishedItem};
use crate::circulation::{Circulation, TaskEvent};
use crate::clock::{CaseClock, Suspension, SuspensionKind, notice_deadline};
pub use crate::hall::VisitException;
use crate::tolerance::{BrokenPromiseRule, Commitment, MaterialPromise, PromiseRequest};
use crate::validation::{
    CODE_MAX_CHARS, FieldError, NAME_MAX_CHARS, PHONE_MAX_CHARS, TEXT_MAX_CHARS, check_text,
    text_problem,
};

/// Longest extension one decision may grant (art. 42: 20 working days + 10 with the head's approval).
pub const MAX_EXTENSION_DAYS: u32 = 10;

/// Where a case stands (办件状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已收件: received, not yet examined.
    Submitted,
    /// 预审中: materials being checked before acceptance.
    PreReview,
    /// 待补正: the one-time notice was sent; waiting for the applicant.
    SupplementRequested,
    /// 已受理
    Accepted,
    /// 不予受理
    Rejected,
    /// 审查中
    InReview,
    /// 挂起: the clock is stopped.
    Suspended,
    /// 准予许可
    Approved,
    /// 不予许可
    Denied,
    /// 已出证
    ResultIssued,
    /// 已送达
    Delivered,
    /// 已办结
    Closed,
    /// 已撤回: the applicant withdrew the application before the decision; the clock stopped.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 13] = [
        Status::Submitted,
        Status::PreReview,
        Status::SupplementRequested,
        Status::Accepted,
        Status::Rejected,
        Status::InReview,
        Status::Suspended,
        Status::Approved,
        Status::Denied,
        Status::ResultIssued,
        Status::Delivered,
        Status::Closed,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::PreReview => "pre_review",
            Status::SupplementRequested => "supplement_requested",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::InReview => "in_review",
            Status::Suspended => "suspended",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::ResultIssued => "result_issued",
            Status::Delivered => "delivered",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// States in which the promised clock is running or stopped (the case is being handled).
    pub fn is_on_clock(self) -> bool {
        matches!(
            self,
            Status::Accepted | Status::InReview | Status::Suspended
        )
    }

    /// States before acceptance.
    pub fn is_before_acceptance(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::PreReview | Status::SupplementRequested
        )
    }

    /// The actions a user may take on a case in this state, in the order a clerk meets them.
    pub fn allowed_actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Status::Submitted => &[
                StartPreReview,
                RequestSupplement,
                Accept,
                Reject,
                RecordVisit,
                Withdraw,
            ],
            Status::PreReview => &[RequestSupplement, Accept, Reject, RecordVisit, Withdraw],
            Status::SupplementRequested => &[ProvideSupplement, Reject, RecordVisit, Withdraw],
            Status::Accepted => &[
                StartReview,
                Propose,
                Decide,
                Suspend,
                Extend,
                ProvideSupplement,
                CheckCommitment,
                RecordVisit,
                Withdraw,
            ],
            Status::InReview => &[
                RequestSupplement,
                Suspend,
                Extend,
                Propose,
                Decide,
                ProvideSupplement,
                CheckCommitment,
                RecordVisit,
                Withdraw,
            ],
            Status::Suspended => &[
                Resume,
                ProvideSupplement,
                Extend,
                CheckCommitment,
                RecordVisit,
                Withdraw,
            ],
            Status::Approved | Status::Denied => &[IssueResult, CheckCommitment, RecordVisit],
            Status::ResultIssued => &[Deliver, CheckCommitment, RecordVisit],
            Status::Delivered => &[Close, CheckCommitment, RecordVisit],
            Status::Rejected => &[Close, RecordVisit],
            // A commitment is checked after the decision, often after the case is closed.
            Status::Closed => &[CheckCommitment],
            Status::Withdrawn => &[],
        }
    }
}

/// The name of a user action, as it appears in URLs and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    StartPreReview,
    RequestSupplement,
    ProvideSupplement,
    Accept,
    Reject,
    StartReview,
    Suspend,
    Resume,
    Extend,
    /// The reviewer's opinion and proposed decision (审查意见, 拟办意见) for the approver.
    Propose,
    Decide,
    IssueResult,
    Deliver,
    Close,
    RecordVisit,
    /// The department's check of a commitment signed instead of a material (承诺核查).
    CheckCommitment,
    /// The applicant withdraws the application before the decision (撤回申请).
    Withdraw,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::StartPreReview => "start-pre-review",
            Action::RequestSupplement => "request-supplement",
            Action::ProvideSupplement => "provide-supplement",
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::StartReview => "start-review",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Extend => "extend",
            Action::Propose => "propose",
            Action::Decide => "decide",
            Action::IssueResult => "issue-result",
            Action::Deliver => "deliver",
            Action::Close => "close",
            Action::RecordVisit => "record-visit",
            Action::CheckCommitment => "check-commitment",
            Action::Withdraw => "withdraw",
        }
    }
}

/// How an application reached the centre (受理渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Window,
    Online,
    Mobile,
    Township,
    Village,
    Agent,
}

impl Channel {
    /// Filed by a clerk with the applicant in front of them (at the hall, a township centre or
    /// a village point), not online or by an agent.
    pub fn is_in_person(self) -> bool {
        matches!(self, Channel::Window | Channel::Township | Channel::Village)
    }

    /// The channel of an application a clerk files at the counter of a centre of `level`.
    pub fn at_counter_of(level: crate::catalogue::Level) -> Channel {
        match level {
            crate::catalogue::Level::County => Channel::Window,
            crate::catalogue::Level::Township => Channel::Township,
            crate::catalogue::Level::Village => Channel::Village,
        }
    }

    pub const ALL: [Channel; 6] = [
        Channel::Window,
        Channel::Online,
        Channel::Mobile,
        Channel::Township,
        Channel::Village,
        Channel::Agent,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Window => "window",
            Channel::Online => "online",
            Channel::Mobile => "mobile",
            Channel::Township => "township",
            Channel::Village => "village",
            Channel::Agent => "agent",
        }
    }
}

/// Whether the applicant is a natural person (自然人) or a legal person (法人).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    Person,
    Enterprise,
}

/// Who applies. The identifier is a resident identity number for a person and a unified social
/// credit code for an enterprise; the web edge parses it before it reaches here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Applicant {
    pub kind: ApplicantKind,
    pub name: String,
    pub id_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// How a result reaches the applicant (送达方式).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// 窗口领取: who took it, as the clerk checked their identity document. Absent on cases
    /// delivered before the check was recorded.
    Pickup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collected_by: Option<Collector>,
    },
    /// 快递送达
    Express {
        address: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracking_number: Option<String>,
    },
    /// 网上下载
    Online,
}

/// Who took a result at the window (领取人), as the clerk checked the identity document: the
/// holder in person, or a person the holder authorised, with the authorisation shown
/// (授权委托书). In a command the identity number is in full, to be checked; the case keeps it
/// masked (the first four and last four characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collector {
    pub name: String,
    /// A resident identity number (居民身份证号码).
    pub id_number: String,
    /// True for a person the holder authorised; false for the holder in person.
    #[serde(default)]
    pub authorised: bool,
    /// The authorisation shown (its date, number or description); required when authorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation: Option<String>,
}

impl Collector {
    /// The collector as the case keeps it, once checked against the `applicant`: an enterprise's
    /// result is taken by an authorised person; the holder in person shows the applicant's own
    /// identity document.
    pub fn checked(&self, applicant: &Applicant) -> Result<Collector, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(
                "collected_by.name",
                "the name on the identity document",
            ));
        }
        check_text(
            &mut errors,
            "collected_by.name",
            name,
            NAME_MAX_CHARS,
            false,
        );
        let id = match crate::identifiers::ResidentIdNumber::parse(&self.id_number) {
            Ok(id) => Some(id.as_str().to_string()),
            Err(e) => {
                errors.push(FieldError::new("collected_by.id_number", e.to_string()));
                None
            }
        };
        let authorisation = self
            .authorisation
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if self.authorised {
            match authorisation {
                None => errors.push(FieldError::new(
                    "collected_by.authorisation",
                    "an authorised person shows the holder's authorisation (授权委托书): say which",
                )),
                Some(a) => check_text(
                    &mut errors,
                    "collected_by.authorisation",
                    a,
                    TEXT_MAX_CHARS,
                    false,
                ),
            }
        } else if applicant.kind == ApplicantKind::Enterprise {
            errors.push(FieldError::new(
                "collected_by.authorised",
                "an enterprise's result is taken by a person it authorised, with the authorisation",
            ));
        } else if id
            .as_deref()
            .is_some_and(|id| !id.eq_ignore_ascii_case(&applicant.id_number))
            || (!name.is_empty() && name != applicant.name.trim())
        {
            errors.push(FieldError::new(
                "collected_by.authorised",
                "the identity document is not the applicant's: the holder in person, or a person they authorised with the authorisation",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Collector {
            name: name.to_string(),
            id_number: mask_identity(id.as_deref().unwrap_or_default()),
            authorised: self.authorised,
            authorisation: if self.authorised {
                authorisation.map(str::to_string)
            } else {
                None
            },
        })
    }
}

/// An identity number as a record keeps it once checked: the first four and the last four
/// characters.
fn mask_identity(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// The one-time supplement notice (一次性告知书): everything missing, in one notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplementNotice {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: NaiveDate,
    pub missing: Vec<String>,
    pub note: String,
    /// True when it was sent during review (the clock stopped) rather than before acceptance.
    pub during_review: bool,
}

/// One appearance of the applicant in person (a queue ticket, a window check-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub at: DateTime<Utc>,
    pub purpose: String,
    /// Why a visit beyond the first was needed; required for every visit after the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_visit_reason: Option<String>,
    /// The hall's ticket it was recorded from, when served at a window (the usual way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Why it was typed in instead (补录): a home visit or a day without the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<VisitException>,
}

/// The decision (审批决定).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub approved: bool,
    pub reason: String,
    pub decided_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub decided_on: NaiveDate,
    /// True when the approver decided against the reviewer's proposal (its `reason` says why).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overruled: bool,
}

/// The reviewer's opinion and proposed decision (审查意见 / 拟办意见), which the approver sees
/// and agrees with or overrules with a reason: the middle link of 受理 → 审查 → 决定.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// True to propose approval (拟同意), false to propose refusal (拟不予许可).
    pub approve: bool,
    pub opinion: String,
    pub proposed_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub proposed_on: NaiveDate,
}

/// A material taken from an earlier approval of the same project instead of from the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReusedMaterial {
    /// The material's key in this case.
    pub key: String,
    pub name: String,
    /// The licence or opinion it is, with its number.
    pub document: String,
    /// The approval (item name) that issued it.
    pub issued_by: String,
}

/// A material taken from the applicant's own electronic licence (免证办, shown as 已调取) instead
/// of from the applicant: what the reviewer relies on is the licence as it stood at filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakenLicence {
    /// The material's key in this case.
    pub key: String,
    /// The material's name in the catalogue.
    pub name: String,
    /// The licence's identifier (电子证照标识).
    pub licence_id: String,
    pub licence_type: String,
    /// The licence number as printed.
    pub number: String,
    /// The authority that issued it.
    pub issuer_name: String,
    /// Its state on the day of filing (always valid: nothing else is taken).
    pub state_at_filing: String,
    /// Its last valid day, if it has one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

/// A result an earlier approval of a project issued, or a report an intermediary firm delivered
/// and the owner accepted: what it is, its number, which approval or service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedResult {
    pub licence_type: String,
    pub document: String,
    pub item_name: String,
    /// An intermediary's report: it stands only for a material the catalogue says an
    /// intermediary provides (a report's name is also inside the name of the form that files it,
    /// 《地质灾害危险性评估报告备案申请表》, which the applicant still fills in).
    pub from_intermediary: bool,
}

impl IssuedResult {
    /// Whether this result is the material `material`.
    pub fn provides(&self, material: &crate::catalogue::Material) -> bool {
        !self.licence_type.is_empty()
            && material.name.contains(&self.licence_type)
            && (!self.from_intermediary
                || material.source == crate::catalogue::MaterialSource::Intermediary)
    }
}

/// The demanded materials of `item` that results the project already holds provide: a material
/// whose name names an issued licence or an accepted intermediary report is not asked for (the
/// apply page leaves it out; filing takes it).
pub fn reusable_materials(item: &PublishedItem, results: &[IssuedResult]) -> Vec<ReusedMaterial> {
    item.item
        .demanded_materials()
        .filter_map(|material| {
            let result = results.iter().find(|r| r.provides(material))?;
            Some(ReusedMaterial {
                key: material.key.clone(),
                name: material.name.clone(),
                document: result.document.clone(),
                issued_by: result.item_name.clone(),
            })
        })
        .collect()
}

/// The data an application carries when it is received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub applicant: Applicant,
    pub channel: Channel,
    /// The service centre that received it.
    pub centre: String,
    /// Keys of the item's materials handed in with the application.
    pub materials: Vec<String>,
    /// The account of the public (applicant or agent) that filed it; `None` when a clerk filed it.
    pub filed_by: Option<String>,
    /// Keys of the materials marked 可承诺 for which the applicant signs the item's commitment
    /// instead of handing them in (告知承诺制).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<String>,
}

/// A case and everything needed to decide its next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: String,
    /// The receipt number shown to the applicant.
    pub number: String,
    pub item_code: String,
    /// The catalogue version the case is bound to.
    pub item_version: u32,
    pub item_name: String,
    pub department: String,
    pub promised_days: u32,
    /// Material keys the item demanded at receipt.
    pub required_materials: Vec<String>,
    pub applicant: Applicant,
    pub channel: Channel,
    pub centre: String,
    /// The account of the public that filed the case (an applicant or an agent), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_by: Option<String>,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub received_on: NaiveDate,
    pub provided_materials: BTreeSet<String>,
    pub supplement_notices: Vec<SupplementNotice>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub accepted_on: Option<NaiveDate>,
    pub accepted_by: Option<String>,
    /// Accepted by law because no notice was sent within the notice period (art. 32).
    pub deemed_accepted: bool,
    pub clock: Option<CaseClock>,
    pub extension_reason: Option<String>,
    pub rejection_reason: Option<String>,
    /// The day the case was refused at acceptance (不予受理).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_on: Option<NaiveDate>,
    /// The approver decides only on a reviewer's proposal; false for the immediate items the
    /// county lets the approver decide on the spot, for joint cases (decided in their tasks) and
    /// for cases filed before the rule.
    #[serde(default)]
    pub proposal_required: bool,
    /// The reviewer's latest proposal; a later one replaces it until the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Proposal>,
    pub decision: Option<Decision>,
    pub result_document: Option<String>,
    pub delivery: Option<DeliveryMethod>,
    /// The day the result was delivered (送达日期); absent on cases delivered before it was kept.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_on: Option<NaiveDate>,
    pub visits: Vec<Visit>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub closed_on: Option<NaiveDate>,
    /// The internal circulation of a joint case (a bundle); `None` for a single item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circulation: Option<Circulation>,
    /// The investment project the case is filed under (投资项目代码), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_code: Option<String>,
    /// Materials the applicant did not hand in because an earlier approval of the same project
    /// issued them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reused_materials: Vec<ReusedMaterial>,
    /// Materials taken from the applicant's valid electronic licences (免证办).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taken_licences: Vec<TakenLicence>,
    /// Demanded materials the item tolerates missing at acceptance on a promise (容缺).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerable_materials: Vec<String>,
    /// The promises the case was accepted on (容缺承诺).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promises: Vec<MaterialPromise>,
    /// The commitments signed instead of materials (告知承诺).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<Commitment>,
    /// The approval revoked because a commitment proved false (撤销许可).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<Revocation>,
    /// The application withdrawn by the applicant before the decision (撤回).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
    /// Filed under an item the system approves at filing (秒批), as the item stood then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_approval: bool,
    /// Bumped by every event; commands carry the version they were based on.
    pub version: u64,
}

/// An approval revoked after the decision (撤销): why, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    pub reason: String,
    pub revoked_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub revoked_on: NaiveDate,
}

/// The reason recorded with an automatic approval (秒批).
pub const AUTO_APPROVAL_REASON: &str = "秒批：材料齐全，符合条件，系统自动准予";

/// An application withdrawn before the decision (撤回申请): why, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withdrawal {
    pub reason: String,
    pub withdrawn_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub withdrawn_on: NaiveDate,
}

/// Something that happened to a case. Events are the case's history; the case is their fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEvent {
    Submitted {
        materials: Vec<String>,
    },
    PreReviewStarted,
    SupplementRequested {
        missing: Vec<String>,
        note: String,
    },
    SupplementProvided {
        materials: Vec<String>,
    },
    Accepted {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        accepted_on: NaiveDate,
        deemed: bool,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        due_on: Option<NaiveDate>,
        /// Tolerated materials accepted missing, each with the day promised (容缺受理).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        promises: Vec<PromiseRequest>,
        /// The last day of the department's check of the commitments signed, if any.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_check_due_on: Option<NaiveDate>,
    },
    Rejected {
        reason: String,
    },
    ReviewStarted,
    Suspended {
        kind: SuspensionKind,
        reason: String,
    },
    Resumed,
    Extended {
        working_days: u32,
        reason: String,
    },
    Proposed {
        approve: bool,
        opinion: String,
    },
    Decided {
        approved: bool,
        reason: String,
    },
    ResultIssued {
        document_number: String,
    },
    Delivered {
        method: DeliveryMethod,
    },
    Closed,
    VisitRecorded {
        purpose: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra_visit_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exception: Option<VisitException>,
    },
    /// The applicant was reminded of a promised material (容缺提醒).
    PromiseReminded {
        material: String,
    },
    /// The promised day passed without the material; the county's rule follows in the next
    /// event of the same command.
    PromiseBroken {
        material: String,
        rule: BrokenPromiseRule,
    },
    /// The department checked a commitment (承诺核查).
    CommitmentChecked {
        material: String,
        truthful: bool,
        note: String,
    },
    /// The approval was revoked (撤销许可), with the licence it issued.
    DecisionRevoked {
        reason: String,
    },
    /// The applicant withdrew the application (撤回).
    Withdrawn {
        reason: String,
    },
    /// Something happened to one department's task of a joint case.
    Task {
        task: String,
        event: TaskEvent,
    },
    /// The State Council's holiday notice of `notice_year` was loaded and moved the deadline,
    /// which was counted on the provisional calendar until then (预计): the case's and its
    /// department tasks' due days before and after.
    DeadlineRecomputed {
        notice_year: i32,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        previous: Option<NaiveDate>,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        due_on: Option<NaiveDate>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tasks: Vec<TaskDeadline>,
    },
}

/// A department task's due day moved by a holiday notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDeadline {
    pub task: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub previous: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<NaiveDate>,
}

impl TaskDeadline {
    /// True when the department has less time than it was told.
    pub fn moved_earlier(&self) -> bool {
        matches!((self.previous, self.due_on), (Some(before), Some(after)) if after < before)
    }
}

impl CaseEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            CaseEvent::Submitted { .. } => "submitted",
            CaseEvent::PreReviewStarted => "pre_review_started",
            CaseEvent::SupplementRequested { .. } => "supplement_requested",
            CaseEvent::SupplementProvided { .. } => "supplement_provided",
            CaseEvent::Accepted { .. } => "accepted",
            CaseEvent::Rejected { .. } => "rejected",
            CaseEvent::ReviewStarted => "review_started",
            CaseEvent::Suspended { .. } => "suspended",
            CaseEvent::Resumed => "resumed",
            CaseEvent::Extended { .. } => "extended",
            CaseEvent::Proposed { .. } => "proposed",
            CaseEvent::Decided { .. } => "decided",
            CaseEvent::ResultIssued { .. } => "result_issued",
            CaseEvent::Delivered { .. } => "delivered",
            CaseEvent::Closed => "closed",
            CaseEvent::VisitRecorded { .. } => "visit_recorded",
            CaseEvent::PromiseReminded { .. } => "promise_reminded",
            CaseEvent::PromiseBroken { .. } => "promise_broken",
            CaseEvent::CommitmentChecked { .. } => "commitment_checked",
            CaseEvent::DecisionRevoked { .. } => "decision_revoked",
            CaseEvent::Withdrawn { .. } => "withdrawn",
            CaseEvent::Task { event, .. } => event.kind(),
            CaseEvent::DeadlineRecomputed { .. } => "deadline_recomputed",
        }
    }
}

/// A user's (or the system's) request to move a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum CaseCommand {
    StartPreReview,
    RequestSupplement {
        missing: Vec<String>,
        note: String,
    },
    ProvideSupplement {
        materials: Vec<String>,
    },
    Accept,
    /// Accepts with tolerated materials missing, each promised by a day (容缺受理).
    AcceptWithPromises {
        promises: Vec<PromiseRequest>,
    },
    Reject {
        reason: String,
    },
    StartReview,
    Suspend {
        kind: SuspensionKind,
        reason: String,
    },
    Resume,
    Extend {
        working_days: u32,
        reason: String,
    },
    /// The reviewer's opinion and proposed decision.
    Propose {
        approve: bool,
        opinion: String,
    },
    Decide {
        approve: bool,
        reason: String,
    },
    IssueResult {
        document_number: Option<String>,
    },
    Deliver {
        method: DeliveryMethod,
    },
    Close,
    /// A visit in person: from the hall's ticket served (`ticket`), or typed in only as a
    /// documented exception (`exception`).
    RecordVisit {
        purpose: String,
        extra_visit_reason: Option<String>,
        ticket: Option<String>,
        exception: Option<VisitException>,
    },
    /// The law accepts a case nobody answered within the notice period; only the system sends it.
    DeemAccept,
    /// The applicant downloaded the result (网上下载): the service sends it on the first download
    /// of a result issued, which is when a result delivered online is delivered.
    RecordDownload,
    /// The courier reported the parcel signed for (快递签收): the service sends it, which is
    /// when a result posted is delivered.
    RecordSignature {
        address: String,
        waybill: String,
    },
    /// The applicant withdraws the application, with a reason.
    Withdraw {
        reason: String,
    },
    /// 秒批: the system accepts, approves and issues the result at filing (the service only).
    AutoApprove,
    /// The department's check of the commitment signed for `material`.
    CheckCommitment {
        material: String,
        truthful: bool,
        note: String,
    },
    /// The system reminds the applicant of a promise due soon.
    RemindPromise {
        material: String,
    },
    /// The system records a promise whose day passed, and applies the county's rule.
    BreakPromise {
        material: String,
        rule: BrokenPromiseRule,
    },
}

impl CaseCommand {
    /// What is wrong with the text typed into the command, by field: lengths and control
    /// characters, before any rule of the case looks at it.
    pub fn text_problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let codes = |field: &str, values: &[String], errors: &mut Vec<FieldError>| {
            for (i, value) in values.iter().enumerate() {
                check_text(
                    errors,
                    &format!("{field}[{i}]"),
                    value,
                    CODE_MAX_CHARS,
                    false,
                );
            }
        };
        match self {
            CaseCommand::RequestSupplement { missing, note } => {
                codes("missing", missing, &mut errors);
                check_text(&mut errors, "note", note, TEXT_MAX_CHARS, true);
            }
            CaseCommand::ProvideSupplement { materials } => {
                codes("materials", materials, &mut errors);
            }
            CaseCommand::Propose { opinion, .. } => {
                check_text(&mut errors, "opinion", opinion, TEXT_MAX_CHARS, true);
            }
            CaseCommand::AcceptWithPromises { promises } => {
                for (i, p) in promises.iter().enumerate() {
                    check_text(
                        &mut errors,
                        &format!("promises[{i}].material"),
                        &p.material,
                        CODE_MAX_CHARS,
                        false,
                    );
                }
            }
            CaseCommand::CheckCommitment { material, note, .. } => {
                check_text(&mut errors, "material", material, CODE_MAX_CHARS, false);
                check_text(&mut errors, "note", note, TEXT_MAX_CHARS, true);
            }
            CaseCommand::Reject { reason }
            | CaseCommand::Withdraw { reason }
            | CaseCommand::Suspend { reason, .. }
            | CaseCommand::Extend { reason, .. }
            | CaseCommand::Decide { reason, .. } => {
                check_text(&mut errors, "reason", reason, TEXT_MAX_CHARS, true);
            }
            CaseCommand::IssueResult {
                document_number: Some(number),
            } => check_text(
                &mut errors,
                "document_number",
                number,
                CODE_MAX_CHARS,
                false,
            ),
            CaseCommand::Deliver {
                method:
                    DeliveryMethod::Express {
                        address,
                        tracking_number,
                    },
            } => {
                check_text(
                    &mut errors,
                    "delivery.address",
                    address,
                    TEXT_MAX_CHARS,
                    true,
                );
                if let Some(number) = tracking_number {
                    check_text(
                        &mut errors,
                        "delivery.tracking_number",
                        number,
                        CODE_MAX_CHARS,
                        false,
                    );
                }
            }
            CaseCommand::RecordVisit {
                purpose,
                extra_visit_reason,
                ticket,
                ..
            } => {
                check_text(&mut errors, "purpose", purpose, TEXT_MAX_CHARS, true);
                if let Some(ticket) = ticket {
                    check_text(&mut errors, "ticket", ticket, CODE_MAX_CHARS, false);
                }
                if let Some(reason) = extra_visit_reason {
                    check_text(
                        &mut errors,
                        "extra_visit_reason",
                        reason,
                        TEXT_MAX_CHARS,
                        true,
                    );
                }
            }
            _ => {}
        }
        errors
    }

    /// The user action this command is; `None` for the system's own commands.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            CaseCommand::StartPreReview => Action::StartPreReview,
            CaseCommand::RequestSupplement { .. } => Action::RequestSupplement,
            CaseCommand::ProvideSupplement { .. } => Action::ProvideSupplement,
            CaseCommand::Accept | CaseCommand::AcceptWithPromises { .. } => Action::Accept,
            CaseCommand::Reject { .. } => Action::Reject,
            CaseCommand::StartReview => Action::StartReview,
            CaseCommand::Suspend { .. } => Action::Suspend,
            CaseCommand::Resume => Action::Resume,
            CaseCommand::Extend { .. } => Action::Extend,
            CaseCommand::Propose { .. } => Action::Propose,
            CaseCommand::Decide { .. } => Action::Decide,
            CaseCommand::IssueResult { .. } => Action::IssueResult,
            CaseCommand::Deliver { .. } => Action::Deliver,
            CaseCommand::Close => Action::Close,
            CaseCommand::RecordVisit { .. } => Action::RecordVisit,
            CaseCommand::CheckCommitment { .. } => Action::CheckCommitment,
            CaseCommand::Withdraw { .. } => Action::Withdraw,
            CaseCommand::DeemAccept
            | CaseCommand::AutoApprove
            | CaseCommand::RecordDownload
            | CaseCommand::RecordSignature { .. }
            | CaseCommand::RemindPromise { .. }
            | CaseCommand::BreakPromise { .. } => return None,
        })
    }
}

/// Who acts and when, and the calendar the clock runs on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    /// The working date in the centre's time zone.
    pub today: NaiveDate,
    pub calendar: &'a Calendar,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    #[error(
        "cannot {action} a case that is {status}; allowed now: {}",
        list_actions(allowed)
    )]
    NotAllowed {
        action: &'static str,
        status: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error("{}", crate::validation::list_field_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

fn list_actions(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "none (the case is closed)".into()
    } else {
        allowed.join(", ")
    }
}

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> CaseError {
    CaseError::Invalid(vec![FieldError::new(field, reason)])
}

fn require_text(field: &str, value: &str) -> Result<(), CaseError> {
    if value.trim().is_empty() {
        Err(invalid(field, "a reason is required"))
    } else {
        Ok(())
    }
}

/// Receives an application: the first event of every case.
pub fn submit(
    id: String,
    number: String,
    item: &PublishedItem,
    new: NewCase,
    ctx: &Context<'_>,
) -> Result<(Case, CaseEvent), CaseError> {
    let known: BTreeSet<&str> = item
        .item
        .materials
        .iter()
        .filter(|m| m.cancelled.is_none())
        .map(|m| m.key.as_str())
        .collect();
    let what = Receipt {
        id,
        number,
        item_code: &item.item.code,
        item_version: item.version,
        item_name: &item.item.name,
        department: &item.item.department,
        promised_days: item.item.promised_days,
        required_materials: item
            .item
            .demanded_materials()
            .map(|m| m.key.clone())
            .collect(),
        circulation: None,
        proposal_required: !item.item.decision_without_proposal,
        tolerable_materials: item
            .item
            .demanded_materials()
            .filter(|m| m.necessity == Necessity::Tolerable)
            .map(|m| m.key.clone())
            .collect(),
        commitments: commitments_signed(item, &new, ctx)?,
        auto_approval: item.item.auto_approval,
    };
    receive(
        what,
        new,
        ctx,
        |key| known.contains(key),
        |key| format!("{key} is not a material of item {}", item.item.code),
    )
}

/// Receives an application for a joint-approval bundle: one case, one form of materials, the
/// member tasks waiting for acceptance at the lead window.
pub fn submit_bundle(
    id: String,
    number: String,
    plan: &BundlePlan,
    new: NewCase,
    ctx: &Context<'_>,
) -> Result<(Case, CaseEvent), CaseError> {
    let what = Receipt {
        id,
        number,
        item_code: &plan.code,
        item_version: plan.version,
        item_name: &plan.name,
        department: &plan.lead_department,
        promised_days: plan.limit_days,
        required_materials: plan.demanded_materials().map(|m| m.key.clone()).collect(),
        circulation: Some(Circulation::new(plan)),
        // Each department decides its task; the case has no decision of its own to propose.
        proposal_required: false,
        tolerable_materials: Vec::new(),
        commitments: Vec::new(),
        auto_approval: false,
    };
    if !new.commitments.is_empty() {
        return Err(invalid(
            "commitments",
            "a joint application takes no commitments (告知承诺): hand in the materials",
        ));
    }
    receive(
        what,
        new,
        ctx,
        |key| plan.demanded_materials().any(|m| m.key == key),
        |key| {
            format!(
                "{key} is not a material the applicant hands in for bundle {}",
                plan.code
            )
        },
    )
}

/// What is received: an item or a bundle, as a case records it.
struct Receipt<'a> {
    id: String,
    number: String,
    item_code: &'a str,
    item_version: u32,
    item_name: &'a str,
    department: &'a str,
    promised_days: u32,
    required_materials: Vec<String>,
    circulation: Option<Circulation>,
    proposal_required: bool,
    tolerable_materials: Vec<String>,
    commitments: Vec<Commitment>,
    auto_approval: bool,
}

/// The commitments an application signs, checked against the item: each names a material
/// marked 可承诺, once, and the item has the text to sign.
fn commitments_signed(
    item: &PublishedItem,
    new: &NewCase,
    ctx: &Context<'_>,
) -> Result<Vec<Commitment>, CaseError> {
    let mut errors = Vec::new();
    let mut signed = Vec::new();
    for (i, key) in new.commitments.iter().enumerate() {
        let field = format!("commitments[{i}]");
        let material = item.item.demanded_materials().find(|m| m.key == *key);
        match material {
            None => errors.push(FieldError::new(
                field,
                format!("{key} is not a material of item {}", item.item.code),
            )),
            Some(m) if m.necessity != Necessity::Committable => errors.push(FieldError::new(
                field,
                format!(
                    "{key} ({}) is not marked committable (可承诺): it is handed in",
                    m.name
                ),
            )),
            Some(_) if signed.iter().any(|c: &Commitment| c.key == *key) => {
                errors.push(FieldError::new(field, format!("{key} is named twice")))
            }
            Some(_) if new.materials.contains(key) => errors.push(FieldError::new(
                field,
                format!("{key} is handed in: a commitment stands in for a material not handed in"),
            )),
            Some(_) => match item.item.commitment_text.as_deref().map(str::trim) {
                Some(text) if !text.is_empty() => signed.push(Commitment {
                    key: key.clone(),
                    text: text.to_string(),
                    signed_by: new.applicant.name.trim().to_string(),
                    signed_on: ctx.today,
                    check_due_on: None,
                    check: None,
                }),
                _ => errors.push(FieldError::new(
                    field,
                    "the item has no commitment text to sign",
                )),
            },
        }
    }
    if errors.is_empty() {
        Ok(signed)
    } else {
        Err(CaseError::Invalid(errors))
    }
}

fn receive(
    what: Receipt<'_>,
    new: NewCase,
    ctx: &Context<'_>,
    known: impl Fn(&str) -> bool,
    unknown: impl Fn(&str) -> String,
) -> Result<(Case, CaseEvent), CaseError> {
    let mut errors = Vec::new();
    if new.applicant.name.trim().is_empty() {
        errors.push(FieldError::new("applicant.name", "must not be empty"));
    }
    check_text(
        &mut errors,
        "applicant.name",
        &new.applicant.name,
        NAME_MAX_CHARS,
        false,
    );
    if let Some(phone) = &new.applicant.phone {
        check_text(
            &mut errors,
            "applicant.phone",
            phone,
            PHONE_MAX_CHARS,
            false,
        );
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
            && text_problem(phone, PHONE_MAX_CHARS, false).is_none()
        {
            errors.push(FieldError::new(
                "applicant.phone",
                "digits only, with + - ( ) or spaces, e.g. 13800000000 or 0574-65560000",
            ));
        }
    }
    if new.centre.trim().is_empty() {
        errors.push(FieldError::new("centre", "must not be empty"));
    }
    check_text(&mut errors, "centre", &new.centre, CODE_MAX_CHARS, false);
    for (i, key) in new.materials.iter().enumerate() {
        if !known(key) {
            errors.push(FieldError::new(format!("materials[{i}]"), unknown(key)));
        }
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    // Receipt never depends on the calendar: an application in late December is received even
    // before next year's holiday notice is loaded; only deadlines need the calendar.
    let event = CaseEvent::Submitted {
        materials: new.materials.clone(),
    };
    let case = Case {
        id: what.id,
        number: what.number,
        item_code: what.item_code.to_string(),
        item_version: what.item_version,
        item_name: what.item_name.to_string(),
        department: what.department.to_string(),
        promised_days: what.promised_days,
        required_materials: what.required_materials,
        applicant: new.applicant,
        channel: new.channel,
        centre: new.centre,
        filed_by: new.filed_by,
        status: Status::Submitted,
        received_at: ctx.now,
        received_on: ctx.today,
        provided_materials: new.materials.into_iter().collect(),
        supplement_notices: Vec::new(),
        accepted_on: None,
        accepted_by: None,
        deemed_accepted: false,
        clock: None,
        extension_reason: None,
        rejection_reason: None,
        rejected_on: None,
        proposal_required: what.proposal_required,
        proposal: None,
        decision: None,
        result_document: None,
        delivery: None,
        delivered_on: None,
        visits: Vec::new(),
        closed_on: None,
        circulation: what.circulation,
        project_code: None,
        reused_materials: Vec::new(),
        taken_licences: Vec::new(),
        tolerable_materials: what.tolerable_materials,
        promises: Vec::new(),
        commitments: what.commitments,
        revocation: None,
        withdrawal: None,
        auto_approval: what.auto_approval,
        version: 1,
    };
    Ok((case, event))
}

impl Case {
    /// True while the applicant may still withdraw (撤回): before the decision, and for a joint
    /// application only before acceptance (after it the departments decide their own parts).
    pub fn may_withdraw(&self) -> bool {
        self.status.allowed_actions().contains(&Action::Withdraw)
            && (self.circulation.is_none() || self.status.is_before_acceptance())
    }

    /// Why the system cannot approve this case at filing (秒批), or `None` when it can: every
    /// check must be one the system evaluates itself. A false commitment on record is the
    /// service's to look up.
    pub fn auto_approval_blocker(&self) -> Option<&'static str> {
        if !self.auto_approval {
            Some("the item is not approved automatically (秒批)")
        } else if self.status != Status::Submitted || self.circulation.is_some() {
            Some("only a single item's application is approved automatically, at filing")
        } else if !self.missing_materials().is_empty() {
            Some("a material is missing: the window checks the application")
        } else if !self.commitments.is_empty() {
            Some("a commitment stands in for a material: the department checks it")
        } else {
            None
        }
    }

    /// 秒批: acceptance, approval and the result in one command of the system's, each the
    /// event the staff's own command would have written.
    fn decide_auto_approval(&self, ctx: &Context<'_>) -> Result<Vec<CaseEvent>, CaseError> {
        if let Some(reason) = self.auto_approval_blocker() {
            return Err(invalid("auto_approval", reason));
        }
        let mut next = self.clone();
        let accepted = self.decide_accept(&[], ctx)?;
        next.apply(&accepted, ctx.actor, ctx.now, ctx.today);
        let decided = CaseEvent::Decided {
            approved: true,
            reason: AUTO_APPROVAL_REASON.to_string(),
        };
        next.apply(&decided, ctx.actor, ctx.now, ctx.today);
        let issued = CaseEvent::ResultIssued {
            document_number: format!("{}-01", next.number),
        };
        Ok(vec![accepted, decided, issued])
    }

    /// Demanded materials not yet handed in, nor stood in for by a signed commitment.
    pub fn missing_materials(&self) -> Vec<String> {
        self.required_materials
            .iter()
            .filter(|k| !self.provided_materials.contains(*k))
            .filter(|k| !self.commitments.iter().any(|c| c.key == **k))
            .cloned()
            .collect()
    }

    /// "At most once" (最多跑一次) held for this case.
    pub fn is_at_most_once(&self) -> bool {
        self.visits.len() <= 1
    }

    /// The deadline of the running clock, if the case is on one.
    pub fn due_on(&self, calendar: &Calendar) -> Result<Option<NaiveDate>, CalendarError> {
        match (&self.clock, self.status.is_on_clock()) {
            (Some(clock), true) => clock.due_date(calendar),
            _ => Ok(None),
        }
    }

    /// Files the case under a project and takes, as materials, the results its earlier
    /// approvals issued: a demanded material whose name names an issued licence is provided by
    /// the government, not the applicant (no material is asked for twice).
    pub fn file_under_project(
        &mut self,
        project_code: &str,
        item: &PublishedItem,
        results: &[IssuedResult],
    ) {
        self.project_code = Some(project_code.to_string());
        for reused in reusable_materials(item, results) {
            if self.provided_materials.insert(reused.key.clone()) {
                self.reused_materials.push(reused);
            }
        }
    }

    /// The case-level actions of its state; a joint case is reviewed, stopped and decided in its
    /// tasks, so those are not among them.
    pub fn available_actions(&self) -> Vec<Action> {
        self.status
            .allowed_actions()
            .iter()
            .copied()
            .filter(|a| {
                self.circulation.is_none()
                    || !(matches!(
                        a,
                        Action::StartReview
                            | Action::Suspend
                            | Action::Resume
                            | Action::Propose
                            | Action::Decide
                    ) || (*a == Action::RequestSupplement
                        && !self.status.is_before_acceptance()))
            })
            .filter(|a| *a != Action::Withdraw || self.may_withdraw())
            .filter(|a| {
                *a != Action::ProvideSupplement
                    || self.status != Status::Suspended
                    || self.waits_for_supplement()
            })
            // The approver decides on the reviewer's proposal, not before it, and not before
            // the materials promised at acceptance are there.
            .filter(|a| {
                *a != Action::Decide
                    || !(self.awaits_proposal()
                        || self.promises.iter().any(|p| p.kept_on.is_none()))
            })
            .filter(|a| {
                *a != Action::ProvideSupplement
                    || !matches!(self.status, Status::Accepted | Status::InReview)
                    || self.promises.iter().any(|p| p.kept_on.is_none())
            })
            .filter(|a| {
                *a != Action::CheckCommitment
                    || self.commitments.iter().any(Commitment::awaits_check)
            })
            .collect()
    }

    /// True while the decision waits for the reviewer's proposal.
    pub fn awaits_proposal(&self) -> bool {
        self.proposal_required && self.proposal.is_none()
    }

    fn open_notice_before_acceptance(&self) -> Option<&SupplementNotice> {
        self.supplement_notices.iter().find(|n| !n.during_review)
    }

    /// Decides what a command does to this case: the events to append, or why not.
    pub fn decide(
        &self,
        command: &CaseCommand,
        ctx: &Context<'_>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        if let Some(action) = command.action()
            && !self.status.allowed_actions().contains(&action)
        {
            return Err(self.not_allowed(action.as_str()));
        }
        let problems = command.text_problems();
        if !problems.is_empty() {
            return Err(CaseError::Invalid(problems));
        }
        if self.circulation.is_some() {
            let in_tasks = match command {
                CaseCommand::StartReview
                | CaseCommand::Suspend { .. }
                | CaseCommand::Resume
                | CaseCommand::Propose { .. }
                | CaseCommand::Decide { .. } => true,
                CaseCommand::RequestSupplement { .. } => !self.status.is_before_acceptance(),
                _ => false,
            };
            if in_tasks {
                return Err(invalid(
                    "action",
                    "a joint case is reviewed, stopped and decided in its department tasks",
                ));
            }
        }
        let event = match command {
            CaseCommand::StartPreReview => CaseEvent::PreReviewStarted,
            CaseCommand::RequestSupplement { missing, note } => {
                self.decide_supplement_request(missing, note, ctx)?
            }
            CaseCommand::ProvideSupplement { materials } => {
                if self.status == Status::Suspended && !self.waits_for_supplement() {
                    return Err(self.not_allowed(Action::ProvideSupplement.as_str()));
                }
                self.check_material_keys(materials)?;
                if matches!(self.status, Status::Accepted | Status::InReview) {
                    self.check_promised_keys(materials)?;
                }
                CaseEvent::SupplementProvided {
                    materials: materials.clone(),
                }
            }
            CaseCommand::Accept => self.decide_accept(&[], ctx)?,
            CaseCommand::AutoApprove => return self.decide_auto_approval(ctx),
            CaseCommand::AcceptWithPromises { promises } => self.decide_accept(promises, ctx)?,
            CaseCommand::CheckCommitment {
                material,
                truthful,
                note,
            } => return self.decide_commitment_check(material, *truthful, note),
            CaseCommand::RemindPromise { material } => self.decide_reminder(material, ctx)?,
            CaseCommand::BreakPromise { material, rule } => {
                return self.decide_broken_promise(material, *rule, ctx);
            }
            CaseCommand::DeemAccept => {
                if !matches!(self.status, Status::Submitted | Status::PreReview)
                    || self.open_notice_before_acceptance().is_some()
                {
                    return Err(self.not_allowed("deem-accept"));
                }
                let deadline = notice_deadline(ctx.calendar, self.received_on)?;
                if ctx.today <= deadline {
                    return Err(invalid(
                        "today",
                        format!("the notice period runs until {deadline}"),
                    ));
                }
                let clock = CaseClock::new(self.received_on, self.promised_days);
                CaseEvent::Accepted {
                    accepted_on: self.received_on,
                    deemed: true,
                    due_on: clock.due_date(ctx.calendar)?,
                    promises: Vec::new(),
                    post_check_due_on: self.post_check_due_on(self.received_on, ctx)?,
                }
            }
            CaseCommand::Reject { reason } => {
                require_text("reason", reason)?;
                CaseEvent::Rejected {
                    reason: reason.clone(),
                }
            }
            CaseCommand::Withdraw { reason } => {
                require_text("reason", reason)?;
                if self.circulation.is_some() && !self.may_withdraw() {
                    return Err(invalid(
                        "action",
                        "the departments of a joint application are already at work: it is withdrawn before acceptance, or ended by their decisions",
                    ));
                }
                CaseEvent::Withdrawn {
                    reason: reason.trim().to_string(),
                }
            }
            CaseCommand::StartReview => CaseEvent::ReviewStarted,
            CaseCommand::Suspend { kind, reason } => {
                require_text("reason", reason)?;
                CaseEvent::Suspended {
                    kind: *kind,
                    reason: reason.clone(),
                }
            }
            CaseCommand::Resume => {
                if self.waits_for_supplement() {
                    return Err(invalid(
                        "action",
                        "the clock waits for a supplement; it restarts when the applicant provides it",
                    ));
                }
                CaseEvent::Resumed
            }
            CaseCommand::Extend {
                working_days,
                reason,
            } => {
                require_text("reason", reason)?;
                if self.extension_reason.is_some() {
                    return Err(invalid(
                        "working_days",
                        "the time limit was already extended once",
                    ));
                }
                let most = if self.circulation.is_some() {
                    JOINT_MAX_EXTENSION_DAYS
                } else {
                    MAX_EXTENSION_DAYS
                };
                if *working_days == 0 || *working_days > most {
                    return Err(invalid(
                        "working_days",
                        format!("an extension is 1 to {most} working days"),
                    ));
                }
                CaseEvent::Extended {
                    working_days: *working_days,
                    reason: reason.clone(),
                }
            }
            CaseCommand::Propose { approve, opinion } => {
                if opinion.trim().is_empty() {
                    return Err(invalid(
                        "opinion",
                        "write the review opinion the approver decides on",
                    ));
                }
                CaseEvent::Proposed {
                    approve: *approve,
                    opinion: opinion.trim().to_string(),
                }
            }
            CaseCommand::Decide { approve, reason } => {
                if self.accepted_by.as_deref() == Some(ctx.actor) {
                    return Err(invalid(
                        "actor",
                        "acceptance and decision are separate: the clerk who accepted a case cannot decide it",
                    ));
                }
                if let Some(p) = self.promises.iter().find(|p| p.kept_on.is_none()) {
                    return Err(invalid(
                        "promises",
                        format!(
                            "the decision waits for {}, promised by {}: the case was accepted on that promise (容缺)",
                            p.key, p.due_on
                        ),
                    ));
                }
                if *approve && let Some(c) = self.false_commitment() {
                    return Err(invalid(
                        "approve",
                        format!(
                            "the commitment signed for {} was found false on {}: the application cannot be approved",
                            c.key,
                            c.check.as_ref().map_or(ctx.today, |k| k.checked_on)
                        ),
                    ));
                }
                if self.awaits_proposal() {
                    return Err(invalid(
                        "proposal",
                        "the approver decides on the reviewer's opinion and proposed decision; none has been recorded yet",
                    ));
                }
                let overrules = self
                    .proposal
                    .as_ref()
                    .is_some_and(|p| p.approve != *approve);
                if overrules && reason.trim().is_empty() {
                    return Err(invalid(
                        "reason",
                        "deciding against the reviewer's proposal needs a reason",
                    ));
                }
                if !approve {
                    require_text("reason", reason)?;
                }
                CaseEvent::Decided {
                    approved: *approve,
                    reason: reason.clone(),
                }
            }
            CaseCommand::IssueResult { document_number } => {
                let document_number = match document_number {
                    Some(n) if n.trim().is_empty() => {
                        return Err(invalid("document_number", "must not be empty when given"));
                    }
                    Some(n) => n.trim().to_string(),
                    None => format!("{}-01", self.number),
                };
                CaseEvent::ResultIssued { document_number }
            }
            CaseCommand::Deliver { method } => match method {
                DeliveryMethod::Online => {
                    return Err(invalid(
                        "delivery.method",
                        "a result delivered online is delivered when the applicant downloads it, not before",
                    ));
                }
                DeliveryMethod::Express { .. } => {
                    return Err(invalid(
                        "delivery.method",
                        "a result posted is delivered when the courier reports it signed for; post it with the waybill instead",
                    ));
                }
                DeliveryMethod::Pickup { collected_by } => {
                    let Some(collector) = collected_by else {
                        return Err(invalid(
                            "collected_by",
                            "who takes the result: the name and identity number on the document shown, and whether an authorised person",
                        ));
                    };
                    let collector = collector
                        .checked(&self.applicant)
                        .map_err(CaseError::Invalid)?;
                    CaseEvent::Delivered {
                        method: DeliveryMethod::Pickup {
                            collected_by: Some(collector),
                        },
                    }
                }
            },
            CaseCommand::RecordSignature { address, waybill } => {
                if self.status != Status::ResultIssued {
                    return Err(self.not_allowed("record-signature"));
                }
                CaseEvent::Delivered {
                    method: DeliveryMethod::Express {
                        address: address.clone(),
                        tracking_number: Some(waybill.clone()),
                    },
                }
            }
            CaseCommand::RecordDownload => {
                if self.status != Status::ResultIssued {
                    return Err(self.not_allowed("record-download"));
                }
                CaseEvent::Delivered {
                    method: DeliveryMethod::Online,
                }
            }
            CaseCommand::Close => CaseEvent::Closed,
            CaseCommand::RecordVisit {
                purpose,
                extra_visit_reason,
                ticket,
                exception,
            } => {
                if purpose.trim().is_empty() {
                    return Err(invalid("purpose", "must not be empty"));
                }
                let ticket = ticket.as_deref().map(str::trim).filter(|t| !t.is_empty());
                if ticket.is_none() && exception.is_none() {
                    return Err(invalid(
                        "exception",
                        "a visit is recorded from the hall's ticket when the window serves it; type one in only as an exception: home_visit or offline_day",
                    ));
                }
                let extra = extra_visit_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty());
                if !self.visits.is_empty() && extra.is_none() {
                    return Err(invalid(
                        "extra_visit_reason",
                        "this is a visit beyond the first: say why the applicant had to come again",
                    ));
                }
                CaseEvent::VisitRecorded {
                    purpose: purpose.trim().to_string(),
                    extra_visit_reason: extra.map(str::to_string),
                    ticket: ticket.map(str::to_string),
                    exception: if ticket.is_some() { None } else { *exception },
                }
            }
        };
        Ok(vec![event])
    }

    fn waits_for_supplement(&self) -> bool {
        if let Some(circulation) = &self.circulation {
            return self.status == Status::Suspended && circulation.awaits_supplement();
        }
        self.status == Status::Suspended
            && self
                .clock
                .as_ref()
                .and_then(|c| c.suspensions.last())
                .is_some_and(|s| s.until.is_none() && s.kind == SuspensionKind::Supplement)
    }

    fn not_allowed(&self, action: &'static str) -> CaseError {
        CaseError::NotAllowed {
            action,
            status: self.status.as_str(),
            allowed: self
                .status
                .allowed_actions()
                .iter()
                .map(|a| a.as_str())
                .collect(),
        }
    }

    fn check_material_keys(&self, keys: &[String]) -> Result<(), CaseError> {
        if keys.is_empty() {
            return Err(invalid("materials", "name at least one material"));
        }
        let errors: Vec<_> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| !self.required_materials.contains(k))
            .map(|(i, k)| {
                FieldError::new(
                    format!("materials[{i}]"),
                    format!("{k} is not a material this case asks for"),
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CaseError::Invalid(errors))
        }
    }

    fn decide_supplement_request(
        &self,
        missing: &[String],
        note: &str,
        ctx: &Context<'_>,
    ) -> Result<CaseEvent, CaseError> {
        // A material handed in but unusable (blurred, unsigned) may be asked for again, so the
        // notice may name materials that were provided.
        self.check_material_keys(missing)?;
        if self.status.is_before_acceptance() {
            if let Some(earlier) = self.open_notice_before_acceptance() {
                return Err(invalid(
                    "missing",
                    format!(
                        "the one-time notice was already sent on {}; everything missing must be listed in that one notice",
                        earlier.issued_on
                    ),
                ));
            }
            let deadline = notice_deadline(ctx.calendar, self.received_on)?;
            if ctx.today > deadline {
                return Err(invalid(
                    "missing",
                    format!(
                        "the notice period ended on {deadline}; the case counts as accepted on the day of receipt"
                    ),
                ));
            }
            let really_missing = self.missing_materials();
            let forgotten: Vec<_> = really_missing
                .iter()
                .filter(|k| !missing.contains(k))
                .cloned()
                .collect();
            if !forgotten.is_empty() {
                return Err(invalid(
                    "missing",
                    format!(
                        "a one-time notice must list everything missing; also missing: {}",
                        forgotten.join(", ")
                    ),
                ));
            }
        }
        Ok(CaseEvent::SupplementRequested {
            missing: missing.to_vec(),
            note: note.trim().to_string(),
        })
    }

    /// Folds one event into the case.
    pub fn apply(&mut self, event: &CaseEvent, actor: &str, now: DateTime<Utc>, today: NaiveDate) {
        self.version += 1;
        match event {
            CaseEvent::Submitted { materials } => {
                self.provided_materials.extend(materials.iter().cloned());
                self.status = Status::Submitted;
            }
            CaseEvent::PreReviewStarted => self.status = Status::PreReview,
            CaseEvent::SupplementRequested { missing, note } => {
                let during_review = !self.status.is_before_acceptance();
                for key in missing {
                    self.provided_materials.remove(key);
                }
                self.supplement_notices.push(SupplementNotice {
                    issued_on: today,
                    missing: missing.clone(),
                    note: note.clone(),
                    during_review,
                });
                if during_review {
                    if let Some(clock) = &mut self.clock {
                        clock.suspensions.push(Suspension {
                            kind: SuspensionKind::Supplement,
                            reason: note.clone(),
                            from: today,
                            until: None,
                        });
                    }
                    self.status = Status::Suspended;
                } else {
                    self.status = Status::SupplementRequested;
                }
            }
            CaseEvent::SupplementProvided { materials } => {
                self.provided_materials.extend(materials.iter().cloned());
                for promise in &mut self.promises {
                    if promise.kept_on.is_none() && materials.contains(&promise.key) {
                        promise.kept_on = Some(today);
                    }
                }
                if self.circulation.is_some() && !self.status.is_before_acceptance() {
                    self.supplement_reached_tasks(today);
                } else if self.missing_materials().is_empty() {
                    if self.status == Status::Suspended {
                        self.close_open_suspension(today);
                        self.status = Status::InReview;
                    } else if self.status.is_before_acceptance() {
                        self.status = Status::PreReview;
                    }
                }
            }
            CaseEvent::Accepted {
                accepted_on,
                deemed,
                promises,
                post_check_due_on,
                ..
            } => {
                self.promises = promises
                    .iter()
                    .map(|p| MaterialPromise {
                        key: p.material.clone(),
                        promised_on: today,
                        due_on: p.by,
                        reminded_on: None,
                        kept_on: None,
                        broken_on: None,
                    })
                    .collect();
                for commitment in &mut self.commitments {
                    commitment.check_due_on = *post_check_due_on;
                }
                self.accepted_on = Some(*accepted_on);
                self.accepted_by = if *deemed {
                    None
                } else {
                    Some(actor.to_string())
                };
                self.deemed_accepted = *deemed;
                self.clock = Some(CaseClock::new(*accepted_on, self.promised_days));
                self.status = Status::Accepted;
                self.start_circulation(*accepted_on);
            }
            CaseEvent::Rejected { reason } => {
                self.rejection_reason = Some(reason.clone());
                self.rejected_on = Some(today);
                self.status = Status::Rejected;
            }
            CaseEvent::ReviewStarted => self.status = Status::InReview,
            CaseEvent::Suspended { kind, reason } => {
                if let Some(clock) = &mut self.clock {
                    clock.suspensions.push(Suspension {
                        kind: *kind,
                        reason: reason.clone(),
                        from: today,
                        until: None,
                    });
                }
                self.status = Status::Suspended;
            }
            CaseEvent::Resumed => {
                self.close_open_suspension(today);
                self.status = Status::InReview;
            }
            CaseEvent::Extended {
                working_days,
                reason,
            } => {
                if let Some(clock) = &mut self.clock {
                    clock.extension_days += working_days;
                }
                self.extension_reason = Some(reason.clone());
            }
            CaseEvent::Proposed { approve, opinion } => {
                self.proposal = Some(Proposal {
                    approve: *approve,
                    opinion: opinion.clone(),
                    proposed_by: actor.to_string(),
                    proposed_on: today,
                });
                // A proposal is review under way.
                if self.status == Status::Accepted {
                    self.status = Status::InReview;
                }
            }
            CaseEvent::Decided { approved, reason } => {
                self.decision = Some(Decision {
                    approved: *approved,
                    reason: reason.clone(),
                    decided_by: actor.to_string(),
                    decided_on: today,
                    overruled: self
                        .proposal
                        .as_ref()
                        .is_some_and(|p| p.approve != *approved),
                });
                self.status = if *approved {
                    Status::Approved
                } else {
                    Status::Denied
                };
            }
            CaseEvent::ResultIssued { document_number } => {
                self.result_document = Some(document_number.clone());
                self.status = Status::ResultIssued;
            }
            CaseEvent::Delivered { method } => {
                self.delivery = Some(method.clone());
                self.delivered_on = Some(today);
                self.status = Status::Delivered;
            }
            CaseEvent::Closed => {
                self.closed_on = Some(today);
                self.status = Status::Closed;
            }
            CaseEvent::VisitRecorded {
                purpose,
                extra_visit_reason,
                ticket,
                exception,
            } => self.visits.push(Visit {
                at: now,
                purpose: purpose.clone(),
                extra_visit_reason: extra_visit_reason.clone(),
                ticket: ticket.clone(),
                exception: *exception,
            }),
            CaseEvent::PromiseReminded { material } => {
                if let Some(p) = self.promises.iter_mut().find(|p| p.key == *material) {
                    p.reminded_on = Some(today);
                }
            }
            CaseEvent::PromiseBroken { material, .. } => {
                if let Some(p) = self.promises.iter_mut().find(|p| p.key == *material) {
                    p.broken_on = Some(today);
                }
            }
            CaseEvent::CommitmentChecked {
                material,
                truthful,
                note,
            } => {
                if let Some(c) = self.commitments.iter_mut().find(|c| c.key == *material) {
                    c.check = Some(crate::tolerance::CommitmentCheck {
                        truthful: *truthful,
                        note: note.clone(),
                        checked_by: actor.to_string(),
                        checked_on: today,
                    });
                }
            }
            CaseEvent::Withdrawn { reason } => {
                self.close_open_suspension(today);
                self.withdrawal = Some(Withdrawal {
                    reason: reason.clone(),
                    withdrawn_by: actor.to_string(),
                    withdrawn_on: today,
                });
                self.closed_on = Some(today);
                self.status = Status::Withdrawn;
            }
            CaseEvent::DecisionRevoked { reason } => {
                self.revocation = Some(Revocation {
                    reason: reason.clone(),
                    revoked_by: actor.to_string(),
                    revoked_on: today,
                });
            }
            CaseEvent::Task { task, event } => self.apply_task(task, event, actor, today),
            // The clocks keep their records; only the calendar they are read with changed.
            CaseEvent::DeadlineRecomputed { .. } => {}
        }
    }

    /// What loading the notice of `notice_year` does to this case's deadlines: the event that
    /// records the due days that moved between the calendar `before` and the calendar `after`,
    /// or `None` when none moved. A due day that cannot be computed on one of the calendars
    /// counts as absent there.
    pub fn deadline_changes(
        &self,
        before: &Calendar,
        after: &Calendar,
        notice_year: i32,
    ) -> Option<CaseEvent> {
        let previous = self.due_on(before).ok().flatten();
        let due_on = self.due_on(after).ok().flatten();
        let tasks: Vec<TaskDeadline> = self
            .circulation
            .iter()
            .flat_map(|c| c.tasks.iter())
            .filter_map(|task| {
                let previous = task.due_on(before).ok().flatten();
                let due_on = task.due_on(after).ok().flatten();
                (previous != due_on).then(|| TaskDeadline {
                    task: task.key().to_string(),
                    previous,
                    due_on,
                })
            })
            .collect();
        (previous != due_on || !tasks.is_empty()).then_some(CaseEvent::DeadlineRecomputed {
            notice_year,
            previous,
            due_on,
            tasks,
        })
    }

    fn close_open_suspension(&mut self, today: NaiveDate) {
        if let Some(s) = self
            .clock
            .as_mut()
            .and_then(|c| c.suspensions.iter_mut().find(|s| s.until.is_none()))
        {
            s.until = Some(today);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::RunMode;
    use crate::catalogue::tests::sample_item;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    struct World {
        calendar: Calendar,
        today: NaiveDate,
    }

    impl World {
        fn new(today: NaiveDate) -> Self {
            Self {
                calendar: Calendar::prc(),
                today,
            }
        }

        fn ctx<'a>(&'a self, actor: &'a str) -> Context<'a> {
            Context {
                actor,
                now: self
                    .today
                    .and_hms_opt(1, 0, 0)
                    .expect("valid time")
                    .and_utc(),
                today: self.today,
                calendar: &self.calendar,
            }
        }

        fn run(&self, case: &mut Case, actor: &str, command: CaseCommand) -> Result<(), CaseError> {
            let ctx = self.ctx(actor);
            for e in case.decide(&command, &ctx)? {
                case.apply(&e, actor, ctx.now, ctx.today);
            }
            Ok(())
        }
    }

    fn published() -> PublishedItem {
        PublishedItem {
            version: 3,
            item: sample_item(),
        }
    }

    fn new_case(world: &World, materials: &[&str]) -> Case {
        let new = NewCase {
            applicant: Applicant {
                kind: ApplicantKind::Person,
                name: "王芳".into(),
                id_number: "11010519491231002X".into(),
                phone: None,
            },
            channel: Channel::Window,
            centre: "county-hall".into(),
            materials: materials.iter().map(|s| s.to_string()).collect(),
            filed_by: None,
            commitments: Vec::new(),
        };
        submit(
            "c1".into(),
            "N1".into(),
            &published(),
            new,
            &world.ctx("clerk"),
        )
        .expect("submits")
        .0
    }

    #[test]
    fn the_applicant_withdraws_before_the_decision_and_the_clock_stops_there() {
        let world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accepted");
        world
            .run(
                &mut case,
                "reviewer",
                CaseCommand::Suspend {
                    kind: SuspensionKind::Inspection,
                    reason: "现场核查".into(),
                },
            )
            .expect("suspended");
        let refused = world
            .run(
                &mut case,
                "citizen",
                CaseCommand::Withdraw { reason: " ".into() },
            )
            .expect_err("a reason is needed");
        assert!(matches!(refused, CaseError::Invalid(ref e) if e[0].field == "reason"));
        world
            .run(
                &mut case,
                "citizen",
                CaseCommand::Withdraw {
                    reason: "经营场所变更，重新申请".into(),
                },
            )
            .expect("withdrawn");
        assert_eq!(case.status, Status::Withdrawn);
        assert!(!case.status.is_on_clock());
        let withdrawal = case.withdrawal.as_ref().expect("recorded");
        assert_eq!(
            (withdrawal.withdrawn_by.as_str(), withdrawal.withdrawn_on),
            ("citizen", day(2026, 11, 2))
        );
        let clock = case.clock.as_ref().expect("a clock");
        assert!(
            clock.suspensions.iter().all(|s| s.until.is_some()),
            "the clock stopped for good"
        );
        assert!(
            case.available_actions().is_empty(),
            "nothing follows a withdrawal"
        );

        // After the decision there is nothing to withdraw.
        let mut decided = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut decided, "clerk", CaseCommand::Accept)
            .expect("accepted");
        world
            .run(
                &mut decided,
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "符合".into(),
                },
            )
            .expect("proposed");
        world
            .run(
                &mut decided,
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .expect("decided");
        let refused = world
            .run(
                &mut decided,
                "citizen",
                CaseCommand::Withdraw {
                    reason: "不需要了".into(),
                },
            )
            .expect_err("decided");
        assert!(
            matches!(
                refused,
                CaseError::NotAllowed {
                    action: "withdraw",
                    ..
                }
            ),
            "{refused}"
        );
    }

    #[test]
    fn a_deadline_on_the_provisional_year_is_marked_and_recomputed_when_the_notice_comes() {
        // Accepted on Monday 28 December 2026 with 5 working days promised: on the provisional
        // calendar (New Year's Day a Friday, nothing else) the 5th working day is 5 January.
        let world = World::new(day(2026, 12, 28));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept on the provisional calendar");
        let due = case.due_on(&world.calendar).expect("provisional year");
        assert_eq!(due, Some(day(2027, 1, 5)));
        assert!(world.calendar.is_provisional(day(2027, 1, 5)));
        // Nothing moves when the notice agrees.
        let agreeing =
            r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
        let (same, _) = world.calendar.clone().with_notice(agreeing).expect("valid");
        assert_eq!(case.deadline_changes(&world.calendar, &same, 2027), None);
        // A notice that also closes Monday 4 January moves it a day later.
        let longer = r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
            {"name": "元旦", "date": "2027-01-04", "isOffDay": true}]}"#;
        let (after, _) = world.calendar.clone().with_notice(longer).expect("valid");
        let event = case.deadline_changes(&world.calendar, &after, 2027);
        assert_eq!(
            event,
            Some(CaseEvent::DeadlineRecomputed {
                notice_year: 2027,
                previous: Some(day(2027, 1, 5)),
                due_on: Some(day(2027, 1, 6)),
                tasks: Vec::new(),
            })
        );
        // The event keeps the record and changes no state but the version.
        let before = case.clone();
        case.apply(
            &event.expect("an event"),
            "system",
            world.ctx("system").now,
            world.today,
        );
        assert_eq!(case.version, before.version + 1);
        assert_eq!(case.clock, before.clock);
        assert_eq!(case.status, before.status);
        // A make-up Saturday (2 January) moves it a day earlier.
        let earlier = r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
            {"name": "元旦", "date": "2027-01-02", "isOffDay": false}]}"#;
        let (after, _) = world.calendar.clone().with_notice(earlier).expect("valid");
        assert!(matches!(
            case.deadline_changes(&world.calendar, &after, 2027),
            Some(CaseEvent::DeadlineRecomputed { due_on: Some(d), .. }) if d == day(2027, 1, 4)
        ));
    }

    #[test]
    fn a_case_is_bound_to_the_item_version_and_its_demanded_materials() {
        let world = World::new(day(2026, 11, 2));
        let case = new_case(&world, &["M01"]);
        assert_eq!(case.item_version, 3);
        assert_eq!(case.required_materials, vec!["M01", "M03"]);
        assert_eq!(case.missing_materials(), vec!["M03"]);
    }

    /// Accepted on Monday 2 November 2026 and in review.
    fn in_review(world: &World) -> Case {
        let mut case = new_case(world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        world
            .run(&mut case, "reviewer", CaseCommand::StartReview)
            .expect("review");
        case
    }

    fn decide(approve: bool, reason: &str) -> CaseCommand {
        CaseCommand::Decide {
            approve,
            reason: reason.into(),
        }
    }

    fn propose(approve: bool, opinion: &str) -> CaseCommand {
        CaseCommand::Propose {
            approve,
            opinion: opinion.into(),
        }
    }

    fn field_of(error: CaseError) -> String {
        match error {
            CaseError::Invalid(errors) => errors[0].field.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn the_approver_decides_on_the_reviewers_proposal_and_not_before_it() {
        let world = World::new(day(2026, 11, 2));
        let mut case = in_review(&world);
        assert!(case.proposal_required);
        assert!(case.awaits_proposal());
        assert!(!case.available_actions().contains(&Action::Decide));
        assert!(case.available_actions().contains(&Action::Propose));
        let before = case.clone();
        let refused = world
            .run(&mut case, "approver", decide(true, ""))
            .expect_err("no proposal yet");
        assert_eq!(field_of(refused), "proposal");
        assert_eq!(case, before, "nothing written");
        // A proposal needs its opinion.
        let empty = world
            .run(&mut case, "reviewer", propose(true, "  "))
            .expect_err("no opinion");
        assert_eq!(field_of(empty), "opinion");
        world
            .run(&mut case, "reviewer", propose(true, "材料齐全，拟同意"))
            .expect("proposed");
        let proposal = case.proposal.clone().expect("a proposal");
        assert_eq!(
            (proposal.approve, proposal.proposed_by.as_str()),
            (true, "reviewer")
        );
        assert!(case.available_actions().contains(&Action::Decide));
        // Agreeing needs no reason; the decision is not an overruling.
        world
            .run(&mut case, "approver", decide(true, ""))
            .expect("agreed");
        let decision = case.decision.expect("decided");
        assert!(decision.approved && !decision.overruled);
    }

    #[test]
    fn overruling_the_proposal_needs_a_reason_and_is_recorded() {
        let world = World::new(day(2026, 11, 2));
        let mut case = in_review(&world);
        world
            .run(&mut case, "reviewer", propose(false, "场所面积不符合要求"))
            .expect("proposed");
        // A later proposal replaces the earlier one.
        world
            .run(
                &mut case,
                "reviewer",
                propose(false, "场所面积不足 20 平方米"),
            )
            .expect("revised");
        assert_eq!(
            case.proposal.as_ref().map(|p| p.opinion.as_str()),
            Some("场所面积不足 20 平方米")
        );
        let refused = world
            .run(&mut case, "approver", decide(true, " "))
            .expect_err("overruling without a reason");
        assert_eq!(field_of(refused), "reason");
        world
            .run(&mut case, "approver", decide(true, "现场核查面积符合要求"))
            .expect("overruled");
        let decision = case.decision.expect("decided");
        assert!(decision.approved && decision.overruled);
    }

    #[test]
    fn a_proposal_starts_the_review_and_is_for_review_only() {
        let world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        let early = world
            .run(&mut case, "reviewer", propose(true, "拟同意"))
            .expect_err("not before acceptance");
        assert!(matches!(early, CaseError::NotAllowed { .. }));
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        world
            .run(&mut case, "reviewer", propose(true, "拟同意"))
            .expect("proposed on an accepted case");
        assert_eq!(case.status, Status::InReview);
    }

    #[test]
    fn an_immediate_item_the_county_lets_decide_on_the_spot_needs_no_proposal() {
        let world = World::new(day(2026, 11, 2));
        let mut item = published();
        item.item.run_mode = RunMode::Immediate;
        item.item.promised_days = 0;
        item.item.decision_without_proposal = true;
        assert!(item.item.validate().is_empty());
        let new = NewCase {
            applicant: Applicant {
                kind: ApplicantKind::Person,
                name: "王芳".into(),
                id_number: "11010519491231002X".into(),
                phone: None,
            },
            channel: Channel::Window,
            centre: "county-hall".into(),
            materials: vec!["M01".into(), "M03".into()],
            filed_by: None,
            commitments: Vec::new(),
        };
        let (mut case, _) =
            submit("c2".into(), "N2".into(), &item, new, &world.ctx("clerk")).expect("submits");
        assert!(!case.proposal_required);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        world
            .run(&mut case, "approver", decide(true, ""))
            .expect("decided on the spot");
        // Only an immediate item may skip the review opinion.
        let mut slow = published().item;
        slow.decision_without_proposal = true;
        assert!(
            slow.validate()
                .iter()
                .any(|e| e.field == "decision_without_proposal")
        );
    }

    #[test]
    fn an_item_marked_for_automatic_approval_is_approved_at_filing_only_when_complete() {
        let world = World::new(day(2026, 11, 2));
        let mut item = published();
        item.item.run_mode = RunMode::Immediate;
        item.item.promised_days = 0;
        item.item.auto_approval = true;
        assert!(item.item.validate().is_empty());
        let file = |item: &PublishedItem, materials: &[&str]| {
            let new = NewCase {
                applicant: Applicant {
                    kind: ApplicantKind::Person,
                    name: "王芳".into(),
                    id_number: "11010519491231002X".into(),
                    phone: None,
                },
                channel: Channel::Online,
                centre: "county-hall".into(),
                materials: materials.iter().map(|m| m.to_string()).collect(),
                filed_by: None,
                commitments: Vec::new(),
            };
            submit("c9".into(), "N9".into(), item, new, &world.ctx("citizen"))
                .expect("submits")
                .0
        };
        // Complete: accepted, approved and issued by the system in one command.
        let mut case = file(&item, &["M01", "M03"]);
        assert!(case.auto_approval && case.auto_approval_blocker().is_none());
        world
            .run(&mut case, "system", CaseCommand::AutoApprove)
            .expect("approved automatically");
        assert_eq!(case.status, Status::ResultIssued);
        assert_eq!(case.accepted_by.as_deref(), Some("system"));
        let decision = case.decision.as_ref().expect("decided");
        assert!(decision.approved && decision.decided_by == "system");
        assert_eq!(decision.reason, AUTO_APPROVAL_REASON);
        assert_eq!(case.result_document.as_deref(), Some("N9-01"));
        // Incomplete: refused, the window checks it as any other.
        let mut short = file(&item, &["M01"]);
        let err = world
            .run(&mut short, "system", CaseCommand::AutoApprove)
            .expect_err("a material is missing");
        assert!(err.to_string().contains("missing"), "{err}");
        assert_eq!(short.status, Status::Submitted);
        // A second time, or on an item not marked: refused.
        assert!(
            world
                .run(&mut case, "system", CaseCommand::AutoApprove)
                .is_err()
        );
        item.item.auto_approval = false;
        let mut unmarked = file(&item, &["M01", "M03"]);
        assert!(
            world
                .run(&mut unmarked, "system", CaseCommand::AutoApprove)
                .is_err()
        );
        // Only an immediate item.
        let mut slow = published().item;
        slow.auto_approval = true;
        assert!(slow.validate().iter().any(|e| e.field == "auto_approval"));
    }

    #[test]
    fn a_whole_case_from_receipt_to_closing() {
        let mut world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(
                &mut case,
                "clerk",
                CaseCommand::RecordVisit {
                    purpose: "递交".into(),
                    extra_visit_reason: None,
                    ticket: Some("t-1".into()),
                    exception: None,
                },
            )
            .expect("visit");
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        // Promised 5 working days from Monday 2 November: Monday 9 November.
        assert_eq!(
            case.due_on(&world.calendar).expect("covered"),
            Some(day(2026, 11, 9))
        );
        world.today = day(2026, 11, 3);
        world
            .run(&mut case, "reviewer", CaseCommand::StartReview)
            .expect("review");
        world
            .run(
                &mut case,
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "材料齐全，符合条件，拟同意".into(),
                },
            )
            .expect("propose");
        world
            .run(
                &mut case,
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .expect("decide");
        world
            .run(
                &mut case,
                "clerk",
                CaseCommand::IssueResult {
                    document_number: None,
                },
            )
            .expect("issue");
        world
            .run(
                &mut case,
                "clerk",
                CaseCommand::Deliver {
                    method: DeliveryMethod::Online,
                },
            )
            .expect_err("online delivery is the download, not a clerk's say-so");
        world
            .run(&mut case, "applicant", CaseCommand::RecordDownload)
            .expect("the first download delivers");
        assert_eq!(case.delivery, Some(DeliveryMethod::Online));
        world
            .run(&mut case, "applicant", CaseCommand::RecordDownload)
            .expect_err("a second download delivers nothing more");
        world
            .run(&mut case, "clerk", CaseCommand::Close)
            .expect("close");
        assert_eq!(case.status, Status::Closed);
        assert_eq!(case.result_document.as_deref(), Some("N1-01"));
        assert!(case.is_at_most_once());
        assert_eq!(case.version, 9);
    }

    #[test]
    fn an_illegal_transition_names_the_state_and_the_allowed_actions() {
        let world = World::new(day(2026, 11, 2));
        let case = new_case(&world, &["M01", "M03"]);
        let err = case
            .decide(&CaseCommand::Close, &world.ctx("clerk"))
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "cannot close a case that is submitted; allowed now: start-pre-review, request-supplement, accept, reject, record-visit, withdraw"
        );
    }

    #[test]
    fn acceptance_needs_every_demanded_material() {
        let world = World::new(day(2026, 11, 2));
        let case = new_case(&world, &["M01"]);
        let err = case
            .decide(&CaseCommand::Accept, &world.ctx("clerk"))
            .expect_err("refused");
        assert!(err.to_string().contains("M03"), "{err}");
    }

    #[test]
    fn the_one_time_notice_must_list_everything_and_comes_once() {
        let world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &[]);
        let partial = CaseCommand::RequestSupplement {
            missing: vec!["M01".into()],
            note: String::new(),
        };
        let err = case
            .decide(&partial, &world.ctx("clerk"))
            .expect_err("incomplete notice");
        assert!(err.to_string().contains("also missing: M03"), "{err}");
        let full = CaseCommand::RequestSupplement {
            missing: vec!["M01".into(), "M03".into()],
            note: "请补齐".into(),
        };
        world.run(&mut case, "clerk", full.clone()).expect("notice");
        assert_eq!(case.status, Status::SupplementRequested);
        world
            .run(
                &mut case,
                "applicant",
                CaseCommand::ProvideSupplement {
                    materials: vec!["M01".into()],
                },
            )
            .expect("part");
        assert_eq!(
            case.status,
            Status::SupplementRequested,
            "still waits for M03"
        );
        world
            .run(
                &mut case,
                "applicant",
                CaseCommand::ProvideSupplement {
                    materials: vec!["M03".into()],
                },
            )
            .expect("rest");
        assert_eq!(case.status, Status::PreReview);
        let again = case
            .decide(&full, &world.ctx("clerk"))
            .expect_err("second notice");
        assert!(again.to_string().contains("already sent"), "{again}");
    }

    #[test]
    fn no_notice_after_five_working_days_and_the_case_counts_as_accepted_on_receipt() {
        // Received Friday 25 September 2026; the National Day holiday follows.
        let mut world = World::new(day(2026, 9, 25));
        let mut case = new_case(&world, &["M01", "M03"]);
        let deadline = notice_deadline(&world.calendar, case.received_on).expect("covered");
        world.today = deadline;
        assert!(
            case.decide(&CaseCommand::DeemAccept, &world.ctx("system"))
                .is_err(),
            "still inside the period"
        );
        world.today = deadline.succ_opt().expect("date");
        let late = CaseCommand::RequestSupplement {
            missing: vec!["M01".into()],
            note: String::new(),
        };
        assert!(
            case.decide(&late, &world.ctx("clerk")).is_err(),
            "notice too late"
        );
        world
            .run(&mut case, "system", CaseCommand::DeemAccept)
            .expect("deemed");
        assert!(case.deemed_accepted);
        assert_eq!(case.accepted_on, Some(day(2026, 9, 25)));
        assert_eq!(case.accepted_by, None);
    }

    #[test]
    fn the_clerk_who_accepted_cannot_decide() {
        let world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        let err = case
            .decide(
                &CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
                &world.ctx("clerk"),
            )
            .expect_err("separated");
        assert!(err.to_string().contains("separate"), "{err}");
        world
            .run(&mut case, "reviewer", propose(false, "不符合条件"))
            .expect("proposed");
        let deny = CaseCommand::Decide {
            approve: false,
            reason: " ".into(),
        };
        assert!(
            case.decide(&deny, &world.ctx("approver")).is_err(),
            "a denial needs a reason"
        );
    }

    #[test]
    fn suspension_stops_the_clock_and_extension_lengthens_it_once() {
        let mut world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        world
            .run(&mut case, "reviewer", CaseCommand::StartReview)
            .expect("review");
        world.today = day(2026, 11, 4);
        world
            .run(
                &mut case,
                "reviewer",
                CaseCommand::Suspend {
                    kind: SuspensionKind::Inspection,
                    reason: "现场核查".into(),
                },
            )
            .expect("suspend");
        assert_eq!(
            case.due_on(&world.calendar).expect("covered"),
            None,
            "no due date while stopped"
        );
        world.today = day(2026, 11, 9);
        world
            .run(&mut case, "reviewer", CaseCommand::Resume)
            .expect("resume");
        // Thu 5, Fri 6, Mon 9 are suspended: due moves from Mon 9 to Thu 12 November.
        assert_eq!(
            case.due_on(&world.calendar).expect("covered"),
            Some(day(2026, 11, 12))
        );
        world
            .run(
                &mut case,
                "approver",
                CaseCommand::Extend {
                    working_days: 10,
                    reason: "专家论证".into(),
                },
            )
            .expect("extend");
        assert_eq!(
            case.due_on(&world.calendar).expect("covered"),
            Some(day(2026, 11, 26))
        );
        let twice = CaseCommand::Extend {
            working_days: 1,
            reason: "再延".into(),
        };
        assert!(
            case.decide(&twice, &world.ctx("approver")).is_err(),
            "only one extension"
        );
    }

    #[test]
    fn a_supplement_during_review_stops_the_clock_until_provided() {
        let mut world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        world
            .run(&mut case, "clerk", CaseCommand::Accept)
            .expect("accept");
        world
            .run(&mut case, "reviewer", CaseCommand::StartReview)
            .expect("review");
        world
            .run(
                &mut case,
                "reviewer",
                CaseCommand::RequestSupplement {
                    missing: vec!["M03".into()],
                    note: "图纸不清晰".into(),
                },
            )
            .expect("ask");
        assert_eq!(case.status, Status::Suspended);
        assert!(
            case.decide(&CaseCommand::Resume, &world.ctx("reviewer"))
                .is_err(),
            "waits for the applicant"
        );
        world.today = day(2026, 11, 4);
        world
            .run(
                &mut case,
                "applicant",
                CaseCommand::ProvideSupplement {
                    materials: vec!["M03".into()],
                },
            )
            .expect("provide");
        assert_eq!(case.status, Status::InReview);
        assert_eq!(
            case.due_on(&world.calendar).expect("covered"),
            Some(day(2026, 11, 11))
        );
    }

    #[test]
    fn a_second_visit_needs_a_reason() {
        let world = World::new(day(2026, 11, 2));
        let mut case = new_case(&world, &["M01", "M03"]);
        let visit = CaseCommand::RecordVisit {
            purpose: "递交".into(),
            extra_visit_reason: None,
            ticket: Some("t-1".into()),
            exception: None,
        };
        world.run(&mut case, "clerk", visit.clone()).expect("first");
        assert!(case.decide(&visit, &world.ctx("clerk")).is_err());
        world
            .run(
                &mut case,
                "clerk",
                CaseCommand::RecordVisit {
                    purpose: "核验原件".into(),
                    extra_visit_reason: Some("原件未带".into()),
                    ticket: None,
                    exception: Some(VisitException::HomeVisit),
                },
            )
            .expect("second with reason");
        assert!(!case.is_at_most_once());
        assert_eq!(case.visits[0].ticket.as_deref(), Some("t-1"));
        assert_eq!(case.visits[1].exception, Some(VisitException::HomeVisit));
    }

    #[test]
    fn a_visit_typed_in_must_say_which_exception() {
        let world = World::new(day(2026, 11, 2));
        let case = new_case(&world, &["M01", "M03"]);
        let typed = CaseCommand::RecordVisit {
            purpose: "递交".into(),
            extra_visit_reason: None,
            ticket: None,
            exception: None,
        };
        let refused = case
            .decide(&typed, &world.ctx("clerk"))
            .expect_err("a typed visit without its exception");
        assert!(format!("{refused:?}").contains("exception"), "{refused:?}");
        let offline = CaseCommand::RecordVisit {
            purpose: "递交".into(),
            extra_visit_reason: None,
            ticket: None,
            exception: Some(VisitException::OfflineDay),
        };
        assert!(case.decide(&offline, &world.ctx("clerk")).is_ok());
    }

    fn issued_case(world: &World) -> Case {
        let mut case = new_case(world, &["M01", "M03"]);
        let steps = [
            ("clerk", CaseCommand::Accept),
            ("reviewer", CaseCommand::StartReview),
            (
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "拟同意".into(),
                },
            ),
            (
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            ),
            (
                "clerk",
                CaseCommand::IssueResult {
                    document_number: None,
                },
            ),
        ];
        for (who, command) in steps {
            world
                .run(&mut case, who, command)
                .expect("the case moves on");
        }
        case
    }

    fn pickup(name: &str, id: &str, authorisation: Option<&str>) -> CaseCommand {
        CaseCommand::Deliver {
            method: DeliveryMethod::Pickup {
                collected_by: Some(Collector {
                    name: name.into(),
                    id_number: id.into(),
                    authorised: authorisation.is_some(),
                    authorisation: authorisation.map(str::to_string),
                }),
            },
        }
    }

    fn refused_fields(result: Result<(), CaseError>) -> Vec<String> {
        match result {
            Err(CaseError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("refused as invalid: {other:?}"),
        }
    }

    #[test]
    fn the_window_hands_the_result_to_the_holder_or_an_authorised_person_it_checked() {
        let world = World::new(day(2026, 11, 2));
        let case = issued_case(&world);
        let mut attempt = case.clone();
        assert_eq!(
            refused_fields(world.run(
                &mut attempt,
                "clerk",
                CaseCommand::Deliver {
                    method: DeliveryMethod::Pickup { collected_by: None }
                }
            )),
            vec!["collected_by"]
        );
        // Someone else's identity card, without an authorisation.
        assert_eq!(
            refused_fields(world.run(
                &mut attempt,
                "clerk",
                pickup("李四", "330226198806150022", None)
            )),
            vec!["collected_by.authorised"]
        );
        assert_eq!(
            refused_fields(world.run(
                &mut attempt,
                "clerk",
                pickup("王芳", "110105194912310021", None)
            )),
            vec!["collected_by.id_number"]
        );
        assert_eq!(attempt, case, "a refused hand-over changes nothing");
        let mut holder = case.clone();
        world
            .run(
                &mut holder,
                "clerk",
                pickup("王芳", "11010519491231002x", None),
            )
            .expect("the holder in person");
        let Some(DeliveryMethod::Pickup {
            collected_by: Some(taken),
        }) = &holder.delivery
        else {
            panic!("delivered at the window: {:?}", holder.delivery);
        };
        assert_eq!(taken.id_number, "1101**********002X");
        assert!(!taken.authorised);
        let mut agent = case.clone();
        world
            .run(
                &mut agent,
                "clerk",
                pickup("李四", "330226198806150022", Some("授权委托书 2026-12-07")),
            )
            .expect("an authorised person with the authorisation");
        assert_eq!(agent.status, Status::Delivered);
    }

    #[test]
    fn a_posted_result_is_delivered_by_the_couriers_signature_not_by_a_clerk() {
        let world = World::new(day(2026, 11, 2));
        let mut case = issued_case(&world);
        assert_eq!(
            refused_fields(world.run(
                &mut case,
                "clerk",
                CaseCommand::Deliver {
                    method: DeliveryMethod::Express {
                        address: "宁海县跃龙街道兴宁中路 88 号".into(),
                        tracking_number: None,
                    },
                },
            )),
            vec!["delivery.method"]
        );
        let signature = CaseCommand::RecordSignature {
            address: "宁海县跃龙街道兴宁中路 88 号".into(),
            waybill: "EM123456789CN".into(),
        };
        assert_eq!(signature.action(), None, "only the service sends it");
        world
            .run(&mut case, "courier:ems", signature.clone())
            .expect("signed");
        assert_eq!(case.status, Status::Delivered);
        assert!(matches!(
            &case.delivery,
            Some(DeliveryMethod::Express { tracking_number: Some(w), .. }) if w == "EM123456789CN"
        ));
        assert!(world.run(&mut case, "courier:ems", signature).is_err());
    }

    proptest! {
        /// Whatever commands arrive, a refused one changes nothing and an accepted one moves the
        /// case only to a state whose actions were listed before.
        #[test]
        fn refused_commands_change_nothing(choices in proptest::collection::vec(0usize..14, 1..40)) {
            let world = World::new(day(2026, 11, 2));
            let mut case = new_case(&world, &["M01"]);
            let commands = [
                CaseCommand::StartPreReview,
                CaseCommand::RequestSupplement { missing: vec!["M03".into()], note: String::new() },
                CaseCommand::ProvideSupplement { materials: vec!["M03".into()] },
                CaseCommand::Accept,
                CaseCommand::Reject { reason: "理由".into() },
                CaseCommand::StartReview,
                CaseCommand::Suspend { kind: SuspensionKind::Hearing, reason: "听证".into() },
                CaseCommand::Resume,
                CaseCommand::Extend { working_days: 5, reason: "延期".into() },
                CaseCommand::Decide { approve: true, reason: String::new() },
                CaseCommand::IssueResult { document_number: None },
                CaseCommand::Deliver { method: DeliveryMethod::Pickup { collected_by: Some(Collector {
                    name: "王芳".into(), id_number: "11010519491231002X".into(), authorised: false, authorisation: None,
                }) } },
                CaseCommand::Close,
                CaseCommand::RecordVisit { purpose: "来访".into(), extra_visit_reason: Some("再次".into()), ticket: None, exception: Some(VisitException::HomeVisit) },
            ];
            for i in choices {
                let before = case.clone();
                let actor = if i == 9 { "approver" } else { "clerk" };
                match world.run(&mut case, actor, commands[i].clone()) {
                    Ok(()) => prop_assert_eq!(case.version, before.version + 1),
                    Err(_) => prop_assert_eq!(&case, &before),
                }
            }
        }
    }
}
