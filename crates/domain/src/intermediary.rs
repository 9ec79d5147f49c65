//! The online intermediary supermarket (网上中介超市): intermediary firms registered with their
//! services and qualifications, needs a project owner posts under its project code, the quotes,
//! the selection (lowest price, a reproducible random draw, or a direct choice for small sums),
//! the contract on a working-day clock, the deliverable the approvals take as a material, and the
//! owner's rating.
//!
//! Money is in fen (分), so that sums are exact.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::access::{Decision, Principal, Role};
use crate::calendar::{Calendar, CalendarError};
use crate::clock::{CaseClock, Suspension, SuspensionKind, Timeliness};
use crate::monitor::{Light, LightRule};
use crate::validation::FieldError;

/// The department that admits, suspends and watches the firms (发展和改革局, which runs the
/// investment-project intermediary market in Zhejiang).
pub const SUPERVISING_DEPARTMENT: &str = "FGJ";

/// The most working days a firm may promise (about a year): a contract's clock must end on a day
/// the calendar can count.
pub const MAX_QUOTE_DAYS: u32 = 250;

/// A need whose ceiling is at most this (50,000 yuan) may be given to a firm the owner chooses
/// (直接选取); above it, the choice is by price or by draw.
pub const DIRECT_CHOICE_CEILING_FEN: u64 = 5_000_000;

/// A kind of intermediary service (中介服务事项) the market trades: what the firm produces (the
/// deliverable, named as the approvals' materials name it) and the names the approval plans give
/// the same work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceType {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    /// The report as the catalogue's materials name it: an application whose demanded material's
    /// name contains this takes the accepted report instead of an upload.
    pub deliverable: &'static str,
    /// The intermediary work of a project's plan this service does.
    pub plan_work: &'static [&'static str],
}

/// The services of the market.
pub const SERVICE_TYPES: &[ServiceType] = &[
    ServiceType {
        code: "eia",
        name: "环境影响评价",
        name_en: "Environmental impact report",
        deliverable: "环境影响报告表",
        plan_work: &["环境影响报告表编制"],
    },
    ServiceType {
        code: "safety",
        name: "安全评价",
        name_en: "Safety assessment",
        deliverable: "安全评价报告",
        plan_work: &[],
    },
    ServiceType {
        code: "surveying",
        name: "测绘",
        name_en: "Surveying and mapping",
        deliverable: "测绘成果报告",
        plan_work: &["联合测绘（多测合一）", "地形图测绘"],
    },
    ServiceType {
        code: "drawing-review",
        name: "施工图审查",
        name_en: "Construction drawing review",
        deliverable: "施工图审查合格书",
        plan_work: &["施工图审查"],
    },
    ServiceType {
        code: "energy",
        name: "节能评估",
        name_en: "Energy assessment",
        deliverable: "节能报告",
        plan_work: &["节能报告编制"],
    },
    ServiceType {
        code: "soil-water",
        name: "水土保持方案编制",
        name_en: "Water and soil conservation plan",
        deliverable: "水土保持方案",
        plan_work: &["水土保持方案编制"],
    },
    ServiceType {
        code: "geo-hazard",
        name: "地质灾害危险性评估",
        name_en: "Geological hazard assessment",
        deliverable: "地质灾害危险性评估报告",
        plan_work: &["地质灾害危险性评估"],
    },
    ServiceType {
        code: "design-scheme",
        name: "建筑方案设计",
        name_en: "Architectural scheme design",
        deliverable: "建设工程设计方案文本",
        plan_work: &["建筑方案设计", "建设工程设计方案编制"],
    },
    ServiceType {
        code: "drawing-design",
        name: "施工图设计",
        name_en: "Construction drawing design",
        deliverable: "施工图设计文件",
        plan_work: &["施工图设计"],
    },
    ServiceType {
        code: "fire-design",
        name: "消防设计",
        name_en: "Fire protection design",
        deliverable: "消防设计文件",
        plan_work: &["消防设计文件编制"],
    },
    ServiceType {
        code: "feasibility",
        name: "可行性研究报告编制",
        name_en: "Feasibility study",
        deliverable: "可行性研究报告",
        plan_work: &["可行性研究报告编制"],
    },
    ServiceType {
        code: "traffic",
        name: "交通影响评价",
        name_en: "Traffic impact assessment",
        deliverable: "交通影响评价报告",
        plan_work: &["交通影响评价"],
    },
    ServiceType {
        code: "fire-testing",
        name: "消防设施检测",
        name_en: "Fire installation testing",
        deliverable: "消防设施检测报告",
        plan_work: &["消防设施检测"],
    },
];

/// The service of `code`.
pub fn service_type(code: &str) -> Option<&'static ServiceType> {
    SERVICE_TYPES.iter().find(|s| s.code == code)
}

/// The service that does a plan's intermediary work of this name.
pub fn service_for_work(work_name: &str) -> Option<&'static ServiceType> {
    SERVICE_TYPES
        .iter()
        .find(|s| s.plan_work.contains(&work_name))
}

/// Where a firm stands in the registry (入驻状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FirmStatus {
    /// Registered, waiting for the supervising department.
    Pending,
    /// Admitted: may quote.
    Admitted,
    /// Suspended with a reason: may not quote until admitted again.
    Suspended,
    /// Removed from the market.
    Removed,
}

impl FirmStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FirmStatus::Pending => "pending",
            FirmStatus::Admitted => "admitted",
            FirmStatus::Suspended => "suspended",
            FirmStatus::Removed => "removed",
        }
    }
}

/// A qualification certificate of a firm for one service (资质), with its level and validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Qualification {
    /// The service code it qualifies for.
    pub service: String,
    /// e.g. 甲级, 乙级.
    pub level: String,
    /// The certificate's number.
    pub number: String,
    /// The last day it is valid.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_until: NaiveDate,
}

/// What a firm registers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewFirm {
    /// The firm's unified social credit code.
    pub uscc: String,
    pub name: String,
    /// Service codes (see `GET /market/services`).
    pub services: Vec<String>,
    #[serde(default)]
    pub qualifications: Vec<Qualification>,
    /// Division codes served (GB/T 2260): `330226` a county, `330200` a city, `330000` the
    /// province.
    pub regions: Vec<String>,
    /// Number of professional staff.
    pub staff: u32,
    pub contact: String,
    pub phone: String,
}

/// An intermediary firm (中介机构) in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Firm {
    pub uscc: String,
    pub name: String,
    pub services: Vec<String>,
    pub qualifications: Vec<Qualification>,
    pub regions: Vec<String>,
    pub staff: u32,
    pub contact: String,
    pub phone: String,
    /// The accounts that act for the firm.
    pub accounts: Vec<String>,
    pub status: FirmStatus,
    /// Why it was suspended or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub registered_on: NaiveDate,
    pub version: u64,
}

/// Why a firm may not quote for a need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("the firm is {0}, not admitted to the market")]
    NotAdmitted(&'static str),
    #[error("the firm does not offer the service {0}")]
    ServiceNotOffered(String),
    #[error("the firm has no qualification for the service {0}")]
    NoQualification(String),
    #[error("the firm's qualification {number} for {service} expired on {expired_on}")]
    QualificationExpired {
        service: String,
        number: String,
        expired_on: NaiveDate,
    },
    #[error("the firm does not serve the division {0}")]
    RegionNotServed(String),
}

