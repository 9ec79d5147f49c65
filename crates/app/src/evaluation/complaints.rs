//! Complaints (投诉): 12345 tickets and the hall's, answered by the department.

use chrono::NaiveDate;
use onewindow_domain::access::Role;
use onewindow_domain::audit::Outcome as AuditOutcome;
use onewindow_domain::evaluation;
use onewindow_store::audit as audit_rows;
use onewindow_store::evaluation as rows;

use super::rectification_error;
use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

impl Service {
    /// Records a complaint (12345 ticket or the hall's) for the department that answers it:
    /// supervisors and the window.
    pub async fn record_complaint(
        &self,
        actor: &Actor,
        new: evaluation::NewComplaint,
    ) -> Result<evaluation::Complaint, AppError> {
        let who = &actor.principal;
        if !(who.has_role(Role::Supervisor) || who.has_role(Role::Clerk)) {
            let reason = "complaints are recorded by supervisors and the window";
            self.audit_denied(actor, "evaluation.complaint", "complaints".into(), reason)
                .await?;
            return Err(AppError::Forbidden(reason.into()));
        }
        let known = self
            .departments()
            .await?
            .iter()
            .any(|d| d.code == new.department.trim());
        if !known {
            return Err(AppError::invalid(
                "department",
                format!("no department {}", new.department.trim()),
            ));
        }
        let now = self.now();
        let complaint = evaluation::record_complaint(
            uuid::Uuid::now_v7().to_string(),
            new,
            actor.username(),
            local_date(now),
            &self.calendar(),
        )
        .map_err(rectification_error)?;
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    rows::save_complaint(&mut *conn, &complaint, 0).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.complaint",
                            format!("complaint:{}", complaint.id),
                            AuditOutcome::Success,
                            format!("for {}, due {}", complaint.department, complaint.due_on),
                        ),
                    )
                    .await?;
                    Ok(complaint)
                })
            })
            .await
    }

    /// Complaints received from `from` to `to`, or unanswered: supervisors all, a department's
    /// staff their own.
    pub async fn complaints(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<evaluation::Complaint>, AppError> {
        let scope = self.evaluation_scope(actor, None).await?;
        let all =
            rows::complaints(self.store().readers(), &from.to_string(), &to.to_string()).await?;
        Ok(match scope {
            None => all,
            Some(own) => all
                .into_iter()
                .filter(|c| own.contains(&c.department))
                .collect(),
        })
    }

    /// The department's answer to a complaint, and whether it was justified (有效投诉), once:
    /// its staff or a supervisor.
    pub async fn answer_complaint(
        &self,
        actor: &Actor,
        id: &str,
        expected_version: u64,
        text: &str,
        justified: bool,
    ) -> Result<evaluation::Complaint, AppError> {
        let now = self.now();
        let actor = actor.clone();
        let id = id.to_string();
        let text = text.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let c = rows::complaint(&mut *conn, &id)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("complaint {id}")))?;
                    let who = &actor.principal;
                    let staff = who
                        .departments_for(&[Role::Reviewer, Role::Approver])
                        .any(|d| d == c.department);
                    if !(staff || who.has_role(Role::Supervisor)) {
                        return Err(AppError::not_found(format!("complaint {id}")));
                    }
                    if c.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: c.version,
                        });
                    }
                    let next = c
                        .answer(&text, justified, actor.username(), local_date(now))
                        .map_err(rectification_error)?;
                    if !rows::save_complaint(&mut *conn, &next, c.version).await? {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: c.version + 1,
                        });
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.complaint-answer",
                            format!("complaint:{}", next.id),
                            AuditOutcome::Success,
                            if justified {
                                "justified"
                            } else {
                                "not justified"
                            }
                            .to_string(),
                        ),
                    )
                    .await?;
                    Ok(next)
                })
            })
            .await
    }

    /// Justified complaints answered from `from` to `to`, counted by `key` (a unit; `None`
    /// leaves a complaint out).
    pub(crate) async fn justified_complaints_by(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        key: impl Fn(&evaluation::Complaint) -> Option<String>,
    ) -> Result<std::collections::BTreeMap<String, u32>, AppError> {
        let all =
            rows::complaints(self.store().readers(), &from.to_string(), &to.to_string()).await?;
        let mut by = std::collections::BTreeMap::new();
        for c in all.iter().filter(|c| {
            c.is_justified()
                && c.answer
                    .as_ref()
                    .is_some_and(|a| from <= a.answered_on && a.answered_on <= to)
        }) {
            if let Some(k) = key(c) {
                *by.entry(k).or_insert(0u32) += 1;
            }
        }
        Ok(by)
    }
}
