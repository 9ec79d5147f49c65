//! The monthly inspection report (月度效能监察报告) and the dashboard's daily series: the service
//! gathers the figures (supervisors only); `onewindow_report` turns them into HTML and PDF.
//!
//! The month's figures come from [`Service::statistics`] and the rankings from
//! [`Service::assessment`], so the report and the dashboard can never disagree. The report reads
//! the cases of the month once more for what no summary keeps: the overdue cases with the reasons
//! recorded for their extensions and stops (and, from the same records, the daily series). The
//! dashboard's daily series reads only the summary rows the statistics read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use onewindow_domain::access::Operation;
use onewindow_domain::assessment::Ranked;
use onewindow_domain::figures::Ratio;
use onewindow_domain::statistics::{CaseRecord, period_statistics};
use onewindow_report::monthly::{self, DayCount, UnitRow};
pub use onewindow_report::monthly::{Month, MonthlyReport, OverdueCase};
use onewindow_report::{FontError as BadFont, ReportFont};
use onewindow_store::reports::{self as report_rows, PeriodFilter};

use crate::actor::Actor;
use crate::assessment::Unit;
use crate::error::AppError;
use crate::service::Service;
use crate::statistics::StatisticsQuery;

/// The environment variable naming the report's font file.
pub const FONT_ENV: &str = "ONEWINDOW_REPORT_FONT";

/// Where the usual CJK fonts live, Debian's fonts-noto-cjk first (the README's set-up).
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
];

/// The PDF report has no usable font. Never silently replaced by empty boxes.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "no CJK font for the PDF report (looked for {tried}); install one, e.g. \
         `apt-get install fonts-noto-cjk` on Debian or Ubuntu, or name a .ttc/.otf/.ttf file \
         with Chinese glyphs with --font or {FONT_ENV}"
    )]
    Missing { tried: String },
    #[error("cannot read the report font {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the report font {path} cannot be used: {source}; install fonts-noto-cjk or name another \
         font with --font or {FONT_ENV}"
    )]
    Unusable { path: PathBuf, source: BadFont },
}

/// The font file to use: `explicit` (a `--font` flag), else `ONEWINDOW_REPORT_FONT`, else the
/// first of [`FONT_CANDIDATES`] that exists. A named file that does not exist is an error, not a
/// reason to fall back to another font.
pub fn locate_font(explicit: Option<&Path>) -> Result<PathBuf, FontError> {
    let named = explicit.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(FONT_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    if let Some(path) = named {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(FontError::Missing {
                tried: path.display().to_string(),
            })
        };
    }
    FONT_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| FontError::Missing {
            tried: FONT_CANDIDATES.join(", "),
        })
}

/// Finds, reads and checks the report's font (see [`locate_font`]).
pub fn load_font(explicit: Option<&Path>) -> Result<ReportFont, FontError> {
    let path = locate_font(explicit)?;
    let bytes = std::fs::read(&path).map_err(|source| FontError::Unreadable {
        path: path.clone(),
        source,
    })?;
    ReportFont::from_bytes(bytes).map_err(|source| FontError::Unusable { path, source })
}

/// The rows of a ranking as the report and the dashboard's chart show them, with the units'
/// names where known.
pub fn unit_rows(ranked: Vec<Ranked>, names: &HashMap<String, String>) -> Vec<UnitRow> {
    ranked
        .into_iter()
        .map(|r| UnitRow {
            rank: r.rank,
            name: names
                .get(&r.unit)
                .cloned()
                .unwrap_or_else(|| r.unit.clone()),
            code: r.unit,
            completed: r.performance.completed,
            on_time: Ratio::new(r.performance.on_time, r.performance.completed),
            at_most_once: Ratio::new(r.performance.at_most_once, r.performance.completed),
            faults: r.performance.faults,
            points_centi: r.score.points_centi,
            star: r.star,
        })
        .collect()
}