fn check_division(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// True when a served region (a division code) covers `division`: a province's code (`330000`)
/// covers its cities and counties, a city's (`330200`) its counties.
pub fn region_covers(region: &str, division: &str) -> bool {
    let prefix = region.trim_end_matches("00");
    let prefix = if prefix.len() < 2 { region } else { prefix };
    division.starts_with(prefix)
}

impl NewFirm {
    /// Checks a registration; the code's check character is checked by the caller's parse.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(e) = crate::identifiers::UnifiedSocialCreditCode::parse(&self.uscc) {
            errors.push(FieldError::new("uscc", e.to_string()));
        }
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        if self.services.is_empty() {
            errors.push(FieldError::new("services", "name at least one service"));
        }
        for (i, s) in self.services.iter().enumerate() {
            if service_type(s).is_none() {
                errors.push(FieldError::new(
                    format!("services[{i}]"),
                    format!("{s} is not a service of the market"),
                ));
            }
        }
        for (i, q) in self.qualifications.iter().enumerate() {
            if !self.services.contains(&q.service) {
                errors.push(FieldError::new(
                    format!("qualifications[{i}].service"),
                    format!("{} is not among the firm's services", q.service),
                ));
            }
            if q.level.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("qualifications[{i}].level"),
                    "must not be empty",
                ));
            }
            if q.number.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("qualifications[{i}].number"),
                    "must not be empty",
                ));
            }
        }
        if self.qualifications.len() > 30 {
            errors.push(FieldError::new("qualifications", "at most 30"));
        }
        if self.regions.len() > 50 {
            errors.push(FieldError::new("regions", "at most 50"));
        }
        if self.regions.is_empty() {
            errors.push(FieldError::new(
                "regions",
                "name at least one division served",
            ));
        }
        for (i, r) in self.regions.iter().enumerate() {
            if !check_division(r) {
                errors.push(FieldError::new(
                    format!("regions[{i}]"),
                    format!("{r:?} is not a six-digit division code"),
                ));
            }
        }
        if self.contact.trim().is_empty() {
            errors.push(FieldError::new("contact", "must not be empty"));
        }
        if self.phone.trim().is_empty() {
            errors.push(FieldError::new("phone", "must not be empty"));
        }
        errors
    }
}

impl Firm {
    /// A firm registered on `day`, waiting to be admitted; `account` acts for it.
    pub fn register(new: NewFirm, account: &str, day: NaiveDate) -> Result<Firm, Vec<FieldError>> {
        let errors = new.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        let uscc = crate::identifiers::UnifiedSocialCreditCode::parse(&new.uscc)
            .map(|c| c.as_str().to_string())
            .map_err(|e| vec![FieldError::new("uscc", e.to_string())])?;
        Ok(Firm {
            uscc,
            name: new.name.trim().to_string(),
            services: new.services,
            qualifications: new.qualifications,
            regions: new.regions,
            staff: new.staff,
            contact: new.contact.trim().to_string(),
            phone: new.phone.trim().to_string(),
            accounts: vec![account.to_string()],
            status: FirmStatus::Pending,
            status_reason: None,
            registered_on: day,
            version: 1,
        })
    }

    /// Whether the firm may quote for `service` in `division` on `day`: admitted, offering the
    /// service, holding a qualification for it valid that day, and serving the division.
    pub fn may_quote(
        &self,
        service: &str,
        division: &str,
        day: NaiveDate,
    ) -> Result<(), Ineligible> {
        if self.status != FirmStatus::Admitted {
            return Err(Ineligible::NotAdmitted(self.status.as_str()));
        }
        if !self.services.iter().any(|s| s == service) {
            return Err(Ineligible::ServiceNotOffered(service.to_string()));
        }
        let held: Vec<&Qualification> = self
            .qualifications
            .iter()
            .filter(|q| q.service == service)
            .collect();
        if held.is_empty() {
            return Err(Ineligible::NoQualification(service.to_string()));
        }
        if !held.iter().any(|q| q.valid_until >= day) {
            let last = held.iter().max_by_key(|q| q.valid_until).copied();
            if let Some(q) = last {
                return Err(Ineligible::QualificationExpired {
                    service: service.to_string(),
                    number: q.number.clone(),
                    expired_on: q.valid_until,
                });
            }
        }
        if !self.regions.iter().any(|r| region_covers(r, division)) {
            return Err(Ineligible::RegionNotServed(division.to_string()));
        }
        Ok(())
    }
}

/// How the firm of a need is chosen (选取方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SelectionRule {
    /// 最低价: the lowest qualified quote (ties: fewer days, then the earlier quote).
    LowestPrice,
    /// 随机抽取: a draw among the qualified quotes, with a recorded seed anyone can re-run.
    RandomDraw,
    /// 直接选取: the owner chooses among the quotes; only up to [`DIRECT_CHOICE_CEILING_FEN`].
    DirectChoice,
}

impl SelectionRule {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectionRule::LowestPrice => "lowest_price",
            SelectionRule::RandomDraw => "random_draw",
            SelectionRule::DirectChoice => "direct_choice",
        }
    }
}

/// Where a need stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NeedStatus {
    /// Taking quotes (until the deadline).
    Open,
    /// A firm is selected and the contract signed.
    Selected,
    /// Closed without a firm (no qualified quote), or withdrawn by the owner.
    Closed,
}

impl NeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::Selected => "selected",
            NeedStatus::Closed => "closed",
        }
    }
}

/// What an owner posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewNeed {
    pub project_code: String,
    /// The service code.
    pub service: String,
    /// The plan step whose intermediary work this is; found from the service when left out.
    #[serde(default)]
    pub step_key: Option<String>,
    #[serde(default)]
    pub description: String,
    /// The most the owner pays, in fen.
    pub ceiling_fen: u64,
    /// The last day quotes are taken (to its end, local time).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub quote_deadline: NaiveDate,
    pub rule: SelectionRule,
}

/// A firm's offer (报价).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub firm: String,
    pub firm_name: String,
    pub price_fen: u64,
    /// The working days it promises.
    pub days: u32,
    #[serde(default)]
    pub note: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: DateTime<Utc>,
}

/// A random draw as recorded: the seed, the firms it drew among (sorted by code), each firm's
/// number, and the winner — the firm with the smallest number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Draw {
    pub seed: String,
    /// `(firm, SHA-256 of "<need id>:<seed>:<firm>" in hex)`, by firm code.
    pub numbers: Vec<(String, String)>,
    pub winner: String,
}

/// SHA-256 of `text`, in hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Draws among `firms` with `seed` for the need `need_id`: each firm's number is the SHA-256 of
/// `"<need_id>:<seed>:<firm>"`, and the smallest wins. Anyone holding the three can re-run it
/// (e.g. `printf '%s' "N1:seed:9133..." | sha256sum`); the order firms are listed in does not
/// matter. `None` without firms.
pub fn draw(need_id: &str, seed: &str, firms: &[String]) -> Option<Draw> {
    let mut numbers: Vec<(String, String)> = firms
        .iter()
        .map(|f| {
            let digest = Sha256::digest(format!("{need_id}:{seed}:{f}").as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            (f.clone(), hex)
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    let winner = numbers
        .iter()
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))?
        .0
        .clone();
    Some(Draw {
        seed: seed.to_string(),
        numbers,
        winner,
    })
}

/// The result of a selection, published with the quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Selection {
    pub firm: String,
    pub firm_name: String,
    pub price_fen: u64,
    pub days: u32,
    pub rule: SelectionRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<Draw>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: NaiveDate,
    /// The contract signed on it.
    pub contract: String,
}

/// A need for a service under a project (中介服务需求), with its quotes and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Need {
    pub id: String,
    pub project_code: String,
    pub project_name: String,
    /// The owner's unified social credit code.
    pub owner_identity: String,
    pub owner_name: String,
    /// The division the project is in (from its code).
    pub division: String,
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    /// The plan's intermediary work it does, when the plan names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_name: Option<String>,
    /// The plan's working days for the work (before the market), when the plan names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_days: Option<u32>,
    pub description: String,
    pub ceiling_fen: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub quote_deadline: NaiveDate,
    pub rule: SelectionRule,
    pub posted_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub posted_on: NaiveDate,
    pub quotes: Vec<Quote>,
    /// How many firms quoted: shown to everyone, also while the quotes are sealed.
    #[serde(default)]
    pub quotes_received: usize,
    pub status: NeedStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    /// A draw's seed, fixed when the need is posted and kept until the draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw_seed: Option<String>,
    /// SHA-256 of the draw's seed, public from the posting: the seed the draw uses was fixed
    /// before any quote came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_commitment: Option<String>,
    pub version: u64,
}

