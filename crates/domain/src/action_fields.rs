//! From an action's name and the fields a form or a JSON body carries to the command it asks for:
//! one mapping for the API and the pages (the window, the desk), so that what an action needs is
//! said once. The rules that judge the values (a reason may not be empty, an extension is 1–10
//! days …) stay in the state machines; this only says which fields an action reads and which it
//! cannot do without.

use crate::case::{Action, CaseCommand, DeliveryMethod, VisitException};
use crate::circulation::{TaskAction, TaskCommand};
use crate::clock::SuspensionKind;
use crate::tolerance::PromiseRequest;
use crate::validation::FieldError;

impl Action {
    /// Every action, in the order of a case's life.
    pub const ALL: [Action; 17] = [
        Action::StartPreReview,
        Action::RequestSupplement,
        Action::ProvideSupplement,
        Action::Accept,
        Action::Reject,
        Action::StartReview,
        Action::Suspend,
        Action::Resume,
        Action::Extend,
        Action::Propose,
        Action::Decide,
        Action::IssueResult,
        Action::Deliver,
        Action::Close,
        Action::RecordVisit,
        Action::CheckCommitment,
        Action::Withdraw,
    ];

    /// The action a URL names (`request-supplement`).
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// The fields an action on a case may carry; each action reads the ones it needs. A caller fills
/// in what its request holds (a page its form's fields, the API its JSON body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFields {
    /// reject, suspend, extend, decide (required to deny).
    pub reason: Option<String>,
    /// request-supplement: every missing material key.
    pub missing: Option<Vec<String>>,
    /// request-supplement: a note to the applicant.
    pub note: Option<String>,
    /// provide-supplement: material keys handed in.
    pub materials: Option<Vec<String>>,
    /// suspend: why the clock stops.
    pub kind: Option<SuspensionKind>,
    /// extend: 1–10 working days.
    pub working_days: Option<u32>,
    /// propose, decide: true to approve, false to deny.
    pub approve: Option<bool>,
    /// propose: the review opinion (审查意见).
    pub opinion: Option<String>,
    /// issue-result: the licence or decision number; generated when absent.
    pub document_number: Option<String>,
    /// deliver: pickup, express (with address) or online.
    pub delivery: Option<DeliveryMethod>,
    /// record-visit: what the applicant came for.
    pub purpose: Option<String>,
    /// record-visit: why a visit beyond the first was needed.
    pub extra_visit_reason: Option<String>,
    /// record-visit: why it is typed in rather than recorded from a ticket (补录).
    pub exception: Option<VisitException>,
    /// accept: tolerated materials accepted missing, each with the day promised (容缺受理).
    pub promises: Option<Vec<PromiseRequest>>,
    /// check-commitment: the material whose commitment was checked.
    pub material: Option<String>,
    /// check-commitment: true when the commitment proved true.
    pub truthful: Option<bool>,
}

fn need<T>(value: Option<T>, field: &str, what: &str) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, format!("required: {what}")))
}

/// The command `action` asks for with `fields`, or the field it cannot do without.
pub fn case_command(action: Action, fields: ActionFields) -> Result<CaseCommand, FieldError> {
    let reason = fields.reason.unwrap_or_default();
    Ok(match action {
        Action::StartPreReview => CaseCommand::StartPreReview,
        Action::RequestSupplement => CaseCommand::RequestSupplement {
            missing: need(
                fields.missing,
                "missing",
                "the keys of every missing material",
            )?,
            note: fields.note.unwrap_or_default(),
        },
        Action::ProvideSupplement => CaseCommand::ProvideSupplement {
            materials: need(
                fields.materials,
                "materials",
                "the keys of the materials handed in",
            )?,
        },
        Action::Accept => match fields.promises {
            Some(promises) if !promises.is_empty() => CaseCommand::AcceptWithPromises { promises },
            _ => CaseCommand::Accept,
        },
        Action::CheckCommitment => CaseCommand::CheckCommitment {
            material: need(
                fields.material,
                "material",
                "the key of the material whose commitment was checked",
            )?,
            truthful: need(
                fields.truthful,
                "truthful",
                "true when the commitment proved true, false when it proved false",
            )?,
            note: fields.note.unwrap_or_default(),
        },
        Action::Reject => CaseCommand::Reject { reason },
        Action::Withdraw => CaseCommand::Withdraw { reason },
        Action::StartReview => CaseCommand::StartReview,
        Action::Suspend => CaseCommand::Suspend {
            kind: need(
                fields.kind,
                "kind",
                "supplement, hearing, inspection, testing, expert_review or public_notice",
            )?,
            reason,
        },
        Action::Resume => CaseCommand::Resume,
        Action::Extend => CaseCommand::Extend {
            working_days: need(
                fields.working_days,
                "working_days",
                "the number of working days",
            )?,
            reason,
        },
        Action::Propose => CaseCommand::Propose {
            approve: need(
                fields.approve,
                "approve",
                "true to propose approval, false to propose refusal",
            )?,
            opinion: fields.opinion.unwrap_or_default(),
        },
        Action::Decide => CaseCommand::Decide {
            approve: need(fields.approve, "approve", "true to approve, false to deny")?,
            reason,
        },
        Action::IssueResult => CaseCommand::IssueResult {
            document_number: fields.document_number,
        },
        Action::Deliver => CaseCommand::Deliver {
            method: need(
                fields.delivery,
                "delivery",
                "{\"method\": \"pickup\" | \"express\" | \"online\"}",
            )?,
        },
        Action::Close => CaseCommand::Close,
        Action::RecordVisit => CaseCommand::RecordVisit {
            purpose: need(fields.purpose, "purpose", "what the applicant came for")?,
            extra_visit_reason: fields.extra_visit_reason,
            // A visit from a ticket is recorded when the window serves the ticket; an action
            // types one in, which only an exception allows.
            ticket: None,
            exception: Some(need(
                fields.exception,
                "exception",
                "home_visit or offline_day: visits are recorded from the hall's tickets",
            )?),
        },
    })
}

