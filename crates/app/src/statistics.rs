//! Statistics of a period for supervisors (办件统计), computed from the cases' summary rows
//! (`case_facts`, written with every case) by the domain's formulas: a month among millions of
//! cases reads tens of thousands of narrow rows, never a case body.

use chrono::{Datelike as _, NaiveDate};
use onewindow_domain::access::Operation;
use onewindow_domain::assessment::Ranked;
use onewindow_domain::case::Channel;
use onewindow_domain::catalogue::Level;
use onewindow_domain::statistics::{CaseRecord, PeriodStatistics, period_statistics};
use onewindow_domain::validation::FieldError;
use onewindow_report::monthly::{self, DayCount};
use onewindow_store::catalogue as catalogue_rows;
use onewindow_store::facts;
use onewindow_store::reports::{self as report_rows, PeriodFilter};

use crate::actor::Actor;
use crate::assessment::Unit;
use crate::error::AppError;
use crate::service::Service;

/// A statistics request as a supervisor makes it.
#[derive(Debug, Clone, Default)]
pub struct StatisticsQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub item_code: Option<String>,
    pub department: Option<String>,
    pub centre: Option<String>,
    pub channel: Option<String>,
    /// The window that received the case, as `centre/code` (e.g. `county-hall/01`).
    pub window: Option<String>,
    /// county, township or village: the cases of the items handled at that level.
    pub level: Option<String>,
    /// county, township or village: the cases accepted at a centre of that level.
    pub accepted_level: Option<String>,
    /// A township's centre: the cases accepted there and at its village points.
    pub township: Option<String>,
}

/// Where the period's cases were accepted in the network (三级联动): how many at each level, and
/// the share accepted below the county ("at the doorstep", 家门口办).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct NetworkShare {
    pub county: u64,
    pub township: u64,
    pub village: u64,
    pub doorstep: onewindow_domain::figures::Ratio,
}

/// The statistics, daily series and ranking of departments the dashboard shows, from one read.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub statistics: PeriodStatistics,
    pub daily: Vec<DayCount>,
    /// The departments ranked by the scoring scheme (only the filtered department's row when
    /// the query names one).
    pub departments: Vec<Ranked>,
    /// Where the cases received in the period were accepted.
    pub network: NetworkShare,
}

impl Service {
    /// The statutory limit (法定时限) of every item that has one, by item code: what the actual
    /// speed-up measures cases against. From the current published versions: the law's limit
    /// of an item does not change with a new version of its entry.
    pub async fn statutory_limits(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, AppError> {
        Ok(catalogue_rows::all_items(self.store().readers())
            .await?
            .into_iter()
            .filter(|i| i.item.statutory_days > 0)
            .map(|i| (i.item.code, i.item.statutory_days))
            .collect())
    }

    /// The figures of a period (default: this month so far). Supervisors only.
    pub async fn statistics(
        &self,
        actor: &Actor,
        query: StatisticsQuery,
    ) -> Result<PeriodStatistics, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let (from, to, filter) = self.resolve_statistics(query).await?;
        let facts = report_rows::facts_touching(self.store().readers(), &filter).await?;
        let calendar = &self.calendar();
        // A period that ends in the future is seen as it stands today.
        let as_of = to.min(self.today());
        let limits = self.statutory_limits().await?;
        let mut records = Vec::with_capacity(facts.len());
        for f in &facts {
            records.push(
                CaseRecord::from_facts(f, calendar, as_of)?
                    .with_statutory_days(limits.get(&f.item_code).copied()),
            );
        }
        let mut figures = period_statistics(&records, from, to);
        self.evaluation_into(&mut figures, &filter).await?;
        Ok(figures)
    }

    /// Fills in the figures the case records do not hold: satisfaction from the return visits,
    /// 好评率 and 差评 from the ratings, rectification on time, justified complaints; of the
    /// filter's department when it names one.
    pub(crate) async fn evaluation_into(
        &self,
        figures: &mut onewindow_domain::statistics::PeriodStatistics,
        filter: &PeriodFilter,
    ) -> Result<(), AppError> {
        let (from, to) = (figures.from, figures.to);
        figures.satisfaction = self.satisfaction_of(filter, from, to).await?;
        let department = filter.department.as_deref();
        let (ratings, rectifications) = self.evaluation_records(from, to, department).await?;
        let e = crate::evaluation::evaluation_figures(&ratings, &rectifications, from, to);
        figures.good_rate = e.good_rate;
        figures.bad_ratings = e.bad;
        figures.rectified_on_time = e.rectified_on_time;
        figures.complaints = self
            .justified_complaints_by(from, to, |c| {
                department
                    .is_none_or(|d| d == c.department)
                    .then(|| "in".to_string())
            })
            .await?
            .get("in")
            .copied()
            .map_or(0, u64::from);
        Ok(())
    }

