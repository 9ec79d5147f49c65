//! Evaluation of services (政务服务“好差评”, 国办发〔2019〕51号, GB/T 39734 / 39735): the applicant
//! rates a case online once per stage (一事一评) or a window's service at the counter (一次一评),
//! on five levels with the indicator questions of the channel; a bad rating (差评) opens a
//! rectification (整改) for the department that served, on a working-day clock.
//!
//! Pure rules: when a rating is allowed and what it records, the rankings by ratings, and the
//! rectification's states; third-party return visits (`visits`) and complaints (`complaints`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::case::{Case, Status};
use crate::validation::{FieldError, TEXT_MAX_CHARS, check_text};

/// A rating level (评价等级): 5 非常满意 … 1 非常不满意; 2 and 1 are 差评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RatingLevel, value_type = u8, minimum = 1, maximum = 5))]
#[serde(try_from = "u8", into = "u8")]
pub struct Level(u8);

impl Level {
    pub const VERY_SATISFIED: Level = Level(5);
    pub const SATISFIED: Level = Level(4);
    pub const BASIC: Level = Level(3);
    pub const DISSATISFIED: Level = Level(2);
    pub const VERY_DISSATISFIED: Level = Level(1);

    pub fn new(value: u8) -> Option<Level> {
        (1..=5).contains(&value).then_some(Level(value))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// 差评: 不满意 or 非常不满意.
    pub fn is_bad(self) -> bool {
        self.0 <= 2
    }

    /// 好评: 满意 or 非常满意 (基本满意 is neither).
    pub fn is_good(self) -> bool {
        self.0 >= 4
    }

    /// The level's name in Chinese, as the national scheme words it.
    pub fn name_zh(self) -> &'static str {
        match self.0 {
            5 => "非常满意",
            4 => "满意",
            3 => "基本满意",
            2 => "不满意",
            _ => "非常不满意",
        }
    }
}

impl TryFrom<u8> for Level {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Level::new(value).ok_or_else(|| format!("a level is 1 to 5, not {value}"))
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.0
    }
}

/// Where a rating is given (评价渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// 网上 (一事一评): the case page, or a link in a message.
    Online,
    /// 现场 (一次一评): the rating pad at the window, right after the service.
    OnSite,
}

impl RatingChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingChannel::Online => "online",
            RatingChannel::OnSite => "on_site",
        }
    }

    /// The indicator questions of the channel, in the order asked.
    pub fn indicators(self) -> &'static [Indicator] {
        match self {
            RatingChannel::Online => &[
                Indicator::Overall,
                Indicator::Efficiency,
                Indicator::GuideAccuracy,
                Indicator::Convenience,
                Indicator::Usability,
            ],
            RatingChannel::OnSite => &[
                Indicator::Overall,
                Indicator::ServiceEfficiency,
                Indicator::ServiceLevel,
                Indicator::Attitude,
            ],
        }
    }
}

/// An indicator question (评价指标), each answered on the five levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 整体满意度
    Overall,
    /// 办事效率
    Efficiency,
    /// 办事指南精确度
    GuideAccuracy,
    /// 办事便捷度
    Convenience,
    /// 平台操作性
    Usability,
    /// 服务效率
    ServiceEfficiency,
    /// 服务水平
    ServiceLevel,
    /// 服务态度
    Attitude,
}

impl Indicator {
    pub const ALL: [Indicator; 8] = [
        Indicator::Overall,
        Indicator::Efficiency,
        Indicator::GuideAccuracy,
        Indicator::Convenience,
        Indicator::Usability,
        Indicator::ServiceEfficiency,
        Indicator::ServiceLevel,
        Indicator::Attitude,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Overall => "overall",
            Indicator::Efficiency => "efficiency",
            Indicator::GuideAccuracy => "guide_accuracy",
            Indicator::Convenience => "convenience",
            Indicator::Usability => "usability",
            Indicator::ServiceEfficiency => "service_efficiency",
            Indicator::ServiceLevel => "service_level",
            Indicator::Attitude => "attitude",
        }
    }

    pub fn parse(s: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// What is rated (评价对象).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RatedObject {
    /// A member of staff (the window clerk who served), by user name.
    Staff { username: String },
    /// A window of a centre.
    Window { centre: String, window: String },
    /// A service hall (centre).
    Hall { centre: String },
    /// The online platform.
    Platform,
}

/// The moment of a case a rating is about (一事一评: once per stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingStage {
    /// 受理: the application taken in (at the window, or online once accepted or refused).
    Acceptance,
    /// 办结: the decision made.
    Decision,
    /// 送达: the result handed over.
    Delivery,
}

impl RatingStage {
    pub const ALL: [RatingStage; 3] = [
        RatingStage::Acceptance,
        RatingStage::Decision,
        RatingStage::Delivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RatingStage::Acceptance => "acceptance",
            RatingStage::Decision => "decision",
            RatingStage::Delivery => "delivery",
        }
    }

    /// The day the case reached this stage, if it has.
    pub fn reached_on(self, case: &Case) -> Option<NaiveDate> {
        match self {
            RatingStage::Acceptance => case.accepted_on.or(case.rejected_on),
            RatingStage::Decision => case.decision.as_ref().map(|d| d.decided_on),
            RatingStage::Delivery => case.delivered_on.or_else(|| {
                // Delivered before the day was kept: the decision's day stands for it.
                matches!(case.status, Status::Delivered | Status::Closed)
                    .then_some(case.delivery.as_ref())
                    .flatten()
                    .and(case.decision.as_ref().map(|d| d.decided_on))
            }),
        }
    }
}