/// Why a market command is refused: each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The command does not fit the state (a quote on a closed need, a handover twice).
    #[error("{0}")]
    State(String),
    /// A day of the contract's clock falls in a year the calendar does not cover yet.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

fn invalid(field: &str, reason: impl Into<String>) -> MarketError {
    MarketError::Invalid(vec![FieldError::new(field, reason)])
}

/// A quote as a firm submits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewQuote {
    pub price_fen: u64,
    pub days: u32,
    #[serde(default)]
    pub note: String,
}

/// The plan's facts about the work a need does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlannedWork {
    pub step_key: Option<String>,
    pub work_name: Option<String>,
    pub planned_days: Option<u32>,
}

/// The project a need is posted under, as the need records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedProject {
    pub code: String,
    pub name: String,
    pub owner_identity: String,
    pub owner_name: String,
    pub division: String,
}

impl Need {
    /// A need posted on `today` by `posted_by` under `project`.
    pub fn post(
        id: String,
        new: NewNeed,
        project: NeedProject,
        work: PlannedWork,
        posted_by: &str,
        today: NaiveDate,
        seed: &str,
    ) -> Result<Need, MarketError> {
        let mut errors = Vec::new();
        if service_type(&new.service).is_none() {
            errors.push(FieldError::new(
                "service",
                format!("{} is not a service of the market", new.service),
            ));
        }
        if new.ceiling_fen == 0 {
            errors.push(FieldError::new("ceiling_fen", "must be more than 0"));
        }
        if new.quote_deadline < today {
            errors.push(FieldError::new(
                "quote_deadline",
                format!("{} is already past", new.quote_deadline),
            ));
        }
        if new.rule == SelectionRule::DirectChoice && new.ceiling_fen > DIRECT_CHOICE_CEILING_FEN {
            errors.push(FieldError::new(
                "rule",
                format!(
                    "direct choice is allowed up to a ceiling of {} yuan; choose lowest_price or random_draw",
                    DIRECT_CHOICE_CEILING_FEN / 100
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(MarketError::Invalid(errors));
        }
        Ok(Need {
            id,
            project_code: project.code,
            project_name: project.name,
            owner_identity: project.owner_identity,
            owner_name: project.owner_name,
            division: project.division,
            service: new.service,
            step_key: work.step_key,
            work_name: work.work_name,
            planned_days: work.planned_days,
            description: new.description.trim().to_string(),
            ceiling_fen: new.ceiling_fen,
            quote_deadline: new.quote_deadline,
            rule: new.rule,
            posted_by: posted_by.to_string(),
            posted_on: today,
            quotes: Vec::new(),
            quotes_received: 0,
            status: NeedStatus::Open,
            selection: None,
            closed_reason: None,
            draw_seed: (new.rule == SelectionRule::RandomDraw).then(|| seed.to_string()),
            seed_commitment: (new.rule == SelectionRule::RandomDraw).then(|| sha256_hex(seed)),
            version: 1,
        })
    }

    /// A firm quotes (or replaces its quote) on `today`: the need must be open and before its
    /// deadline, the firm eligible, the price within the ceiling and the days at least one.
    pub fn quote(
        &mut self,
        firm: &Firm,
        new: NewQuote,
        today: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(), MarketError> {
        if self.status != NeedStatus::Open {
            return Err(MarketError::State(format!(
                "need {} is {}: it takes no more quotes",
                self.id,
                self.status.as_str()
            )));
        }
        if today > self.quote_deadline {
            return Err(invalid(
                "quote_deadline",
                format!("quotes closed at the end of {}", self.quote_deadline),
            ));
        }
        firm.may_quote(&self.service, &self.division, today)
            .map_err(|e| invalid("firm", e.to_string()))?;
        let mut errors = Vec::new();
        if new.price_fen == 0 {
            errors.push(FieldError::new("price_fen", "must be more than 0"));
        }
        if new.price_fen > self.ceiling_fen {
            errors.push(FieldError::new(
                "price_fen",
                format!(
                    "{} is above the ceiling of {} fen",
                    new.price_fen, self.ceiling_fen
                ),
            ));
        }
        if new.days == 0 || new.days > MAX_QUOTE_DAYS {
            errors.push(FieldError::new(
                "days",
                format!("must be 1 to {MAX_QUOTE_DAYS} working days"),
            ));
        }
        if !errors.is_empty() {
            return Err(MarketError::Invalid(errors));
        }
        self.quotes.retain(|q| q.firm != firm.uscc);
        self.quotes_received = self.quotes.len() + 1;
        self.quotes.push(Quote {
            firm: firm.uscc.clone(),
            firm_name: firm.name.clone(),
            price_fen: new.price_fen,
            days: new.days,
            note: new.note.trim().to_string(),
            at,
        });
        self.version += 1;
        Ok(())
    }

    /// Chooses the firm by the need's rule on `today`, from the quotes of firms still eligible
    /// (`eligible` tells, for a quote's firm, whether it still may quote: a qualification may have
    /// expired or the firm been suspended since). Lowest price and draw wait for the deadline to
    /// pass; a direct choice names the firm (`chosen`) among the quotes. `seed` is the draw's.
    pub fn select(
        &mut self,
        today: NaiveDate,
        eligible: impl Fn(&str) -> bool,
        chosen: Option<&str>,
        seed: &str,
        contract: String,
    ) -> Result<Selection, MarketError> {
        if self.status != NeedStatus::Open {
            return Err(MarketError::State(format!(
                "need {} is {}: nothing to select",
                self.id,
                self.status.as_str()
            )));
        }
        if self.rule != SelectionRule::DirectChoice && today <= self.quote_deadline {
            return Err(invalid(
                "quote_deadline",
                format!(
                    "quotes are taken until the end of {}; select after it",
                    self.quote_deadline
                ),
            ));
        }
        let qualified: Vec<&Quote> = self.quotes.iter().filter(|q| eligible(&q.firm)).collect();
        if qualified.is_empty() {
            return Err(invalid("quotes", "no qualified quote to select from"));
        }
        let (quote, draw) = match self.rule {
            SelectionRule::LowestPrice => {
                let best = qualified
                    .iter()
                    .min_by(|a, b| {
                        a.price_fen
                            .cmp(&b.price_fen)
                            .then(a.days.cmp(&b.days))
                            .then(a.at.cmp(&b.at))
                    })
                    .copied();
                (best, None)
            }
            SelectionRule::RandomDraw => {
                let firms: Vec<String> = qualified.iter().map(|q| q.firm.clone()).collect();
                // The seed fixed at the posting, where the need has one.
                let seed = self.draw_seed.clone().unwrap_or_else(|| seed.to_string());
                let drawn = draw(&self.id, &seed, &firms);
                let winner = drawn.as_ref().map(|d| d.winner.clone());
                (
                    qualified
                        .iter()
                        .find(|q| Some(&q.firm) == winner.as_ref())
                        .copied(),
                    drawn,
                )
            }
            SelectionRule::DirectChoice => {
                let Some(chosen) = chosen else {
                    return Err(invalid("firm", "name the firm chosen among the quotes"));
                };
                let quote = qualified.iter().find(|q| q.firm == chosen).copied();
                if quote.is_none() {
                    return Err(invalid(
                        "firm",
                        format!("{chosen} has no qualified quote on this need"),
                    ));
                }
                (quote, None)
            }
        };
        let Some(quote) = quote else {
            return Err(invalid("quotes", "no qualified quote to select from"));
        };
        let selection = Selection {
            firm: quote.firm.clone(),
            firm_name: quote.firm_name.clone(),
            price_fen: quote.price_fen,
            days: quote.days,
            rule: self.rule,
            draw,
            on: today,
            contract,
        };
        self.selection = Some(selection.clone());
        self.status = NeedStatus::Selected;
        self.version += 1;
        Ok(selection)
    }

    /// Re-runs the recorded draw with `seed`: the same seed gives the same winner; another seed is
    /// refused, since the draw was made with the recorded one.
    pub fn rerun_draw(&self, seed: &str) -> Result<Draw, MarketError> {
        let Some(recorded) = self.selection.as_ref().and_then(|s| s.draw.as_ref()) else {
            return Err(MarketError::State(format!(
                "need {} was not decided by a draw",
                self.id
            )));
        };
        if seed != recorded.seed {
            return Err(invalid(
                "seed",
                format!(
                    "the draw was made with the seed {}; a re-run takes that seed",
                    recorded.seed
                ),
            ));
        }
        let firms: Vec<String> = recorded.numbers.iter().map(|(f, _)| f.clone()).collect();
        draw(&self.id, seed, &firms).ok_or_else(|| MarketError::State("no firms drawn".into()))
    }

    /// Closes an open need without a firm: before its quotes close, or when no quote came.
    /// After the deadline the quotes decide by the need's rule, so that an owner who has seen
    /// them cannot close the need and post it again for a firm it prefers.
    pub fn close(&mut self, reason: &str, today: NaiveDate) -> Result<(), MarketError> {
        if self.status == NeedStatus::Open
            && today > self.quote_deadline
            && !self.quotes.is_empty()
            && self.rule != SelectionRule::DirectChoice
        {
            return Err(invalid(
                "reason",
                "quotes are closed and there are quotes: select by the need's rule",
            ));
        }
        if self.status != NeedStatus::Open {
            return Err(MarketError::State(format!(
                "need {} is {}",
                self.id,
                self.status.as_str()
            )));
        }
        if reason.trim().is_empty() {
            return Err(invalid("reason", "must not be empty"));
        }
        self.status = NeedStatus::Closed;
        self.closed_reason = Some(reason.trim().to_string());
        self.version += 1;
        Ok(())
    }
}

/// Where a contract stands (中介服务合同).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// Signed; the clock starts when the owner hands over what the firm needs.
    AwaitingHandover,
    /// The firm works, on the clock.
    Working,
    /// The firm waits on the owner: the clock stands.
    WaitingOnOwner,
    /// The report is handed in, waiting for the owner's acceptance; the clock stands.
    Delivered,
    /// The owner accepted the report: the work is done.
    Accepted,
}

impl ContractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::AwaitingHandover => "awaiting_handover",
            ContractStatus::Working => "working",
            ContractStatus::WaitingOnOwner => "waiting_on_owner",
            ContractStatus::Delivered => "delivered",
            ContractStatus::Accepted => "accepted",
        }
    }

