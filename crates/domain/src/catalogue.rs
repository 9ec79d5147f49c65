//! The catalogue of items (事项清单, the "power list"): every approval the county performs.
//!
//! Codes are opaque strings: provinces build implementation codes differently, so a code is only
//! required to be non-empty, without spaces, and unique in the catalogue.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// The legal kind of an item (事项类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 行政许可
    Licence,
    /// 行政确认
    Confirmation,
    /// 审核 / 年检 (audit, annual inspection)
    Inspection,
    /// 备案 and other approvals
    Filing,
    /// 其他行政权力
    OtherPower,
    /// 公共服务
    PublicService,
}

impl ItemKind {
    pub const ALL: [ItemKind; 6] = [
        ItemKind::Licence,
        ItemKind::Confirmation,
        ItemKind::Inspection,
        ItemKind::Filing,
        ItemKind::OtherPower,
        ItemKind::PublicService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Licence => "licence",
            ItemKind::Confirmation => "confirmation",
            ItemKind::Inspection => "inspection",
            ItemKind::Filing => "filing",
            ItemKind::OtherPower => "other_power",
            ItemKind::PublicService => "public_service",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ItemKind::Licence => "行政许可",
            ItemKind::Confirmation => "行政确认",
            ItemKind::Inspection => "审核年检",
            ItemKind::Filing => "备案",
            ItemKind::OtherPower => "其他行政权力",
            ItemKind::PublicService => "公共服务",
        }
    }
}

/// The way an item runs (办理模式): the five ways of the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// 即办: done on the spot at the window.
    Immediate,
    /// 窗口受理 + 快递送达: declared at the window, licence sent by express.
    WindowExpress,
    /// 网上申报 + 预审 + 一次领取: declared online, pre-reviewed, one visit to verify and pick up.
    OnlinePrereview,
    /// 网上申报 + 快递送达: fully online, licence sent by express.
    OnlineExpress,
    /// 网上申报 + 网上取证: fully online, licence fetched online.
    OnlineOnline,
}

impl RunMode {
    pub const ALL: [RunMode; 5] = [
        RunMode::Immediate,
        RunMode::WindowExpress,
        RunMode::OnlinePrereview,
        RunMode::OnlineExpress,
        RunMode::OnlineOnline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Immediate => "immediate",
            RunMode::WindowExpress => "window_express",
            RunMode::OnlinePrereview => "online_prereview",
            RunMode::OnlineExpress => "online_express",
            RunMode::OnlineOnline => "online_online",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RunMode::Immediate => "即办",
            RunMode::WindowExpress => "窗口受理+快递送达",
            RunMode::OnlinePrereview => "网上申报+一次领取",
            RunMode::OnlineExpress => "网上申报+快递送达",
            RunMode::OnlineOnline => "网上申报+网上取证",
        }
    }
}