/// How long after a stage it may be rated, per channel (评价时效). Counties set their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingPolicy {
    /// Calendar days after the stage during which the applicant may rate it online.
    pub online_days: u32,
    /// Calendar days after the stage during which the counter's pad may take a rating (the
    /// same day by default: the applicant is at the window).
    pub on_site_days: u32,
    /// Working days the serving department has to rectify a 差评.
    pub rectification_working_days: u32,
    /// Days a signed rating link stays valid.
    pub link_days: u32,
    /// The share of each department's decided cases drawn for a return visit each month, in
    /// per cent (real-name 差评 are all called back besides).
    #[serde(default = "default_visit_percent")]
    pub return_visit_percent: u32,
}

fn default_visit_percent() -> u32 {
    10
}

impl Default for RatingPolicy {
    fn default() -> Self {
        Self {
            online_days: 30,
            on_site_days: 0,
            rectification_working_days: 5,
            link_days: 15,
            return_visit_percent: default_visit_percent(),
        }
    }
}

impl RatingPolicy {
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(1..=365).contains(&self.online_days) {
            errors.push(FieldError::new("online_days", "1 to 365 days"));
        }
        if self.on_site_days > 30 {
            errors.push(FieldError::new(
                "on_site_days",
                "0 (the same day) to 30 days",
            ));
        }
        if !(1..=30).contains(&self.rectification_working_days) {
            errors.push(FieldError::new(
                "rectification_working_days",
                "1 to 30 working days (counties use 5, 7 or 15)",
            ));
        }
        if !(1..=90).contains(&self.link_days) {
            errors.push(FieldError::new("link_days", "1 to 90 days"));
        }
        if self.return_visit_percent > 100 {
            errors.push(FieldError::new("return_visit_percent", "0 to 100 per cent"));
        }
        errors
    }
}

/// A rating as given: the level, the answers to the channel's indicators, and free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingInput {
    pub stage: RatingStage,
    /// 1 (非常不满意) to 5 (非常满意).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub level: i64,
    /// The indicator questions answered, each 1 to 5; unanswered ones may be left out.
    #[serde(default)]
    pub answers: BTreeMap<String, i64>,
    /// What the applicant wants to say; asked for with a 差评.
    #[serde(default)]
    pub text: String,
    /// Rated under the applicant's name (实名) rather than anonymously.
    #[serde(default = "default_true")]
    pub real_name: bool,
}

fn default_true() -> bool {
    true
}

/// A rating record (评价记录) in the field set the provincial systems ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    pub id: String,
    pub case_id: String,
    /// 办件编号
    pub case_number: String,
    pub item_code: String,
    pub item_version: u32,
    pub item_name: String,
    /// The department that served (谁办理、谁负责).
    pub department: String,
    /// The division code (区划代码) of the county.
    pub division: String,
    pub channel: RatingChannel,
    pub stage: RatingStage,
    pub object: RatedObject,
    pub level: Level,
    pub answers: BTreeMap<Indicator, Level>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    pub rated_at: DateTime<Utc>,
    pub real_name: bool,
    /// Who rated: the applicant's account, `link` (a signed link) or `pad:<clerk>`.
    pub rated_by: String,
    /// Set when an appeal found the rating mistaken or malicious: it no longer counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

impl Rating {
    /// Whether it counts in the figures (an appeal upheld takes it out).
    pub fn counts(&self) -> bool {
        self.excluded.is_none()
    }
}

/// Why a rating is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("invalid rating: {}", crate::validation::list_field_errors(.0))]
    Invalid(Vec<FieldError>),
    /// The case has not reached the stage, or the time to rate it is over.
    #[error("{0}")]
    NotNow(String),
    /// This stage of this case is rated already (一事一评): a rating is not edited, only appealed.
    #[error("stage {0} of this case is rated already; a rating cannot be changed, only appealed")]
    AlreadyRated(&'static str),
}

/// What is needed to record a rating, besides the input.
#[derive(Debug, Clone)]
pub struct RatingContext<'a> {
    pub id: String,
    pub division: &'a str,
    pub channel: RatingChannel,
    pub object: RatedObject,
    pub rated_by: String,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

