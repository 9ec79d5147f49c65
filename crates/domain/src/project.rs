//! Investment projects (投资项目): the unified project code, and the approval plan — the items a
//! project needs in the four stages of construction-project approval, the intermediary work
//! before each, which run in parallel — with its critical path in working days.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::validation::FieldError;

/// The unified code of an investment project (投资项目代码, GB/T 40058-2021): 24 characters,
/// `YYMM-DDDDDD-NN-NN-NNNNNN` — month of registration, division, category, type, serial. Codes
/// of the older generation (`YYYY-DDDDDD-NN-NN-NNNNNN`, before the 2020 switch-over) are still
/// read; only the new generation is issued. The last group's check digit is not published, so
/// only the pattern is checked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectCode(String);

/// Why a text is not a project code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectCodeError {
    #[error(
        "a project code is YYMM-DDDDDD-NN-NN-NNNNNN (24 characters), e.g. 2611-330226-04-01-000001; got {0:?}"
    )]
    Shape(String),
    #[error("the month {0} of a project code is not 01–12")]
    Month(String),
}

/// The two shapes a project code has had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeGeneration {
    /// `YYYY-…`, issued until the switch-over in 2020.
    Older,
    /// `YYMM-…`, issued since November 2020.
    Current,
}

impl ProjectCode {
    /// Reads a code of either generation.
    pub fn parse(text: &str) -> Result<ProjectCode, ProjectCodeError> {
        let text = text.trim();
        let groups: Vec<&str> = text.split('-').collect();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let shape = groups.len() == 5
            && digits(groups[0], 4)
            && digits(groups[1], 6)
            && digits(groups[2], 2)
            && digits(groups[3], 2)
            && digits(groups[4], 6);
        if !shape {
            return Err(ProjectCodeError::Shape(text.to_string()));
        }
        let code = ProjectCode(text.to_string());
        if code.generation() == CodeGeneration::Current {
            let month = &text[2..4];
            if !("01"..="12").contains(&month) {
                return Err(ProjectCodeError::Month(month.to_string()));
            }
        }
        Ok(code)
    }

    /// The code of the `serial`th project registered in the month of `day` in `division`.
    pub fn issue(
        day: NaiveDate,
        division: &str,
        category: u8,
        kind: u8,
        serial: u32,
    ) -> Result<ProjectCode, ProjectCodeError> {
        ProjectCode::parse(&format!(
            "{}-{division}-{:02}-{:02}-{:06}",
            day.format("%y%m"),
            category % 100,
            kind % 100,
            serial % 1_000_000
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit division the project was registered in (330226 for Ninghai).
    pub fn division(&self) -> &str {
        &self.0[5..11]
    }

    /// Which shape the code has. The older codes began with the year (2013 to 2020); a current
    /// code begins with a month from November 2020 (2011), so the two never meet except in
    /// 2011 and 2012, which only the current generation can mean.
    pub fn generation(&self) -> CodeGeneration {
        match self.0[..4].parse::<u32>() {
            Ok(2013..=2020) => CodeGeneration::Older,
            _ => CodeGeneration::Current,
        }
    }
}

impl fmt::Display for ProjectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProjectCode {
    type Error = ProjectCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProjectCode::parse(&s)
    }
}

impl From<ProjectCode> for String {
    fn from(c: ProjectCode) -> String {
        c.0
    }
}

/// The bundle of the joint completion acceptance (联合竣工验收): planning verification, fire
/// acceptance and the completion filing in one application at the housing window.
pub const JOINT_COMPLETION_BUNDLE: &str = "LB-JUNGONG";

/// The four stages of construction-project approval (国办发〔2019〕11号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 立项用地规划许可
    ProjectAndLand,
    /// 工程建设许可
    ConstructionLicence,
    /// 施工许可
    ConstructionPermit,
    /// 竣工验收
    Completion,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::ProjectAndLand,
        Stage::ConstructionLicence,
        Stage::ConstructionPermit,
        Stage::Completion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ProjectAndLand => "project_and_land",
            Stage::ConstructionLicence => "construction_licence",
            Stage::ConstructionPermit => "construction_permit",
            Stage::Completion => "completion",
        }
    }
}

/// What a project is, which decides the approvals it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProjectType {
    Industrial,
    Commercial,
    Public,
    Village,
}

/// An assessment a region (an industrial park) has done once for every project in it (区域评估).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// 环境影响评价
    EnvironmentalImpact,
    /// 水土保持
    SoilAndWater,
    /// 节能评估
    Energy,
    /// 交通影响评价
    Traffic,
    /// 地质灾害危险性评估
    GeologicalHazard,
}

/// Intermediary work before a step (中介服务), in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntermediaryWork {
    pub name: String,
    pub working_days: u32,
    /// A regional assessment of this kind makes the work unnecessary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<Assessment>,
}

/// One approval of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// Key inside the plan, e.g. `land-use-planning`.
    pub key: String,
    /// The catalogue item's name, to find it in the catalogue.
    pub item_name: String,
    pub department: String,
    pub stage: Stage,
    /// The department's working days (the promised limit).
    pub admin_days: u32,
    /// Work before the step; done one after another.
    #[serde(default)]
    pub intermediary: Vec<IntermediaryWork>,
    /// Steps that must be done first.
    #[serde(default)]
    pub after: Vec<String>,
    /// The step approves the assessment itself: a regional assessment of this kind removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<Assessment>,
    /// May be pre-examined before the land is obtained (模拟审批).
    #[serde(default)]
    pub simulated_before_land: bool,
    /// The joint-approval bundle the step is filed in together with others (the joint
    /// completion acceptance), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

