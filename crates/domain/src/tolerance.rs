//! Two ways a minor paper stops costing a second visit: accepting a case with a tolerated
//! material missing on the applicant's promise to hand it in by a date (容缺受理), and taking the
//! applicant's signed commitment instead of a certificate (告知承诺制), checked afterwards by the
//! department. Pure rules: which dates a promise may name, when it is reminded and broken, and
//! what a commitment's check may record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::case::{Case, CaseError, CaseEvent, Context, Status, invalid};
use crate::clock::{CaseClock, SuspensionKind};
use crate::validation::FieldError;

/// Working days before a promised date on which the applicant is reminded of it.
pub const PROMISE_REMINDER_DAYS: u32 = 2;

/// Working days the department has, from acceptance, to check a commitment (事后核查).
pub const POST_CHECK_DAYS: u32 = 20;

/// A promise asked for at acceptance: this tolerated material, by this day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromiseRequest {
    /// The material's key.
    pub material: String,
    /// The last working day the applicant promises to hand it in.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub by: NaiveDate,
}

/// A tolerated material the case was accepted without, and the applicant's promise to hand it
/// in (容缺承诺).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialPromise {
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub promised_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_on: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_on: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_on: Option<NaiveDate>,
}

impl MaterialPromise {
    /// Neither kept nor broken yet.
    pub fn is_open(&self) -> bool {
        self.kept_on.is_none() && self.broken_on.is_none()
    }

    /// True on the days the applicant is to be reminded: from [`PROMISE_REMINDER_DAYS`] working
    /// days before the promised day until it, once.
    pub fn reminder_due(
        &self,
        calendar: &Calendar,
        today: NaiveDate,
    ) -> Result<bool, CalendarError> {
        if !self.is_open() || self.reminded_on.is_some() || today > self.due_on {
            return Ok(false);
        }
        Ok(calendar.working_days_between(today, self.due_on)? <= PROMISE_REMINDER_DAYS)
    }

    /// True once the promised day has passed with the material not handed in.
    pub fn is_broken_on(&self, today: NaiveDate) -> bool {
        self.is_open() && today > self.due_on
    }
}

/// What the county does with a case whose promise was not kept (容缺未补齐).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BrokenPromiseRule {
    /// 停止计时: the clock stops until the material arrives; nothing else changes.
    #[default]
    StopClock,
    /// 退回补正: the applicant gets a one-time supplement notice for the material (the clock
    /// stops too, and the notice's period runs).
    BackToSupplement,
}

impl BrokenPromiseRule {
    pub fn as_str(self) -> &'static str {
        match self {
            BrokenPromiseRule::StopClock => "stop_clock",
            BrokenPromiseRule::BackToSupplement => "back_to_supplement",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            BrokenPromiseRule::StopClock,
            BrokenPromiseRule::BackToSupplement,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Why a promised day cannot be accepted, if it cannot: it is after today, a working day, and no
/// later than `last_day` (the case's deadline, so that the decision can rely on the material).
pub fn promise_date_problem(
    by: NaiveDate,
    today: NaiveDate,
    last_day: Option<NaiveDate>,
    calendar: &Calendar,
) -> Result<Option<String>, CalendarError> {
    if by <= today {
        return Ok(Some(format!(
            "{by} is not after today ({today}): a promise names a day to come"
        )));
    }
    if !calendar.is_working_day(by)? {
        return Ok(Some(format!(
            "{by} is not a working day: the material is handed in on a day the centre is open"
        )));
    }
    if let Some(last) = last_day
        && by > last
    {
        return Ok(Some(format!(
            "{by} is after the case's deadline {last}: the material must be there before the decision"
        )));
    }
    Ok(None)
}

/// A commitment the applicant signed instead of handing in a material (告知承诺书), and the
/// department's check of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commitment {
    /// The material it stands in for.
    pub key: String,
    /// The text signed, as the item had it at filing.
    pub text: String,
    /// The applicant's name as signed.
    pub signed_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub signed_on: NaiveDate,
    /// Set at acceptance: the last day of the department's check.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_due_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CommitmentCheck>,
}

impl Commitment {
    /// Accepted and not yet checked.
    pub fn awaits_check(&self) -> bool {
        self.check_due_on.is_some() && self.check.is_none()
    }
}

/// The outcome of the department's check of a commitment (核查结果).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentCheck {
    /// True when what the applicant declared is true.
    pub truthful: bool,
    /// What was checked and found.
    pub note: String,
    pub checked_by: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub checked_on: NaiveDate,
}