/// Checks a rating of `case` against the policy and the case's earlier ratings, and builds the
/// record. Every problem with the input is named at once.
pub fn rate(
    case: &Case,
    earlier: &[Rating],
    input: &RatingInput,
    policy: &RatingPolicy,
    ctx: RatingContext<'_>,
) -> Result<Rating, RatingError> {
    let mut errors = Vec::new();
    let level = u8::try_from(input.level).ok().and_then(Level::new);
    if level.is_none() {
        errors.push(FieldError::new("level", "1 (非常不满意) to 5 (非常满意)"));
    }
    let mut answers = BTreeMap::new();
    for (key, value) in &input.answers {
        let field = format!("answers.{key}");
        match (
            Indicator::parse(key),
            u8::try_from(*value).ok().and_then(Level::new),
        ) {
            (Some(indicator), Some(level)) if ctx.channel.indicators().contains(&indicator) => {
                answers.insert(indicator, level);
            }
            (Some(_), Some(_)) | (None, _) => errors.push(FieldError::new(
                field,
                format!(
                    "not a question of the {} channel; it asks {}",
                    ctx.channel.as_str(),
                    ctx.channel
                        .indicators()
                        .iter()
                        .map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            (Some(_), None) => errors.push(FieldError::new(field, "1 to 5")),
        }
    }
    let text = input.text.trim();
    check_text(&mut errors, "text", text, TEXT_MAX_CHARS, true);
    if level.is_some_and(Level::is_bad) && text.is_empty() {
        errors.push(FieldError::new(
            "text",
            "say what went wrong: a 差评 opens a rectification, and the department needs to know what to put right",
        ));
    }
    if !errors.is_empty() {
        return Err(RatingError::Invalid(errors));
    }
    let Some(level) = level else {
        return Err(RatingError::Invalid(Vec::new()));
    };
    let Some(reached) = input.stage.reached_on(case) else {
        return Err(RatingError::NotNow(format!(
            "the case has not reached the {} stage yet",
            input.stage.as_str()
        )));
    };
    let days = match ctx.channel {
        RatingChannel::Online => policy.online_days,
        RatingChannel::OnSite => policy.on_site_days,
    };
    if (ctx.today - reached).num_days() > i64::from(days) {
        return Err(RatingError::NotNow(format!(
            "the {} stage ({reached}) may be rated for {days} days; the time to rate it is over",
            input.stage.as_str()
        )));
    }
    if earlier
        .iter()
        .any(|r| r.case_id == case.id && r.stage == input.stage)
    {
        return Err(RatingError::AlreadyRated(input.stage.as_str()));
    }
    answers.entry(Indicator::Overall).or_insert(level);
    Ok(Rating {
        id: ctx.id,
        case_id: case.id.clone(),
        case_number: case.number.clone(),
        item_code: case.item_code.clone(),
        item_version: case.item_version,
        item_name: case.item_name.clone(),
        department: case.department.clone(),
        division: ctx.division.to_string(),
        channel: ctx.channel,
        stage: input.stage,
        object: ctx.object,
        level,
        answers,
        text: text.to_string(),
        rated_at: ctx.now,
        real_name: input.real_name,
        rated_by: ctx.rated_by,
        excluded: None,
    })
}

/// The stages of `case` that may still be rated on `today` over `channel`, given its ratings.
pub fn open_stages(
    case: &Case,
    earlier: &[Rating],
    policy: &RatingPolicy,
    channel: RatingChannel,
    today: NaiveDate,
) -> Vec<RatingStage> {
    let days = match channel {
        RatingChannel::Online => policy.online_days,
        RatingChannel::OnSite => policy.on_site_days,
    };
    RatingStage::ALL
        .into_iter()
        .filter(|stage| {
            stage
                .reached_on(case)
                .is_some_and(|d| (today - d).num_days() <= i64::from(days))
                && !earlier
                    .iter()
                    .any(|r| r.case_id == case.id && r.stage == *stage)
        })
        .collect()
}

// ---- rankings by ratings ------------------------------------------------------------------

/// What ratings are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingUnit {
    /// The department that served.
    Department,
    /// The window rated on its pad (`centre/window`).
    Window,
    /// The member of staff rated on the pad.
    Staff,
}

/// One unit's ratings in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingRank {
    /// 1 for the best; equal good rates and averages share a rank.
    pub rank: u32,
    pub unit: String,
    pub ratings: u64,
    /// 满意 and 非常满意 over all.
    pub good_rate: crate::figures::Ratio,
    pub bad: u64,
    /// The mean level in hundredths (500 = every rating 非常满意).
    pub average_centi: u64,
}

/// Ranks the units of `ratings` (those that count) by good rate, then mean level, then more
/// ratings, then name.
pub fn rank_ratings(ratings: &[Rating], unit: RatingUnit) -> Vec<RatingRank> {
    let mut by: BTreeMap<String, Vec<&Rating>> = BTreeMap::new();
    for r in ratings.iter().filter(|r| r.counts()) {
        let key = match (unit, &r.object) {
            (RatingUnit::Department, _) => Some(r.department.clone()),
            (RatingUnit::Window, RatedObject::Window { centre, window }) => {
                Some(format!("{centre}/{window}"))
            }
            (RatingUnit::Staff, RatedObject::Staff { username }) => Some(username.clone()),
            _ => None,
        };
        if let Some(key) = key {
            by.entry(key).or_default().push(r);
        }
    }
    let mut rows: Vec<RatingRank> = by
        .into_iter()
        .map(|(unit, list)| {
            let n = list.len() as u64;
            let good = list.iter().filter(|r| r.level.is_good()).count() as u64;
            let sum: u64 = list.iter().map(|r| u64::from(r.level.value())).sum();
            RatingRank {
                rank: 0,
                unit,
                ratings: n,
                good_rate: crate::figures::Ratio::new(good, n),
                bad: list.iter().filter(|r| r.level.is_bad()).count() as u64,
                average_centi: (sum * 100).checked_div(n).unwrap_or(0),
            }
        })
        .collect();
    let key = |r: &RatingRank| (r.good_rate.percent_hundredths(), r.average_centi);
    rows.sort_by(|a, b| {
        key(b)
            .cmp(&key(a))
            .then(b.ratings.cmp(&a.ratings))
            .then(a.unit.cmp(&b.unit))
    });
    let mut rank = 0;
    let mut previous = None;
    for (i, row) in rows.iter_mut().enumerate() {
        let k = key(row);
        if previous != Some(k) {
            rank = i as u32 + 1;
            previous = Some(k);
        }
        row.rank = rank;
    }
    rows
}

// ---- rectification (差评整改) -------------------------------------------------------------

/// Where a rectification stands (整改状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RectificationState {
    /// 待核实: opened by the 差评, waiting for the department's call back.
    Open,
    /// 已核实: the department called the applicant back.
    Verified,
    /// 申诉中: sent to appeal (申诉复核); the supervisor decides.
    Appealed,
    /// 已办结: fixed, put in the ledger, explained, or the appeal upheld.
    Closed,
}