impl PlanStep {
    pub fn intermediary_days(&self) -> u32 {
        self.intermediary.iter().map(|w| w.working_days).sum()
    }

    pub fn total_days(&self) -> u32 {
        self.intermediary_days() + self.admin_days
    }
}

/// The approvals a project needs, as a graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub project_type: ProjectType,
    /// True for a project that goes by filing (备案) in one step.
    pub filing_only: bool,
    pub steps: Vec<PlanStep>,
}

/// One step placed on the schedule, in working days from the plan's start (day 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledStep {
    pub key: String,
    /// Its intermediary work starts after this many working days.
    pub start: u32,
    /// The department's part starts after this many.
    pub admin_start: u32,
    /// Done after this many.
    pub end: u32,
    /// Working days it may slip without moving the end of the plan.
    pub slack: u32,
    pub critical: bool,
}

/// The plan laid out in working days: every step at its earliest, and the critical path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub steps: Vec<ScheduledStep>,
    /// Keys of the critical path, first to last.
    pub critical_path: Vec<String>,
    /// Working days of the whole plan: the length of the critical path.
    pub total_days: u32,
    /// Of which the departments' working days on the critical path.
    pub admin_days: u32,
    /// Of which intermediary work on the critical path.
    pub intermediary_days: u32,
}

/// One step's dates on the real calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedStep {
    pub key: String,
    pub starts_on: NaiveDate,
    pub admin_starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// True when a date falls in a year whose holiday notice is not loaded yet: counted on
    /// weekdays only, so it is an estimate (see [`forecast_day`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

/// The `n`th working day after `start` for a plan's forecast. Legal deadlines never guess a
/// year the calendar does not cover; a plan of months must still show its dates, so past the
/// covered years it counts Monday to Friday and says that the date is an estimate (`true`); a
/// date on the calendar's provisional year is an estimate too.
pub fn forecast_day(
    calendar: &Calendar,
    start: NaiveDate,
    n: u32,
) -> Result<(NaiveDate, bool), CalendarError> {
    if let Ok(day) = calendar.add_working_days(start, n) {
        return Ok((day, calendar.is_provisional(day)));
    }
    let mut day = start;
    let mut counted = 0;
    while counted < n {
        day = day
            .succ_opt()
            .ok_or(CalendarError::YearNotCovered { year: day.year() })?;
        // The only error of a calendar is a year it does not cover: there, weekdays count.
        let working = calendar.is_working_day(day).unwrap_or_else(|_| {
            !matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
        });
        if working {
            counted += 1;
        }
    }
    Ok((day, true))
}

impl Plan {
    /// The names of the catalogue items the steps are, in the plan's order.
    pub fn item_names(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.item_name.clone()).collect()
    }

    /// Checks the graph: unique keys, known predecessors, no circle.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut keys = BTreeSet::new();
        for (i, step) in self.steps.iter().enumerate() {
            if step.key.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("steps[{i}].key"),
                    "must not be empty",
                ));
            } else if !keys.insert(step.key.as_str()) {
                errors.push(FieldError::new(
                    format!("steps[{i}].key"),
                    format!("{} appears twice", step.key),
                ));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            for before in &step.after {
                if !keys.contains(before.as_str()) {
                    errors.push(FieldError::new(
                        format!("steps[{i}].after"),
                        format!("{before} is not a step of this plan"),
                    ));
                }
            }
        }
        if errors.is_empty() && self.order().is_none() {
            errors.push(FieldError::new("steps", "the order goes round in a circle"));
        }
        errors
    }

    /// Indexes of the steps in an order where every step follows its predecessors.
    fn order(&self) -> Option<Vec<usize>> {
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        let mut order = Vec::with_capacity(self.steps.len());
        while order.len() < self.steps.len() {
            let next = self.steps.iter().enumerate().position(|(i, s)| {
                !order.contains(&i) && s.after.iter().all(|a| placed.contains(a.as_str()))
            })?;
            placed.insert(self.steps[next].key.as_str());
            order.push(next);
        }
        Some(order)
    }

    /// The plan of a project inside a region that has done `assessments`: the steps that
    /// approve such an assessment go (their successors wait for what they waited for), and the
    /// intermediary work the assessments cover goes from every step.
    pub fn within_region(&self, assessments: &BTreeSet<Assessment>) -> Plan {
        let removed: BTreeMap<&str, &Vec<String>> = self
            .steps
            .iter()
            .filter(|s| s.removed_by.is_some_and(|a| assessments.contains(&a)))
            .map(|s| (s.key.as_str(), &s.after))
            .collect();
        // Predecessors through removed steps, transitively.
        let resolve = |after: &[String]| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            let mut stack: Vec<String> = after.to_vec();
            while let Some(k) = stack.pop() {
                match removed.get(k.as_str()) {
                    Some(more) => stack.extend(more.iter().cloned()),
                    None if !out.contains(&k) => out.push(k),
                    None => {}
                }
            }
            out.sort();
            out
        };
        Plan {
            project_type: self.project_type,
            filing_only: self.filing_only,
            steps: self
                .steps
                .iter()
                .filter(|s| !removed.contains_key(s.key.as_str()))
                .map(|s| PlanStep {
                    after: resolve(&s.after),
                    intermediary: s
                        .intermediary
                        .iter()
                        .filter(|w| !w.covered_by.is_some_and(|a| assessments.contains(&a)))
                        .cloned()
                        .collect(),
                    ..s.clone()
                })
                .collect(),
        }
    }

    /// Every step at its earliest start, and the critical path (the longest chain of
    /// intermediary work and department days), in working days.
    pub fn schedule(&self) -> Result<Schedule, Vec<FieldError>> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        let order = self.order().unwrap_or_default();
        let index: BTreeMap<&str, usize> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i))
            .collect();
        let mut start = vec![0u32; self.steps.len()];
        let mut end = vec![0u32; self.steps.len()];
        for &i in &order {
            let step = &self.steps[i];
            start[i] = step
                .after
                .iter()
                .filter_map(|a| index.get(a.as_str()).map(|j| end[*j]))
                .max()
                .unwrap_or(0);
            end[i] = start[i] + step.total_days();
        }
        let total = end.iter().copied().max().unwrap_or(0);
        // Latest finish without moving the end: backwards over the order.
        let mut latest_end = vec![total; self.steps.len()];
        for &i in order.iter().rev() {
            let latest_start = latest_end[i] - self.steps[i].total_days();
            for a in &self.steps[i].after {
                if let Some(&j) = index.get(a.as_str()) {
                    latest_end[j] = latest_end[j].min(latest_start);
                }
            }
        }
        // The critical path: from a step ending last, back through predecessors ending when it
        // starts (ties go to the first in the plan's order, so the path is stable).
        let mut path = Vec::new();
        let mut current = order
            .iter()
            .copied()
            .find(|&i| end[i] == total && total > 0);
        while let Some(i) = current {
            path.push(i);
            current = self.steps[i]
                .after
                .iter()
                .filter_map(|a| index.get(a.as_str()).copied())
                .find(|&j| end[j] == start[i]);
        }
        path.reverse();
        let admin_days = path.iter().map(|&i| self.steps[i].admin_days).sum();
        let intermediary_days = path
            .iter()
            .map(|&i| self.steps[i].intermediary_days())
            .sum();
        Ok(Schedule {
            steps: self
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| ScheduledStep {
                    key: s.key.clone(),
                    start: start[i],
                    admin_start: start[i] + s.intermediary_days(),
                    end: end[i],
                    slack: latest_end[i] - end[i],
                    critical: path.contains(&i),
                })
                .collect(),
            critical_path: path.iter().map(|&i| self.steps[i].key.clone()).collect(),
            total_days: total,
            admin_days,
            intermediary_days,
        })
    }
}

