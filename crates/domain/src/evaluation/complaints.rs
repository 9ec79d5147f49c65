//! Complaints (投诉): recorded with a deadline to answer, answered once, justified or not.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{RectificationError, required};
use crate::calendar::Calendar;
use crate::validation::{FieldError, check_text};

/// Where a complaint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintSource {
    /// A 12345 hotline ticket.
    Hotline,
    /// Made in the hall (the complaints desk, a letter).
    Hall,
}

/// What a complaint is against (投诉对象).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ComplaintTarget {
    Case { number: String },
    Window { centre: String, window: String },
    Staff { username: String },
    Department { code: String },
}

/// The answer to a complaint (答复), and whether it was found justified (有效投诉).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintAnswer {
    pub text: String,
    pub justified: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub answered_on: NaiveDate,
    pub by: String,
}

/// A complaint (投诉), with the department that must answer it by its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    pub id: String,
    pub source: ComplaintSource,
    /// The hotline's ticket number (工单号), when it came from 12345.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub against: ComplaintTarget,
    /// The department that answers it (the case's, the window's or the staff member's).
    pub department: String,
    /// The centre it concerns, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    pub text: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub received_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub due_on: NaiveDate,
    pub recorded_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<ComplaintAnswer>,
    pub version: u64,
}

/// What a complaint is recorded with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComplaint {
    pub source: ComplaintSource,
    #[serde(default)]
    pub ticket: Option<String>,
    pub against: ComplaintTarget,
    pub department: String,
    #[serde(default)]
    pub centre: Option<String>,
    pub text: String,
}

/// Working days a department has to answer a complaint (12345 tickets commonly allow five).
pub const COMPLAINT_WORKING_DAYS: u32 = 5;

/// Records a complaint received on `today`, due in [`COMPLAINT_WORKING_DAYS`].
pub fn record_complaint(
    id: String,
    new: NewComplaint,
    by: &str,
    today: NaiveDate,
    calendar: &Calendar,
) -> Result<Complaint, RectificationError> {
    let mut errors = Vec::new();
    required(&mut errors, "text", &new.text, "what the complaint says");
    if new.department.trim().is_empty() {
        errors.push(FieldError::new(
            "department",
            "the department that answers it",
        ));
    }
    if let Some(ticket) = new.ticket.as_deref() {
        check_text(&mut errors, "ticket", ticket, 64, false);
    }
    let target_ok = match &new.against {
        ComplaintTarget::Case { number } => !number.trim().is_empty(),
        ComplaintTarget::Window { centre, window } => {
            !centre.trim().is_empty() && !window.trim().is_empty()
        }
        ComplaintTarget::Staff { username } => !username.trim().is_empty(),
        ComplaintTarget::Department { code } => !code.trim().is_empty(),
    };
    if !target_ok {
        errors.push(FieldError::new("against", "whom or what it is against"));
    }
    if !errors.is_empty() {
        return Err(RectificationError::Invalid(errors));
    }
    let due_on = calendar
        .add_working_days(today, COMPLAINT_WORKING_DAYS)
        .map_err(|e| {
            RectificationError::Invalid(vec![FieldError::new("received_on", e.to_string())])
        })?;
    Ok(Complaint {
        id,
        source: new.source,
        ticket: new
            .ticket
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        against: new.against,
        department: new.department.trim().to_string(),
        centre: new.centre.filter(|c| !c.trim().is_empty()),
        text: new.text.trim().to_string(),
        received_on: today,
        due_on,
        recorded_by: by.to_string(),
        answer: None,
        version: 1,
    })
}

impl Complaint {
    /// Answered and found justified: counts against its unit in the assessment.
    pub fn is_justified(&self) -> bool {
        self.answer.as_ref().is_some_and(|a| a.justified)
    }

    /// Unanswered past its due day.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.answer.is_none() && today > self.due_on
    }

    /// The department's answer, once.
    pub fn answer(
        &self,
        text: &str,
        justified: bool,
        by: &str,
        today: NaiveDate,
    ) -> Result<Complaint, RectificationError> {
        if self.answer.is_some() {
            return Err(RectificationError::NotNow {
                state: "answered",
                action: "answer",
            });
        }
        let mut errors = Vec::new();
        required(
            &mut errors,
            "text",
            text,
            "the answer given to the complainant",
        );
        if !errors.is_empty() {
            return Err(RectificationError::Invalid(errors));
        }
        let mut next = self.clone();
        next.answer = Some(ComplaintAnswer {
            text: text.trim().to_string(),
            justified,
            answered_on: today,
            by: by.to_string(),
        });
        next.version += 1;
        Ok(next)
    }
}