    /// True while the firm's clock runs or stands (not before handover, not after acceptance).
    pub fn is_on_clock(self) -> bool {
        matches!(
            self,
            ContractStatus::Working | ContractStatus::WaitingOnOwner | ContractStatus::Delivered
        )
    }
}

/// A report the firm hands in (成果文件).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deliverable {
    /// The report's number, as printed on it.
    pub number: String,
    pub title: String,
    /// The stored file (its id in the file store).
    pub file_id: String,
    pub file_name: String,
    /// Where the file store keeps it; never shown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub storage_key: String,
    /// SHA-256 of the file, hex: what the approvals rely on.
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub size: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub delivered_on: NaiveDate,
    /// Why the owner sent it back, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
}

/// The owner's rating of a firm after a contract (服务评价), 1 to 5 on each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractRating {
    pub timeliness: u8,
    pub quality: u8,
    pub attitude: u8,
    #[serde(default)]
    pub comment: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: NaiveDate,
}

impl ContractRating {
    pub fn mean(&self) -> f64 {
        (f64::from(self.timeliness) + f64::from(self.quality) + f64::from(self.attitude)) / 3.0
    }
}

/// A rating as the owner gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRating {
    pub timeliness: u8,
    pub quality: u8,
    pub attitude: u8,
    #[serde(default)]
    pub comment: String,
}

/// A complaint about a firm's work under a contract (投诉).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    pub text: String,
    pub by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: NaiveDate,
}

/// The contract between an owner and the selected firm, on a clock of the agreed working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contract {
    pub id: String,
    pub need: String,
    pub project_code: String,
    pub project_name: String,
    pub owner_identity: String,
    pub owner_name: String,
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_days: Option<u32>,
    pub firm: String,
    pub firm_name: String,
    pub price_fen: u64,
    pub ceiling_fen: u64,
    /// The working days agreed (the quote's).
    pub agreed_days: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub signed_on: NaiveDate,
    pub status: ContractStatus,
    /// Starts on the day of handover (day 0); stands while the firm waits on the owner and while
    /// the owner examines a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<CaseClock>,
    pub deliverables: Vec<Deliverable>,
    /// The day the owner accepted the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub accepted_on: Option<NaiveDate>,
    /// The working days the firm took, counted at acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_taken: Option<u32>,
    /// True once the firm went past its due day (recorded against the firm).
    #[serde(default)]
    pub overdue: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<ContractRating>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<Complaint>,
    pub version: u64,
}

/// What a contract's clock shows on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractClockView {
    /// The last day on time; none while the clock stands.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<NaiveDate>,
    pub used_days: u32,
    /// Working days left (negative: overdue by).
    pub days_left: i64,
    pub light: Light,
    pub running: bool,
}

fn state_error(contract: &Contract, what: &str) -> MarketError {
    MarketError::State(format!(
        "contract {} is {}: {what}",
        contract.id,
        contract.status.as_str()
    ))
}

impl Contract {
    /// The contract signed on `need`'s selection.
    pub fn sign(need: &Need, selection: &Selection) -> Contract {
        Contract {
            id: selection.contract.clone(),
            need: need.id.clone(),
            project_code: need.project_code.clone(),
            project_name: need.project_name.clone(),
            owner_identity: need.owner_identity.clone(),
            owner_name: need.owner_name.clone(),
            service: need.service.clone(),
            step_key: need.step_key.clone(),
            work_name: need.work_name.clone(),
            planned_days: need.planned_days,
            firm: selection.firm.clone(),
            firm_name: selection.firm_name.clone(),
            price_fen: selection.price_fen,
            ceiling_fen: need.ceiling_fen,
            agreed_days: selection.days,
            signed_on: selection.on,
            status: ContractStatus::AwaitingHandover,
            clock: None,
            deliverables: Vec::new(),
            accepted_on: None,
            days_taken: None,
            overdue: false,
            rating: None,
            complaints: Vec::new(),
            version: 1,
        }
    }

    fn stop_clock(&mut self, kind: SuspensionKind, reason: &str, today: NaiveDate) {
        if let Some(clock) = &mut self.clock {
            clock.suspensions.push(Suspension {
                kind,
                reason: reason.to_string(),
                from: today,
                until: None,
            });
        }
    }

    fn restart_clock(&mut self, today: NaiveDate) {
        if let Some(clock) = &mut self.clock
            && let Some(open) = clock.suspensions.iter_mut().find(|s| s.until.is_none())
        {
            open.until = Some(today.max(open.from));
        }
    }

    /// Notes on `today` whether the firm is past its due day, so that an overdue stays on
    /// record after the firm catches up. A due day the calendar cannot count yet (a year whose
    /// holiday notice is not out) is not passed today, which the calendar covers.
    fn note_overdue(&mut self, calendar: &Calendar, today: NaiveDate) {
        if let Some(clock) = &self.clock
            && clock
                .timeliness(calendar, today)
                .is_ok_and(Timeliness::is_overdue)
        {
            self.overdue = true;
        }
    }

    /// The owner hands over what the firm needs: the clock starts, the day of handover being
    /// day 0.
    pub fn hand_over(&mut self, today: NaiveDate) -> Result<(), MarketError> {
        if self.status != ContractStatus::AwaitingHandover {
            return Err(state_error(self, "the handover was made already"));
        }
        self.clock = Some(CaseClock::new(today, self.agreed_days));
        self.status = ContractStatus::Working;
        self.version += 1;
        Ok(())
    }