impl Schedule {
    /// The schedule on the calendar, for a plan started on `start` (day 0): each step's first
    /// and last working day.
    pub fn dates(
        &self,
        start: NaiveDate,
        calendar: &Calendar,
    ) -> Result<Vec<DatedStep>, CalendarError> {
        self.steps
            .iter()
            .map(|s| {
                let (starts_on, a) = forecast_day(calendar, start, s.start + 1)?;
                let (admin_starts_on, b) = forecast_day(calendar, start, s.admin_start + 1)?;
                let (ends_on, c) = forecast_day(calendar, start, s.end.max(s.start + 1))?;
                Ok(DatedStep {
                    key: s.key.clone(),
                    starts_on,
                    admin_starts_on,
                    ends_on,
                    estimated: a || b || c,
                })
            })
            .collect()
    }

    /// The last working day of the plan, and whether it is an estimate.
    pub fn ends_on(
        &self,
        start: NaiveDate,
        calendar: &Calendar,
    ) -> Result<(NaiveDate, bool), CalendarError> {
        forecast_day(calendar, start, self.total_days)
    }
}

fn step(
    key: &str,
    item_name: &str,
    department: &str,
    stage: Stage,
    admin_days: u32,
    intermediary: &[(&str, u32, Option<Assessment>)],
    after: &[&str],
) -> PlanStep {
    PlanStep {
        key: key.into(),
        item_name: item_name.into(),
        department: department.into(),
        stage,
        admin_days,
        intermediary: intermediary
            .iter()
            .map(|(name, days, covered_by)| IntermediaryWork {
                name: (*name).into(),
                working_days: *days,
                covered_by: *covered_by,
            })
            .collect(),
        after: after.iter().map(|a| (*a).to_string()).collect(),
        removed_by: None,
        simulated_before_land: false,
        bundle: None,
    }
}