impl RectificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            RectificationState::Open => "open",
            RectificationState::Verified => "verified",
            RectificationState::Appealed => "appealed",
            RectificationState::Closed => "closed",
        }
    }
}

/// How a rectification ended (处置方式).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RectificationOutcome))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// 立行立改: put right at once.
    Fixed { measures: String },
    /// 限期整改: put in the ledger with a deadline.
    Ledger {
        measures: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        deadline: NaiveDate,
    },
    /// 解释说明: no legal basis; explained to the applicant.
    Explained { explanation: String },
    /// 申诉复核 upheld: the rating was mistaken or malicious and no longer counts.
    AppealUpheld { reason: String },
}

/// The applicant's rating of the rectification (整改评价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

/// A step of a rectification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RectificationCommand {
    /// The department called the applicant back (核实): what it learned.
    Verify { note: String },
    /// The department ends it: fixed, ledger or explained.
    Resolve { outcome: Outcome },
    /// The department sends it to appeal: the rating was mistaken or malicious.
    Appeal { reason: String },
    /// The supervisor decides the appeal: upheld (the rating no longer counts) or rejected
    /// (back to the department).
    DecideAppeal { upheld: bool, reason: String },
    /// The applicant rates how it was put right.
    GiveFeedback { feedback: Feedback },
}

/// One entry of a rectification's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RectificationStep {
    pub at: DateTime<Utc>,
    pub by: String,
    pub command: RectificationCommand,
}

/// The rectification a 差评 opens (差评整改), for the department that served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rectification {
    pub id: String,
    pub rating_id: String,
    pub case_id: String,
    pub case_number: String,
    pub department: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub opened_on: NaiveDate,
    /// The last working day of the limit.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: NaiveDate,
    pub state: RectificationState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    pub history: Vec<RectificationStep>,
    pub version: u64,
}

/// Why a rectification step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RectificationError {
    #[error("invalid input: {}", crate::validation::list_field_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error("a rectification that is {state} cannot {action}")]
    NotNow {
        state: &'static str,
        action: &'static str,
    },
}

/// Who takes a step: the serving department's staff, a supervisor, or the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectifierRole {
    Department,
    Supervisor,
    Applicant,
}

/// A kind of rectification step, without its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectificationStepKind {
    Verify,
    Resolve,
    Appeal,
    DecideAppeal,
    GiveFeedback,
}

impl RectificationCommand {
    /// The kind of step it is.
    pub fn kind(&self) -> RectificationStepKind {
        match self {
            RectificationCommand::Verify { .. } => RectificationStepKind::Verify,
            RectificationCommand::Resolve { .. } => RectificationStepKind::Resolve,
            RectificationCommand::Appeal { .. } => RectificationStepKind::Appeal,
            RectificationCommand::DecideAppeal { .. } => RectificationStepKind::DecideAppeal,
            RectificationCommand::GiveFeedback { .. } => RectificationStepKind::GiveFeedback,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            RectificationCommand::Verify { .. } => "verify",
            RectificationCommand::Resolve { .. } => "resolve",
            RectificationCommand::Appeal { .. } => "appeal",
            RectificationCommand::DecideAppeal { .. } => "decide-appeal",
            RectificationCommand::GiveFeedback { .. } => "give-feedback",
        }
    }

    /// Who may take this step.
    pub fn role(&self) -> RectifierRole {
        match self {
            RectificationCommand::DecideAppeal { .. } => RectifierRole::Supervisor,
            RectificationCommand::GiveFeedback { .. } => RectifierRole::Applicant,
            _ => RectifierRole::Department,
        }
    }
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, what: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, what));
    }
    check_text(errors, field, value, TEXT_MAX_CHARS, true);
}

/// Opens the rectification of a 差评 on `today`, due `working_days` working days after it.
pub fn open_rectification(
    id: String,
    rating: &Rating,
    working_days: u32,
    today: NaiveDate,
    calendar: &Calendar,
) -> Result<Rectification, CalendarError> {
    let due_on = calendar.add_working_days(today, working_days)?;
    Ok(Rectification {
        id,
        rating_id: rating.id.clone(),
        case_id: rating.case_id.clone(),
        case_number: rating.case_number.clone(),
        department: rating.department.clone(),
        opened_on: today,
        due_on,
        state: RectificationState::Open,
        outcome: None,
        closed_on: None,
        feedback: None,
        history: Vec::new(),
        version: 1,
    })
}