impl Service {
    /// The monthly inspection report of `month` (the current month as it stands today).
    /// Supervisors only; a month that has not begun is refused.
    pub async fn monthly_report(
        &self,
        actor: &Actor,
        month: Month,
    ) -> Result<MonthlyReport, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let today = self.today();
        if month.first_day() > today {
            return Err(AppError::invalid("month", "the month has not begun"));
        }
        let (from, to) = (month.first_day(), month.last_day());
        let period = |from: NaiveDate, to: NaiveDate| StatisticsQuery {
            from: Some(from),
            to: Some(to),
            ..StatisticsQuery::default()
        };
        let before = month.previous();
        let previous = self
            .statistics(actor, period(before.first_day(), before.last_day()))
            .await?;
        // The month's summary rows are read once, for the figures, the daily series, the three
        // rankings and the choice of the overdue cases; only those cases' bodies are read, for
        // the reasons recorded for their extensions and stops.
        let rows = self
            .period_records(&PeriodFilter {
                from: Some(from),
                to: Some(to),
                ..PeriodFilter::default()
            })
            .await?;
        let records: Vec<CaseRecord> = rows.iter().map(|(_, r)| r.clone()).collect();
        let mut current = period_statistics(&records, from, to);
        self.evaluation_into(&mut current, &PeriodFilter::default())
            .await?;
        let departments = self.rank_records(&rows, Unit::Department, from, to).await?;
        let centres = self.rank_records(&rows, Unit::Centre, from, to).await?;
        let staff = self.rank_records(&rows, Unit::Staff, from, to).await?;

        let department_names: HashMap<String, String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        let centre_names: HashMap<String, String> = self
            .centres()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect();

        let calendar = &self.calendar();
        let as_of = to.min(today);
        let late: HashMap<&str, &CaseRecord> = rows
            .iter()
            .filter(|(f, r)| {
                f.facts
                    .clock
                    .as_ref()
                    .is_some_and(|clock| monthly::is_overdue(clock, r, from, as_of))
            })
            .map(|(f, r)| (f.case_id.as_str(), r))
            .collect();
        let ids: Vec<String> = late.keys().map(|id| (*id).to_string()).collect();
        let mut overdue = Vec::new();
        for case in onewindow_store::cases::load_many(self.store().readers(), &ids).await? {
            let Some(record) = late.get(case.id.as_str()) else {
                continue;
            };
            if let Some(mut late) = monthly::overdue_case(&case, record, calendar, from, as_of)? {
                if let Some(name) = department_names.get(&late.department) {
                    late.department = name.clone();
                }
                overdue.push(late);
            }
        }
        monthly::sort_overdue(&mut overdue);
        let stars = unit_rows(staff, &HashMap::new())
            .into_iter()
            .filter(|r| r.star)
            .collect();
        let contracts = onewindow_store::market::contracts(
            self.store().readers(),
            &onewindow_store::market::ContractFilter::default(),
        )
        .await?;
        Ok(MonthlyReport {
            intermediary: onewindow_domain::intermediary::market_month(&contracts, from, to),
            month,
            generated_on: today,
            current,
            previous,
            // Every day of the month, the days still to come empty.
            daily: monthly::daily_counts(&records, from, to),
            departments: unit_rows(departments, &department_names),
            centres: unit_rows(centres, &centre_names),
            stars,
            overdue,
        })
    }

    /// Cases received and decided per day of a period, with the dashboard's filters (the
    /// period as [`Service::statistics`] resolved it). Supervisors only.
    pub async fn daily_counts(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        department: Option<String>,
    ) -> Result<Vec<DayCount>, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        if to < from {
            return Err(AppError::invalid(
                "to",
                "the end of the period is before its start",
            ));
        }
        // The narrow summary rows, as the statistics read them: no case body.
        let facts = report_rows::facts_touching(
            self.store().readers(),
            &PeriodFilter {
                from: Some(from),
                to: Some(to),
                department,
                ..PeriodFilter::default()
            },
        )
        .await?;
        let as_of = to.min(self.today());
        let mut records = Vec::with_capacity(facts.len());
        for f in &facts {
            records.push(CaseRecord::from_facts(f, &self.calendar(), as_of)?);
        }
        Ok(monthly::daily_counts(&records, from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_font_that_is_missing_is_an_error_that_says_what_to_install() {
        let missing = Path::new("/nonexistent/NotoSansCJK-Regular.ttc");
        let e = load_font(Some(missing)).expect_err("missing");
        let text = e.to_string();
        assert!(
            text.contains("/nonexistent/NotoSansCJK-Regular.ttc"),
            "{text}"
        );
        assert!(text.contains("fonts-noto-cjk"), "{text}");
        assert!(text.contains("--font") && text.contains(FONT_ENV), "{text}");
    }

    #[test]
    fn a_file_that_is_no_font_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("onewindow-font-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("not-a-font.ttf");
        std::fs::write(&file, b"hello").expect("written");
        let e = load_font(Some(&file)).expect_err("refused");
        assert!(matches!(e, FontError::Unusable { .. }), "{e}");
        assert!(e.to_string().contains("not-a-font.ttf"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