/// The plan the county proposes for a project of `project_type`: for an industrial project the
/// seed's "100-day" flow — 94 working days to the construction permit, 29 of them the
/// departments' and 65 intermediary work — with the assessments a region may have done and the
/// joint completion acceptance at the end. A village project without government funds goes by
/// filing in one step.
pub fn propose_plan(project_type: ProjectType, government_funded: bool) -> Plan {
    use Assessment::*;
    use Stage::*;
    if project_type == ProjectType::Village && !government_funded {
        return Plan {
            project_type,
            filing_only: true,
            steps: vec![step(
                "filing",
                "企业投资项目备案（赋码备案）",
                "FGJ",
                ProjectAndLand,
                1,
                &[],
                &[],
            )],
        };
    }
    let first = if government_funded {
        step(
            "feasibility",
            "政府投资项目可行性研究报告审批",
            "FGJ",
            ProjectAndLand,
            5,
            &[("可行性研究报告编制", 15, None)],
            &[],
        )
    } else {
        step(
            "filing",
            "企业投资项目备案（赋码备案）",
            "FGJ",
            ProjectAndLand,
            1,
            &[],
            &[],
        )
    };
    let root = first.key.clone();
    let root = root.as_str();
    let mut steps = vec![
        first.clone(),
        PlanStep {
            simulated_before_land: true,
            ..step(
                "site-selection",
                "建设项目选址意见书核发（核发）",
                "ZRZYJ",
                ProjectAndLand,
                5,
                &[("地质灾害危险性评估", 10, Some(GeologicalHazard))],
                &[root],
            )
        },
        PlanStep {
            removed_by: Some(EnvironmentalImpact),
            simulated_before_land: true,
            ..step(
                "eia",
                "建设项目环境影响报告表审批（新办）",
                "STHJ",
                ProjectAndLand,
                5,
                &[("环境影响报告表编制", 20, Some(EnvironmentalImpact))],
                &[root],
            )
        },
        PlanStep {
            removed_by: Some(SoilAndWater),
            simulated_before_land: true,
            ..step(
                "soil-water",
                "生产建设项目水土保持方案审批（报告表）",
                "SLJ",
                ProjectAndLand,
                5,
                &[("水土保持方案编制", 15, Some(SoilAndWater))],
                &[root],
            )
        },
        step(
            "land-planning",
            "建设用地规划许可证核发（新办）",
            "ZRZYJ",
            ProjectAndLand,
            3,
            &[],
            &["site-selection"],
        ),
        PlanStep {
            simulated_before_land: true,
            ..step(
                "design-scheme",
                "建设工程设计方案审查",
                "ZRZYJ",
                ConstructionLicence,
                5,
                &[("建筑方案设计", 15, None)],
                &["land-planning"],
            )
        },
        PlanStep {
            simulated_before_land: true,
            ..step(
                "planning-permit",
                "建设工程规划许可证核发（新办）",
                "ZRZYJ",
                ConstructionLicence,
                3,
                &[],
                &["design-scheme"],
            )
        },
        PlanStep {
            simulated_before_land: true,
            ..step(
                "drawing-review",
                "施工图设计文件审查备案",
                "ZJJ",
                ConstructionPermit,
                5,
                &[("施工图设计", 20, None), ("施工图审查", 20, None)],
                &["planning-permit"],
            )
        },
        step(
            "fire-design",
            "建设工程消防设计审核",
            "XFJY",
            ConstructionPermit,
            5,
            &[("消防设计文件编制", 15, None)],
            &["planning-permit"],
        ),
        step(
            "construction-permit",
            "建筑工程施工许可证核发（新办）",
            "ZJJ",
            ConstructionPermit,
            7,
            &[],
            &["drawing-review", "fire-design", "eia", "soil-water"],
        ),
        // After construction: one survey for planning, land and real estate (多测合一), and one
        // joint acceptance (联合验收) filed as the bundle LB-JUNGONG.
        PlanStep {
            bundle: Some(JOINT_COMPLETION_BUNDLE.into()),
            ..step(
                "planning-verification",
                "建设工程规划核实",
                "ZRZYJ",
                Completion,
                3,
                &[("联合测绘（多测合一）", 10, None)],
                &["construction-permit"],
            )
        },
        PlanStep {
            bundle: Some(JOINT_COMPLETION_BUNDLE.into()),
            ..step(
                "fire-acceptance",
                "建设工程消防验收",
                "XFJY",
                Completion,
                5,
                &[("消防设施检测", 7, None)],
                &["construction-permit"],
            )
        },
        PlanStep {
            bundle: Some(JOINT_COMPLETION_BUNDLE.into()),
            ..step(
                "completion-filing",
                "建设工程竣工验收备案",
                "ZJJ",
                Completion,
                3,
                &[],
                &["planning-verification", "fire-acceptance"],
            )
        },
    ];
    if project_type == ProjectType::Industrial {
        // Energy review for an industrial project (固定资产投资项目节能审查).
        steps.insert(
            4,
            PlanStep {
                removed_by: Some(Energy),
                simulated_before_land: true,
                ..step(
                    "energy",
                    "固定资产投资项目节能审查",
                    "FGJ",
                    ProjectAndLand,
                    5,
                    &[("节能报告编制", 10, Some(Energy))],
                    &[root],
                )
            },
        );
        if let Some(permit) = steps.iter_mut().find(|s| s.key == "construction-permit") {
            permit.after.push("energy".into());
        }
    }
    if project_type == ProjectType::Commercial
        && let Some(s) = steps.iter_mut().find(|s| s.key == "site-selection")
    {
        s.intermediary.push(IntermediaryWork {
            name: "交通影响评价".into(),
            working_days: 10,
            covered_by: Some(Traffic),
        });
    }
    Plan {
        project_type,
        filing_only: false,
        steps,
    }
}