    /// The firm waits on the owner (for data, a site visit, a decision): the clock stands.
    pub fn wait_on_owner(
        &mut self,
        reason: &str,
        calendar: &Calendar,
        today: NaiveDate,
    ) -> Result<(), MarketError> {
        if self.status != ContractStatus::Working {
            return Err(state_error(
                self,
                "only a firm at work can wait on the owner",
            ));
        }
        if reason.trim().is_empty() {
            return Err(invalid("reason", "say what the firm waits for"));
        }
        self.note_overdue(calendar, today);
        self.stop_clock(SuspensionKind::Supplement, reason.trim(), today);
        self.status = ContractStatus::WaitingOnOwner;
        self.version += 1;
        Ok(())
    }

    /// The owner has supplied what the firm waited for: the clock runs again.
    pub fn owner_supplied(&mut self, today: NaiveDate) -> Result<(), MarketError> {
        if self.status != ContractStatus::WaitingOnOwner {
            return Err(state_error(self, "the firm is not waiting on the owner"));
        }
        self.restart_clock(today);
        self.status = ContractStatus::Working;
        self.version += 1;
        Ok(())
    }

    /// The firm hands in its report: the clock stands while the owner examines it.
    pub fn deliver(
        &mut self,
        deliverable: Deliverable,
        calendar: &Calendar,
        today: NaiveDate,
    ) -> Result<(), MarketError> {
        if self.status != ContractStatus::Working {
            return Err(state_error(
                self,
                "a report is handed in by a firm at work on it",
            ));
        }
        let mut errors = Vec::new();
        if deliverable.number.trim().is_empty() {
            errors.push(FieldError::new("number", "give the report's number"));
        }
        if deliverable.title.trim().is_empty() {
            errors.push(FieldError::new("title", "must not be empty"));
        }
        if !errors.is_empty() {
            return Err(MarketError::Invalid(errors));
        }
        self.note_overdue(calendar, today);
        self.stop_clock(
            SuspensionKind::ExpertReview,
            "owner examines the report",
            today,
        );
        self.deliverables.push(deliverable);
        self.status = ContractStatus::Delivered;
        self.version += 1;
        Ok(())
    }

    /// The owner sends the report back with a reason: the clock runs again.
    pub fn return_report(&mut self, reason: &str, today: NaiveDate) -> Result<(), MarketError> {
        if self.status != ContractStatus::Delivered {
            return Err(state_error(
                self,
                "there is no report waiting for the owner",
            ));
        }
        if reason.trim().is_empty() {
            return Err(invalid("reason", "say why the report goes back"));
        }
        if let Some(last) = self.deliverables.last_mut() {
            last.returned = Some(reason.trim().to_string());
        }
        self.restart_clock(today);
        self.status = ContractStatus::Working;
        self.version += 1;
        Ok(())
    }

    /// The owner accepts the report: the work is done, counted in the working days the firm
    /// took up to the day it handed the report in.
    pub fn accept(&mut self, calendar: &Calendar, today: NaiveDate) -> Result<(), MarketError> {
        if self.status != ContractStatus::Delivered {
            return Err(state_error(
                self,
                "there is no report waiting for the owner",
            ));
        }
        let delivered_on = self
            .deliverables
            .last()
            .map(|d| d.delivered_on)
            .unwrap_or(today);
        if let Some(clock) = &self.clock {
            // Up to the handing-in: the open stop (the owner's examination) is not the firm's.
            let mut firm_clock = clock.clone();
            firm_clock.suspensions.retain(|s| s.until.is_some());
            let taken = firm_clock.used_days(calendar, delivered_on)?;
            self.days_taken = Some(taken);
            if taken > self.agreed_days {
                self.overdue = true;
            }
        }
        self.restart_clock(today);
        self.status = ContractStatus::Accepted;
        self.accepted_on = Some(today);
        self.version += 1;
        Ok(())
    }

    /// The owner rates the firm, once, after acceptance.
    pub fn rate(&mut self, rating: ContractRating) -> Result<(), MarketError> {
        if self.status != ContractStatus::Accepted {
            return Err(state_error(
                self,
                "a firm is rated after its report is accepted",
            ));
        }
        if self.rating.is_some() {
            return Err(state_error(self, "the contract is rated already"));
        }
        let mut errors = Vec::new();
        for (field, value) in [
            ("timeliness", rating.timeliness),
            ("quality", rating.quality),
            ("attitude", rating.attitude),
        ] {
            if !(1..=5).contains(&value) {
                errors.push(FieldError::new(field, format!("{value} is not 1 to 5")));
            }
        }
        if !errors.is_empty() {
            return Err(MarketError::Invalid(errors));
        }
        self.rating = Some(rating);
        self.version += 1;
        Ok(())
    }

    /// The owner complains about the firm's work.
    pub fn complain(&mut self, text: &str, by: &str, today: NaiveDate) -> Result<(), MarketError> {
        if text.trim().is_empty() {
            return Err(invalid("text", "must not be empty"));
        }
        self.complaints.push(Complaint {
            text: text.trim().to_string(),
            by: by.to_string(),
            on: today,
        });
        self.version += 1;
        Ok(())
    }

    /// The clock on `today`, with its light, while the contract is on it.
    pub fn clock_on(
        &self,
        calendar: &Calendar,
        rule: &LightRule,
        today: NaiveDate,
    ) -> Result<Option<ContractClockView>, CalendarError> {
        let Some(clock) = &self.clock else {
            return Ok(None);
        };
        if !self.status.is_on_clock() {
            return Ok(None);
        }
        let timeliness = clock.timeliness(calendar, today)?;
        let seen = clock
            .suspensions
            .iter()
            .find(|s| s.until.is_none())
            .map_or(today, |s| s.from.min(today));
        Ok(Some(ContractClockView {
            due_on: clock.due_date(calendar)?,
            used_days: clock.used_days(calendar, seen)?,
            days_left: timeliness.signed_working_days(),
            light: rule.light(self.agreed_days, timeliness),
            running: clock.is_running(),
        }))
    }

    /// True when the accepted report was late, or the firm is past its due day now.
    pub fn is_late(&self, calendar: &Calendar, today: NaiveDate) -> bool {
        self.overdue
            || self.clock.as_ref().is_some_and(|c| {
                self.status.is_on_clock()
                    && c.timeliness(calendar, today)
                        .is_ok_and(Timeliness::is_overdue)
            })
    }

    /// The accepted report as a result an application under the project takes as a material.
    pub fn accepted_report(&self) -> Option<(&'static ServiceType, &Deliverable)> {
        if self.status != ContractStatus::Accepted {
            return None;
        }
        Some((service_type(&self.service)?, self.deliverables.last()?))
    }
}

/// One contract the owner accepted in a month, as the monthly report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptedWork {
    pub contract: String,
    pub project_code: String,
    pub project_name: String,
    pub service: String,
    pub firm_name: String,
    /// The plan's working days for the work (before the market), where the plan names it.
    pub planned_days: Option<u32>,
    pub agreed_days: u32,
    pub days_taken: u32,
    pub late: bool,
}

/// The market's month (中介服务): the contracts accepted in `[from, to]`, and their working days
/// against the plan's and the firms' promises.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarketMonth {
    pub accepted: Vec<AcceptedWork>,
    /// Accepted within the agreed days.
    pub on_time: usize,
    /// Sums over the accepted contracts whose plan names the work: the plan's days and the
    /// days taken, so that "before" and "after" count the same works.
    pub planned_days: u32,
    pub taken_days_of_planned: u32,
}