/// The fields an action on a department's task may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskActionFields {
    /// transfer: the colleague's user name.
    pub to: Option<String>,
    /// transfer, suspend, send-back, decide (required to deny).
    pub reason: Option<String>,
    /// countersign.
    pub opinion: Option<String>,
    /// request-supplement: bundle material keys (B01 …).
    pub missing: Option<Vec<String>>,
    /// request-supplement, resubmit.
    pub note: Option<String>,
    /// suspend.
    pub kind: Option<SuspensionKind>,
    /// decide.
    pub approve: Option<bool>,
}

/// The command a task action asks for with `fields`, or the field it cannot do without.
pub fn task_command(
    action: TaskAction,
    fields: TaskActionFields,
) -> Result<TaskCommand, FieldError> {
    Ok(match action {
        TaskAction::Claim => TaskCommand::Claim,
        TaskAction::Transfer => TaskCommand::Transfer {
            to: need(fields.to, "to", "the colleague's user name")?,
            reason: need(fields.reason, "reason", "why the task changes hands")?,
        },
        TaskAction::Countersign => TaskCommand::Countersign {
            opinion: need(fields.opinion, "opinion", "the reviewer's opinion")?,
        },
        TaskAction::RequestSupplement => TaskCommand::RequestSupplement {
            missing: need(fields.missing, "missing", "the material keys asked for")?,
            note: need(fields.note, "note", "what is wrong or missing")?,
        },
        TaskAction::Suspend => TaskCommand::Suspend {
            kind: need(fields.kind, "kind", "why the clock stops")?,
            reason: need(fields.reason, "reason", "the reason")?,
        },
        TaskAction::Resume => TaskCommand::Resume,
        TaskAction::SendBack => TaskCommand::SendBack {
            reason: need(
                fields.reason,
                "reason",
                "why the task goes back to the window",
            )?,
        },
        TaskAction::Resubmit => TaskCommand::Resubmit {
            note: need(fields.note, "note", "what the window corrected")?,
        },
        TaskAction::Decide => TaskCommand::Decide {
            approve: need(fields.approve, "approve", "true to approve, false to deny")?,
            reason: fields.reason.unwrap_or_default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_name_parses_back() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("approve"), None);
    }

    #[test]
    fn an_action_without_a_field_it_needs_names_the_field() {
        let error = case_command(Action::Extend, ActionFields::default()).expect_err("no days");
        assert_eq!(error.field, "working_days");
        let error = case_command(Action::Decide, ActionFields::default()).expect_err("no answer");
        assert_eq!(error.field, "approve");
        let error = task_command(TaskAction::Transfer, TaskActionFields::default())
            .expect_err("no colleague");
        assert_eq!(error.field, "to");
    }

    #[test]
    fn fields_become_the_command() {
        let fields = ActionFields {
            working_days: Some(5),
            reason: Some("专家论证".into()),
            ..ActionFields::default()
        };
        assert_eq!(
            case_command(Action::Extend, fields),
            Ok(CaseCommand::Extend {
                working_days: 5,
                reason: "专家论证".into()
            })
        );
        assert_eq!(
            case_command(Action::Accept, ActionFields::default()),
            Ok(CaseCommand::Accept)
        );
        let fields = TaskActionFields {
            approve: Some(false),
            reason: Some("不符合条件".into()),
            ..TaskActionFields::default()
        };
        assert_eq!(
            task_command(TaskAction::Decide, fields),
            Ok(TaskCommand::Decide {
                approve: false,
                reason: "不符合条件".into()
            })
        );
    }
}
