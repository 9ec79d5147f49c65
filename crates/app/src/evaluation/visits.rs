//! Third-party return visits (回访): the month's worklist, the operators' calls, satisfaction.

use chrono::NaiveDate;
use onewindow_domain::access::Role;
use onewindow_domain::audit::Outcome as AuditOutcome;
use onewindow_domain::evaluation::{self, Rating, RectificationCommand, RectificationState};
use onewindow_domain::figures::Ratio;
use onewindow_store::evaluation as rows;
use onewindow_store::{audit as audit_rows, cases as case_rows};

use super::{Rectification, day_start, rectification_error, settings_in};
use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

/// The first and last day of a month `YYYY-MM`.
fn month_days(month: &str) -> Result<(NaiveDate, NaiveDate), AppError> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("month", "a month as YYYY-MM, e.g. 2026-12"))?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| AppError::invalid("month", "a month as YYYY-MM"))?;
    Ok((first, next.pred_opt().unwrap_or(first)))
}

impl Service {
    fn require_visits(&self, actor: &Actor) -> Result<(), AppError> {
        let who = &actor.principal;
        if who.has_role(Role::ReturnVisitOperator) || who.has_role(Role::Supervisor) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "the return-visit worklist is the operators' and the supervisors'".into(),
            ))
        }
    }

    /// Draws a month's worklist (回访抽样): the policy's share of each department's cases decided
    /// in the month, and every real-name 差评 given in it. Operators and supervisors; drawing
    /// again adds only what is new. Answers the number added.
    pub async fn draw_return_visits(&self, actor: &Actor, month: &str) -> Result<usize, AppError> {
        if let Err(e) = self.require_visits(actor) {
            self.audit_denied(
                actor,
                "evaluation.draw",
                format!("month:{month}"),
                &e.to_string(),
            )
            .await?;
            return Err(e);
        }
        let (first, last) = month_days(month)?;
        let policy = self.evaluation_policy().await?;
        let records = self
            .period_records(&onewindow_store::reports::PeriodFilter {
                from: Some(first),
                to: Some(last),
                ..Default::default()
            })
            .await?;
        let decided: Vec<(
            &onewindow_store::reports::TaggedFacts,
            evaluation::Candidate,
        )> = records
            .iter()
            .filter(|(_, r)| r.completed_on.is_some_and(|d| first <= d && d <= last))
            .map(|(f, _)| {
                (
                    f,
                    evaluation::Candidate {
                        case_id: f.case_id.clone(),
                        department: f.department.clone(),
                    },
                )
            })
            .collect();
        let candidates: Vec<evaluation::Candidate> =
            decided.iter().map(|(_, c)| c.clone()).collect();
        let drawn = evaluation::sample(&candidates, policy.return_visit_percent, month);
        let bad: Vec<Rating> = rows::ratings_between(
            self.store().readers(),
            &day_start(first),
            &day_start(last.succ_opt().unwrap_or(last)),
            None,
        )
        .await?
        .into_iter()
        .filter(|r| r.level.is_bad() && r.real_name && r.counts())
        .collect();
        let centre_of: std::collections::HashMap<&str, &str> = decided
            .iter()
            .map(|(f, _)| (f.case_id.as_str(), f.centre.as_str()))
            .collect();
        let mut visits = Vec::new();
        for case_id in &drawn {
            let Some(case) = case_rows::load(self.store().readers(), case_id).await? else {
                continue;
            };
            visits.push(evaluation::ReturnVisit {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: case.id.clone(),
                case_number: case.number.clone(),
                department: case.department.clone(),
                centre: centre_of
                    .get(case.id.as_str())
                    .map_or_else(|| case.centre.clone(), |c| (*c).to_string()),
                month: month.to_string(),
                reason: evaluation::VisitReason::Sampled,
                attempts: Vec::new(),
                state: evaluation::VisitState::Pending,
                version: 1,
            });
        }
        for rating in &bad {
            let Some(case) = case_rows::load(self.store().readers(), &rating.case_id).await? else {
                continue;
            };
            visits.push(evaluation::ReturnVisit {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: case.id.clone(),
                case_number: case.number.clone(),
                department: case.department.clone(),
                centre: case.centre.clone(),
                month: month.to_string(),
                reason: evaluation::VisitReason::BadRating {
                    rating_id: rating.id.clone(),
                },
                attempts: Vec::new(),
                state: evaluation::VisitState::Pending,
                version: 1,
            });
        }
        let now = self.now();
        let actor = actor.clone();
        let month = month.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let at = now.to_rfc3339();
                    let mut added = 0;
                    for v in &visits {
                        if rows::insert_visit(&mut *conn, v, &at).await? {
                            added += 1;
                        }
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.draw",
                            format!("month:{month}"),
                            AuditOutcome::Success,
                            format!("{added} return visits added"),
                        ),
                    )
                    .await?;
                    Ok(added)
                })
            })
            .await
    }

    /// A month's worklist, pending visits first. Operators and supervisors.
    pub async fn return_visits(
        &self,
        actor: &Actor,
        month: &str,
    ) -> Result<Vec<evaluation::ReturnVisit>, AppError> {
        self.require_visits(actor)?;
        month_days(month)?;
        Ok(rows::visits_of_month(self.store().readers(), month).await?)
    }

    /// The operator records a call: not reached (the third ends the visit), or reached and
    /// satisfied or not; an unsatisfied answer with a follow-up opens a rectification for the
    /// department.
    pub async fn record_call(
        &self,
        actor: &Actor,
        id: &str,
        expected_version: u64,
        call: evaluation::CallRecord,
    ) -> Result<evaluation::ReturnVisit, AppError> {
        if !actor.principal.has_role(Role::ReturnVisitOperator) {
            let reason = "calls are recorded by the return-visit operators";
            self.audit_denied(actor, "evaluation.call", format!("visit:{id}"), reason)
                .await?;
            return Err(AppError::Forbidden(reason.into()));
        }
        let now = self.now();
        let calendar = self.calendar();
        let actor = actor.clone();
        let id = id.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let visit = rows::visit(&mut *conn, &id)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("return visit {id}")))?;
                    if visit.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: visit.version,
                        });
                    }
                    let next = visit
                        .record(&call, actor.username(), now)
                        .map_err(rectification_error)?;
                    let at = now.to_rfc3339();
                    if !rows::update_visit(&mut *conn, &next, visit.version, &at).await? {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: visit.version + 1,
                        });
                    }
                    if let Some(follow_up) = next.needs_rectification() {
                        let (policy, _) = settings_in(&mut *conn, now).await?;
                        let today = local_date(now);
                        let r = Rectification {
                            id: uuid::Uuid::now_v7().to_string(),
                            rating_id: format!("visit:{}", next.id),
                            case_id: next.case_id.clone(),
                            case_number: next.case_number.clone(),
                            department: next.department.clone(),
                            opened_on: today,
                            due_on: calendar
                                .add_working_days(today, policy.rectification_working_days)?,
                            state: RectificationState::Open,
                            outcome: None,
                            closed_on: None,
                            feedback: None,
                            history: vec![evaluation::RectificationStep {
                                at: now,
                                by: actor.username().to_string(),
                                command: RectificationCommand::Verify {
                                    note: format!("回访：{follow_up}"),
                                },
                            }],
                            version: 1,
                        };
                        rows::insert_rectification(&mut *conn, &r).await?;
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.call",
                            format!("case:{}", next.case_number),
                            AuditOutcome::Success,
                            match next.satisfied() {
                                Some(true) => "reached: satisfied".to_string(),
                                Some(false) => "reached: not satisfied".to_string(),
                                None => format!("not reached (attempt {})", next.attempts.len()),
                            },
                        ),
                    )
                    .await?;
                    Ok(next)
                })
            })
            .await
    }

    /// Satisfaction (满意率) from the return visits answered from `from` to `to`: satisfied
    /// answers over all answers, by `key` (the county: one key).
    pub(crate) async fn satisfaction_by(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        key: impl Fn(&evaluation::ReturnVisit) -> String,
    ) -> Result<std::collections::BTreeMap<String, Ratio>, AppError> {
        let visits = rows::visits_between(
            self.store().readers(),
            &day_start(from),
            &day_start(to.succ_opt().unwrap_or(to)),
        )
        .await?;
        let mut by: std::collections::BTreeMap<String, Ratio> = std::collections::BTreeMap::new();
        for v in &visits {
            if let Some(satisfied) = v.satisfied() {
                let r = by.entry(key(v)).or_insert(Ratio::new(0, 0));
                r.denominator += 1;
                r.numerator += u64::from(satisfied);
            }
        }
        Ok(by)
    }
}