impl Plan {
    /// The approvals up to the construction permit: what the county's "100-day" promise
    /// counts. Completion acceptance follows construction, whose time is the builder's.
    pub fn before_construction(&self) -> Plan {
        let keep: BTreeSet<&str> = self
            .steps
            .iter()
            .filter(|s| s.stage != Stage::Completion)
            .map(|s| s.key.as_str())
            .collect();
        Plan {
            project_type: self.project_type,
            filing_only: self.filing_only,
            steps: self
                .steps
                .iter()
                .filter(|s| keep.contains(s.key.as_str()))
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn project_codes_of_both_generations_are_read_and_only_the_current_is_issued() {
        let current = ProjectCode::parse("2509-320193-89-01-544060").expect("a real code");
        assert_eq!(current.generation(), CodeGeneration::Current);
        assert_eq!(current.division(), "320193");
        let older = ProjectCode::parse("2017-330226-44-03-012345").expect("an older code");
        assert_eq!(older.generation(), CodeGeneration::Older);
        let issued = ProjectCode::issue(day(2026, 11, 27), "330226", 4, 1, 7).expect("issued");
        assert_eq!(issued.as_str(), "2611-330226-04-01-000007");
        assert_eq!(issued.as_str().len(), 24);
        for bad in [
            "2611-330226-04-01-00007",
            "2611330226-04-01-000007",
            "26a1-330226-04-01-000007",
            "2611-330226-04-01-000007-1",
            "",
        ] {
            assert!(
                matches!(ProjectCode::parse(bad), Err(ProjectCodeError::Shape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            ProjectCode::parse("2613-330226-04-01-000007"),
            Err(ProjectCodeError::Month("13".into()))
        );
        let json = serde_json::to_string(&issued).expect("json");
        assert_eq!(json, "\"2611-330226-04-01-000007\"");
        assert!(serde_json::from_str::<ProjectCode>("\"nope\"").is_err());
    }

    fn hand_made() -> Plan {
        // a(2) → b(3+4) → d(1); a → c(10) → d: the path goes through c.
        Plan {
            project_type: ProjectType::Commercial,
            filing_only: false,
            steps: vec![
                step("a", "A", "X", Stage::ProjectAndLand, 2, &[], &[]),
                step(
                    "b",
                    "B",
                    "X",
                    Stage::ProjectAndLand,
                    4,
                    &[("survey", 3, None)],
                    &["a"],
                ),
                step("c", "C", "Y", Stage::ConstructionLicence, 10, &[], &["a"]),
                step(
                    "d",
                    "D",
                    "Z",
                    Stage::ConstructionPermit,
                    1,
                    &[],
                    &["b", "c"],
                ),
            ],
        }
    }

    #[test]
    fn the_critical_path_of_a_small_plan() {
        let schedule = hand_made().schedule().expect("a sound plan");
        assert_eq!(schedule.total_days, 13);
        assert_eq!(schedule.critical_path, vec!["a", "c", "d"]);
        assert_eq!(schedule.admin_days, 13);
        assert_eq!(schedule.intermediary_days, 0);
        let b = &schedule.steps[1];
        assert_eq!(
            (b.start, b.admin_start, b.end, b.slack, b.critical),
            (2, 5, 9, 3, false)
        );
        // Lengthen the survey past the other branch and the path moves.
        let mut plan = hand_made();
        plan.steps[1].intermediary[0].working_days = 8;
        let schedule = plan.schedule().expect("a sound plan");
        assert_eq!(schedule.critical_path, vec!["a", "b", "d"]);
        assert_eq!(
            (
                schedule.total_days,
                schedule.admin_days,
                schedule.intermediary_days
            ),
            (15, 7, 8)
        );
    }

    #[test]
    fn a_broken_plan_is_named() {
        let mut plan = hand_made();
        plan.steps[0].after = vec!["d".into()];
        assert_eq!(plan.schedule().expect_err("circular")[0].field, "steps");
        let mut plan = hand_made();
        plan.steps[3].after.push("nope".into());
        assert_eq!(
            plan.schedule().expect_err("unknown")[0].field,
            "steps[3].after"
        );
    }

    #[test]
    fn the_seeds_industrial_project_takes_94_working_days_29_of_them_administrative() {
        let plan = propose_plan(ProjectType::Industrial, false);
        let schedule = plan.before_construction().schedule().expect("a sound plan");
        assert_eq!(schedule.total_days, 94);
        assert_eq!(schedule.admin_days, 29);
        assert_eq!(schedule.intermediary_days, 65);
        assert_eq!(
            schedule.critical_path,
            vec![
                "filing",
                "site-selection",
                "land-planning",
                "design-scheme",
                "planning-permit",
                "drawing-review",
                "construction-permit"
            ]
        );
        // Environment, soil and water, energy and fire design run alongside.
        for key in ["eia", "soil-water", "energy", "fire-design"] {
            let s = schedule.steps.iter().find(|s| s.key == key).expect(key);
            assert!(!s.critical && s.slack > 0, "{key}: {s:?}");
        }
        // Every stage is in the plan, completion acceptance at the end.
        let stages: BTreeSet<Stage> = plan.steps.iter().map(|s| s.stage).collect();
        assert_eq!(stages.len(), 4);
    }

    #[test]
    fn a_plan_across_the_spring_festival_ends_later_by_its_holidays() {
        let calendar = Calendar::prc();
        let schedule = propose_plan(ProjectType::Industrial, false)
            .before_construction()
            .schedule()
            .expect("a sound plan");
        // Started on Monday 2 February 2026: the Spring Festival (15–23 February, with the
        // make-up Saturdays 14 and 28 February) falls inside.
        let start = day(2026, 2, 2);
        let (end, estimated) = schedule.ends_on(start, &calendar).expect("covered");
        assert!(!estimated);
        let mut counted = 0;
        let mut date = start;
        while counted < 94 {
            date = date.succ_opt().expect("a day");
            if calendar.is_working_day(date).expect("covered") {
                counted += 1;
            }
        }
        assert_eq!(end, date);
        // Also across Qingming, Labour Day and the Dragon Boat Festival.
        assert_eq!(end, day(2026, 6, 24));
        let weekdays_only = Calendar::from_parts([2026], [], []).expect("a bare year");
        assert!(end > schedule.ends_on(start, &weekdays_only).expect("covered").0);
        let dates = schedule.dates(start, &calendar).expect("covered");
        let filing = dates.iter().find(|d| d.key == "filing").expect("filing");
        assert_eq!(
            (filing.starts_on, filing.ends_on),
            (day(2026, 2, 3), day(2026, 2, 3))
        );
        let permit = dates
            .iter()
            .find(|d| d.key == "construction-permit")
            .expect("permit");
        assert_eq!(permit.ends_on, end);
    }

    #[test]
    fn a_plan_past_the_covered_years_is_dated_on_weekdays_and_marked_an_estimate() {
        let calendar = Calendar::prc()
            .with_provisional_next_year(false)
            .expect("rebuilt");
        let schedule = propose_plan(ProjectType::Industrial, false)
            .before_construction()
            .schedule()
            .expect("a sound plan");
        // Registered on Friday 27 November 2026: the plan runs into 2027, whose holiday notice
        // is not loaded.
        let start = day(2026, 11, 27);
        assert!(
            calendar.add_working_days(start, 94).is_err(),
            "a deadline never guesses"
        );
        let (end, estimated) = schedule.ends_on(start, &calendar).expect("a forecast");
        assert!(estimated);
        // 24 working days left in 2026 (no holiday after 27 November), then 70 weekdays.
        assert_eq!(end, day(2027, 4, 8));
        let dates = schedule.dates(start, &calendar).expect("a forecast");
        let filing = dates.iter().find(|d| d.key == "filing").expect("filing");
        assert!(!filing.estimated, "the filing falls in 2026");
        assert!(
            dates
                .iter()
                .find(|d| d.key == "construction-permit")
                .is_some_and(|d| d.estimated)
        );
    }

    #[test]
    fn a_plan_into_the_provisional_year_counts_its_statutory_holidays_and_is_an_estimate() {
        let calendar = Calendar::prc();
        let schedule = propose_plan(ProjectType::Industrial, false)
            .before_construction()
            .schedule()
            .expect("a sound plan");
        let start = day(2026, 11, 27);
        let (end, estimated) = schedule.ends_on(start, &calendar).expect("a forecast");
        assert!(estimated, "2027 is provisional");
        // The 70 weekdays of 2027 skip New Year's Day, four Spring Festival days and Qingming.
        assert_eq!(end, day(2027, 4, 16));
        let dates = schedule.dates(start, &calendar).expect("a forecast");
        let filing = dates.iter().find(|d| d.key == "filing").expect("filing");
        assert!(!filing.estimated, "the filing falls early in December 2026");
    }

    #[test]
    fn a_regional_assessment_removes_the_items_it_covers_and_shortens_the_path() {
        let plan = propose_plan(ProjectType::Industrial, false).before_construction();
        let region: BTreeSet<Assessment> = [
            Assessment::EnvironmentalImpact,
            Assessment::SoilAndWater,
            Assessment::Energy,
            Assessment::GeologicalHazard,
        ]
        .into_iter()
        .collect();
        let inside = plan.within_region(&region);
        let keys: Vec<&str> = inside.steps.iter().map(|s| s.key.as_str()).collect();
        assert!(
            !keys.contains(&"eia") && !keys.contains(&"soil-water") && !keys.contains(&"energy")
        );
        let permit = inside
            .steps
            .iter()
            .find(|s| s.key == "construction-permit")
            .expect("permit");
        assert_eq!(
            permit.after,
            vec!["drawing-review", "filing", "fire-design"]
        );
        let schedule = inside.schedule().expect("a sound plan");
        // The geological hazard assessment before the site selection is done for the region.
        assert_eq!(schedule.total_days, 84);
        assert_eq!(schedule.intermediary_days, 55);
    }

    #[test]
    fn a_village_project_without_government_funds_is_filed_in_one_step() {
        let plan = propose_plan(ProjectType::Village, false);
        assert!(plan.filing_only);
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.schedule().expect("sound").total_days, 1);
        let funded = propose_plan(ProjectType::Village, true);
        assert!(!funded.filing_only);
        assert_eq!(funded.steps[0].key, "feasibility");
    }

    proptest! {
        /// On any plan: no step starts before its predecessors end, the path's steps have no
        /// slack, and the total is the latest end.
        #[test]
        fn schedules_respect_the_order(days in proptest::collection::vec((0u32..20, 0u32..20), 4)) {
            let mut plan = hand_made();
            for (step, (admin, work)) in plan.steps.iter_mut().zip(&days) {
                step.admin_days = *admin;
                step.intermediary = vec![IntermediaryWork { name: "w".into(), working_days: *work, covered_by: None }];
            }
            let schedule = plan.schedule().expect("sound");
            for (s, p) in schedule.steps.iter().zip(&plan.steps) {
                for a in &p.after {
                    let before = schedule.steps.iter().find(|x| &x.key == a).expect("pred");
                    prop_assert!(before.end <= s.start);
                }
                prop_assert_eq!(s.end - s.start, p.total_days());
            }
            prop_assert_eq!(schedule.total_days, schedule.steps.iter().map(|s| s.end).max().unwrap_or(0));
            prop_assert_eq!(schedule.total_days, schedule.admin_days + schedule.intermediary_days);
            for key in &schedule.critical_path {
                let s = schedule.steps.iter().find(|x| &x.key == key).expect("step");
                prop_assert_eq!(s.slack, 0);
            }
        }
    }
}

/// Whether the project has its land (土地), which formal approvals of the land stage wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Land {
    NotObtained,
    Obtained { on: NaiveDate },
}

/// Where one step of a project's plan stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepProgress {
    NotStarted,
    /// Pre-examined before the land was obtained (模拟审批): a provisional opinion that becomes
    /// the decision when the land is obtained, if the plan has not changed since.
    Provisional {
        opinion: String,
        by: String,
        on: NaiveDate,
        /// The plan version the opinion was given on.
        plan_version: u32,
    },
    /// Filed as a case under the project code.
    InProgress {
        case_number: String,
    },
    Done {
        on: NaiveDate,
        /// The case that decided it, or none for a provisional opinion turned formal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case_number: Option<String>,
        /// The licence or opinion issued.
        document: String,
        /// True when it was a provisional opinion that turned formal with the land.
        from_simulation: bool,
    },
}

/// An investment project (投资项目) from registration to completion acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub code: ProjectCode,
    pub name: String,
    /// The owner's unified social credit code.
    pub owner_identity: String,
    pub owner_name: String,
    /// The account that registered it, if one of the public did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_by: Option<String>,
    /// The agent following it (代办员), if one is assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub project_type: ProjectType,
    pub government_funded: bool,
    /// The assessed region (industrial park) it lies in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub land: Land,
    pub registered_on: NaiveDate,
    /// The day the plan counts from (registration).
    pub plan_start: NaiveDate,
    /// Bumped whenever the plan changes (a region, a change of type): provisional opinions
    /// given on an older plan do not turn formal.
    pub plan_version: u32,
    pub plan: Plan,
    /// By step key.
    pub progress: BTreeMap<String, StepProgress>,
    pub version: u64,
}

/// Why a project command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

fn project_invalid(field: &str, reason: impl Into<String>) -> ProjectError {
    ProjectError::Invalid(vec![FieldError::new(field, reason)])
}

/// What a registration carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProject {
    pub name: String,
    pub owner_identity: String,
    pub owner_name: String,
    pub project_type: ProjectType,
    #[serde(default)]
    pub government_funded: bool,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub land_obtained_on: Option<NaiveDate>,
}