    /// Satisfaction from the return visits answered in the period, of the filter's department
    /// when it names one.
    pub(crate) async fn satisfaction_of(
        &self,
        filter: &PeriodFilter,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<onewindow_domain::figures::Ratio, AppError> {
        let department = filter.department.clone();
        let by = self
            .satisfaction_by(from, to, |v| {
                if department.as_deref().is_none_or(|d| d == v.department) {
                    "in".to_string()
                } else {
                    "out".to_string()
                }
            })
            .await?;
        Ok(by
            .get("in")
            .copied()
            .unwrap_or(onewindow_domain::figures::Ratio::new(0, 0)))
    }

    /// The dashboard of a period: [`Service::statistics`], the cases received and decided per
    /// day and the ranking of departments, from one read of the period's summary rows.
    /// Supervisors only.
    pub async fn dashboard(
        &self,
        actor: &Actor,
        query: StatisticsQuery,
    ) -> Result<Dashboard, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let (from, to, filter) = self.resolve_statistics(query).await?;
        let rows = self.period_records(&filter).await?;
        let records: Vec<CaseRecord> = rows.iter().map(|(_, r)| r.clone()).collect();
        let mut statistics = period_statistics(&records, from, to);
        self.evaluation_into(&mut statistics, &filter).await?;
        let levels: std::collections::HashMap<String, Level> = self
            .centres()
            .await?
            .into_iter()
            .map(|c| (c.code, c.level))
            .collect();
        let mut network = NetworkShare::default();
        for (tagged, _) in &rows {
            if tagged.facts.received_on < from || tagged.facts.received_on > to {
                continue;
            }
            match levels.get(&tagged.centre).copied().unwrap_or(Level::County) {
                Level::County => network.county += 1,
                Level::Township => network.township += 1,
                Level::Village => network.village += 1,
            }
        }
        network.doorstep = onewindow_domain::figures::Ratio::new(
            network.township + network.village,
            network.county + network.township + network.village,
        );
        Ok(Dashboard {
            statistics,
            daily: monthly::daily_counts(&records, from, to),
            departments: self.rank_records(&rows, Unit::Department, from, to).await?,
            network,
        })
    }

    /// The period and the filter of a query, every field checked (all errors at once).
    async fn resolve_statistics(
        &self,
        query: StatisticsQuery,
    ) -> Result<(NaiveDate, NaiveDate, PeriodFilter), AppError> {
        let today = self.today();
        let from = query
            .from
            .unwrap_or_else(|| today.with_day0(0).unwrap_or(today));
        let to = query.to.unwrap_or(today);
        let mut errors = Vec::new();
        if to < from {
            errors.push(FieldError::new(
                "to",
                "the end of the period is before its start",
            ));
        }
        if let Some(c) = &query.channel
            && !Channel::ALL.iter().any(|known| known.as_str() == c)
        {
            errors.push(FieldError::new(
                "channel",
                "one of window, online, mobile, township, village, agent",
            ));
        }
        let level = match query.level.as_deref() {
            None => None,
            Some(text) => {
                let level = Level::parse(text);
                if level.is_none() {
                    errors.push(FieldError::new("level", "one of county, township, village"));
                }
                level
            }
        };
        let accepted_level = match query.accepted_level.as_deref() {
            None => None,
            Some(text) => {
                let level = Level::parse(text);
                if level.is_none() {
                    errors.push(FieldError::new(
                        "accepted_level",
                        "one of county, township, village",
                    ));
                }
                level
            }
        };
        let centres = if accepted_level.is_some() || query.township.is_some() {
            let all = self.centres().await?;
            if let Some(t) = &query.township
                && !all
                    .iter()
                    .any(|c| &c.code == t && c.level == Level::Township)
            {
                errors.push(FieldError::new(
                    "township",
                    format!("no township centre with code {t}"),
                ));
            }
            Some(
                all.into_iter()
                    .filter(|c| accepted_level.is_none_or(|l| c.level == l))
                    .filter(|c| {
                        query
                            .township
                            .as_ref()
                            .is_none_or(|t| &c.code == t || &c.parent == t)
                    })
                    .map(|c| c.code)
                    .collect(),
            )
        } else {
            None
        };
        if let Some(w) = &query.window
            && !facts::window_exists(self.store().readers(), w).await?
        {
            errors.push(FieldError::new(
                "window",
                "a window of the hall as centre/code, e.g. county-hall/01",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        // A level is the items handled at it (their current published version).
        let item_codes = match level {
            None => None,
            Some(level) => Some(
                catalogue_rows::all_items(self.store().readers())
                    .await?
                    .into_iter()
                    .filter(|i| i.item.levels.contains(&level))
                    .map(|i| i.item.code)
                    .collect(),
            ),
        };
        Ok((
            from,
            to,
            PeriodFilter {
                from: Some(from),
                to: Some(to),
                item_code: query.item_code,
                department: query.department,
                centre: query.centre,
                channel: query.channel,
                window: query.window,
                item_codes,
                centres,
            },
        ))
    }
}