impl Rectification {
    /// Open past its due day on `today` (lights red in the monitor).
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.state != RectificationState::Closed && today > self.due_on
    }

    /// Whether a step of `kind` may be taken now: verify an open one, resolve a verified one,
    /// appeal before it is resolved, decide an appeal, and rate a closed one once (unless the
    /// appeal found the rating mistaken).
    pub fn may(&self, kind: RectificationStepKind) -> bool {
        use RectificationState::*;
        match kind {
            RectificationStepKind::Verify => self.state == Open,
            RectificationStepKind::Resolve => self.state == Verified,
            RectificationStepKind::Appeal => matches!(self.state, Open | Verified),
            RectificationStepKind::DecideAppeal => self.state == Appealed,
            RectificationStepKind::GiveFeedback => {
                self.state == Closed
                    && self.feedback.is_none()
                    && !matches!(self.outcome, Some(Outcome::AppealUpheld { .. }))
            }
        }
    }

    /// Closed on or before its due day.
    pub fn closed_on_time(&self) -> Option<bool> {
        self.closed_on.map(|d| d <= self.due_on)
    }

    /// The next state after `command` by `by` at `now`; nothing changes on a refusal.
    pub fn apply(
        &self,
        command: RectificationCommand,
        by: &str,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Rectification, RectificationError> {
        let mut errors = Vec::new();
        match &command {
            RectificationCommand::Verify { note } => {
                required(&mut errors, "note", note, "what the call back found")
            }
            RectificationCommand::Resolve { outcome } => match outcome {
                Outcome::Fixed { measures } => {
                    required(&mut errors, "measures", measures, "what was put right")
                }
                Outcome::Ledger { measures, deadline } => {
                    required(&mut errors, "measures", measures, "what will be put right");
                    if *deadline <= today {
                        errors.push(FieldError::new(
                            "deadline",
                            "a day after today, by which it is put right",
                        ));
                    }
                }
                Outcome::Explained { explanation } => required(
                    &mut errors,
                    "explanation",
                    explanation,
                    "the explanation given to the applicant",
                ),
                Outcome::AppealUpheld { .. } => errors.push(FieldError::new(
                    "outcome",
                    "an appeal is decided by a supervisor, not resolved by the department",
                )),
            },
            RectificationCommand::Appeal { reason } => required(
                &mut errors,
                "reason",
                reason,
                "why the rating is mistaken or malicious",
            ),
            RectificationCommand::DecideAppeal { reason, .. } => {
                required(&mut errors, "reason", reason, "the reason of the decision")
            }
            RectificationCommand::GiveFeedback { .. } => {}
        }
        if !errors.is_empty() {
            return Err(RectificationError::Invalid(errors));
        }
        if !self.may(command.kind()) {
            return Err(RectificationError::NotNow {
                state: self.state.as_str(),
                action: command.name(),
            });
        }
        let mut next = self.clone();
        match &command {
            RectificationCommand::Verify { .. } => next.state = RectificationState::Verified,
            RectificationCommand::Resolve { outcome } => {
                next.state = RectificationState::Closed;
                next.outcome = Some(outcome.clone());
                next.closed_on = Some(today);
            }
            RectificationCommand::Appeal { .. } => next.state = RectificationState::Appealed,
            RectificationCommand::DecideAppeal {
                upheld: true,
                reason,
            } => {
                next.state = RectificationState::Closed;
                next.outcome = Some(Outcome::AppealUpheld {
                    reason: reason.trim().to_string(),
                });
                next.closed_on = Some(today);
            }
            RectificationCommand::DecideAppeal { upheld: false, .. } => {
                next.state = RectificationState::Verified;
            }
            RectificationCommand::GiveFeedback { feedback } => next.feedback = Some(*feedback),
        }
        next.history.push(RectificationStep {
            at: now,
            by: by.to_string(),
            command,
        });
        next.version += 1;
        Ok(next)
    }
}

mod complaints;
mod visits;