impl Project {
    /// Registers a project under `code` with the plan proposed for it, narrowed by the
    /// assessments its region has done.
    pub fn register(
        code: ProjectCode,
        new: NewProject,
        region_assessments: &BTreeSet<Assessment>,
        registered_by: Option<String>,
        today: NaiveDate,
    ) -> Result<Project, ProjectError> {
        let mut errors = Vec::new();
        if new.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        if new.owner_name.trim().is_empty() {
            errors.push(FieldError::new("owner_name", "must not be empty"));
        }
        if !errors.is_empty() {
            return Err(ProjectError::Invalid(errors));
        }
        let plan =
            propose_plan(new.project_type, new.government_funded).within_region(region_assessments);
        let progress = plan
            .steps
            .iter()
            .map(|s| (s.key.clone(), StepProgress::NotStarted))
            .collect();
        Ok(Project {
            code,
            name: new.name.trim().to_string(),
            owner_identity: new.owner_identity,
            owner_name: new.owner_name.trim().to_string(),
            registered_by,
            agent: None,
            project_type: new.project_type,
            government_funded: new.government_funded,
            region: new.region,
            land: match new.land_obtained_on {
                Some(on) => Land::Obtained { on },
                None => Land::NotObtained,
            },
            registered_on: today,
            plan_start: today,
            plan_version: 1,
            plan,
            progress,
            version: 1,
        })
    }