/// A level of the three-level network (三级联动) where an item can be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 县行政服务中心
    County,
    /// 乡镇（街道）便民服务中心
    Township,
    /// 村（社区）代办点
    Village,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::County, Level::Township, Level::Village];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The form in which a material is handed in (材料形式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaterialForm {
    Original,
    Copy,
    Electronic,
}

impl MaterialForm {
    pub const ALL: [MaterialForm; 3] = [
        MaterialForm::Original,
        MaterialForm::Copy,
        MaterialForm::Electronic,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialForm::Original => "original",
            MaterialForm::Copy => "copy",
            MaterialForm::Electronic => "electronic",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who produces a material (材料来源).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaterialSource {
    Applicant,
    Government,
    Intermediary,
}

impl MaterialSource {
    pub const ALL: [MaterialSource; 3] = [
        MaterialSource::Applicant,
        MaterialSource::Government,
        MaterialSource::Intermediary,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialSource::Applicant => "applicant",
            MaterialSource::Government => "government",
            MaterialSource::Intermediary => "intermediary",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What sort of requirement a material is, which decides which cancellation ratio it counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaterialCategory {
    /// An ordinary material (a form, a plan, an identity document).
    Ordinary,
    /// 证明类材料: a certificate that some office must issue to the applicant.
    Certificate,
    /// 兜底条款: a catch-all clause such as "other materials required by law".
    CatchAll,
}

impl MaterialCategory {
    pub const ALL: [MaterialCategory; 3] = [
        MaterialCategory::Ordinary,
        MaterialCategory::Certificate,
        MaterialCategory::CatchAll,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialCategory::Ordinary => "ordinary",
            MaterialCategory::Certificate => "certificate",
            MaterialCategory::CatchAll => "catch_all",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How far a demanded material may be missing when the case is accepted (材料必要性).
///
/// The county marks each material: most are essential; a minor one may follow after acceptance
/// on the applicant's promise (容缺受理); a certificate may be replaced by the applicant's signed
/// commitment (告知承诺制), checked by the department afterwards; an exempt one is listed but
/// never asked for (免交).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Necessity {
    /// 必要: the case is not accepted without it.
    #[default]
    Essential,
    /// 容缺: it may follow after acceptance, by a date the applicant promises.
    Tolerable,
    /// 可承诺: a signed commitment may stand in for it; the department checks afterwards.
    Committable,
    /// 免交: listed, never asked for.
    Exempt,
}

impl Necessity {
    pub const ALL: [Necessity; 4] = [
        Necessity::Essential,
        Necessity::Tolerable,
        Necessity::Committable,
        Necessity::Exempt,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Necessity::Essential => "essential",
            Necessity::Tolerable => "tolerable",
            Necessity::Committable => "committable",
            Necessity::Exempt => "exempt",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn is_essential(&self) -> bool {
        *self == Necessity::Essential
    }
}

/// The record that a requirement was cancelled by the reform: when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cancellation {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    pub reason: String,
}

/// A material an applicant hands in (申请材料). A cancelled material stays in the list with its
/// cancellation, so that the figures "before / after" come from the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Material {
    /// Key of the material inside its item, e.g. `M01`.
    pub key: String,
    pub name: String,
    pub form: MaterialForm,
    pub copies: u32,
    pub source: MaterialSource,
    /// The licence type (证照类型) that serves as this material, e.g. `营业执照`: a material the
    /// government issued is taken from the holder's valid licence of this type (免证办) instead
    /// of from the applicant. Only a material whose source is the government names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_type: Option<String>,
    pub category: MaterialCategory,
    /// Whether a case is incomplete without it (optional materials are listed but not demanded).
    pub required: bool,
    /// How far it may be missing at acceptance (必要 / 容缺 / 可承诺 / 免交).
    #[serde(default, skip_serializing_if = "Necessity::is_essential")]
    pub necessity: Necessity,
    /// A hint or a link to a filled-in sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancellation>,
}

impl Material {
    /// A material still asked for: not cancelled, required and not exempt (免交).
    pub fn is_demanded(&self) -> bool {
        self.cancelled.is_none() && self.required && self.necessity != Necessity::Exempt
    }
}

/// An intermediary service required before the item (前置中介服务), e.g. a survey or an EIA report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntermediaryService {
    pub name: String,
    /// Typical duration in working days.
    pub working_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancellation>,
}

/// Fees of an item (收费). Most items are free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fee {
    pub charged: bool,
    /// Amount and legal basis in words, e.g. "工本费 10 元/证".
    #[serde(default)]
    pub description: String,
}

/// Whether an item belongs in the service hall (进驻大厅).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HallStatus {
    /// False for the few items that by their nature cannot be handled in a hall (不宜进驻).
    pub allowed: bool,
    /// 进驻: the item is accepted in the hall.
    pub in_hall: bool,
    /// 授权到位: the window is authorised to decide on site.
    pub authorised: bool,
}

/// One approval the county performs (政务服务事项), as published in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub code: String,
    pub name: String,
    pub kind: ItemKind,
    /// Code of the department that decides it.
    pub department: String,
    pub legal_basis: String,
    /// 法定时限 in working days; 0 when the law sets none.
    pub statutory_days: u32,
    /// 承诺时限 in working days; 0 = immediate (即办).
    pub promised_days: u32,
    /// 到现场次数: visits in person the applicant needs.
    pub visits_required: u32,
    pub run_mode: RunMode,
    pub levels: Vec<Level>,
    pub hall: HallStatus,
    pub materials: Vec<Material>,
    #[serde(default)]
    pub intermediary_services: Vec<IntermediaryService>,
    #[serde(default)]
    pub fee: Fee,
    /// The licence type it issues, if any (e.g. 营业执照).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_licence_type: Option<String>,
    /// 当场决定: the approver decides without a reviewer's proposal (审查意见). A county may allow
    /// it for immediate items (即办) only; every other decision follows 受理 → 审查 → 决定.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decision_without_proposal: bool,
    /// How many years a licence it issues is valid from the day of issue (有效期); `None` for a
    /// licence without a time limit (长期有效).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_valid_years: Option<u32>,
    /// The commitment an applicant signs instead of a material marked 可承诺 (告知承诺书): what
    /// they declare and what follows if it proves false. Required when a material is committable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_text: Option<String>,
    /// 秒批: the system approves an application at filing when every check is one it can
    /// evaluate itself (materials complete, none promised or committed, no false commitment on
    /// record). Immediate items only; the county turns it on and off per item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_approval: bool,
}

impl Item {
    /// "At most once" (最多跑一次): the applicant appears in person at most once.
    pub fn is_at_most_once(&self) -> bool {
        self.visits_required <= 1
    }

    /// An immediate item (即办): done on the spot, promised in 0 working days.
    pub fn is_immediate(&self) -> bool {
        self.run_mode == RunMode::Immediate && self.promised_days == 0
    }

    /// Materials a complete case must carry.
    pub fn demanded_materials(&self) -> impl Iterator<Item = &Material> {
        self.materials.iter().filter(|m| m.is_demanded())
    }

    /// Checks every rule an item must satisfy and reports every violation at once.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.code.trim().is_empty() {
            errors.push(FieldError::new("code", "must not be empty"));
        } else if self.code.chars().any(char::is_whitespace) {
            errors.push(FieldError::new("code", "must not contain spaces"));
        }
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        if self.department.trim().is_empty() {
            errors.push(FieldError::new("department", "must not be empty"));
        }
        if self.statutory_days > 0 && self.promised_days > self.statutory_days {
            errors.push(FieldError::new(
                "promised_days",
                format!(
                    "promised limit {} exceeds the statutory limit {}",
                    self.promised_days, self.statutory_days
                ),
            ));
        }
        if self.levels.is_empty() {
            errors.push(FieldError::new("levels", "at least one level is required"));
        }
        if self.hall.in_hall && !self.hall.allowed {
            errors.push(FieldError::new(
                "hall.in_hall",
                "an item not allowed in the hall cannot be in it",
            ));
        }
        if self.hall.authorised && !self.hall.in_hall {
            errors.push(FieldError::new(
                "hall.authorised",
                "only an item in the hall can be authorised on site",
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, m) in self.materials.iter().enumerate() {
            if m.key.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("materials[{i}].key"),
                    "must not be empty",
                ));
            } else if !keys.insert(m.key.as_str()) {
                errors.push(FieldError::new(
                    format!("materials[{i}].key"),
                    format!("duplicate material key {}", m.key),
                ));
            }
            if m.name.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("materials[{i}].name"),
                    "must not be empty",
                ));
            }
            if m.copies == 0 {
                errors.push(FieldError::new(
                    format!("materials[{i}].copies"),
                    "must be at least 1",
                ));
            }
            if !m.required && matches!(m.necessity, Necessity::Tolerable | Necessity::Committable) {
                errors.push(FieldError::new(
                    format!("materials[{i}].necessity"),
                    "only a required material may be tolerated (容缺) or committed (可承诺); an optional one is never missing",
                ));
            }
            match &m.licence_type {
                Some(t) if t.trim().is_empty() => errors.push(FieldError::new(
                    format!("materials[{i}].licence_type"),
                    "must not be empty when given; leave it out when no licence serves",
                )),
                Some(t) if t.chars().count() > 64 => errors.push(FieldError::new(
                    format!("materials[{i}].licence_type"),
                    "a licence type name is at most 64 characters",
                )),
                Some(_) if m.source != MaterialSource::Government => {
                    errors.push(FieldError::new(
                        format!("materials[{i}].licence_type"),
                        "only a material the government issues (source government) is taken from a licence",
                    ))
                }
                _ => {}
            }
        }
        let committable = self
            .materials
            .iter()
            .any(|m| m.cancelled.is_none() && m.necessity == Necessity::Committable);
        match self.commitment_text.as_deref().map(str::trim) {
            None | Some("") if committable => errors.push(FieldError::new(
                "commitment_text",
                "a material is marked committable (可承诺): write the commitment the applicant signs",
            )),
            Some(text) if text.chars().count() > 2000 => errors.push(FieldError::new(
                "commitment_text",
                "a commitment is at most 2000 characters",
            )),
            _ => {}
        }
        match (self.licence_valid_years, &self.result_licence_type) {
            (Some(0), _) => errors.push(FieldError::new(
                "licence_valid_years",
                "a licence is valid at least one year; leave it empty for no time limit",
            )),
            (Some(_), None) => errors.push(FieldError::new(
                "licence_valid_years",
                "only an item that issues a licence (result_licence_type) has a licence validity",
            )),
            (Some(years), Some(_)) if years > 100 => errors.push(FieldError::new(
                "licence_valid_years",
                format!("{years} years is more than 100; leave it empty for no time limit"),
            )),
            _ => {}
        }
        if self.auto_approval && !self.is_immediate() {
            errors.push(FieldError::new(
                "auto_approval",
                "automatic approval (秒批) is for an immediate item only (即办, promised 0 working days)",
            ));
        }
        if self.decision_without_proposal && !self.is_immediate() {
            errors.push(FieldError::new(
                "decision_without_proposal",
                "only an immediate item (即办, promised 0 working days) is decided without a review opinion",
            ));
        }
        for (i, s) in self.intermediary_services.iter().enumerate() {
            if s.name.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("intermediary_services[{i}].name"),
                    "must not be empty",
                ));
            }
        }
        errors
    }
}

