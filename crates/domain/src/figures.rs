//! The catalogue figures that the county publishes (the seed's table), computed from the item
//! records themselves rather than typed in, so that a published number can always be traced back
//! to the items behind it.
//!
//! Every ratio keeps its numerator and denominator: a percentage alone cannot be audited, and the
//! seed quotes both ("987 of 1,000").

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::catalogue::{Item, MaterialCategory, RunMode};

/// A fraction kept as two counts, so that rounding happens only when it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub const fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
        }
    }

    /// The percentage; 0 for an empty denominator because "none of nothing" is reported as 0%,
    /// never as NaN in a JSON document.
    pub fn percent(&self) -> f64 {
        if self.denominator == 0 {
            0.0
        } else {
            self.numerator as f64 * 100.0 / self.denominator as f64
        }
    }

    /// The percentage in hundredths of a percent, rounded half up in integer arithmetic: binary
    /// floating point would round some exact halves down, and published figures must not depend
    /// on that.
    pub fn percent_hundredths(&self) -> u64 {
        if self.denominator == 0 {
            return 0;
        }
        let n = u128::from(self.numerator) * 20_000 + u128::from(self.denominator);
        let rounded = n / (2 * u128::from(self.denominator));
        u64::try_from(rounded).unwrap_or(u64::MAX)
    }

    /// The percentage with two decimals, as the seed prints it ("85.04").
    pub fn percent_2dp(&self) -> String {
        let h = self.percent_hundredths();
        format!("{}.{:02}", h / 100, h % 100)
    }
}

/// One published ratio with the words that say what it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// A stable machine key (`in_hall`, `run_mode.immediate`, …) for clients that chart figures.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub ratio: Ratio,
    /// `ratio.percent()`, stored so that JSON readers need not recompute it.
    pub percent: f64,
    /// `ratio.percent_2dp()`, the form compared with the published table.
    pub percent_2dp: String,
    pub formula: String,
}

impl Figure {
    fn new(key: &str, label_zh: &str, label_en: &str, ratio: Ratio, formula: &str) -> Self {
        Self {
            key: key.to_owned(),
            label_zh: label_zh.to_owned(),
            label_en: label_en.to_owned(),
            ratio,
            percent: ratio.percent(),
            percent_2dp: ratio.percent_2dp(),
            formula: formula.to_owned(),
        }
    }
}

/// The share of one run mode among the "at most once" items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunModeFigure {
    pub run_mode: RunMode,
    pub figure: Figure,
}

/// The promised speed-up (承诺提速率). The sums are kept because the rate alone hides whether a
/// change came from faster promises or from items gaining or losing a statutory limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeedUp {
    /// Items with a statutory limit (statutory_days > 0), the only ones a speed-up is defined for.
    pub items_with_statutory_limit: u64,
    /// Σ promised days over those items.
    pub promised_days: u64,
    /// Σ statutory days over those items.
    pub statutory_days: u64,
    /// Days saved over statutory days, i.e. 1 − Σ promised / Σ statutory.
    pub figure: Figure,
}

/// The catalogue figures of the seed's table, each with numerator, denominator and formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueFigures {
    pub total_items: u64,
    pub in_hall: Figure,
    pub authorised: Figure,
    pub at_most_once: Figure,
    /// One entry per run mode, in `RunMode::ALL` order, even when a mode has no item, so that
    /// consumers can rely on five rows.
    pub by_run_mode: Vec<RunModeFigure>,
    pub promised_speed_up: SpeedUp,
    pub intermediary_services_cancelled: Figure,
    pub certificate_materials_cancelled: Figure,
    pub catch_all_clauses_cancelled: Figure,
    /// The reform's cuts as before → after, in the order of the county's report.
    #[serde(default)]
    pub milestones: Vec<ReformMilestone>,
}

/// Where a figure of a milestone comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FigureSource {
    /// The county's reported figure, quoted (the records of the time are not in the system).
    CountyReport,
    /// Computed from the system's own rules or records.
    Computed,
}