    pub fn step(&self, key: &str) -> Option<&PlanStep> {
        self.plan.steps.iter().find(|s| s.key == key)
    }

    /// Gives a provisional opinion on a step before the land is obtained (模拟审批).
    pub fn give_provisional_opinion(
        &mut self,
        key: &str,
        opinion: &str,
        by: &str,
        today: NaiveDate,
    ) -> Result<(), ProjectError> {
        let Some(step) = self.step(key) else {
            return Err(project_invalid(
                "step",
                format!("the plan has no step {key}"),
            ));
        };
        if !step.simulated_before_land {
            return Err(project_invalid(
                "step",
                format!(
                    "{} cannot be pre-examined before the land is obtained",
                    step.item_name
                ),
            ));
        }
        if matches!(self.land, Land::Obtained { .. }) {
            return Err(project_invalid(
                "step",
                "the land is obtained: file the application for a formal decision",
            ));
        }
        if opinion.trim().is_empty() {
            return Err(project_invalid("opinion", "must not be empty"));
        }
        match self.progress.get(key) {
            Some(StepProgress::NotStarted | StepProgress::Provisional { .. }) | None => {}
            Some(_) => {
                return Err(project_invalid(
                    "step",
                    "the step is already under way or done",
                ));
            }
        }
        self.progress.insert(
            key.to_string(),
            StepProgress::Provisional {
                opinion: opinion.trim().to_string(),
                by: by.to_string(),
                on: today,
                plan_version: self.plan_version,
            },
        );
        self.version += 1;
        Ok(())
    }

