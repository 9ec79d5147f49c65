//! What access to a case depends on, and how a refusal inside a write job is carried out of it:
//! the pieces every command on a case uses, below the service and the modules that add to it.

use crate::actor::Actor;
use crate::error::AppError;
use crate::error::RefusalKind;
use onewindow_domain::access::Principal;
use onewindow_domain::access::{self, CaseFacts, CaseOperation, Decision};
use onewindow_domain::case::{Case, CaseCommand, CaseEvent, DeliveryMethod};
use onewindow_domain::disclosure::Disclosure;
use onewindow_store::cases::StoredEvent;

/// The facts of a case that access depends on.
pub(crate) fn facts(case: &Case) -> CaseFacts<'_> {
    CaseFacts {
        department: &case.department,
        centre: &case.centre,
        status: case.status,
        owner: case.filed_by.as_deref(),
        applicant_identity: &case.applicant.id_number,
        task_departments: case
            .circulation
            .as_ref()
            .map_or(&[][..], |c| c.departments.as_slice()),
    }
}

/// Asks the policy whether `actor` may run `command` on `case`. The system's own commands (which
/// are no user's action) are for the system alone.
pub(crate) fn authorise_command(
    actor: &Actor,
    case: &Case,
    command: &CaseCommand,
    case_ref: &str,
) -> Result<(), AppError> {
    let decision = match command.action() {
        Some(action) => {
            access::decide_case(&actor.principal, CaseOperation::Act(action), &facts(case))
        }
        None if actor.principal.is_system() => Decision::Allow,
        None => Decision::Refuse("only the service itself runs this command".into()),
    };
    refusal(decision, case, case_ref)
}

/// A policy decision on a case inside a write job: a refusal carried out of the job, to be
/// audited by [`Service::audit_refusal`].
pub(crate) fn refusal(decision: Decision, case: &Case, case_ref: &str) -> Result<(), AppError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Hide => Err(AppError::Refused {
            status: RefusalKind::Hidden,
            reason: format!("case {case_ref} is out of scope"),
            target: format!("case:{}", case.number),
        }),
        Decision::Refuse(reason) => Err(AppError::Refused {
            status: RefusalKind::Forbidden,
            reason,
            target: format!("case:{}", case.number),
        }),
    }
}

/// Makes `case` fit to leave the service for `who` — by the API, a page, a list, an export or a
/// message: what the reader may not see of a joint case is taken out ([`Disclosure`]) and the
/// applicant's numbers are masked. Every path a case leaves by goes through here.
pub fn disclose(who: &Principal, case: &mut Case) {
    Disclosure::of(who, case).redact_case(case);
    mask_case(case);
}

/// The history of `case` fit to leave the service for `who`, by the rule of [`disclose`].
pub fn disclose_history(who: &Principal, case: &Case, history: &mut [StoredEvent]) {
    let disclosure = Disclosure::of(who, case);
    for stored in history {
        disclosure.redact_event(case, &mut stored.actor, &mut stored.event);
        if let CaseEvent::Delivered {
            method: DeliveryMethod::Express { address, .. },
        } = &mut stored.event
        {
            *address = access::mask_numbers(address);
        }
    }
}

/// Masks the applicant's identity and phone number for showing in lists and pages.
fn mask_case(case: &mut Case) {
    case.applicant.id_number = access::mask(&case.applicant.id_number);
    case.applicant.phone = case.applicant.phone.as_deref().map(access::mask);
    // An express address often carries the recipient's phone number.
    if let Some(DeliveryMethod::Express { address, .. }) = &mut case.delivery {
        *address = access::mask_numbers(address);
    }
}