/// A step of the reform told as before → after (改革前后): what was cut, in which year, from how
/// many to how many. Which figures are the county's report and which the system computes is
/// said per figure, so a reader knows what can be traced to records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReformMilestone {
    /// A stable machine key (`certificates_clean_up`, …).
    pub key: String,
    /// The year the county reports it; absent where the report gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    pub what_zh: String,
    pub what_en: String,
    pub before: u64,
    pub after: u64,
    pub unit_zh: String,
    pub unit_en: String,
    pub before_source: FigureSource,
    pub after_source: FigureSource,
}

impl ReformMilestone {
    /// How many were cut (before − after).
    pub fn cut(&self) -> u64 {
        self.before.saturating_sub(self.after)
    }
}

/// The steps of a village project without government funds before the reform: proposal
/// (项目建议书审批), feasibility study (可行性研究报告审批) and preliminary design (初步设计审批).
pub const VILLAGE_PROJECT_STEPS_BEFORE: u64 = 3;

/// The reform's before → after figures.
///
/// The county's reported figures (the seed), quoted because the records before the reform are
/// not in the system: the 2015 clean-up of certificates in people's livelihood (86 found, 23
/// cancelled as unlawful or unreasonable, 63 kept for now); the approval services of investment
/// projects cut from 42 to 24; the 3 steps of a village project before it went by filing.
/// Computed: the steps of a village project without government funds now, which is the plan
/// the system proposes for one ([`crate::project::propose_plan`]), so the page cannot say 1
/// while the system asks more.
pub fn reform_milestones() -> Vec<ReformMilestone> {
    use FigureSource::{Computed, CountyReport};
    let village_steps_now =
        crate::project::propose_plan(crate::project::ProjectType::Village, false)
            .steps
            .len() as u64;
    let milestone = |key: &str,
                     year: Option<i32>,
                     what: (&str, &str),
                     (before, after): (u64, u64),
                     unit: (&str, &str),
                     after_source: FigureSource| ReformMilestone {
        key: key.to_owned(),
        year,
        what_zh: what.0.to_owned(),
        what_en: what.1.to_owned(),
        before,
        after,
        unit_zh: unit.0.to_owned(),
        unit_en: unit.1.to_owned(),
        before_source: CountyReport,
        after_source,
    };
    vec![
        milestone(
            "certificates_clean_up",
            Some(2015),
            (
                "民生领域证明材料专项清理：查出 86 项，取消 23 项，暂时保留 63 项",
                "clean-up of certificates in people's livelihood: 86 found, 23 cancelled, 63 kept for now",
            ),
            (86, 63),
            ("项证明", "certificates"),
            CountyReport,
        ),
        milestone(
            "project_approval_services",
            None,
            (
                "投资项目审批流程再造：审批服务事项",
                "investment project approval redesigned: approval services",
            ),
            (42, 24),
            ("项", "services"),
            CountyReport,
        ),
        milestone(
            "village_project_steps",
            None,
            (
                "不使用政府资金的村级项目：审批制改备案制",
                "village projects without government funds: filing instead of approval",
            ),
            (VILLAGE_PROJECT_STEPS_BEFORE, village_steps_now),
            ("个环节", "steps"),
            Computed,
        ),
    ]
}

fn count(items: &[Item], pred: impl Fn(&Item) -> bool) -> u64 {
    items.iter().filter(|i| pred(i)).count() as u64
}

fn material_cancellations(items: &[Item], category: MaterialCategory) -> Ratio {
    let materials = items
        .iter()
        .flat_map(|i| i.materials.iter())
        .filter(|m| m.category == category);
    let (cancelled, all) = materials.fold((0, 0), |(c, a), m| {
        (c + u64::from(m.cancelled.is_some()), a + 1)
    });
    Ratio::new(cancelled, all)
}

