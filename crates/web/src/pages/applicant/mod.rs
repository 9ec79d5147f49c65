//! Pages: applying online with uploads, my cases, supplements, delivery.
//!
//! The applicant's side of 最多跑一次: apply with the materials as files (`/apply/{code}`), follow
//! every case (`/my/cases`), answer a supplement notice with only what is missing, choose how the
//! result comes (window, express, download). Every rule is the service's; these pages parse the
//! forms, call it, and put its answers (and its refusals, next to their fields) into words.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use onewindow_app::accounts::Authenticated;
use onewindow_app::bundles::BundleView;
use onewindow_app::files::{CaseFile, MAX_FILE_BYTES, MAX_FILES, Upload, sniff_content_type};
use onewindow_app::service::{CaseDetail, CaseQuery, SubmitCase};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::case::{
    Action, Applicant, ApplicantKind, Case, CaseCommand, CaseEvent, Channel, DeliveryMethod, Status,
};
use onewindow_domain::catalogue::{Department, PublishedItem, RunMode};
use onewindow_domain::circulation::TaskEvent;
use onewindow_domain::clock::SuspensionKind;
use onewindow_domain::clock::Timeliness;
use onewindow_domain::identifiers::{IdentifierError, ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::case_view;
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::{Lang, Messages};

mod apply;
mod case;
mod cases;
mod files;
mod messages;
mod rating;
#[cfg(test)]
mod tests;

use apply::*;
use case::*;
use cases::*;
use files::*;

/// The largest request body of an upload form: up to `MAX_FILES` files of at most
/// `MAX_FILE_BYTES` each is more than any real application, so a little over six full files.
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

const DEFAULT_CENTRE: &str = "county-hall";
/// Cases per page of "my cases".
const PAGE_SIZE: u32 = 20;
/// File inputs are named `file_<material key>`.
const FILE_FIELD: &str = "file_";
/// What the file inputs accept (the service checks the bytes whatever this says).
const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";

/// Who these pages are for.
const PUBLIC_ROLES: &[Role] = &[Role::Applicant, Role::Agent];

pub fn routes() -> Router<Service> {
    // Upload forms carry files: their own, larger body limit (the rest keep the app's).
    let uploads = Router::new()
        .route("/apply/{code}", get(apply_form).post(apply))
        .route("/my/cases/{id}/supplement", post(supplement))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    Router::new()
        .route("/my/cases", get(my_cases))
        .route("/my/cases/{id}", get(my_case))
        .route("/my/cases/{id}/delivery", post(delivery))
        .route("/my/cases/{id}/withdraw", post(withdraw))
        .route("/my/drafts/{id}/delete", post(delete_draft))
        .route("/my/cases/{id}/rating", post(rating::rate_own_case))
        .route(
            "/my/cases/{id}/rectifications/{rid}/feedback",
            post(rating::give_feedback),
        )
        .route("/my/files/{file_id}", get(open_file))
        .route(
            "/my/cases/{id}/notice",
            get(crate::pages::window::notice_page),
        )
        .route("/my/messages", get(messages::inbox))
        .route("/my/messages/preferences", post(messages::save_preferences))
        .route("/my/messages/{id}/read", post(messages::mark_read))
        .merge(uploads)
}

// ---- words for the model's values -------------------------------------------------------------

fn status_key(status: Status) -> &'static str {
    match status {
        Status::Submitted => "applicant-status-submitted",
        Status::PreReview => "applicant-status-pre_review",
        Status::SupplementRequested => "applicant-status-supplement_requested",
        Status::Accepted => "applicant-status-accepted",
        Status::Rejected => "applicant-status-rejected",
        Status::InReview => "applicant-status-in_review",
        Status::Suspended => "applicant-status-suspended",
        Status::Approved => "applicant-status-approved",
        Status::Denied => "applicant-status-denied",
        Status::ResultIssued => "applicant-status-result_issued",
        Status::Delivered => "applicant-status-delivered",
        Status::Closed => "applicant-status-closed",
        Status::Withdrawn => "applicant-status-withdrawn",
    }
}

fn run_mode_key(mode: RunMode) -> &'static str {
    match mode {
        RunMode::Immediate => "applicant-run-mode-immediate",
        RunMode::WindowExpress => "applicant-run-mode-window_express",
        RunMode::OnlinePrereview => "applicant-run-mode-online_prereview",
        RunMode::OnlineExpress => "applicant-run-mode-online_express",
        RunMode::OnlineOnline => "applicant-run-mode-online_online",
    }
}

fn suspension_key(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Supplement => "applicant-suspension-supplement",
        SuspensionKind::Hearing => "applicant-suspension-hearing",
        SuspensionKind::Inspection => "applicant-suspension-inspection",
        SuspensionKind::Testing => "applicant-suspension-testing",
        SuspensionKind::ExpertReview => "applicant-suspension-expert_review",
        SuspensionKind::PublicNotice => "applicant-suspension-public_notice",
    }
}

fn kind_label(t: &Messages, kind: ApplicantKind) -> &str {
    match kind {
        ApplicantKind::Person => t.get("applicant-kind-person"),
        ApplicantKind::Enterprise => t.get("applicant-kind-enterprise"),
    }
}

/// A list as the language writes it: 甲、乙 or a, b.
fn join_list(t: &Messages, items: impl IntoIterator<Item = String>) -> String {
    let separator = match t.lang() {
        Lang::ZhCn => "、",
        Lang::En => ", ",
    };
    items.into_iter().collect::<Vec<_>>().join(separator)
}

