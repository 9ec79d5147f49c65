//! The demo's evaluation: return visits of the last three months whose satisfaction is the
//! county's reported 99.6 % (one unsatisfied answer in every 250), ratings of the visited cases
//! (mostly 满意 and 非常满意, two 差评 with their rectifications, one put right on time), and two
//! complaints. Written through the domain's rules, as a real month would leave them.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use onewindow_domain::evaluation::{
    self, CallRecord, ComplaintSource, ComplaintTarget, Indicator, Level, NewComplaint, Outcome,
    RatedObject, Rating, RatingChannel, RatingStage, RectificationCommand, ReturnVisit,
    VisitReason, VisitState,
};
use onewindow_report::monthly::Month;
use onewindow_store::cases as case_rows;
use onewindow_store::evaluation as rows;
use onewindow_store::reports::PeriodFilter;

use crate::clock::local_morning;
use crate::error::AppError;
use crate::service::Service;

/// Answers per month, one of them unsatisfied: 249 / 250 = 99.6 %.
const VISITS_PER_MONTH: usize = 250;

impl Service {
    /// Seeds the demo's evaluation unless the store holds return visits already. Answers the
    /// number of visits written.
    pub async fn seed_demo_evaluation(&self) -> Result<usize, AppError> {
        let today = self.today();
        let this_month = Month::of(today);
        let months = [
            this_month.previous().previous(),
            this_month.previous(),
            this_month,
        ];
        for m in months {
            let month = m.first_day().format("%Y-%m").to_string();
            if !rows::visits_of_month(self.store().readers(), &month)
                .await?
                .is_empty()
            {
                return Ok(0);
            }
        }
        let records = self
            .period_records(&PeriodFilter {
                from: Some(months[0].first_day()),
                to: Some(today),
                ..PeriodFilter::default()
            })
            .await?;
        let mut visits = Vec::new();
        let mut ratings = Vec::new();
        for m in months {
            let (first, last) = (m.first_day(), m.last_day().min(today));
            let mut decided: Vec<(&String, NaiveDate)> = records
                .iter()
                .filter_map(|(f, r)| {
                    r.completed_on
                        .filter(|d| first <= *d && *d <= last)
                        .map(|d| (&f.case_id, d))
                })
                .collect();
            decided.sort();
            decided.truncate(VISITS_PER_MONTH);
            let month = first.format("%Y-%m").to_string();
            for (i, (case_id, decided_on)) in decided.iter().enumerate() {
                let Some(case) = case_rows::load(self.store().readers(), case_id).await? else {
                    continue;
                };
                // Called three days after the decision, within the month and not after now.
                let called_on = (*decided_on + Duration::days(3)).min(last);
                let at = (local_morning(called_on) + Duration::hours(1)).min(self.now());
                let unsatisfied = i == 0 && decided.len() == VISITS_PER_MONTH;
                let visit = ReturnVisit {
                    id: uuid::Uuid::now_v7().to_string(),
                    case_id: case.id.clone(),
                    case_number: case.number.clone(),
                    department: case.department.clone(),
                    centre: case.centre.clone(),
                    month: month.clone(),
                    reason: VisitReason::Sampled,
                    attempts: Vec::new(),
                    state: VisitState::Pending,
                    version: 1,
                }
                .record(
                    &CallRecord {
                        reached: true,
                        satisfied: Some(!unsatisfied),
                        reasons: if unsatisfied {
                            "等候时间较长".into()
                        } else {
                            "办事顺利".into()
                        },
                        follow_up: None,
                    },
                    "visitor",
                    at,
                )
                .map_err(|e| AppError::Internal(e.to_string()))?;
                visits.push((visit, at));
                // Two in five of the visited cases were rated online the day after the decision.
                if i % 5 < 2 {
                    let level = match i {
                        6 if m == this_month.previous() => Level::DISSATISFIED,
                        6 if m == this_month => Level::VERY_DISSATISFIED,
                        11 | 121 => Level::BASIC,
                        n if n % 3 == 0 => Level::SATISFIED,
                        _ => Level::VERY_SATISFIED,
                    };
                    let rated_on = (*decided_on + Duration::days(1)).min(today);
                    let mut answers = BTreeMap::new();
                    answers.insert(Indicator::Overall, level);
                    answers.insert(Indicator::Efficiency, level);
                    ratings.push(Rating {
                        id: uuid::Uuid::now_v7().to_string(),
                        case_id: case.id.clone(),
                        case_number: case.number.clone(),
                        item_code: case.item_code.clone(),
                        item_version: case.item_version,
                        item_name: case.item_name.clone(),
                        department: case.department.clone(),
                        division: self.inner.division.clone(),
                        channel: RatingChannel::Online,
                        stage: RatingStage::Decision,
                        object: RatedObject::Platform,
                        level,
                        answers,
                        text: if level.is_bad() {
                            "审批时要求补交的材料前后说法不一".into()
                        } else {
                            String::new()
                        },
                        rated_at: (local_morning(rated_on) + Duration::hours(2)).min(self.now()),
                        real_name: true,
                        rated_by: "demo".into(),
                        excluded: None,
                    });
                }
            }
        }
        let calendar = self.calendar();
        let policy = self.evaluation_policy().await?;
        let written = visits.len();
        let departments = self.departments().await?;
        let department = departments
            .iter()
            .find(|d| d.code == "SCJGJ")
            .or(departments.first())
            .map(|d| d.code.clone())
            .unwrap_or_default();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    for (visit, at) in &visits {
                        rows::insert_visit(&mut *conn, visit, &at.to_rfc3339()).await?;
                    }
                    let mut bad = 0;
                    for rating in &ratings {
                        if !rows::insert_rating(&mut *conn, rating).await? {
                            continue;
                        }
                        if !rating.level.is_bad() {
                            continue;
                        }
                        let opened_on = crate::clock::local_date(rating.rated_at);
                        let r = evaluation::open_rectification(
                            uuid::Uuid::now_v7().to_string(),
                            rating,
                            policy.rectification_working_days,
                            opened_on,
                            &calendar,
                        )?;
                        // The older one was put right on time; the newer is being checked.
                        let r = if bad == 0 {
                            let at = rating.rated_at + Duration::days(1);
                            let day = crate::clock::local_date(at);
                            r.apply(
                                RectificationCommand::Verify {
                                    note: "已电话回访核实，情况属实".into(),
                                },
                                "reviewer",
                                at,
                                day,
                            )
                            .and_then(|r| {
                                r.apply(
                                    RectificationCommand::Resolve {
                                        outcome: Outcome::Fixed {
                                            measures: "统一补正材料清单，一次性告知到位".into(),
                                        },
                                    },
                                    "reviewer",
                                    at,
                                    day,
                                )
                            })
                            .map_err(|e| AppError::Internal(e.to_string()))?
                        } else {
                            r
                        };
                        rows::insert_rectification(&mut *conn, &r).await?;
                        bad += 1;
                    }
                    let today = crate::clock::local_date(
                        visits.last().map_or_else(chrono::Utc::now, |(_, at)| *at),
                    );
                    for (i, justified) in [(0, true), (1, false)] {
                        let received = today - Duration::days(10 + 5 * i);
                        let c = evaluation::record_complaint(
                            uuid::Uuid::now_v7().to_string(),
                            NewComplaint {
                                source: ComplaintSource::Hotline,
                                ticket: Some(format!(
                                    "12345-{}-{:04}",
                                    received.format("%Y%m%d"),
                                    17 + i
                                )),
                                against: ComplaintTarget::Department {
                                    code: department.clone(),
                                },
                                department: department.clone(),
                                centre: Some("county-hall".into()),
                                text: if justified {
                                    "咨询电话长时间无人接听".into()
                                } else {
                                    "认为收费过高（经核实该事项不收费）".into()
                                },
                            },
                            "supervisor",
                            received,
                            &calendar,
                        )
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                        let c = c
                            .answer(
                                if justified {
                                    "已增设专人接听咨询电话，向投诉人致歉"
                                } else {
                                    "经核实，该事项不收取任何费用，已向投诉人说明"
                                },
                                justified,
                                "approver",
                                received + Duration::days(2),
                            )
                            .map_err(|e| AppError::Internal(e.to_string()))?;
                        rows::save_complaint(&mut *conn, &c, 0).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await?;
        Ok(written)
    }
}
