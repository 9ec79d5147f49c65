//! Assessment of windows, departments and staff (绩效考核) and the fault responsibility records
//! supervisors enter.

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDate};
use onewindow_domain::access::Operation;
use onewindow_domain::assessment::{Performance, Ranked, ScoringScheme, rank};
use onewindow_domain::audit::Outcome;
use onewindow_domain::statistics::CaseRecord;
use onewindow_domain::validation::FieldError;
use onewindow_store::audit as audit_rows;
pub use onewindow_store::reports::Fault;
use onewindow_store::reports::{self as report_rows, PeriodFilter, TaggedFacts};

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// What is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Department,
    Centre,
    /// The member of staff who decided the case (the approver, 首席代表).
    Staff,
}

impl Unit {
    pub fn parse(text: &str) -> Option<Unit> {
        match text {
            "department" => Some(Unit::Department),
            "centre" => Some(Unit::Centre),
            "staff" => Some(Unit::Staff),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Department => "department",
            Unit::Centre => "centre",
            Unit::Staff => "staff",
        }
    }
}

/// A fault as a supervisor records it.
#[derive(Debug, Clone, Default)]
pub struct NewFault {
    pub unit_kind: String,
    pub unit: String,
    pub what: String,
    pub rule: String,
    pub decision: String,
    pub occurred_on: Option<NaiveDate>,
}

/// Service stars per month for staff.
pub const STAFF_STARS: usize = 3;

impl Service {
    /// Records a fault responsibility record; supervisors only; audited.
    pub async fn record_fault(&self, actor: &Actor, new: NewFault) -> Result<Fault, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let mut errors = Vec::new();
        if Unit::parse(&new.unit_kind).is_none() {
            errors.push(FieldError::new(
                "unit_kind",
                "one of staff, department, centre",
            ));
        }
        for (field, value) in [
            ("unit", &new.unit),
            ("what", &new.what),
            ("rule", &new.rule),
            ("decision", &new.decision),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, "must not be empty"));
            }
        }
        let today = self.today();
        let occurred_on = new.occurred_on.unwrap_or(today);
        if occurred_on > today {
            errors.push(FieldError::new(
                "occurred_on",
                "a fault cannot lie in the future",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.now();
        let fault = Fault {
            id: uuid::Uuid::now_v7().to_string(),
            unit_kind: new.unit_kind,
            unit: new.unit.trim().to_string(),
            what: new.what.trim().to_string(),
            rule: new.rule.trim().to_string(),
            decision: new.decision.trim().to_string(),
            occurred_on,
            recorded_by: actor.username().to_string(),
            recorded_at: now.to_rfc3339(),
        };
        let actor = actor.clone();
        let stored = fault.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    report_rows::insert_fault(&mut *conn, &stored).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "assessment.fault",
                            format!("{}:{}", stored.unit_kind, stored.unit),
                            Outcome::Success,
                            format!("{} ({})", stored.rule, stored.decision),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(fault)
    }

    pub async fn faults(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Fault>, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        Ok(report_rows::faults_between(self.store().readers(), from, to).await?)
    }

    /// Ranks the units of a period (default: this month so far) by the scoring scheme.
    pub async fn assessment(
        &self,
        actor: &Actor,
        unit: Unit,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Ranked>, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let today = self.today();
        let from = from.unwrap_or_else(|| today.with_day(1).unwrap_or(today));
        let to = to.unwrap_or(today);
        if to < from {
            return Err(AppError::invalid(
                "to",
                "the end of the period is before its start",
            ));
        }
        let cases = self
            .period_records(&PeriodFilter {
                from: Some(from),
                to: Some(to),
                ..PeriodFilter::default()
            })
            .await?;
        self.rank_records(&cases, unit, from, to).await
    }

    /// The summary rows of the cases touching a period (see `reports::tagged_facts_touching`),
    /// each with its record as of the period's end (today for a period not yet over).
    pub(crate) async fn period_records(
        &self,
        filter: &PeriodFilter,
    ) -> Result<Vec<(TaggedFacts, CaseRecord)>, AppError> {
        let rows = report_rows::tagged_facts_touching(self.store().readers(), filter).await?;
        let today = self.today();
        let as_of = filter.to.map_or(today, |to| to.min(today));
        let calendar = &self.calendar();
        let limits = self.statutory_limits().await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let record = CaseRecord::from_facts(&row.facts, calendar, as_of)?
                .with_statutory_days(limits.get(&row.facts.item_code).copied());
            records.push((row, record));
        }
        Ok(records)
    }

    /// The ranking of `unit` over the records of the cases touching the period `from..=to`, so
    /// that a report ranking several units reads the period once.
    pub(crate) async fn rank_records(
        &self,
        cases: &[(TaggedFacts, CaseRecord)],
        unit: Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Ranked>, AppError> {
        let mut units: BTreeMap<String, Performance> = BTreeMap::new();
        for (case, record) in cases {
            let Some(done) = record.completed_on else {
                continue;
            };
            if done < from || done > to {
                continue;
            }
            let key = match unit {
                Unit::Department => &case.department,
                Unit::Centre => &case.centre,
                Unit::Staff => match &case.decided_by {
                    Some(who) => who,
                    None => continue,
                },
            };
            let p = units.entry(key.clone()).or_default();
            p.completed += 1;
            let used = record.working_days_used.unwrap_or(0);
            if used <= record.promised_days + record.extension_days {
                p.on_time += 1;
            }
            if record.visits <= 1 {
                p.at_most_once += 1;
            }
        }
        // Satisfaction from the return visits answered in the period (回访满意率).
        let satisfaction = match unit {
            Unit::Department => Some(
                self.satisfaction_by(from, to, |v| v.department.clone())
                    .await?,
            ),
            Unit::Centre => Some(self.satisfaction_by(from, to, |v| v.centre.clone()).await?),
            Unit::Staff => None,
        };
        for (key, ratio) in satisfaction.into_iter().flatten() {
            if let Some(p) = units.get_mut(&key) {
                p.satisfaction = Some(ratio);
            }
        }
        // Justified complaints (有效投诉) answered in the period, against the unit.
        let complaints = self
            .justified_complaints_by(from, to, |c| match unit {
                Unit::Department => Some(c.department.clone()),
                Unit::Centre => c.centre.clone(),
                Unit::Staff => match &c.against {
                    onewindow_domain::evaluation::ComplaintTarget::Staff { username } => {
                        Some(username.clone())
                    }
                    _ => None,
                },
            })
            .await?;
        for (key, n) in complaints {
            units.entry(key).or_default().complaints += n;
        }
        for fault in report_rows::faults_between(self.store().readers(), from, to).await? {
            if fault.unit_kind == unit.as_str() {
                units.entry(fault.unit).or_default().faults += 1;
            }
        }
        let stars = if unit == Unit::Staff { STAFF_STARS } else { 0 };
        Ok(rank(
            &ScoringScheme::default(),
            units.into_iter().collect(),
            stars,
        ))
    }
}