/// The days-left light: green on time, yellow within two working days, red overdue.
#[derive(Debug, Clone)]
struct Left {
    label: String,
    light: &'static str,
    light_label: String,
}

fn left_view(t: &Messages, left: Timeliness, limit_days: u32) -> Left {
    let label = match left {
        Timeliness::OnTime {
            working_days_left: 0,
        } => t.get("applicant-left-today").to_string(),
        Timeliness::OnTime { working_days_left } => {
            t.fill1("applicant-left-days", "n", working_days_left.to_string())
        }
        Timeliness::Overdue {
            working_days_overdue: 0,
            days_overdue,
        } => t.fill1(
            "applicant-left-overdue-calendar",
            "days",
            days_overdue.to_string(),
        ),
        Timeliness::Overdue {
            working_days_overdue,
            ..
        } => t.fill1(
            "applicant-left-overdue",
            "n",
            working_days_overdue.to_string(),
        ),
    };
    // The monitor's rule, so the applicant sees the light the supervisors see.
    let light = onewindow_domain::monitor::LightRule::default()
        .light(limit_days, left)
        .as_str();
    let light_label = t
        .get(match light {
            "red" => "applicant-light-red",
            "yellow" => "applicant-light-yellow",
            _ => "applicant-light-green",
        })
        .to_string();
    Left {
        label,
        light,
        light_label,
    }
}

/// The deadline and the working days left of a case on the clock.
fn clock_of(service: &Service, case: &Case) -> (Option<NaiveDate>, Option<Timeliness>) {
    let calendar = &service.calendar();
    let due = case.due_on(calendar).ok().flatten();
    let left = match (&case.clock, case.status.is_on_clock()) {
        (Some(clock), true) => clock.timeliness(calendar, service.today()).ok(),
        _ => None,
    };
    (due, left)
}

// ---- forms with files ---------------------------------------------------------------------------

/// A multipart form as read: its text fields and its files (inputs left empty are skipped).
#[derive(Debug, Default)]
struct Posted {
    fields: HashMap<String, String>,
    files: Vec<Upload>,
}

impl Posted {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.as_str())
    }
}

async fn read_multipart(mut multipart: Multipart) -> Option<Posted> {
    let mut posted = Posted::default();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.ok()?;
        match file_name {
            // A file input with no file chosen arrives as a part with no name and no bytes.
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) => {
                if let Some(key) = name.strip_prefix(FILE_FIELD) {
                    posted.files.push(Upload {
                        material_key: key.to_string(),
                        file_name,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => {
                posted
                    .fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Some(posted)
}

/// The words for the service's reason about a file.
fn file_reason(t: &Messages, reason: &str) -> String {
    if reason.contains("PDF, JPEG or PNG") {
        t.get("applicant-error-file-type").to_string()
    } else if reason == "the file is empty" {
        t.get("applicant-error-file-empty").to_string()
    } else if reason.starts_with("the file is ") && reason.contains("at most") {
        t.get("applicant-error-file-too-big").to_string()
    } else if reason.starts_with("the item has no material") {
        t.get("applicant-error-file-unknown").to_string()
    } else {
        let error = onewindow_domain::validation::FieldError::new("files", reason);
        t.fill1(
            "applicant-error-other",
            "reason",
            crate::pages::reasons::reason_or_general(t, &error),
        )
    }
}

/// The first problem of a file, as the service would name it; the service checks again.
fn file_problem(t: &Messages, upload: &Upload) -> Option<String> {
    if upload.bytes.is_empty() {
        Some(t.get("applicant-error-file-empty").to_string())
    } else if upload.bytes.len() > MAX_FILE_BYTES {
        Some(t.get("applicant-error-file-too-big").to_string())
    } else if sniff_content_type(&upload.bytes).is_none() {
        Some(t.get("applicant-error-file-type").to_string())
    } else {
        None
    }
}

fn parse_identity(kind: ApplicantKind, text: &str) -> Result<String, IdentifierError> {
    match kind {
        ApplicantKind::Person => ResidentIdNumber::parse(text).map(|i| i.as_str().to_string()),
        ApplicantKind::Enterprise => {
            UnifiedSocialCreditCode::parse(text).map(|i| i.as_str().to_string())
        }
    }
}

/// What is wrong with an identity number, in words, naming the wrong character.
fn identity_problem(t: &Messages, kind: ApplicantKind, text: &str) -> Option<String> {
    let e = parse_identity(kind, text).err()?;
    Some(match (&e, e.position()) {
        (IdentifierError::Empty { .. }, _) => t.get("applicant-error-required").to_string(),
        (_, Some(n)) => t.fill1("applicant-error-id-position", "n", n.to_string()),
        (IdentifierError::WrongLength { .. }, None) => {
            t.get("applicant-error-id-length").to_string()
        }
        _ => t.get("applicant-error-id-invalid").to_string(),
    })
}

/// The index in `files[3]` or `materials[3].x`.
fn index_of(field: &str, list: &str) -> Option<usize> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    rest[..rest.find(']')?].parse().ok()
}

/// A key unique to one drawing of a form, so that sending it twice files once.
fn new_form_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static DRAWN: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = DRAWN.fetch_add(1, Ordering::Relaxed);
    (0..2u8)
        .map(|half| {
            // Each RandomState is freshly keyed from the process's random seed.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(nanos);
            h.write_u64(count);
            h.write_u8(half);
            format!("{:016x}", h.finish())
        })
        .collect()
}

fn valid_form_key(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric())
}