/// Computes the seed's catalogue figures from the items of one catalogue version.
pub fn catalogue_figures(items: &[Item]) -> CatalogueFigures {
    let total = items.len() as u64;
    let allowed = count(items, |i| i.hall.allowed);
    let in_hall = count(items, |i| i.hall.allowed && i.hall.in_hall);
    let authorised = count(items, |i| {
        i.hall.allowed && i.hall.in_hall && i.hall.authorised
    });
    let at_most_once = count(items, Item::is_at_most_once);

    let by_run_mode = RunMode::ALL
        .into_iter()
        .map(|mode| {
            let n = count(items, |i| i.is_at_most_once() && i.run_mode == mode);
            RunModeFigure {
                run_mode: mode,
                figure: Figure::new(
                    &format!("run_mode.{}", mode.as_str()),
                    mode.name_zh(),
                    &format!("at most once by run mode: {}", mode.as_str()),
                    Ratio::new(n, at_most_once),
                    &format!("{} items / at-most-once items", mode.as_str()),
                ),
            }
        })
        .collect();

    let limited = items.iter().filter(|i| i.statutory_days > 0);
    let (limited_count, promised_sum, statutory_sum) =
        limited.fold((0u64, 0u64, 0u64), |(n, p, s), i| {
            (
                n + 1,
                p + u64::from(i.promised_days),
                s + u64::from(i.statutory_days),
            )
        });
    // Saturating: only invalid items (promised above statutory) could make the sum exceed it,
    // and a negative speed-up is reported as none.
    let saved = statutory_sum.saturating_sub(promised_sum);

    let services = items.iter().flat_map(|i| i.intermediary_services.iter());
    let (services_cancelled, services_all) = services.fold((0u64, 0u64), |(c, a), s| {
        (c + u64::from(s.cancelled.is_some()), a + 1)
    });

    CatalogueFigures {
        total_items: total,
        in_hall: Figure::new(
            "in_hall",
            "进驻率",
            "items allowed in the hall, in the hall",
            Ratio::new(in_hall, allowed),
            "in hall / (total − not allowed)",
        ),
        authorised: Figure::new(
            "authorised",
            "授权到位率",
            "authorised on site",
            Ratio::new(authorised, in_hall),
            "authorised / in hall",
        ),
        at_most_once: Figure::new(
            "at_most_once",
            "最多跑一次事项占比",
            "\"at most once\" items",
            Ratio::new(at_most_once, total),
            "visits ≤ 1 / total",
        ),
        by_run_mode,
        promised_speed_up: SpeedUp {
            items_with_statutory_limit: limited_count,
            promised_days: promised_sum,
            statutory_days: statutory_sum,
            figure: Figure::new(
                "promised_speed_up",
                "承诺提速率",
                "promised speed-up",
                Ratio::new(saved, statutory_sum),
                "1 − Σ promised / Σ statutory, over items with a statutory limit",
            ),
        },
        intermediary_services_cancelled: Figure::new(
            "intermediary_services_cancelled",
            "前置中介服务取消率",
            "intermediary services cancelled",
            Ratio::new(services_cancelled, services_all),
            "cancelled / all intermediary services recorded",
        ),
        certificate_materials_cancelled: Figure::new(
            "certificate_materials_cancelled",
            "证明类材料取消率",
            "certificate-type materials cancelled",
            material_cancellations(items, MaterialCategory::Certificate),
            "cancelled / all certificate-type materials recorded",
        ),
        catch_all_clauses_cancelled: Figure::new(
            "catch_all_clauses_cancelled",
            "兜底条款取消率",
            "catch-all material clauses cancelled",
            material_cancellations(items, MaterialCategory::CatchAll),
            "cancelled / all catch-all clauses recorded",
        ),
        milestones: reform_milestones(),
    }
}

/// Columns are padded by display width because a CJK character takes two terminal cells.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