/// A department that decides items (部门).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// An item as published: its content and the version number it was published under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedItem {
    pub version: u32,
    #[serde(flatten)]
    pub item: Item,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample_item() -> Item {
        Item {
            code: "330226-SCJG-001".into(),
            name: "食品经营许可".into(),
            kind: ItemKind::Licence,
            department: "SCJG".into(),
            legal_basis: "《中华人民共和国食品安全法》第三十五条".into(),
            statutory_days: 20,
            promised_days: 5,
            visits_required: 1,
            run_mode: RunMode::OnlinePrereview,
            levels: vec![Level::County, Level::Township],
            hall: HallStatus {
                allowed: true,
                in_hall: true,
                authorised: true,
            },
            materials: vec![
                Material {
                    key: "M01".into(),
                    name: "食品经营许可申请书".into(),
                    form: MaterialForm::Original,
                    copies: 1,
                    source: MaterialSource::Applicant,
                    licence_type: None,
                    category: MaterialCategory::Ordinary,
                    required: true,
                    sample: None,
                    cancelled: None,
                    necessity: Default::default(),
                },
                Material {
                    key: "M02".into(),
                    name: "营业执照复印件".into(),
                    form: MaterialForm::Copy,
                    copies: 1,
                    source: MaterialSource::Government,
                    licence_type: None,
                    category: MaterialCategory::Certificate,
                    required: true,
                    sample: None,
                    cancelled: Some(Cancellation {
                        date: NaiveDate::from_ymd_opt(2017, 3, 1).expect("valid date"),
                        reason: "部门间共享".into(),
                    }),
                    necessity: Default::default(),
                },
                Material {
                    key: "M03".into(),
                    name: "与食品经营相适应的设备布局图".into(),
                    form: MaterialForm::Original,
                    copies: 1,
                    source: MaterialSource::Applicant,
                    licence_type: None,
                    category: MaterialCategory::Ordinary,
                    required: true,
                    sample: None,
                    cancelled: None,
                    necessity: Default::default(),
                },
            ],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: Some("食品经营许可证".into()),
            decision_without_proposal: false,
            licence_valid_years: Some(5),
            commitment_text: None,
            auto_approval: false,
        }
    }

    #[test]
    fn a_sound_item_has_no_errors() {
        assert!(sample_item().validate().is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut item = sample_item();
        item.code = "".into();
        item.promised_days = 30;
        item.materials[1].key = "M01".into();
        let errors = item.validate();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "promised_days", "materials[1].key"]);
    }

    #[test]
    fn only_a_material_the_government_issues_is_taken_from_a_licence() {
        let mut item = sample_item();
        item.materials[0].licence_type = Some("营业执照".into());
        item.materials[0].source = MaterialSource::Government;
        assert!(item.validate().is_empty());
        item.materials[0].source = MaterialSource::Applicant;
        item.materials[1].licence_type = Some(" ".into());
        let errors = item.validate();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["materials[0].licence_type", "materials[1].licence_type"]
        );
    }

    #[test]
    fn cancelled_materials_are_not_demanded() {
        let item = sample_item();
        let keys: Vec<_> = item.demanded_materials().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, vec!["M01", "M03"]);
    }
}