pub use complaints::*;
pub use visits::*;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_one_and_two_are_bad_four_and_five_good() {
        assert!(Level::new(0).is_none() && Level::new(6).is_none());
        let levels: Vec<(bool, bool)> = (1..=5)
            .map(|v| {
                let l = Level::new(v).expect("a level");
                (l.is_bad(), l.is_good())
            })
            .collect();
        assert_eq!(
            levels,
            [
                (true, false),
                (true, false),
                (false, false),
                (false, true),
                (false, true)
            ]
        );
        assert_eq!(Level::BASIC.name_zh(), "基本满意");
    }

    #[test]
    fn each_channel_asks_its_own_questions() {
        assert_eq!(RatingChannel::Online.indicators().len(), 5);
        assert_eq!(RatingChannel::OnSite.indicators().len(), 4);
        assert!(
            RatingChannel::OnSite
                .indicators()
                .contains(&Indicator::Attitude)
        );
        assert!(
            !RatingChannel::Online
                .indicators()
                .contains(&Indicator::Attitude)
        );
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    fn now() -> DateTime<Utc> {
        day(7).and_hms_opt(2, 0, 0).expect("time").and_utc()
    }

    /// A case decided on 1 December and delivered on 3 December 2026.
    fn delivered_case() -> Case {
        serde_json::from_value(serde_json::json!({
            "id": "c1", "number": "33022620261201000001",
            "item_code": "SCJG-001", "item_version": 1, "item_name": "食品经营许可",
            "department": "SCJGJ", "promised_days": 5, "required_materials": ["M01"],
            "applicant": {"kind": "person", "name": "林晓梅", "id_number": "330226198806150022"},
            "channel": "online", "centre": "county-hall", "status": "delivered",
            "received_at": "2026-11-30T01:00:00Z", "received_on": "2026-11-30",
            "provided_materials": ["M01"], "supplement_notices": [],
            "accepted_on": "2026-11-30", "accepted_by": "clerk", "deemed_accepted": false,
            "clock": null, "extension_reason": null, "rejection_reason": null,
            "decision": {"approved": true, "reason": "", "decided_by": "approver", "decided_on": "2026-12-01"},
            "result_document": "N1-01", "delivery": {"method": "online"},
            "delivered_on": "2026-12-03", "visits": [], "closed_on": null, "version": 9
        }))
        .expect("a case")
    }

    fn input(stage: RatingStage, level: u8, text: &str) -> RatingInput {
        RatingInput {
            stage,
            level: i64::from(level),
            answers: BTreeMap::new(),
            text: text.into(),
            real_name: true,
        }
    }

    fn context(today: NaiveDate, channel: RatingChannel) -> RatingContext<'static> {
        RatingContext {
            id: "r1".into(),
            division: "330226",
            channel,
            object: RatedObject::Platform,
            rated_by: "citizen".into(),
            now: today.and_hms_opt(2, 0, 0).expect("time").and_utc(),
            today,
        }
    }

    #[test]
    fn a_stage_is_rated_once_within_its_time_and_a_bad_rating_says_why() {
        let case = delivered_case();
        let policy = RatingPolicy::default();
        let online = |d| context(day(d), RatingChannel::Online);
        let good = rate(
            &case,
            &[],
            &input(RatingStage::Decision, 5, ""),
            &policy,
            online(7),
        )
        .expect("rated");
        assert_eq!(
            good.answers.get(&Indicator::Overall),
            Some(&Level::VERY_SATISFIED)
        );
        assert_eq!(good.division, "330226");
        assert!(matches!(
            rate(
                &case,
                std::slice::from_ref(&good),
                &input(RatingStage::Decision, 1, "慢"),
                &policy,
                online(7)
            ),
            Err(RatingError::AlreadyRated("decision"))
        ));
        let Err(RatingError::Invalid(errors)) = rate(
            &case,
            &[],
            &input(RatingStage::Delivery, 2, " "),
            &policy,
            online(7),
        ) else {
            panic!("a 差评 without a word is refused");
        };
        assert_eq!(errors[0].field, "text");
        let mut wrong = input(RatingStage::Delivery, 9, "");
        wrong.answers.insert("attitude".into(), 4);
        wrong.answers.insert("speed".into(), 4);
        let Err(RatingError::Invalid(errors)) = rate(&case, &[], &wrong, &policy, online(7)) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["level", "answers.attitude", "answers.speed"]);
        // 30 days after the decision (1 December) is the last day to rate it.
        assert!(
            rate(
                &case,
                &[],
                &input(RatingStage::Decision, 4, ""),
                &policy,
                context(
                    NaiveDate::from_ymd_opt(2026, 12, 31).expect("d"),
                    RatingChannel::Online
                )
            )
            .is_ok()
        );
        assert!(matches!(
            rate(
                &case,
                &[],
                &input(RatingStage::Decision, 4, ""),
                &policy,
                context(
                    NaiveDate::from_ymd_opt(2027, 1, 1).expect("d"),
                    RatingChannel::Online
                )
            ),
            Err(RatingError::NotNow(_))
        ));
        // The counter's pad takes a rating the same day only.
        assert!(matches!(
            rate(
                &case,
                &[],
                &input(RatingStage::Delivery, 4, ""),
                &policy,
                context(day(4), RatingChannel::OnSite)
            ),
            Err(RatingError::NotNow(_))
        ));
        assert!(
            rate(
                &case,
                &[],
                &input(RatingStage::Delivery, 4, ""),
                &policy,
                context(day(3), RatingChannel::OnSite)
            )
            .is_ok()
        );
        assert_eq!(
            open_stages(&case, &[good], &policy, RatingChannel::Online, day(7)),
            [RatingStage::Acceptance, RatingStage::Delivery]
        );
    }

    fn visit() -> ReturnVisit {
        ReturnVisit {
            id: "v1".into(),
            case_id: "c1".into(),
            case_number: "N1".into(),
            department: "SCJGJ".into(),
            centre: "county-hall".into(),
            month: "2026-12".into(),
            reason: VisitReason::Sampled,
            attempts: Vec::new(),
            state: VisitState::Pending,
            version: 1,
        }
    }

    fn call(reached: bool, satisfied: Option<bool>, reasons: &str) -> CallRecord {
        CallRecord {
            reached,
            satisfied,
            reasons: reasons.into(),
            follow_up: None,
        }
    }

    #[test]
    fn three_calls_nobody_answers_end_a_visit_and_an_answer_says_why() {
        let mut v = visit();
        for _ in 0..2 {
            v = v
                .record(&call(false, None, ""), "op", now())
                .expect("a call");
            assert!(v.is_pending());
        }
        let ended = v
            .record(&call(false, None, ""), "op", now())
            .expect("the third");
        assert_eq!(ended.state, VisitState::NotReached);
        assert!(
            ended
                .record(&call(true, Some(true), ""), "op", now())
                .is_err()
        );
        let Err(RectificationError::Invalid(errors)) =
            visit().record(&call(true, Some(false), ""), "op", now())
        else {
            panic!("refused");
        };
        assert_eq!(errors[0].field, "reasons");
        let mut unhappy = call(true, Some(false), "等待时间长");
        unhappy.follow_up = Some("请部门回电说明".into());
        let reached = visit().record(&unhappy, "op", now()).expect("reached");
        assert_eq!(reached.satisfied(), Some(false));
        assert_eq!(reached.needs_rectification(), Some("请部门回电说明"));
    }

    #[test]
    fn the_sample_takes_a_share_of_each_department_the_same_way_every_time() {
        let candidates: Vec<Candidate> = (0..45)
            .map(|i| Candidate {
                case_id: format!("case-{i}"),
                department: if i < 40 { "A".into() } else { "B".into() },
            })
            .collect();
        let drawn = sample(&candidates, 10, "2026-12");
        assert_eq!(drawn.len(), 4 + 1, "10 % of 40, and at least one of 5");
        assert_eq!(drawn, sample(&candidates, 10, "2026-12"));
        assert_ne!(
            drawn,
            sample(&candidates, 10, "2027-01"),
            "another month, another draw"
        );
        assert!(sample(&candidates, 0, "2026-12").is_empty());
        assert_eq!(sample(&candidates, 100, "2026-12").len(), 45);
    }

    #[test]
    fn windows_and_staff_are_ranked_by_their_ratings() {
        let case = delivered_case();
        let policy = RatingPolicy::default();
        let mut ratings = Vec::new();
        for (i, (window, level)) in [("A01", 5), ("A01", 4), ("A02", 5), ("A02", 2), ("A03", 5)]
            .into_iter()
            .enumerate()
        {
            let mut c = case.clone();
            c.id = format!("c{i}");
            let mut ctx = context(day(3), RatingChannel::OnSite);
            ctx.id = format!("r{i}");
            ctx.object = RatedObject::Window {
                centre: "county-hall".into(),
                window: window.into(),
            };
            let text = if level <= 2 { "慢" } else { "" };
            ratings.push(
                rate(
                    &c,
                    &[],
                    &input(RatingStage::Delivery, level, text),
                    &policy,
                    ctx,
                )
                .expect("rated"),
            );
        }
        let ranked = rank_ratings(&ratings, RatingUnit::Window);
        let order: Vec<(&str, u32)> = ranked.iter().map(|r| (r.unit.as_str(), r.rank)).collect();
        assert_eq!(
            order,
            [
                ("county-hall/A03", 1),
                ("county-hall/A01", 2),
                ("county-hall/A02", 3)
            ]
        );
        assert_eq!(ranked[1].average_centi, 450);
        assert_eq!(ranked[2].bad, 1);
        assert!(rank_ratings(&ratings, RatingUnit::Staff).is_empty());
        assert_eq!(rank_ratings(&ratings, RatingUnit::Department).len(), 1);
    }

    #[test]
    fn a_complaint_is_due_in_five_working_days_and_answered_once() {
        let calendar = Calendar::prc();
        let new = NewComplaint {
            source: ComplaintSource::Hotline,
            ticket: Some("12345-20261207-0001".into()),
            against: ComplaintTarget::Window {
                centre: "county-hall".into(),
                window: "A01".into(),
            },
            department: "SCJGJ".into(),
            centre: Some("county-hall".into()),
            text: "窗口人员态度生硬".into(),
        };
        // Monday 7 December 2026: five working days later is Monday 14 December.
        let c = record_complaint("k1".into(), new.clone(), "supervisor", day(7), &calendar)
            .expect("recorded");
        assert_eq!(c.due_on, day(14));
        assert!(!c.is_overdue(day(14)) && c.is_overdue(day(15)));
        let answered = c
            .answer("已约谈当事人并致歉", true, "approver", day(9))
            .expect("answered");
        assert!(answered.is_justified());
        assert!(answered.answer("again", false, "approver", day(9)).is_err());
        let mut empty = new;
        empty.text = " ".into();
        empty.against = ComplaintTarget::Staff {
            username: "".into(),
        };
        let Err(RectificationError::Invalid(errors)) =
            record_complaint("k2".into(), empty, "supervisor", day(7), &calendar)
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["text", "against"]);
    }

    proptest! {
        #[test]
        fn a_sample_is_the_rounded_up_share_of_each_department(
            sizes in proptest::collection::vec(0usize..30, 1..5), percent in 0u32..=100
        ) {
            let mut candidates = Vec::new();
            for (d, n) in sizes.iter().enumerate() {
                for i in 0..*n {
                    candidates.push(Candidate { case_id: format!("{d}-{i}"), department: d.to_string() });
                }
            }
            let drawn = sample(&candidates, percent, "2026-12");
            let wanted: usize = sizes.iter().map(|n| (n * percent as usize).div_ceil(100)).sum();
            prop_assert_eq!(drawn.len(), wanted);
        }

        #[test]
        fn whatever_is_asked_at_most_one_rating_per_stage_is_recorded(
            asks in proptest::collection::vec((0usize..3, 0u8..7, 0u32..40), 1..30)
        ) {
            let case = delivered_case();
            let policy = RatingPolicy::default();
            let mut recorded: Vec<Rating> = Vec::new();
            for (stage, level, offset) in asks {
                let today = day(1) + chrono::Duration::days(i64::from(offset));
                let asked = input(RatingStage::ALL[stage], level, "说明");
                if let Ok(r) = rate(&case, &recorded, &asked, &policy, context(today, RatingChannel::Online)) {
                    prop_assert!((1..=5).contains(&r.level.value()));
                    recorded.push(r);
                }
            }
            for stage in RatingStage::ALL {
                prop_assert!(recorded.iter().filter(|r| r.stage == stage).count() <= 1);
            }
        }
    }

    fn rectification() -> Rectification {
        Rectification {
            id: "r1".into(),
            rating_id: "x".into(),
            case_id: "c".into(),
            case_number: "N".into(),
            department: "SCJGJ".into(),
            opened_on: day(7),
            due_on: day(14),
            state: RectificationState::Open,
            outcome: None,
            closed_on: None,
            feedback: None,
            history: Vec::new(),
            version: 1,
        }
    }

    fn verify() -> RectificationCommand {
        RectificationCommand::Verify {
            note: "已电话回访，申请人反映窗口等候时间长".into(),
        }
    }

    #[test]
    fn a_rectification_is_verified_then_resolved_and_rated_once() {
        let r = rectification();
        let fixed = RectificationCommand::Resolve {
            outcome: Outcome::Fixed {
                measures: "增开窗口".into(),
            },
        };
        assert!(matches!(
            r.apply(fixed.clone(), "reviewer", now(), day(8)),
            Err(RectificationError::NotNow { .. })
        ));
        let verified = r
            .apply(verify(), "reviewer", now(), day(8))
            .expect("verified");
        let closed = verified
            .apply(fixed, "reviewer", now(), day(9))
            .expect("fixed");
        assert_eq!(closed.state, RectificationState::Closed);
        assert_eq!(closed.closed_on_time(), Some(true));
        let feedback = RectificationCommand::GiveFeedback {
            feedback: Feedback::Satisfied,
        };
        let rated = closed
            .apply(feedback.clone(), "citizen", now(), day(10))
            .expect("rated");
        assert_eq!(rated.feedback, Some(Feedback::Satisfied));
        assert!(rated.apply(feedback, "citizen", now(), day(10)).is_err());
        assert_eq!(rated.history.len(), 3);
    }

    #[test]
    fn an_appeal_upheld_closes_it_and_a_rejected_one_sends_it_back() {
        let r = rectification();
        let appealed = r
            .apply(
                RectificationCommand::Appeal {
                    reason: "申请人误评".into(),
                },
                "reviewer",
                now(),
                day(8),
            )
            .expect("appealed");
        let rejected = appealed
            .apply(
                RectificationCommand::DecideAppeal {
                    upheld: false,
                    reason: "评价属实".into(),
                },
                "supervisor",
                now(),
                day(9),
            )
            .expect("decided");
        assert_eq!(rejected.state, RectificationState::Verified);
        let upheld = appealed
            .apply(
                RectificationCommand::DecideAppeal {
                    upheld: true,
                    reason: "经核实为误评".into(),
                },
                "supervisor",
                now(),
                day(9),
            )
            .expect("decided");
        assert_eq!(upheld.state, RectificationState::Closed);
        assert!(
            upheld
                .apply(
                    RectificationCommand::GiveFeedback {
                        feedback: Feedback::Dissatisfied
                    },
                    "citizen",
                    now(),
                    day(10)
                )
                .is_err(),
            "nothing to rate when the rating itself was found mistaken"
        );
    }

    #[test]
    fn empty_words_are_refused_field_by_field() {
        let r = rectification();
        let Err(RectificationError::Invalid(errors)) = r.apply(
            RectificationCommand::Verify { note: " ".into() },
            "reviewer",
            now(),
            day(8),
        ) else {
            panic!("refused");
        };
        assert_eq!(errors[0].field, "note");
        let verified = r.apply(verify(), "reviewer", now(), day(8)).expect("ok");
        let Err(RectificationError::Invalid(errors)) = verified.apply(
            RectificationCommand::Resolve {
                outcome: Outcome::Ledger {
                    measures: "优化流程".into(),
                    deadline: day(8),
                },
            },
            "reviewer",
            now(),
            day(8),
        ) else {
            panic!("refused");
        };
        assert_eq!(errors[0].field, "deadline");
    }

    proptest! {
        #[test]
        fn a_closed_rectification_never_opens_again(steps in proptest::collection::vec(0u8..6, 1..20)) {
            let mut r = rectification();
            let mut was_closed = false;
            for s in steps {
                let command = match s {
                    0 => verify(),
                    1 => RectificationCommand::Resolve { outcome: Outcome::Explained { explanation: "依法说明".into() } },
                    2 => RectificationCommand::Appeal { reason: "恶意差评".into() },
                    3 => RectificationCommand::DecideAppeal { upheld: false, reason: "属实".into() },
                    4 => RectificationCommand::DecideAppeal { upheld: true, reason: "误评".into() },
                    _ => RectificationCommand::GiveFeedback { feedback: Feedback::BasicallySatisfied },
                };
                let before = r.clone();
                match r.apply(command, "x", now(), day(8)) {
                    Ok(next) => { prop_assert_eq!(next.version, before.version + 1); r = next; }
                    Err(_) => prop_assert_eq!(&r, &before),
                }
                if was_closed {
                    prop_assert_eq!(r.state, RectificationState::Closed);
                }
                was_closed |= r.state == RectificationState::Closed;
            }
        }
    }
}
