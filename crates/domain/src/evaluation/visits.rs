//! Third-party return visits (回访): a call's record, three unanswered calls, the month's sample.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::RectificationError;
use crate::validation::{FieldError, TEXT_MAX_CHARS, check_text};

/// Why a case is on the return-visit worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VisitReason {
    /// Drawn in the month's sample of decided cases.
    Sampled,
    /// A real-name 差评: every one is called back.
    BadRating { rating_id: String },
}

/// One call of a return visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallAttempt {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reached: bool,
}

/// Where a return visit stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VisitState {
    /// 待回访: not yet reached (fewer than three attempts).
    Pending,
    /// 已回访: the applicant answered.
    Reached {
        satisfied: bool,
        /// Why (satisfied or not), as the applicant put it.
        #[serde(default)]
        reasons: String,
        /// Anything the department must follow up; an unsatisfied answer with a follow-up
        /// opens a rectification.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_up: Option<String>,
    },
    /// 未接通: three attempts, nobody answered.
    NotReached,
}

/// The calls it takes before a visit is "not reached".
pub const VISIT_ATTEMPTS: usize = 3;

/// A third-party return visit of a case (第三方电话回访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnVisit {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub department: String,
    pub centre: String,
    /// The month of the worklist, `YYYY-MM`.
    pub month: String,
    pub reason: VisitReason,
    pub attempts: Vec<CallAttempt>,
    pub state: VisitState,
    pub version: u64,
}

/// What the operator records of one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRecord {
    pub reached: bool,
    /// With `reached`: satisfied or not.
    #[serde(default)]
    pub satisfied: Option<bool>,
    #[serde(default)]
    pub reasons: String,
    #[serde(default)]
    pub follow_up: Option<String>,
}

impl ReturnVisit {
    /// Still to be called.
    pub fn is_pending(&self) -> bool {
        self.state == VisitState::Pending
    }

    /// Satisfied, when reached.
    pub fn satisfied(&self) -> Option<bool> {
        match &self.state {
            VisitState::Reached { satisfied, .. } => Some(*satisfied),
            _ => None,
        }
    }

    /// The visit after one call: reached (satisfied or not, with reasons; an unsatisfied
    /// answer says why), or not reached (the third such call ends it).
    pub fn record(
        &self,
        call: &CallRecord,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<ReturnVisit, RectificationError> {
        if !self.is_pending() {
            return Err(RectificationError::NotNow {
                state: match self.state {
                    VisitState::NotReached => "not reached",
                    _ => "reached",
                },
                action: "record a call",
            });
        }
        let mut errors = Vec::new();
        let reasons = call.reasons.trim();
        check_text(&mut errors, "reasons", reasons, TEXT_MAX_CHARS, true);
        let follow_up = call
            .follow_up
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        if let Some(f) = follow_up {
            check_text(&mut errors, "follow_up", f, TEXT_MAX_CHARS, true);
        }
        match (call.reached, call.satisfied) {
            (true, None) => errors.push(FieldError::new(
                "satisfied",
                "a call that reached the applicant says whether they are satisfied",
            )),
            (true, Some(false)) if reasons.is_empty() => errors.push(FieldError::new(
                "reasons",
                "why the applicant is not satisfied",
            )),
            (false, Some(_)) => errors.push(FieldError::new(
                "satisfied",
                "a call nobody answered has no answer",
            )),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(RectificationError::Invalid(errors));
        }
        let mut next = self.clone();
        next.attempts.push(CallAttempt {
            at,
            by: by.to_string(),
            reached: call.reached,
        });
        next.state = match (call.reached, call.satisfied) {
            (true, Some(satisfied)) => VisitState::Reached {
                satisfied,
                reasons: reasons.to_string(),
                follow_up: follow_up.map(str::to_string),
            },
            _ if next.attempts.len() >= VISIT_ATTEMPTS => VisitState::NotReached,
            _ => VisitState::Pending,
        };
        next.version += 1;
        Ok(next)
    }

    /// An unsatisfied answer with something to follow up: the department must act on it.
    pub fn needs_rectification(&self) -> Option<&str> {
        match &self.state {
            VisitState::Reached {
                satisfied: false,
                follow_up: Some(f),
                ..
            } => Some(f),
            _ => None,
        }
    }
}

/// A decided case the month's sample draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub case_id: String,
    pub department: String,
}

/// The month's sample (抽样): of each department's decided cases, `percent` per cent rounded
/// up (so at least one when the share is above nothing), chosen by a stable hash of the case and the month so
/// that the draw is the same whenever it is made and no one picks the cases.
pub fn sample(candidates: &[Candidate], percent: u32, month: &str) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut by_department: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        by_department.entry(&c.department).or_default().push(c);
    }
    let mut chosen = Vec::new();
    for (_, mut cases) in by_department {
        let wanted = (cases.len() * percent.min(100) as usize).div_ceil(100);
        cases.sort_by_key(|c| draw_key(&c.case_id, month));
        chosen.extend(cases.into_iter().take(wanted).map(|c| c.case_id.clone()));
    }
    chosen
}

/// FNV-1a of the case id and the month: a fixed, well-spread order.
fn draw_key(case_id: &str, month: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in case_id.bytes().chain([b'|']).chain(month.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
