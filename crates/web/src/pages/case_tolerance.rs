//! What 容缺受理 and 告知承诺制 left on a case, as every case page shows it: the promises and
//! their state, the commitments signed with the department's check, a revocation, and (for the
//! staff) the applicant's commitments found false elsewhere, which the window sees before it
//! takes a new commitment.

use onewindow_app::service::CaseDetail;

use crate::i18n::Messages;

/// A promise of a tolerated material (容缺承诺).
pub struct PromiseLine {
    pub material: String,
    pub due_on: String,
    pub state: String,
    /// `ok`, `warn` or `error`, for the badge.
    pub tone: &'static str,
}

/// A commitment signed instead of a material (告知承诺).
pub struct CommitmentLine {
    pub material: String,
    pub key: String,
    pub text: String,
    pub signed: String,
    pub state: String,
    pub tone: &'static str,
    /// The check's finding, once checked.
    pub note: Option<String>,
    /// Open for the department's check.
    pub awaits_check: bool,
}

/// An earlier commitment of the same applicant found false.
pub struct FalseLine {
    pub case_number: String,
    pub item_name: String,
    pub material: String,
    pub checked_on: String,
    pub note: String,
}

/// The whole panel; empty when the case had none of it.
pub struct ToleranceView {
    pub promises: Vec<PromiseLine>,
    pub commitments: Vec<CommitmentLine>,
    pub false_on_record: Vec<FalseLine>,
    /// "撤销于 … ：理由".
    pub revocation: Option<String>,
}

impl ToleranceView {
    pub fn is_empty(&self) -> bool {
        self.promises.is_empty()
            && self.commitments.is_empty()
            && self.false_on_record.is_empty()
            && self.revocation.is_none()
    }
}

/// The panel of `detail` in words of `t`; `name` gives a material's name by its key.
pub fn view(
    t: &'static Messages,
    detail: &CaseDetail,
    name: impl Fn(&str) -> String,
) -> ToleranceView {
    let case = &detail.case;
    let promises = case
        .promises
        .iter()
        .map(|p| {
            let (state, tone) = match (p.kept_on, p.broken_on, p.reminded_on) {
                (Some(on), _, _) => (t.fill1("tolerance-promise-kept", "date", t.date(&on)), "ok"),
                (None, Some(on), _) => (
                    t.fill1("tolerance-promise-broken", "date", t.date(&on)),
                    "error",
                ),
                (None, None, Some(on)) => (
                    t.fill1("tolerance-promise-reminded", "date", t.date(&on)),
                    "warn",
                ),
                (None, None, None) => (t.get("tolerance-promise-open").to_string(), "warn"),
            };
            PromiseLine {
                material: name(&p.key),
                due_on: t.date(&p.due_on),
                state,
                tone,
            }
        })
        .collect();
    let commitments = case
        .commitments
        .iter()
        .map(|c| {
            let (state, tone) = match (&c.check, c.check_due_on) {
                (Some(k), _) if k.truthful => (
                    t.fill1("tolerance-check-true", "date", t.date(&k.checked_on)),
                    "ok",
                ),
                (Some(k), _) => (
                    t.fill1("tolerance-check-false", "date", t.date(&k.checked_on)),
                    "error",
                ),
                (None, Some(due)) => (t.fill1("tolerance-check-due", "date", t.date(&due)), "warn"),
                (None, None) => (
                    t.get("tolerance-check-after-acceptance").to_string(),
                    "warn",
                ),
            };
            CommitmentLine {
                material: name(&c.key),
                key: c.key.clone(),
                text: c.text.clone(),
                signed: t.fill(
                    "tolerance-signed",
                    &[("name", &c.signed_by), ("date", &t.date(&c.signed_on))],
                ),
                state,
                tone,
                note: c
                    .check
                    .as_ref()
                    .map(|k| k.note.clone())
                    .filter(|n| !n.is_empty()),
                awaits_check: c.awaits_check(),
            }
        })
        .collect();
    let false_on_record = detail
        .false_commitments_on_record
        .iter()
        .map(|f| FalseLine {
            case_number: f.case_number.clone(),
            item_name: f.item_name.clone(),
            material: f.material.clone(),
            checked_on: f.checked_on.map(|d| t.date(&d)).unwrap_or_default(),
            note: f.note.clone().unwrap_or_default(),
        })
        .collect();
    ToleranceView {
        promises,
        commitments,
        false_on_record,
        revocation: case.revocation.as_ref().map(|r| {
            t.fill(
                "tolerance-revoked",
                &[("date", &t.date(&r.revoked_on)), ("reason", &r.reason)],
            )
        }),
    }
}