/// The last day of a commitment's check of a case accepted on `accepted_on`.
pub fn post_check_due(
    calendar: &Calendar,
    accepted_on: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    calendar.add_working_days(accepted_on, POST_CHECK_DAYS)
}

impl Case {
    /// Acceptance, with the tolerated materials still missing each promised by a day: every
    /// other demanded material is there (or stood in for by a commitment), every promise names a
    /// missing tolerated material once, on a working day to come no later than the deadline.
    pub(crate) fn decide_accept(
        &self,
        promises: &[PromiseRequest],
        ctx: &Context<'_>,
    ) -> Result<CaseEvent, CaseError> {
        let missing = self.missing_materials();
        let clock = CaseClock::new(ctx.today, self.promised_days);
        let due_on = clock.due_date(ctx.calendar)?;
        let mut errors = Vec::new();
        for (i, promise) in promises.iter().enumerate() {
            let field = format!("promises[{i}].material");
            let key = &promise.material;
            if !self.required_materials.contains(key) {
                errors.push(FieldError::new(
                    field,
                    format!("{key} is not a material this case asks for"),
                ));
            } else if !missing.contains(key) {
                errors.push(FieldError::new(
                    field,
                    format!("{key} is not missing: nothing to promise"),
                ));
            } else if !self.tolerable_materials.contains(key) {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "{key} is not marked tolerable (容缺): the case is not accepted without it"
                    ),
                ));
            } else if promises[..i].iter().any(|p| p.material == *key) {
                errors.push(FieldError::new(field, format!("{key} is promised twice")));
            } else if let Some(problem) =
                promise_date_problem(promise.by, ctx.today, due_on, ctx.calendar)?
            {
                errors.push(FieldError::new(format!("promises[{i}].by"), problem));
            }
        }
        if !errors.is_empty() {
            return Err(CaseError::Invalid(errors));
        }
        let uncovered: Vec<&String> = missing
            .iter()
            .filter(|k| !promises.iter().any(|p| p.material == **k))
            .collect();
        if !uncovered.is_empty() {
            let tolerable = uncovered
                .iter()
                .any(|k| self.tolerable_materials.contains(k));
            let names: Vec<&str> = uncovered.iter().map(|k| k.as_str()).collect();
            return Err(invalid(
                "materials",
                format!(
                    "cannot accept while materials are missing: {}; send the one-time supplement notice instead{}",
                    names.join(", "),
                    if tolerable {
                        ", or accept on the applicant's promise of a tolerated one (容缺) by a day"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(CaseEvent::Accepted {
            accepted_on: ctx.today,
            deemed: false,
            due_on,
            promises: promises.to_vec(),
            post_check_due_on: self.post_check_due_on(ctx.today, ctx)?,
        })
    }

    /// The last day of the department's check of the case's commitments, if it has any.
    pub(crate) fn post_check_due_on(
        &self,
        accepted_on: NaiveDate,
        ctx: &Context<'_>,
    ) -> Result<Option<NaiveDate>, CaseError> {
        if self.commitments.is_empty() {
            return Ok(None);
        }
        Ok(Some(post_check_due(ctx.calendar, accepted_on)?))
    }

    /// After acceptance only a material promised and not yet handed in arrives.
    pub(crate) fn check_promised_keys(&self, keys: &[String]) -> Result<(), CaseError> {
        let errors: Vec<FieldError> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                !self
                    .promises
                    .iter()
                    .any(|p| p.key == **k && p.kept_on.is_none())
            })
            .map(|(i, k)| {
                FieldError::new(
                    format!("materials[{i}]"),
                    format!(
                        "{k} is not a material promised at acceptance (容缺) and still awaited"
                    ),
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CaseError::Invalid(errors))
        }
    }

    /// The first commitment the department found false, if any.
    pub fn false_commitment(&self) -> Option<&Commitment> {
        self.commitments
            .iter()
            .find(|c| c.check.as_ref().is_some_and(|k| !k.truthful))
    }

    /// The department's check of a commitment: true closes it; false needs what was found, and
    /// revokes an approval already given.
    pub(crate) fn decide_commitment_check(
        &self,
        material: &str,
        truthful: bool,
        note: &str,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let Some(commitment) = self.commitments.iter().find(|c| c.key == material) else {
            return Err(invalid(
                "material",
                format!("no commitment was signed for {material}"),
            ));
        };
        if let Some(check) = &commitment.check {
            return Err(invalid(
                "material",
                format!(
                    "the commitment for {material} was already checked on {}",
                    check.checked_on
                ),
            ));
        }
        if commitment.check_due_on.is_none() {
            return Err(invalid(
                "material",
                "a commitment is checked once the case is accepted",
            ));
        }
        let note = note.trim();
        if !truthful && note.is_empty() {
            return Err(invalid(
                "note",
                "say what the check found false: it is the reason the approval is revoked",
            ));
        }
        let mut events = vec![CaseEvent::CommitmentChecked {
            material: material.to_string(),
            truthful,
            note: note.to_string(),
        }];
        if !truthful
            && self.decision.as_ref().is_some_and(|d| d.approved)
            && self.revocation.is_none()
        {
            events.push(CaseEvent::DecisionRevoked {
                reason: format!("承诺不实（{material}）：{note}"),
            });
        }
        Ok(events)
    }

    fn open_promise(&self, material: &str) -> Result<&MaterialPromise, CaseError> {
        self.promises
            .iter()
            .find(|p| p.key == material && p.is_open())
            .ok_or_else(|| {
                invalid(
                    "material",
                    format!("{material} has no open promise on this case"),
                )
            })
    }

    pub(crate) fn decide_reminder(
        &self,
        material: &str,
        ctx: &Context<'_>,
    ) -> Result<CaseEvent, CaseError> {
        let promise = self.open_promise(material)?;
        if !promise.reminder_due(ctx.calendar, ctx.today)? {
            return Err(invalid(
                "material",
                format!("the promise of {material} is not due for a reminder"),
            ));
        }
        Ok(CaseEvent::PromiseReminded {
            material: material.to_string(),
        })
    }

    /// A promise whose day passed: recorded, and the county's rule applied, unless the clock is
    /// already stopped for another reason (then the decision still waits for the material).
    pub(crate) fn decide_broken_promise(
        &self,
        material: &str,
        rule: BrokenPromiseRule,
        ctx: &Context<'_>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let promise = self.open_promise(material)?;
        if !promise.is_broken_on(ctx.today) {
            return Err(invalid(
                "material",
                format!("{material} is promised by {}", promise.due_on),
            ));
        }
        let mut events = vec![CaseEvent::PromiseBroken {
            material: material.to_string(),
            rule,
        }];
        let reason = format!("容缺材料 {material} 未在承诺日期 {} 前补齐", promise.due_on);
        match (self.status, rule) {
            (Status::Accepted | Status::InReview, BrokenPromiseRule::StopClock) => {
                events.push(CaseEvent::Suspended {
                    kind: SuspensionKind::Supplement,
                    reason,
                })
            }
            (Status::Accepted | Status::InReview, BrokenPromiseRule::BackToSupplement) => events
                .push(CaseEvent::SupplementRequested {
                    missing: vec![material.to_string()],
                    note: reason,
                }),
            _ => {}
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real day")
    }

    fn promise(due_on: NaiveDate) -> MaterialPromise {
        MaterialPromise {
            key: "M03".into(),
            promised_on: day(2026, 9, 1),
            due_on,
            reminded_on: None,
            kept_on: None,
            broken_on: None,
        }
    }

    #[test]
    fn a_promised_day_is_a_working_day_to_come_before_the_deadline() {
        let calendar = Calendar::prc();
        let today = day(2026, 9, 28);
        let deadline = Some(day(2026, 10, 30));
        let problem = |by| promise_date_problem(by, today, deadline, &calendar).expect("covered");
        assert!(problem(today).expect("today").contains("not after today"));
        assert!(
            problem(day(2026, 9, 20))
                .expect("past")
                .contains("not after today")
        );
        // National Day (1–7 October 2026) and a Sunday are not working days.
        assert!(
            problem(day(2026, 10, 2))
                .expect("holiday")
                .contains("not a working day")
        );
        assert!(
            problem(day(2026, 10, 10)).is_none(),
            "the Saturday 10 October 2026 is a make-up working day"
        );
        assert!(
            problem(day(2026, 10, 11))
                .expect("sunday")
                .contains("not a working day")
        );
        assert!(
            problem(day(2026, 11, 2))
                .expect("late")
                .contains("after the case's deadline")
        );
        assert_eq!(problem(day(2026, 10, 9)), None);
    }

    #[test]
    fn a_promise_is_reminded_two_working_days_ahead_once_and_broken_after_its_day() {
        let calendar = Calendar::prc();
        // Friday 16 October 2026; the working days before it: 15, 14, 13 …
        let p = promise(day(2026, 10, 16));
        let due = |today| p.reminder_due(&calendar, today).expect("covered");
        assert!(!due(day(2026, 10, 13)));
        assert!(due(day(2026, 10, 14)));
        assert!(due(day(2026, 10, 16)));
        assert!(
            !due(day(2026, 10, 17)),
            "after the day it is broken, not reminded"
        );
        let reminded = MaterialPromise {
            reminded_on: Some(day(2026, 10, 14)),
            ..p.clone()
        };
        assert!(
            !reminded
                .reminder_due(&calendar, day(2026, 10, 15))
                .expect("covered")
        );
        assert!(!p.is_broken_on(day(2026, 10, 16)));
        assert!(p.is_broken_on(day(2026, 10, 17)));
        let kept = MaterialPromise {
            kept_on: Some(day(2026, 10, 12)),
            ..p
        };
        assert!(!kept.is_broken_on(day(2026, 12, 1)));
        assert!(
            !kept
                .reminder_due(&calendar, day(2026, 10, 15))
                .expect("covered")
        );
    }

    #[test]
    fn the_rules_read_back_from_their_names() {
        for rule in [
            BrokenPromiseRule::StopClock,
            BrokenPromiseRule::BackToSupplement,
        ] {
            assert_eq!(BrokenPromiseRule::parse(rule.as_str()), Some(rule));
        }
        assert_eq!(BrokenPromiseRule::parse("deny"), None);
    }

    proptest! {
        /// Whatever the day, a promise is reminded at most on the working days just before its
        /// day and never once it is broken; it is broken exactly after its day.
        #[test]
        fn reminders_come_before_the_day_and_breaking_after_it(
            offset in 0i64..700,
            due_offset in 0i64..700,
        ) {
            let calendar = Calendar::prc();
            let today = day(2025, 1, 1) + chrono::Duration::days(offset);
            let due_on = day(2025, 1, 1) + chrono::Duration::days(due_offset);
            let p = promise(due_on);
            let reminded = p.reminder_due(&calendar, today).expect("covered");
            prop_assert_eq!(p.is_broken_on(today), today > due_on);
            if reminded {
                prop_assert!(today <= due_on);
                prop_assert!(calendar.working_days_between(today, due_on).expect("covered") <= PROMISE_REMINDER_DAYS);
            }
            if let Some(problem) = promise_date_problem(due_on, today, None, &calendar).expect("covered") {
                prop_assert!(due_on <= today || !calendar.is_working_day(due_on).expect("covered"), "{}", problem);
            }
        }

        #[test]
        fn a_post_check_is_due_twenty_working_days_after_acceptance(offset in 0i64..600) {
            let calendar = Calendar::prc();
            let accepted = day(2025, 1, 2) + chrono::Duration::days(offset);
            let due = post_check_due(&calendar, accepted).expect("covered");
            prop_assert_eq!(calendar.working_days_between(accepted, due).expect("covered"), POST_CHECK_DAYS);
        }
    }

    mod on_a_case {
        use super::day;
        use crate::calendar::Calendar;
        use crate::case::{
            Applicant, ApplicantKind, Case, CaseCommand, CaseError, Channel, Context, NewCase,
            Status, submit,
        };
        use crate::catalogue::tests::sample_item;
        use crate::catalogue::{Material, MaterialCategory, Necessity, PublishedItem};
        use crate::tolerance::{BrokenPromiseRule, PromiseRequest};
        use chrono::NaiveDate;
        use proptest::prelude::*;

        /// 食品经营许可 with M03 tolerated (容缺) and a health certificate M04 committable.
        fn item() -> PublishedItem {
            let mut item = sample_item();
            item.materials[2].necessity = Necessity::Tolerable;
            let mut m04: Material = item.materials[0].clone();
            m04.key = "M04".into();
            m04.name = "从业人员健康证明".into();
            m04.category = MaterialCategory::Certificate;
            m04.necessity = Necessity::Committable;
            item.materials.push(m04);
            item.commitment_text =
                Some("本人承诺从业人员均已取得健康证明，如有不实，愿承担撤销许可的后果。".into());
            assert!(item.validate().is_empty(), "{:?}", item.validate());
            PublishedItem { version: 1, item }
        }

        fn ctx<'a>(calendar: &'a Calendar, today: NaiveDate, actor: &'a str) -> Context<'a> {
            Context {
                actor,
                now: today.and_hms_opt(2, 0, 0).expect("a time").and_utc(),
                today,
                calendar,
            }
        }

        fn file(
            calendar: &Calendar,
            today: NaiveDate,
            materials: &[&str],
            commitments: &[&str],
        ) -> Result<Case, CaseError> {
            let new = NewCase {
                applicant: Applicant {
                    kind: ApplicantKind::Person,
                    name: "王芳".into(),
                    id_number: "11010519491231002X".into(),
                    phone: None,
                },
                channel: Channel::Online,
                centre: "county-hall".into(),
                materials: materials.iter().map(|s| s.to_string()).collect(),
                filed_by: Some("citizen".into()),
                commitments: commitments.iter().map(|s| s.to_string()).collect(),
            };
            submit(
                "c1".into(),
                "N1".into(),
                &item(),
                new,
                &ctx(calendar, today, "citizen"),
            )
            .map(|(case, _)| case)
        }

        fn run(
            case: &mut Case,
            calendar: &Calendar,
            today: NaiveDate,
            actor: &str,
            command: CaseCommand,
        ) -> Result<(), CaseError> {
            let ctx = ctx(calendar, today, actor);
            for event in case.decide(&command, &ctx)? {
                case.apply(&event, actor, ctx.now, today);
            }
            Ok(())
        }

        fn fields(error: CaseError) -> Vec<(String, String)> {
            match error {
                CaseError::Invalid(errors) => {
                    errors.into_iter().map(|e| (e.field, e.reason)).collect()
                }
                other => panic!("expected invalid fields, got {other}"),
            }
        }

        fn promise(material: &str, by: NaiveDate) -> CaseCommand {
            CaseCommand::AcceptWithPromises {
                promises: vec![PromiseRequest {
                    material: material.into(),
                    by,
                }],
            }
        }

        #[test]
        fn a_tolerated_material_is_promised_by_a_working_day_and_the_decision_waits_for_it() {
            let calendar = Calendar::prc();
            let monday = day(2026, 11, 2);
            let mut case = file(&calendar, monday, &["M01"], &["M04"]).expect("files");
            // Without the promise the window is told a tolerated one may be promised.
            let refused = fields(
                case.decide(&CaseCommand::Accept, &ctx(&calendar, monday, "clerk"))
                    .expect_err("missing"),
            );
            assert!(
                refused[0].1.contains("M03") && refused[0].1.contains("容缺"),
                "{refused:?}"
            );
            // An essential material is not promised; a promise on a Sunday is refused.
            let refused = fields(
                case.decide(
                    &promise("M01", day(2026, 11, 6)),
                    &ctx(&calendar, monday, "clerk"),
                )
                .expect_err("essential"),
            );
            assert!(refused[0].1.contains("not missing"), "{refused:?}");
            let refused = fields(
                case.decide(
                    &promise("M03", day(2026, 11, 8)),
                    &ctx(&calendar, monday, "clerk"),
                )
                .expect_err("sunday"),
            );
            assert_eq!(refused[0].0, "promises[0].by");
            // By Friday 6 November: accepted, the clock runs from today.
            run(
                &mut case,
                &calendar,
                monday,
                "clerk",
                promise("M03", day(2026, 11, 6)),
            )
            .expect("accepted on a promise");
            assert_eq!(case.status, Status::Accepted);
            assert_eq!(case.promises[0].due_on, day(2026, 11, 6));
            assert_eq!(case.commitments[0].check_due_on, Some(day(2026, 11, 30)));
            // Reminded two working days ahead, once.
            assert!(
                run(
                    &mut case,
                    &calendar,
                    monday,
                    "system",
                    CaseCommand::RemindPromise {
                        material: "M03".into()
                    }
                )
                .is_err()
            );
            run(
                &mut case,
                &calendar,
                day(2026, 11, 4),
                "system",
                CaseCommand::RemindPromise {
                    material: "M03".into(),
                },
            )
            .expect("reminded");
            assert!(
                run(
                    &mut case,
                    &calendar,
                    day(2026, 11, 5),
                    "system",
                    CaseCommand::RemindPromise {
                        material: "M03".into()
                    }
                )
                .is_err()
            );
            // The decision waits for the promised material.
            run(
                &mut case,
                &calendar,
                day(2026, 11, 4),
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "符合条件".into(),
                },
            )
            .expect("proposed");
            assert!(
                !case
                    .available_actions()
                    .contains(&crate::case::Action::Decide)
            );
            let refused = fields(
                case.decide(
                    &CaseCommand::Decide {
                        approve: true,
                        reason: String::new(),
                    },
                    &ctx(&calendar, day(2026, 11, 4), "approver"),
                )
                .expect_err("waits"),
            );
            assert_eq!(refused[0].0, "promises");
            // Only the promised material is handed in after acceptance.
            let refused = fields(
                case.decide(
                    &CaseCommand::ProvideSupplement {
                        materials: vec!["M01".into()],
                    },
                    &ctx(&calendar, day(2026, 11, 5), "citizen"),
                )
                .expect_err("not promised"),
            );
            assert!(
                refused[0].1.contains("not a material promised"),
                "{refused:?}"
            );
            run(
                &mut case,
                &calendar,
                day(2026, 11, 5),
                "citizen",
                CaseCommand::ProvideSupplement {
                    materials: vec!["M03".into()],
                },
            )
            .expect("kept");
            assert_eq!(case.status, Status::InReview);
            assert_eq!(case.promises[0].kept_on, Some(day(2026, 11, 5)));
            run(
                &mut case,
                &calendar,
                day(2026, 11, 5),
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .expect("decided");
        }

        #[test]
        fn a_broken_promise_stops_the_clock_or_sends_the_case_back_to_supplement() {
            let calendar = Calendar::prc();
            let monday = day(2026, 11, 2);
            for rule in [
                BrokenPromiseRule::StopClock,
                BrokenPromiseRule::BackToSupplement,
            ] {
                let mut case = file(&calendar, monday, &["M01"], &["M04"]).expect("files");
                run(
                    &mut case,
                    &calendar,
                    monday,
                    "clerk",
                    promise("M03", day(2026, 11, 4)),
                )
                .expect("accepted");
                let broken = CaseCommand::BreakPromise {
                    material: "M03".into(),
                    rule,
                };
                assert!(
                    run(
                        &mut case,
                        &calendar,
                        day(2026, 11, 4),
                        "system",
                        broken.clone()
                    )
                    .is_err(),
                    "not before its day"
                );
                run(
                    &mut case,
                    &calendar,
                    day(2026, 11, 5),
                    "system",
                    broken.clone(),
                )
                .expect("broken");
                assert_eq!(case.status, Status::Suspended);
                assert_eq!(case.promises[0].broken_on, Some(day(2026, 11, 5)));
                assert_eq!(
                    case.supplement_notices.len(),
                    usize::from(rule == BrokenPromiseRule::BackToSupplement)
                );
                assert!(
                    run(&mut case, &calendar, day(2026, 11, 6), "system", broken).is_err(),
                    "broken once"
                );
                assert!(
                    run(
                        &mut case,
                        &calendar,
                        day(2026, 11, 6),
                        "reviewer",
                        CaseCommand::Resume
                    )
                    .is_err()
                );
                run(
                    &mut case,
                    &calendar,
                    day(2026, 11, 9),
                    "citizen",
                    CaseCommand::ProvideSupplement {
                        materials: vec!["M03".into()],
                    },
                )
                .expect("late");
                assert_eq!(case.status, Status::InReview, "{rule:?}");
                let clock = case.clock.as_ref().expect("a clock");
                assert_eq!(
                    clock.suspensions.last().and_then(|s| s.until),
                    Some(day(2026, 11, 9))
                );
            }
        }

        #[test]
        fn a_commitment_found_false_revokes_the_approval_and_is_named_once() {
            let calendar = Calendar::prc();
            let monday = day(2026, 11, 2);
            let refused =
                fields(file(&calendar, monday, &["M01"], &["M03"]).expect_err("not committable"));
            assert!(
                refused[0].1.contains("not marked committable"),
                "{refused:?}"
            );
            let refused =
                fields(file(&calendar, monday, &["M01", "M04"], &["M04"]).expect_err("handed in"));
            assert!(refused[0].1.contains("handed in"), "{refused:?}");
            let mut case = file(&calendar, monday, &["M01", "M03"], &["M04"]).expect("files");
            assert_eq!(
                case.commitments[0].text,
                item().item.commitment_text.expect("a text")
            );
            assert!(
                run(
                    &mut case,
                    &calendar,
                    monday,
                    "reviewer",
                    CaseCommand::CheckCommitment {
                        material: "M04".into(),
                        truthful: true,
                        note: String::new()
                    }
                )
                .is_err(),
                "checked after acceptance"
            );
            run(&mut case, &calendar, monday, "clerk", CaseCommand::Accept)
                .expect("accepted with the commitment");
            run(
                &mut case,
                &calendar,
                monday,
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "符合".into(),
                },
            )
            .expect("proposed");
            run(
                &mut case,
                &calendar,
                monday,
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .expect("approved");
            let refused = fields(
                case.decide(
                    &CaseCommand::CheckCommitment {
                        material: "M04".into(),
                        truthful: false,
                        note: " ".into(),
                    },
                    &ctx(&calendar, day(2026, 11, 10), "reviewer"),
                )
                .expect_err("no note"),
            );
            assert_eq!(refused[0].0, "note");
            run(
                &mut case,
                &calendar,
                day(2026, 11, 10),
                "reviewer",
                CaseCommand::CheckCommitment {
                    material: "M04".into(),
                    truthful: false,
                    note: "两名从业人员无健康证明".into(),
                },
            )
            .expect("found false");
            let revocation = case.revocation.as_ref().expect("revoked");
            assert!(revocation.reason.contains("两名从业人员无健康证明"));
            assert_eq!(case.false_commitment().map(|c| c.key.as_str()), Some("M04"));
            assert!(
                run(
                    &mut case,
                    &calendar,
                    day(2026, 11, 11),
                    "reviewer",
                    CaseCommand::CheckCommitment {
                        material: "M04".into(),
                        truthful: true,
                        note: String::new()
                    }
                )
                .is_err(),
                "checked once"
            );
        }

        proptest! {
            /// Whatever is handed in and promised, acceptance succeeds exactly when every missing
            /// material is tolerated and promised, and every promise names a missing tolerated
            /// material once on a working day to come no later than the deadline.
            #[test]
            fn acceptance_on_promises_follows_the_rules(
                handed in proptest::collection::vec(any::<bool>(), 3),
                promised in proptest::collection::vec((0usize..3, 0i64..30), 0..3),
            ) {
                let calendar = Calendar::prc();
                let today = day(2026, 11, 2);
                let keys = ["M01", "M03", "M04"];
                let materials: Vec<&str> = keys.iter().zip(&handed).filter(|(_, h)| **h).map(|(k, _)| *k).collect();
                let case = file(&calendar, today, &materials, &[]).expect("files");
                let promises: Vec<PromiseRequest> = promised.iter().map(|(k, d)| PromiseRequest { material: keys[*k].into(), by: today + chrono::Duration::days(*d) }).collect();
                let command = CaseCommand::AcceptWithPromises { promises: promises.clone() };
                let result = case.decide(&command, &ctx(&calendar, today, "clerk"));
                let deadline = calendar.add_working_days(today, 5).expect("covered");
                let missing = case.missing_materials();
                let valid = promises.iter().enumerate().all(|(i, p)| {
                    p.material == "M03"
                        && missing.contains(&p.material)
                        && !promises[..i].iter().any(|q| q.material == p.material)
                        && p.by > today
                        && p.by <= deadline
                        && calendar.is_working_day(p.by).expect("covered")
                }) && missing.iter().all(|m| promises.iter().any(|p| p.material == *m));
                prop_assert_eq!(result.is_ok(), valid, "{:?} {:?} {:?}", missing, promises, result);
            }
        }
    }
}