impl CatalogueFigures {
    /// The ratio figures in the order of the seed's table.
    pub fn ratio_figures(&self) -> Vec<&Figure> {
        let mut out = vec![&self.in_hall, &self.authorised, &self.at_most_once];
        out.extend(self.by_run_mode.iter().map(|r| &r.figure));
        out.push(&self.promised_speed_up.figure);
        out.push(&self.intermediary_services_cancelled);
        out.push(&self.certificate_materials_cancelled);
        out.push(&self.catch_all_clauses_cancelled);
        out
    }

    pub fn for_run_mode(&self, mode: RunMode) -> Option<&Figure> {
        self.by_run_mode
            .iter()
            .find(|r| r.run_mode == mode)
            .map(|r| &r.figure)
    }

    /// A plain-text table (Chinese label, English label, value, formula) for reports and the CLI.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<[String; 4]> = vec![
            [
                "指标".into(),
                "figure".into(),
                "value".into(),
                "formula".into(),
            ],
            [
                "事项总数".into(),
                "items in the catalogue".into(),
                self.total_items.to_string(),
                "count".into(),
            ],
        ];
        for f in self.ratio_figures() {
            let value = if f.key == self.promised_speed_up.figure.key {
                format!(
                    "{}% (1 − {} / {} days, {} items)",
                    f.percent_2dp,
                    self.promised_speed_up.promised_days,
                    self.promised_speed_up.statutory_days,
                    self.promised_speed_up.items_with_statutory_limit
                )
            } else {
                format!(
                    "{} / {} ({}%)",
                    f.ratio.numerator, f.ratio.denominator, f.percent_2dp
                )
            };
            rows.push([
                f.label_zh.clone(),
                f.label_en.clone(),
                value,
                f.formula.clone(),
            ]);
        }
        let mut widths = [0usize; 4];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display_width(cell));
            }
        }
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            let mut line = String::new();
            for (c, (cell, w)) in row.iter().zip(widths).enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    line.push_str(&" ".repeat(w - display_width(cell) + 2));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                let _ = writeln!(out, "{}", rule.join("  "));
            }
        }
        // The reform's cuts, before → after, each number with where it comes from.
        if !self.milestones.is_empty() {
            let _ = writeln!(out, "\n改革前后 (before → after):");
            let source = |s: FigureSource| match s {
                FigureSource::CountyReport => "county report",
                FigureSource::Computed => "computed",
            };
            for m in &self.milestones {
                let year = m.year.map_or_else(|| "    ".to_string(), |y| y.to_string());
                let _ = writeln!(
                    out,
                    "  {year}  {} → {} {}  {}  (before: {}; after: {})",
                    m.before,
                    m.after,
                    m.unit_en,
                    m.what_zh,
                    source(m.before_source),
                    source(m.after_source)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::tests::sample_item;

    #[test]
    fn the_reforms_before_and_after_figures_are_the_countys_and_the_village_plans() {
        let m = reform_milestones();
        let shown: Vec<(&str, Option<i32>, u64, u64, u64)> = m
            .iter()
            .map(|m| (m.key.as_str(), m.year, m.before, m.after, m.cut()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("certificates_clean_up", Some(2015), 86, 63, 23),
                ("project_approval_services", None, 42, 24, 18),
                ("village_project_steps", None, 3, 1, 2),
            ]
        );
        // The village project's one step is the plan the system proposes, not a typed number.
        let plan = crate::project::propose_plan(crate::project::ProjectType::Village, false);
        assert_eq!(m[2].after, plan.steps.len() as u64);
        assert_eq!(m[2].after_source, FigureSource::Computed);
        assert!(
            m[..2]
                .iter()
                .all(|m| m.after_source == FigureSource::CountyReport)
        );
        assert!(
            m.iter()
                .all(|m| m.before_source == FigureSource::CountyReport)
        );
        assert!(catalogue_figures(&[]).milestones == m);
        // The command line's table tells them too, with their sources.
        let table = catalogue_figures(&[]).to_table();
        assert!(table.contains("86 → 63"), "{table}");
        assert!(table.contains("42 → 24"), "{table}");
        assert!(
            table.contains("before: county report; after: computed"),
            "{table}"
        );
    }
    use crate::catalogue::{Cancellation, IntermediaryService, Material};
    use chrono::NaiveDate;

    fn cancellation() -> Option<Cancellation> {
        Some(Cancellation {
            date: NaiveDate::from_ymd_opt(2017, 5, 1).expect("valid date"),
            reason: "取消".into(),
        })
    }

    fn material(key: &str, category: MaterialCategory, cancelled: bool) -> Material {
        let mut m = sample_item().materials[0].clone();
        m.key = key.into();
        m.category = category;
        m.cancelled = if cancelled { cancellation() } else { None };
        m
    }

    fn service(cancelled: bool) -> IntermediaryService {
        IntermediaryService {
            name: "测绘".into(),
            working_days: 10,
            cancelled: if cancelled { cancellation() } else { None },
        }
    }

    /// Six items whose figures are worked out by hand in `hand_computed_figures`.
    fn items() -> Vec<Item> {
        let base = sample_item();
        let mut items = Vec::new();
        for n in 0..6 {
            let mut i = base.clone();
            i.code = format!("T{n}");
            i.materials.clear();
            items.push(i);
        }
        // 0: immediate, statutory 20, promised 0, visits 1.
        items[0].run_mode = RunMode::Immediate;
        items[0].statutory_days = 20;
        items[0].promised_days = 0;
        items[0].materials = vec![
            material("M1", MaterialCategory::Certificate, true),
            material("M2", MaterialCategory::Certificate, false),
            material("M3", MaterialCategory::CatchAll, true),
        ];
        // 1: window express, 20 → 5, one intermediary service cancelled of two.
        items[1].run_mode = RunMode::WindowExpress;
        items[1].statutory_days = 20;
        items[1].promised_days = 5;
        items[1].intermediary_services = vec![service(true), service(false)];
        items[1].materials = vec![material("M1", MaterialCategory::Certificate, false)];
        // 2: online prereview, visits 2 (not at most once), 10 → 5, in hall but not authorised.
        items[2].visits_required = 2;
        items[2].statutory_days = 10;
        items[2].promised_days = 5;
        items[2].hall.authorised = false;
        items[2].intermediary_services = vec![service(false)];
        // 3: online online, visits 0, no statutory limit (excluded from the speed-up).
        items[3].run_mode = RunMode::OnlineOnline;
        items[3].visits_required = 0;
        items[3].statutory_days = 0;
        items[3].promised_days = 3;
        items[3].materials = vec![material("M1", MaterialCategory::CatchAll, false)];
        // 4: not allowed in the hall, online prereview, 30 → 10.
        items[4].hall = crate::catalogue::HallStatus {
            allowed: false,
            in_hall: false,
            authorised: false,
        };
        items[4].statutory_days = 30;
        items[4].promised_days = 10;
        // 5: allowed but not in the hall, visits 3.
        items[5].hall.in_hall = false;
        items[5].hall.authorised = false;
        items[5].visits_required = 3;
        items[5].statutory_days = 20;
        items[5].promised_days = 20;
        for i in &items {
            assert!(i.validate().is_empty(), "{:?}", i.validate());
        }
        items
    }

    #[test]
    fn hand_computed_figures() {
        let f = catalogue_figures(&items());
        assert_eq!(f.total_items, 6);
        // allowed 5 (all but #4); in hall 4 (#0–#3).
        assert_eq!(f.in_hall.ratio, Ratio::new(4, 5));
        assert_eq!(f.in_hall.percent_2dp, "80.00");
        // authorised: #0, #1, #3 of the 4 in hall.
        assert_eq!(f.authorised.ratio, Ratio::new(3, 4));
        assert_eq!(f.authorised.percent_2dp, "75.00");
        // at most once: #0, #1, #3, #4.
        assert_eq!(f.at_most_once.ratio, Ratio::new(4, 6));
        assert_eq!(f.at_most_once.percent_2dp, "66.67");
        let modes: Vec<_> = f
            .by_run_mode
            .iter()
            .map(|r| {
                (
                    r.run_mode,
                    r.figure.ratio.numerator,
                    r.figure.ratio.denominator,
                )
            })
            .collect();
        assert_eq!(
            modes,
            vec![
                (RunMode::Immediate, 1, 4),
                (RunMode::WindowExpress, 1, 4),
                // #2 is online prereview too but needs two visits.
                (RunMode::OnlinePrereview, 1, 4),
                (RunMode::OnlineExpress, 0, 4),
                (RunMode::OnlineOnline, 1, 4),
            ]
        );
        assert_eq!(
            f.for_run_mode(RunMode::OnlineExpress)
                .map(|x| x.percent_2dp.as_str()),
            Some("0.00")
        );
        // Σ statutory = 20+20+10+30+20 = 100, Σ promised = 0+5+5+10+20 = 40 → 60%.
        let s = &f.promised_speed_up;
        assert_eq!(
            (
                s.items_with_statutory_limit,
                s.promised_days,
                s.statutory_days
            ),
            (5, 40, 100)
        );
        assert_eq!(s.figure.ratio, Ratio::new(60, 100));
        assert_eq!(s.figure.percent_2dp, "60.00");
        assert_eq!(f.intermediary_services_cancelled.ratio, Ratio::new(1, 3));
        assert_eq!(f.intermediary_services_cancelled.percent_2dp, "33.33");
        assert_eq!(f.certificate_materials_cancelled.ratio, Ratio::new(1, 3));
        assert_eq!(f.catch_all_clauses_cancelled.ratio, Ratio::new(1, 2));
        assert_eq!(f.catch_all_clauses_cancelled.percent_2dp, "50.00");
    }

    #[test]
    fn empty_catalogue_reports_zeros() {
        let f = catalogue_figures(&[]);
        assert_eq!(f.total_items, 0);
        assert_eq!(f.in_hall.percent, 0.0);
        assert_eq!(f.promised_speed_up.figure.percent_2dp, "0.00");
        assert_eq!(f.by_run_mode.len(), 5);
    }

    #[test]
    fn two_decimals_round_half_up_exactly() {
        assert_eq!(Ratio::new(864, 1016).percent_2dp(), "85.04");
        assert_eq!(Ratio::new(151, 864).percent_2dp(), "17.48");
        assert_eq!(Ratio::new(1, 8).percent_2dp(), "12.50");
        // 1/800 = 0.125% exactly: half up gives 0.13.
        assert_eq!(Ratio::new(1, 800).percent_2dp(), "0.13");
        assert_eq!(Ratio::new(1, 1).percent_2dp(), "100.00");
        assert_eq!(Ratio::new(1, 3).percent(), 100.0 / 3.0);
    }

    #[test]
    fn table_has_one_row_per_figure_and_aligned_columns() {
        let table = catalogue_figures(&items()).to_table();
        let lines: Vec<_> = table.lines().collect();
        // header, rule, total, 3 + 5 + 1 + 3 ratio figures; a blank line, a heading and the 3
        // reform milestones.
        assert_eq!(lines.len(), 3 + 12 + 2 + 3);
        assert!(lines[3].starts_with("进驻率"));
        assert!(lines[3].contains("4 / 5 (80.00%)"));
        assert!(table.contains("60.00% (1 − 40 / 100 days, 5 items)"));
        // The English column starts at the same display column on every row.
        let col = |l: &str| {
            let pos = l
                .find(|c: char| c.is_ascii_alphabetic() || c == '"')
                .unwrap_or(0);
            display_width(&l[..pos])
        };
        let first = col(lines[2]);
        for l in &lines[2..15] {
            assert_eq!(col(l), first, "{l}");
        }
        assert_eq!(lines[16], "改革前后 (before → after):");
    }

    #[test]
    fn figures_round_trip_through_json() {
        let f = catalogue_figures(&items());
        let json = serde_json::to_string(&f).expect("serialise");
        let back: CatalogueFigures = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, f);
    }
}
