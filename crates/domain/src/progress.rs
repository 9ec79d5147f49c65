//! Where a case stands for its applicant (办理进度): the six steps the applicant follows —
//! 收件 → 预审 → 受理 → 审查 → 决定 → 送达 — each done, current, ahead, or where the case
//! ended (不予受理 stops at acceptance).

use serde::Serialize;

use crate::case::{Case, Status};

/// A step of the progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Received,
    PreReview,
    Accepted,
    Review,
    Decided,
    Delivered,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Received,
        Step::PreReview,
        Step::Accepted,
        Step::Review,
        Step::Decided,
        Step::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Received => "received",
            Step::PreReview => "pre_review",
            Step::Accepted => "accepted",
            Step::Review => "review",
            Step::Decided => "decided",
            Step::Delivered => "delivered",
        }
    }
}

/// How a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Done,
    /// The case is at this step now (waiting on the office, or on the applicant).
    Current,
    Ahead,
    /// The case ended here without going on (不予受理, 撤回).
    Stopped,
}

/// How far the case has come: the index of the current step, and whether the case ended there.
fn position(case: &Case) -> (usize, bool) {
    match case.status {
        Status::Submitted | Status::PreReview | Status::SupplementRequested => (1, false),
        Status::Rejected => (2, true),
        Status::Accepted | Status::InReview | Status::Suspended => (3, false),
        Status::Approved | Status::Denied | Status::ResultIssued => (5, false),
        // Delivered and closed: every step done.
        Status::Delivered | Status::Closed => (Step::ALL.len(), false),
        // Withdrawn by the applicant: the bar stops where the case was.
        Status::Withdrawn if case.accepted_on.is_some() => (3, true),
        Status::Withdrawn => (1, true),
    }
}

/// Each step of the bar and how it stands for `case`.
pub fn progress(case: &Case) -> Vec<(Step, StepState)> {
    let (at, stopped) = position(case);
    Step::ALL
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let state = if i < at {
                StepState::Done
            } else if i == at && stopped {
                StepState::Stopped
            } else if i == at {
                StepState::Current
            } else {
                StepState::Ahead
            };
            (*step, state)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case_in(status: Status) -> Case {
        let mut case: Case = serde_json::from_value(serde_json::json!({
            "id": "c", "number": "n", "item_code": "i", "item_version": 1, "item_name": "x",
            "department": "d", "promised_days": 5, "required_materials": [],
            "applicant": {"kind": "person", "name": "张三", "id_number": "1"},
            "channel": "online", "centre": "county-hall", "status": "submitted",
            "received_at": "2026-12-07T01:00:00Z", "received_on": "2026-12-07",
            "provided_materials": [], "supplement_notices": [], "accepted_on": null,
            "accepted_by": null, "deemed_accepted": false, "clock": null,
            "extension_reason": null, "rejection_reason": null, "decision": null,
            "result_document": null, "delivery": null, "visits": [], "closed_on": null,
            "version": 1, "history": []
        }))
        .expect("a case");
        case.status = status;
        case
    }

    #[test]
    fn a_case_in_review_has_received_pre_review_and_acceptance_behind_it() {
        let states: Vec<StepState> = progress(&case_in(Status::InReview))
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            states,
            [
                StepState::Done,
                StepState::Done,
                StepState::Done,
                StepState::Current,
                StepState::Ahead,
                StepState::Ahead
            ]
        );
    }

    #[test]
    fn a_case_not_accepted_stops_at_acceptance_and_a_delivered_one_is_done() {
        let rejected = progress(&case_in(Status::Rejected));
        assert_eq!(rejected[2], (Step::Accepted, StepState::Stopped));
        assert_eq!(rejected[3].1, StepState::Ahead);
        assert!(
            progress(&case_in(Status::Closed))
                .iter()
                .all(|(_, s)| *s == StepState::Done)
        );
        assert_eq!(
            progress(&case_in(Status::SupplementRequested))[1],
            (Step::PreReview, StepState::Current)
        );
    }

    proptest! {
        #[test]
        fn the_steps_done_come_first_and_at_most_one_is_current(
            status in proptest::sample::select(Status::ALL.to_vec())
        ) {
            let states: Vec<StepState> = progress(&case_in(status)).into_iter().map(|(_, s)| s).collect();
            prop_assert_eq!(states.len(), 6);
            prop_assert_eq!(states[0], StepState::Done);
            let first_not_done = states.iter().position(|s| *s != StepState::Done).unwrap_or(6);
            prop_assert!(states[first_not_done..].iter().all(|s| *s != StepState::Done));
            prop_assert!(states.iter().filter(|s| matches!(s, StepState::Current | StepState::Stopped)).count() <= 1);
        }
    }
}