    /// Records that the land is obtained: provisional opinions given on the current plan turn
    /// into formal decisions without a new application; those given on an older plan lapse.
    /// Returns the keys of the steps that turned formal.
    pub fn obtain_land(&mut self, on: NaiveDate) -> Result<Vec<String>, ProjectError> {
        if let Land::Obtained { on } = self.land {
            return Err(project_invalid(
                "land",
                format!("the land was obtained on {on}"),
            ));
        }
        self.land = Land::Obtained { on };
        let mut formal = Vec::new();
        for (key, progress) in self.progress.iter_mut() {
            if let StepProgress::Provisional { plan_version, .. } = progress {
                if *plan_version == self.plan_version {
                    *progress = StepProgress::Done {
                        on,
                        case_number: None,
                        document: format!("{}-{key}", self.code),
                        from_simulation: true,
                    };
                    formal.push(key.clone());
                } else {
                    *progress = StepProgress::NotStarted;
                }
            }
        }
        self.version += 1;
        Ok(formal)
    }

    /// Moves the project into an assessed region: the plan changes (and with it its version).
    pub fn move_into_region(&mut self, region: &str, assessments: &BTreeSet<Assessment>) {
        self.region = Some(region.to_string());
        self.plan =
            propose_plan(self.project_type, self.government_funded).within_region(assessments);
        self.progress
            .retain(|k, _| self.plan.steps.iter().any(|s| &s.key == k));
        self.plan_version += 1;
        self.version += 1;
    }

    /// Steps whose planned end (on the real calendar, from the plan's start) is before `today`
    /// and that are not done: what an agent's monthly review lists.
    pub fn behind_plan(
        &self,
        today: NaiveDate,
        calendar: &Calendar,
    ) -> Result<Vec<String>, CalendarError> {
        let Ok(schedule) = self.plan.before_construction().schedule() else {
            return Ok(Vec::new());
        };
        let dates = schedule.dates(self.plan_start, calendar)?;
        Ok(self
            .behind(&dates, today)
            .into_iter()
            .map(|d| d.key.clone())
            .collect())
    }

    /// Of the plan's `dates` (already laid on the calendar), the steps past their planned end
    /// on `today` and not done.
    pub fn behind<'a>(&self, dates: &'a [DatedStep], today: NaiveDate) -> Vec<&'a DatedStep> {
        dates
            .iter()
            .filter(|d| d.ends_on < today)
            .filter(|d| !matches!(self.progress.get(&d.key), Some(StepProgress::Done { .. })))
            .collect()
    }
}

#[cfg(test)]
mod project_tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("valid date")
    }

    fn registered(region: &BTreeSet<Assessment>) -> Project {
        Project::register(
            ProjectCode::issue(day(3, 2), "330226", 4, 1, 1).expect("code"),
            NewProject {
                name: "年产 5 万套模具生产线项目".into(),
                owner_identity: "91330226MA2AGKRX4T".into(),
                owner_name: "宁海县示范模具有限公司".into(),
                project_type: ProjectType::Industrial,
                government_funded: false,
                region: None,
                land_obtained_on: None,
            },
            region,
            Some("enterprise".into()),
            day(3, 2),
        )
        .expect("registers")
    }

    #[test]
    fn a_provisional_opinion_turns_formal_when_the_land_is_obtained() {
        let mut project = registered(&BTreeSet::new());
        project
            .give_provisional_opinion(
                "design-scheme",
                "方案符合规划条件",
                "zr-reviewer",
                day(3, 10),
            )
            .expect("pre-examined");
        // The land-use planning licence needs the land itself.
        let err = project
            .give_provisional_opinion("land-planning", "x", "zr-reviewer", day(3, 10))
            .expect_err("needs land");
        assert!(err.to_string().contains("cannot be pre-examined"), "{err}");
        let formal = project.obtain_land(day(4, 1)).expect("land");
        assert_eq!(formal, vec!["design-scheme"]);
        assert!(matches!(
            project.progress.get("design-scheme"),
            Some(StepProgress::Done {
                from_simulation: true,
                case_number: None,
                ..
            })
        ));
        assert!(project.obtain_land(day(4, 2)).is_err(), "once");
        assert!(
            project
                .give_provisional_opinion("planning-permit", "x", "r", day(4, 3))
                .is_err(),
            "after the land, only formal decisions"
        );
    }

    #[test]
    fn a_changed_plan_lets_a_provisional_opinion_lapse() {
        let mut project = registered(&BTreeSet::new());
        project
            .give_provisional_opinion("eia", "环评可行", "hj-reviewer", day(3, 10))
            .expect("pre-examined");
        project
            .give_provisional_opinion("design-scheme", "方案可行", "zr-reviewer", day(3, 10))
            .expect("pre-examined");
        let park: BTreeSet<Assessment> = [Assessment::EnvironmentalImpact].into_iter().collect();
        project.move_into_region("ninghai-economic-development-zone", &park);
        assert!(
            project.step("eia").is_none(),
            "the region's assessment covers it"
        );
        let formal = project.obtain_land(day(4, 1)).expect("land");
        assert!(formal.is_empty(), "the plan changed after the opinion");
        assert_eq!(
            project.progress.get("design-scheme"),
            Some(&StepProgress::NotStarted)
        );
    }

    #[test]
    fn steps_past_their_planned_end_are_behind() {
        let calendar = Calendar::prc();
        let project = registered(&BTreeSet::new());
        assert!(
            project
                .behind_plan(day(3, 2), &calendar)
                .expect("covered")
                .is_empty()
        );
        // Filing is planned for day 1 (3 March); by 5 March it is behind.
        assert_eq!(
            project.behind_plan(day(3, 5), &calendar).expect("covered"),
            vec!["filing"]
        );
    }
}