/// The market's figures of a month from its contracts.
pub fn market_month(contracts: &[Contract], from: NaiveDate, to: NaiveDate) -> MarketMonth {
    let mut month = MarketMonth::default();
    for c in contracts {
        let (Some(on), Some(taken)) = (c.accepted_on, c.days_taken) else {
            continue;
        };
        if on < from || on > to {
            continue;
        }
        if !c.overdue {
            month.on_time += 1;
        }
        if let Some(planned) = c.planned_days {
            month.planned_days += planned;
            month.taken_days_of_planned += taken;
        }
        month.accepted.push(AcceptedWork {
            contract: c.id.clone(),
            project_code: c.project_code.clone(),
            project_name: c.project_name.clone(),
            service: c.service.clone(),
            firm_name: c.firm_name.clone(),
            planned_days: c.planned_days,
            agreed_days: c.agreed_days,
            days_taken: taken,
            late: c.overdue,
        });
    }
    month.accepted.sort_by(|a, b| a.contract.cmp(&b.contract));
    month
}

/// Who someone is to a need or a contract, as the service finds it: the project's owner (the
/// enterprise itself, or the account that registered or follows it as agent), or the firm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarketParty {
    pub owner: bool,
    pub firm: bool,
}

/// What someone asks of the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketOperation {
    /// Register a firm (an intermediary's account, for its own firm).
    RegisterFirm,
    /// Admit, suspend or remove a firm.
    SuperviseFirm,
    /// Post a need, select, close; hand over, accept or return a report, rate, complain.
    OwnerStep,
    /// Quote; wait on the owner; hand in a report.
    FirmStep,
    /// Read a contract and its report.
    ReadContract,
    /// The supervising department's monitoring page.
    Monitor,
}

fn is_market_staff(who: &Principal) -> bool {
    [Role::Reviewer, Role::Approver].iter().any(|r| {
        who.departments_for(&[*r])
            .any(|d| d == SUPERVISING_DEPARTMENT)
    })
}

fn is_staff(who: &Principal) -> bool {
    [
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Supervisor,
        Role::ReturnVisitOperator,
    ]
    .iter()
    .any(|r| who.has_role(*r))
}

/// The market's access rule: a firm acts only for itself, an owner (or its agent) for its
/// projects, the supervising department (发改局) admits and suspends, and the supervisors and
/// that department watch. Staff read every contract: a reviewer checks the report an
/// application took.
pub fn decide_market(who: &Principal, op: MarketOperation, party: MarketParty) -> Decision {
    match op {
        MarketOperation::RegisterFirm if who.has_role(Role::Intermediary) => Decision::Allow,
        MarketOperation::RegisterFirm => {
            Decision::Refuse("a firm is registered from an intermediary's account".into())
        }
        MarketOperation::SuperviseFirm if is_market_staff(who) => Decision::Allow,
        MarketOperation::SuperviseFirm => Decision::Refuse(format!(
            "firms are admitted, suspended and removed by the supervising department ({SUPERVISING_DEPARTMENT})"
        )),
        MarketOperation::OwnerStep if party.owner => Decision::Allow,
        MarketOperation::OwnerStep if is_staff(who) || party.firm => {
            Decision::Refuse("only the project's owner or its agent acts for the owner".into())
        }
        MarketOperation::FirmStep if party.firm && who.has_role(Role::Intermediary) => {
            Decision::Allow
        }
        MarketOperation::FirmStep if party.owner || is_staff(who) => {
            Decision::Refuse("only the firm's own accounts act for the firm".into())
        }
        MarketOperation::ReadContract if party.owner || party.firm || is_staff(who) => {
            Decision::Allow
        }
        MarketOperation::Monitor if is_market_staff(who) || who.has_role(Role::Supervisor) => {
            Decision::Allow
        }
        MarketOperation::Monitor => Decision::Refuse(
            "the market's monitoring is for the supervising department and the supervisors".into(),
        ),
        _ => Decision::Hide,
    }
}

/// Whose eyes a need is shown to, for its quotes. Quotes are sealed until the selection: a firm
/// sees its own; the owner (or its agent) sees them once quotes are closed — at once for a direct
/// choice, which is made among them — so that no firm can be told the price to beat; the
/// supervising department and the supervisors see them all the time; anyone else sees their
/// number only. Once a firm is selected they are published with the result; a need closed
/// without a firm keeps them sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteViewer {
    /// The project's owner or its agent.
    Owner,
    /// The supervising department and the supervisors.
    Supervisor,
    Firm(String),
    Public,
}

impl Need {
    /// The need as `viewer` may see it on `today`.
    pub fn as_seen_by(&self, viewer: &QuoteViewer, today: NaiveDate) -> Need {
        let mut need = self.clone();
        need.quotes_received = self.quotes.len();
        if !matches!(viewer, QuoteViewer::Owner | QuoteViewer::Supervisor) {
            // The account that posted it is the owner's and the government's business.
            need.posted_by.clear();
        }
        if need.status != NeedStatus::Selected {
            // The seed is kept until the draw; its commitment is public.
            need.draw_seed = None;
            let sees_all = match viewer {
                QuoteViewer::Supervisor => true,
                QuoteViewer::Owner => {
                    need.status == NeedStatus::Open
                        && (need.rule == SelectionRule::DirectChoice || today > need.quote_deadline)
                }
                QuoteViewer::Firm(_) | QuoteViewer::Public => false,
            };
            if !sees_all {
                match viewer {
                    QuoteViewer::Firm(uscc) => need.quotes.retain(|q| &q.firm == uscc),
                    _ => need.quotes.clear(),
                }
            }
        }
        need
    }
}

/// The project's plan with the market's days in place of the plan's: an accepted contract's
/// days taken, a running one's agreed days, for the work each does. Scheduled, its critical
/// path's intermediary days are the "after" beside the plan's "before".
pub fn plan_with_contracts(
    plan: &crate::project::Plan,
    contracts: &[Contract],
) -> crate::project::Plan {
    let mut plan = plan.clone();
    for contract in contracts {
        let (Some(step_key), Some(work_name)) = (&contract.step_key, &contract.work_name) else {
            continue;
        };
        let days = contract.days_taken.unwrap_or(contract.agreed_days);
        if let Some(work) = plan
            .steps
            .iter_mut()
            .filter(|s| &s.key == step_key)
            .flat_map(|s| s.intermediary.iter_mut())
            .find(|w| &w.name == work_name)
        {
            work.working_days = days;
        }
    }
    plan
}

