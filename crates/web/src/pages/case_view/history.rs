//! A case's history in words.

use super::*;

/// One line of a case's history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub detail: String,
}

/// A case's history, oldest first, in the reader's language. What the service withheld from this
/// reader (another department's step of a joint case comes without its actor) shows as what
/// happened, not who did it or why.
pub fn history_rows(
    t: &Messages,
    detail: &CaseDetail,
    names: &MaterialNames,
    people: &Names,
) -> Vec<HistoryRow> {
    detail
        .history
        .iter()
        .map(|e| {
            let withheld = e.actor.is_empty();
            HistoryRow {
                at: t.time(&e.at),
                actor: people.actor(t, &e.actor),
                label: t.get(event_key(&e.event)).to_string(),
                detail: match &e.event {
                    CaseEvent::Task { task, .. } if withheld => {
                        t.fill1("window-event-detail-task", "task", task)
                    }
                    _ if withheld => String::new(),
                    event => event_detail(t, event, names, people),
                },
            }
        })
        .collect()
}

pub(super) fn event_detail(
    t: &Messages,
    event: &CaseEvent,
    names: &MaterialNames,
    people: &Names,
) -> String {
    let reason = |r: &str| t.fill1("window-event-detail-reason", "reason", r);
    match event {
        CaseEvent::Submitted { materials } | CaseEvent::SupplementProvided { materials } => {
            if materials.is_empty() {
                t.get("window-event-detail-no-materials").to_string()
            } else {
                t.fill1(
                    "window-event-detail-materials",
                    "list",
                    names.list(t, materials),
                )
            }
        }
        CaseEvent::SupplementRequested { missing, note } => {
            let mut text = t.fill1(
                "window-event-detail-missing",
                "list",
                names.list(t, missing),
            );
            if !note.trim().is_empty() {
                text.push_str(&t.fill1("window-event-detail-note", "note", note));
            }
            text
        }
        CaseEvent::Accepted {
            due_on, promises, ..
        } => {
            let mut text = due_on
                .as_ref()
                .map(|d| t.fill1("window-event-detail-due", "date", t.date(d)))
                .unwrap_or_default();
            for p in promises {
                text.push_str(&t.fill(
                    "tolerance-event-detail-promise",
                    &[
                        ("material", &names.name(&p.material)),
                        ("date", &t.date(&p.by)),
                    ],
                ));
            }
            text
        }
        CaseEvent::PromiseReminded { material } | CaseEvent::PromiseBroken { material, .. } => {
            names.name(material)
        }
        CaseEvent::CommitmentChecked { material, note, .. } => {
            if note.trim().is_empty() {
                names.name(material)
            } else {
                format!("{} · {note}", names.name(material))
            }
        }
        CaseEvent::DecisionRevoked { reason: r } | CaseEvent::Withdrawn { reason: r } => reason(r),
        CaseEvent::Rejected { reason: r } => reason(r),
        CaseEvent::Suspended { kind, reason: r } => {
            format!("{} · {}", t.get(suspension_key(*kind)), reason(r))
        }
        CaseEvent::Extended {
            working_days,
            reason: r,
        } => format!(
            "{} · {}",
            count(t, "window-working-days", i64::from(*working_days)),
            reason(r)
        ),
        CaseEvent::Proposed { opinion, .. } if !opinion.trim().is_empty() => {
            t.fill1("window-event-detail-opinion", "opinion", opinion)
        }
        CaseEvent::Decided { reason: r, .. } if !r.trim().is_empty() => reason(r),
        CaseEvent::ResultIssued { document_number } => {
            t.fill1("window-event-detail-document", "number", document_number)
        }
        CaseEvent::Delivered { method } => delivery_text(t, method),
        CaseEvent::VisitRecorded {
            purpose,
            extra_visit_reason,
            exception,
            ..
        } => {
            let mut text = t.fill1("window-event-detail-purpose", "purpose", purpose);
            if let Some(extra) = extra_visit_reason {
                text.push_str(&t.fill1("window-event-detail-extra-visit", "reason", extra));
            }
            if let Some(why) = exception {
                text.push_str(" · ");
                text.push_str(&exception_text(t, *why));
            }
            text
        }
        CaseEvent::DeadlineRecomputed {
            notice_year,
            previous,
            due_on,
            tasks,
        } => {
            let day = |d: &Option<NaiveDate>| t.date_or_dash(d);
            let mut text = t.fill(
                "window-event-detail-deadline",
                &[
                    ("year", &notice_year.to_string()),
                    ("before", &day(previous)),
                    ("after", &day(due_on)),
                ],
            );
            for task in tasks {
                text.push_str(&t.fill(
                    "window-event-detail-task-deadline",
                    &[
                        ("task", &task.task),
                        ("before", &day(&task.previous)),
                        ("after", &day(&task.due_on)),
                    ],
                ));
            }
            text
        }
        CaseEvent::Task { task, event } => {
            let mut text = t.fill1("window-event-detail-task", "task", task);
            let extra = match event {
                TaskEvent::Transferred { to, reason: r } => {
                    format!("{} · {}", people.person(to), reason(r))
                }
                TaskEvent::Countersigned { opinion } => opinion.clone(),
                TaskEvent::SupplementRequested { missing, note } => format!(
                    "{}{}",
                    t.fill1(
                        "window-event-detail-missing",
                        "list",
                        names.list(t, missing)
                    ),
                    t.fill1("window-event-detail-note", "note", note)
                ),
                TaskEvent::Suspended { kind, reason: r } => {
                    format!("{} · {}", t.get(suspension_key(*kind)), reason(r))
                }
                TaskEvent::SentBack { reason: r } => reason(r),
                TaskEvent::Resubmitted { note } => {
                    t.fill1("window-event-detail-note", "note", note)
                }
                TaskEvent::Decided { reason: r, .. } if !r.trim().is_empty() => reason(r),
                _ => String::new(),
            };
            if !extra.is_empty() {
                text.push_str(" · ");
                text.push_str(&extra);
            }
            text
        }
        _ => String::new(),
    }
}

/// "补录：上门服务": a visit typed in, and the documented exception that allowed it.
pub fn exception_text(t: &Messages, why: onewindow_domain::case::VisitException) -> String {
    t.fill1(
        "queue-visit-exception-label",
        "why",
        t.get(&format!("queue-visit-exception-{}", why.as_str())),
    )
}