/// The plan step and work a need for `service` does in `plan`: the step named, or the first
/// step with work of the service that no other need has taken (`taken`, by step and work).
pub fn planned_work(
    plan: &crate::project::Plan,
    service: &str,
    step_key: Option<&str>,
    taken: &[(String, String)],
) -> Result<PlannedWork, FieldError> {
    let Some(kind) = service_type(service) else {
        return Err(FieldError::new(
            "service",
            format!("{service} is not a service of the market"),
        ));
    };
    let candidates = plan
        .steps
        .iter()
        .filter(|s| step_key.is_none_or(|k| s.key == k));
    for step in candidates {
        for work in &step.intermediary {
            let free = !taken.iter().any(|(s, w)| *s == step.key && *w == work.name);
            if kind.plan_work.contains(&work.name.as_str()) && free {
                return Ok(PlannedWork {
                    step_key: Some(step.key.clone()),
                    work_name: Some(work.name.clone()),
                    planned_days: Some(work.working_days),
                });
            }
        }
    }
    match step_key {
        Some(k) if !plan.steps.iter().any(|s| s.key == k) => Err(FieldError::new(
            "step_key",
            format!("{k} is not a step of the project's plan"),
        )),
        Some(k) => Err(FieldError::new(
            "step_key",
            format!("the step {k} has no open intermediary work of the service {service}"),
        )),
        None => Ok(PlannedWork::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use chrono::TimeZone as _;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("as the test sets up")
    }

    fn calendar() -> Calendar {
        Calendar::prc()
    }

    fn uscc(body: &str) -> String {
        let check = crate::identifiers::UnifiedSocialCreditCode::check_character(body)
            .expect("as the test sets up");
        format!("{body}{check}")
    }

    fn firm(body: &str, valid_until: &str) -> Firm {
        let mut f = Firm::register(
            NewFirm {
                uscc: uscc(body),
                name: format!("firm {body}"),
                services: vec!["eia".into()],
                qualifications: vec![Qualification {
                    service: "eia".into(),
                    level: "乙级".into(),
                    number: format!("Q-{body}"),
                    valid_until: day(valid_until),
                }],
                regions: vec!["330200".into()],
                staff: 12,
                contact: "王工".into(),
                phone: "0574-65500000".into(),
            },
            "intermediary",
            day("2026-11-02"),
        )
        .expect("as the test sets up");
        f.status = FirmStatus::Admitted;
        f
    }

    fn need(rule: SelectionRule, ceiling: u64) -> Need {
        Need::post(
            "N-1".into(),
            NewNeed {
                project_code: "2611-330226-04-03-000001".into(),
                service: "eia".into(),
                step_key: None,
                description: String::new(),
                ceiling_fen: ceiling,
                quote_deadline: day("2026-11-06"),
                rule,
            },
            NeedProject {
                code: "2611-330226-04-03-000001".into(),
                name: "厂房".into(),
                owner_identity: "91330226MA2DEMH01W".into(),
                owner_name: "宁海示范".into(),
                division: "330226".into(),
            },
            PlannedWork::default(),
            "enterprise",
            day("2026-11-02"),
            "test-seed",
        )
        .expect("as the test sets up")
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0)
            .single()
            .expect("a time")
    }

    fn quote(price: u64, days: u32) -> NewQuote {
        NewQuote {
            price_fen: price,
            days,
            note: String::new(),
        }
    }

    #[test]
    fn an_expired_qualification_stops_the_firm_from_quoting() {
        let f = firm("91330226MA2B00001", "2026-11-02");
        assert!(f.may_quote("eia", "330226", day("2026-11-02")).is_ok());
        let err = f
            .may_quote("eia", "330226", day("2026-11-03"))
            .expect_err("refused");
        assert!(
            matches!(err, Ineligible::QualificationExpired { .. }),
            "{err}"
        );
        let mut n = need(SelectionRule::LowestPrice, 8_000_000);
        let refused = n.quote(&f, quote(100, 10), day("2026-11-03"), at());
        assert!(matches!(refused, Err(MarketError::Invalid(ref e)) if e[0].field == "firm"));
        assert!(n.quotes.is_empty());
    }

    #[test]
    fn regions_cover_their_divisions() {
        assert!(region_covers("330000", "330226"));
        assert!(region_covers("330200", "330226"));
        assert!(region_covers("330226", "330226"));
        assert!(!region_covers("330100", "330226"));
        let mut f = firm("91330226MA2B00002", "2027-12-31");
        f.regions = vec!["330100".into()];
        assert_eq!(
            f.may_quote("eia", "330226", day("2026-11-03")),
            Err(Ineligible::RegionNotServed("330226".into()))
        );
        f.regions = vec!["330200".into()];
        f.status = FirmStatus::Suspended;
        assert!(matches!(
            f.may_quote("eia", "330226", day("2026-11-03")),
            Err(Ineligible::NotAdmitted("suspended"))
        ));
    }

    #[test]
    fn a_quote_above_the_ceiling_or_after_the_deadline_is_refused() {
        let f = firm("91330226MA2B00003", "2027-12-31");
        let mut n = need(SelectionRule::LowestPrice, 8_000_000);
        let e = n.quote(&f, quote(8_000_001, 10), day("2026-11-03"), at());
        assert!(matches!(e, Err(MarketError::Invalid(ref e)) if e[0].field == "price_fen"));
        let e = n.quote(&f, quote(100, 10), day("2026-11-07"), at());
        assert!(matches!(e, Err(MarketError::Invalid(ref e)) if e[0].field == "quote_deadline"));
        assert_eq!(n.version, 1);
        n.quote(&f, quote(8_000_000, 10), day("2026-11-06"), at())
            .expect("as the test sets up");
        n.quote(&f, quote(7_000_000, 12), day("2026-11-06"), at())
            .expect("as the test sets up");
        assert_eq!(
            n.quotes.len(),
            1,
            "a firm's second quote replaces its first"
        );
        assert_eq!(n.quotes[0].price_fen, 7_000_000);
    }

    #[test]
    fn direct_choice_is_only_for_small_sums() {
        let refused = Need::post(
            "N-2".into(),
            NewNeed {
                rule: SelectionRule::DirectChoice,
                ceiling_fen: DIRECT_CHOICE_CEILING_FEN + 1,
                ..need_input()
            },
            project(),
            PlannedWork::default(),
            "enterprise",
            day("2026-11-02"),
            "test-seed",
        );
        assert!(matches!(refused, Err(MarketError::Invalid(ref e)) if e[0].field == "rule"));
    }

    fn need_input() -> NewNeed {
        NewNeed {
            project_code: "2611-330226-04-03-000001".into(),
            service: "eia".into(),
            step_key: None,
            description: String::new(),
            ceiling_fen: 100,
            quote_deadline: day("2026-11-06"),
            rule: SelectionRule::LowestPrice,
        }
    }

    fn project() -> NeedProject {
        NeedProject {
            code: "2611-330226-04-03-000001".into(),
            name: "厂房".into(),
            owner_identity: "91330226MA2DEMH01W".into(),
            owner_name: "宁海示范".into(),
            division: "330226".into(),
        }
    }

    #[test]
    fn lowest_price_waits_for_the_deadline_and_skips_firms_no_longer_eligible() {
        let a = firm("91330226MA2B00004", "2027-12-31");
        let b = firm("91330226MA2B00005", "2027-12-31");
        let mut n = need(SelectionRule::LowestPrice, 8_000_000);
        n.quote(&a, quote(5_000_000, 20), day("2026-11-03"), at())
            .expect("as the test sets up");
        n.quote(&b, quote(6_000_000, 15), day("2026-11-03"), at())
            .expect("as the test sets up");
        let early = n.select(day("2026-11-06"), |_| true, None, "s", "C-1".into());
        assert!(
            matches!(early, Err(MarketError::Invalid(ref e)) if e[0].field == "quote_deadline")
        );
        let chosen = n
            .select(day("2026-11-09"), |f| f != a.uscc, None, "s", "C-1".into())
            .expect("as the test sets up");
        assert_eq!(
            chosen.firm, b.uscc,
            "a firm suspended since its quote is passed over"
        );
        assert_eq!(n.status, NeedStatus::Selected);
        let contract = Contract::sign(&n, &chosen);
        assert_eq!(contract.agreed_days, 15);
        assert_eq!(contract.status, ContractStatus::AwaitingHandover);
    }

    #[test]
    fn a_draw_is_reproducible_and_refuses_another_seed() {
        let firms: Vec<Firm> = (0..5)
            .map(|i| firm(&format!("91330226MA2B0001{i}"), "2027-12-31"))
            .collect();
        let mut n = need(SelectionRule::RandomDraw, 8_000_000);
        for f in &firms {
            n.quote(f, quote(5_000_000, 20), day("2026-11-03"), at())
                .expect("as the test sets up");
        }
        let chosen = n
            .select(day("2026-11-09"), |_| true, None, "test-seed", "C-1".into())
            .expect("as the test sets up");
        let recorded = chosen.draw.clone().expect("as the test sets up");
        assert_eq!(recorded.numbers.len(), 5);
        assert_eq!(
            n.rerun_draw("test-seed").expect("as the test sets up"),
            recorded
        );
        let other = n.rerun_draw("ffffff");
        assert!(matches!(other, Err(MarketError::Invalid(ref e)) if e[0].field == "seed"));
        // The number is the SHA-256 a shell computes.
        let (firm0, number0) = &recorded.numbers[0];
        let expected: String = Sha256::digest(format!("N-1:test-seed:{firm0}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(number0, &expected);
    }

    proptest! {
        #[test]
        fn the_draw_does_not_depend_on_the_order_firms_are_listed_in(
            seed in "[0-9a-f]{8,32}",
            n in 1usize..12,
            rotate in 0usize..12,
        ) {
            let firms: Vec<String> = (0..n).map(|i| format!("F{i:02}")).collect();
            let mut shuffled = firms.clone();
            shuffled.rotate_left(rotate % n);
            shuffled.reverse();
            let a = draw("N-9", &seed, &firms).expect("as the test sets up");
            let b = draw("N-9", &seed, &shuffled).expect("as the test sets up");
            prop_assert_eq!(&a, &b);
            prop_assert!(firms.contains(&a.winner));
            prop_assert!(a.numbers.iter().all(|(_, h)| h >= &a.numbers.iter().find(|(f, _)| *f == a.winner).expect("as the test sets up").1));
        }

        #[test]
        fn a_price_within_the_ceiling_is_taken_and_above_it_refused(
            ceiling in 1u64..100_000_000,
            price in 1u64..200_000_000,
        ) {
            let f = firm("91330226MA2B00006", "2027-12-31");
            let mut n = need(SelectionRule::LowestPrice, ceiling);
            let result = n.quote(&f, quote(price, 5), day("2026-11-03"), at());
            prop_assert_eq!(result.is_ok(), price <= ceiling);
            prop_assert_eq!(n.quotes.len(), usize::from(price <= ceiling));
        }

        #[test]
        fn waiting_on_the_owner_moves_the_due_day_by_the_days_waited(
            agreed in 1u32..40,
            work_before in 0u32..10,
            waited in 1u32..15,
        ) {
            let cal = calendar();
            let start = day("2026-03-02");
            let mut c = signed(agreed);
            c.hand_over(start).expect("as the test sets up");
            let due_before = c.clock.as_ref().expect("as the test sets up").due_date(&cal).expect("as the test sets up").expect("as the test sets up");
            let stop = cal.add_working_days(start, work_before).expect("as the test sets up");
            c.wait_on_owner("地形图", &cal, stop).expect("as the test sets up");
            prop_assert_eq!(c.clock_on(&cal, &LightRule::default(), stop).expect("as the test sets up").expect("as the test sets up").due_on, None);
            let resume = cal.add_working_days(stop, waited).expect("as the test sets up");
            c.owner_supplied(resume).expect("as the test sets up");
            let due_after = c.clock.as_ref().expect("as the test sets up").due_date(&cal).expect("as the test sets up").expect("as the test sets up");
            prop_assert_eq!(cal.add_working_days(due_before, waited).expect("as the test sets up"), due_after);
        }
    }

    fn signed(agreed: u32) -> Contract {
        let f = firm("91330226MA2B00007", "2027-12-31");
        let mut n = need(SelectionRule::LowestPrice, 8_000_000);
        n.quote(&f, quote(5_000_000, agreed), day("2026-11-03"), at())
            .expect("as the test sets up");
        let s = n
            .select(day("2026-11-09"), |_| true, None, "", "C-1".into())
            .expect("as the test sets up");
        Contract::sign(&n, &s)
    }

    fn report(on: NaiveDate) -> Deliverable {
        Deliverable {
            number: "HP-2026-017".into(),
            title: "环境影响报告表".into(),
            file_id: "f1".into(),
            file_name: "eia.pdf".into(),
            storage_key: String::new(),
            sha256: String::new(),
            size: 0,
            delivered_on: on,
            returned: None,
        }
    }

    #[test]
    fn the_contract_counts_the_firms_days_not_the_owners() {
        let cal = calendar();
        let mut c = signed(10);
        // 2026-11-09 is a Monday; day 0.
        c.hand_over(day("2026-11-09")).expect("as the test sets up");
        c.wait_on_owner("等待业主提供地形图", &cal, day("2026-11-11"))
            .expect("as the test sets up");
        c.owner_supplied(day("2026-11-16"))
            .expect("as the test sets up");
        c.deliver(report(day("2026-11-20")), &cal, day("2026-11-20"))
            .expect("as the test sets up");
        assert!(
            !c.clock_on(&cal, &LightRule::default(), day("2026-11-25"))
                .expect("as the test sets up")
                .expect("as the test sets up")
                .running
        );
        c.return_report("缺少监测数据", day("2026-11-23"))
            .expect("as the test sets up");
        c.deliver(report(day("2026-11-24")), &cal, day("2026-11-24"))
            .expect("as the test sets up");
        c.accept(&cal, day("2026-11-26"))
            .expect("as the test sets up");
        // Worked 11-10, 11, (waited 12,13,16), 17..20 = 6; owner examined 23 → returned on 23;
        // worked 24 = 1 more: 7 days of 10.
        assert_eq!(c.days_taken, Some(7));
        assert!(!c.overdue);
        assert!(c.accepted_report().is_some());
        c.rate(ContractRating {
            timeliness: 5,
            quality: 4,
            attitude: 5,
            comment: String::new(),
            on: day("2026-11-26"),
        })
        .expect("as the test sets up");
        let twice = c.rate(ContractRating {
            timeliness: 1,
            quality: 1,
            attitude: 1,
            comment: String::new(),
            on: day("2026-11-26"),
        });
        assert!(matches!(twice, Err(MarketError::State(_))));
    }

    #[test]
    fn a_late_firm_stays_recorded_late() {
        let cal = calendar();
        let mut c = signed(3);
        c.hand_over(day("2026-11-09")).expect("as the test sets up");
        let view = c
            .clock_on(&cal, &LightRule::default(), day("2026-11-13"))
            .expect("as the test sets up")
            .expect("as the test sets up");
        assert_eq!(view.light, Light::Red);
        assert!(c.is_late(&cal, day("2026-11-13")));
        c.deliver(report(day("2026-11-16")), &cal, day("2026-11-16"))
            .expect("as the test sets up");
        c.accept(&cal, day("2026-11-17"))
            .expect("as the test sets up");
        assert_eq!(c.days_taken, Some(5));
        assert!(c.overdue);
        assert!(c.is_late(&cal, day("2026-12-20")));
    }

    #[test]
    fn every_service_named_by_the_plans_has_a_market_service() {
        use crate::project::{ProjectType, propose_plan};
        for t in [
            ProjectType::Industrial,
            ProjectType::Commercial,
            ProjectType::Public,
        ] {
            for gov in [false, true] {
                for step in propose_plan(t, gov).steps {
                    for work in step.intermediary {
                        assert!(
                            service_for_work(&work.name).is_some(),
                            "{} has no service",
                            work.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_month_counts_accepted_contracts_against_the_plans_days() {
        let cal = calendar();
        let mut c = signed(10);
        c.planned_days = Some(20);
        c.hand_over(day("2026-11-09")).expect("handed over");
        c.deliver(report(day("2026-11-13")), &cal, day("2026-11-13"))
            .expect("delivered");
        c.accept(&cal, day("2026-11-16")).expect("accepted");
        let month = market_month(
            std::slice::from_ref(&c),
            day("2026-11-01"),
            day("2026-11-30"),
        );
        assert_eq!(month.accepted.len(), 1);
        assert_eq!((month.planned_days, month.taken_days_of_planned), (20, 4));
        assert_eq!(month.on_time, 1);
        let december = market_month(&[c], day("2026-12-01"), day("2026-12-31"));
        assert!(december.accepted.is_empty());
    }

    #[test]
    fn a_report_stands_for_the_report_not_for_the_form_that_files_it() {
        let material = |key: &str, name: &str, source: &str| -> crate::catalogue::Material {
            serde_json::from_value(serde_json::json!({"key": key, "name": name,
                "form": "original", "copies": 1, "source": source, "category": "ordinary",
                "required": true}))
            .expect("a material")
        };
        let report = crate::case::IssuedResult {
            licence_type: service_type("geo-hazard")
                .map(|s| s.deliverable.to_string())
                .expect("the service"),
            document: "NHDZ-2026-031".into(),
            item_name: "中介服务：地质灾害危险性评估".into(),
            from_intermediary: true,
        };
        let form = material("M01", "地质灾害危险性评估报告备案申请表", "applicant");
        let filed = material("M02", "地质灾害危险性评估报告", "intermediary");
        assert!(!report.provides(&form));
        assert!(report.provides(&filed));
    }
}
