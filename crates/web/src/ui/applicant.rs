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
use onewindow_domain::identifiers::{IdentifierError, ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::case_view;
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::{Lang, Messages};

/// The largest request body of an upload form: up to `MAX_FILES` files of at most
/// `MAX_FILE_BYTES` each is more than any real application, so a little over six full files.
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The service centres an online application can name (the demo network's).
const CENTRES: [&str; 4] = [
    "county-hall",
    "township-yuelong",
    "township-xidian",
    "village-qiantong",
];
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
        .route("/my/files/{file_id}", get(open_file))
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

fn centre_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "county-hall" => "applicant-centre-county-hall",
        "township-yuelong" => "applicant-centre-township-yuelong",
        "township-xidian" => "applicant-centre-township-xidian",
        "village-qiantong" => "applicant-centre-village-qiantong",
        _ => return None,
    })
}

/// A centre's name, or its code when the pages do not know it.
fn centre_label(t: &Messages, code: &str) -> String {
    centre_key(code).map_or_else(|| code.to_string(), |k| t.get(k).to_string())
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

fn left_view(t: &Messages, left: i64, limit_days: u32) -> Left {
    let label = match left {
        n if n > 0 => t.fill1("applicant-left-days", "n", n.to_string()),
        0 => t.get("applicant-left-today").to_string(),
        n => t.fill1("applicant-left-overdue", "n", (-n).to_string()),
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
fn clock_of(service: &Service, case: &Case) -> (Option<NaiveDate>, Option<i64>) {
    let calendar = &service.calendar();
    let due = case.due_on(calendar).ok().flatten();
    let left = match (&case.clock, case.status.is_on_clock()) {
        (Some(clock), true) => clock.days_left(calendar, service.today()).ok(),
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
        t.fill1("applicant-error-other", "reason", reason)
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

// ---- apply --------------------------------------------------------------------------------------

/// An option of a select.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// One file input: a material the item asks for.
#[derive(Debug, Clone)]
struct FileInput {
    key: String,
    name: String,
    required: bool,
    sample: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "applicant/apply.html")]
struct ApplyPage {
    chrome: Chrome,
    code: String,
    code_path: String,
    item_name: String,
    visits: String,
    at_most_once: bool,
    promised: String,
    run_mode: String,
    /// An agent fills in the applicant; an applicant applies as their account.
    agent: bool,
    kinds: Vec<Choice>,
    kind_label: String,
    name: String,
    id_number: String,
    id_masked: String,
    phone: String,
    centres: Vec<Choice>,
    materials: Vec<FileInput>,
    optional_materials: Vec<String>,
    /// For a bundle: its lead window, members and the materials issued inside it.
    bundle: Option<BundleFacts>,
    idempotency_key: String,
    general: Vec<String>,
    name_error: Option<String>,
    id_error: Option<String>,
    centre_error: Option<String>,
    /// Shown after a refused submission: browsers do not keep chosen files.
    reselect: bool,
    /// The investment project the application is filed under, and what it already provides.
    project: Option<super::projects::ProjectForApply>,
}

impl ApplyPage {
    fn accept(&self) -> &'static str {
        ACCEPT
    }

    /// Every field with an error, for the summary above the form: (the field's id, its label
    /// and the error).
    fn field_errors(&self) -> Vec<(String, String)> {
        let t = self.chrome.t;
        let colon = match t.lang() {
            Lang::ZhCn => "：",
            Lang::En => ": ",
        };
        let mut out = Vec::new();
        for (id, label, error) in [
            ("name", "applicant-name", &self.name_error),
            ("id_number", "applicant-id-number", &self.id_error),
            ("centre", "applicant-centre", &self.centre_error),
        ] {
            if let Some(e) = error {
                let target = if id == "id_number" && !self.agent {
                    "account-identity"
                } else {
                    id
                };
                out.push((target.to_string(), format!("{}{colon}{e}", t.get(label))));
            }
        }
        for m in &self.materials {
            if let Some(e) = &m.error {
                out.push((format!("file_{}", m.key), format!("{}{colon}{e}", m.name)));
            }
        }
        out
    }

    fn has_errors(&self) -> bool {
        !self.general.is_empty()
            || self.name_error.is_some()
            || self.id_error.is_some()
            || self.centre_error.is_some()
            || self.materials.iter().any(|m| m.error.is_some())
    }
}

/// The applicant part of the form as filled in (or as drawn first).
#[derive(Debug, Clone)]
struct ApplyInput {
    kind: ApplicantKind,
    name: String,
    id_number: String,
    phone: String,
    centre: String,
    idempotency_key: String,
}

fn is_agent(session: &Authenticated) -> bool {
    session.actor.principal.has_role(Role::Agent)
}

/// The kind of an account's identity: a resident ID is a person, anything else an enterprise.
fn account_kind(identity: &str) -> ApplicantKind {
    if ResidentIdNumber::parse(identity).is_ok() {
        ApplicantKind::Person
    } else {
        ApplicantKind::Enterprise
    }
}

impl ApplyInput {
    fn first(session: &Authenticated) -> Self {
        let principal = &session.actor.principal;
        let agent = is_agent(session);
        let identity = principal.identity.clone().unwrap_or_default();
        ApplyInput {
            kind: if agent {
                ApplicantKind::Person
            } else {
                account_kind(&identity)
            },
            name: if agent {
                String::new()
            } else {
                principal.display_name.clone()
            },
            id_number: if agent { String::new() } else { identity },
            phone: String::new(),
            centre: DEFAULT_CENTRE.to_string(),
            idempotency_key: new_form_key(),
        }
    }

    fn posted(session: &Authenticated, posted: &Posted) -> Self {
        let first = Self::first(session);
        let agent = is_agent(session);
        let key = posted.field("idempotency_key").trim();
        ApplyInput {
            kind: if agent {
                match posted.field("kind") {
                    "enterprise" => ApplicantKind::Enterprise,
                    _ => ApplicantKind::Person,
                }
            } else {
                first.kind
            },
            name: posted.field("name").trim().to_string(),
            // An applicant applies as the identity of the account, whatever the form says.
            id_number: if agent {
                posted.field("id_number").trim().to_string()
            } else {
                first.id_number
            },
            phone: posted.field("phone").trim().to_string(),
            centre: posted.field("centre").trim().to_string(),
            idempotency_key: if valid_form_key(key) {
                key.to_string()
            } else {
                first.idempotency_key
            },
        }
    }
}

/// What an application is for: one item, or a bundle of items handled jointly (one code space:
/// the service files both).
enum Target {
    Item(Box<PublishedItem>),
    Bundle(Box<BundleView>),
}

impl Target {
    async fn find(service: &Service, code: &str) -> Result<Target, AppError> {
        match service.item(code).await {
            Ok(item) => Ok(Target::Item(Box::new(item))),
            Err(AppError::NotFound { .. }) => match service.bundle(code).await {
                Ok(view) => Ok(Target::Bundle(Box::new(view))),
                // A bundle whose members are no longer all published is not offered.
                Err(AppError::Invalid(_)) => Err(AppError::not_found(format!("bundle {code}"))),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    fn code(&self) -> &str {
        match self {
            Target::Item(item) => &item.item.code,
            Target::Bundle(view) => &view.plan.code,
        }
    }

    /// The keys of the materials the applicant must upload.
    fn demanded_keys(&self) -> Vec<String> {
        match self {
            Target::Item(item) => item
                .item
                .demanded_materials()
                .map(|m| m.key.clone())
                .collect(),
            Target::Bundle(view) => view
                .plan
                .demanded_materials()
                .map(|m| m.key.clone())
                .collect(),
        }
    }
}

/// What the form says about a bundle: where it is accepted, who decides what, what is not asked.
#[derive(Debug, Clone)]
struct BundleFacts {
    lead: String,
    members: Vec<String>,
    produced: Vec<String>,
    bundle_href: String,
}

fn apply_page(
    chrome: &Chrome,
    session: &Authenticated,
    target: &Target,
    input: &ApplyInput,
    departments: &[Department],
) -> ApplyPage {
    let t = chrome.t;
    let kinds = [ApplicantKind::Person, ApplicantKind::Enterprise]
        .into_iter()
        .map(|k| Choice {
            value: match k {
                ApplicantKind::Person => "person",
                ApplicantKind::Enterprise => "enterprise",
            }
            .to_string(),
            label: kind_label(t, k).to_string(),
            selected: k == input.kind,
        })
        .collect();
    let centres = CENTRES
        .iter()
        .map(|c| Choice {
            value: (*c).to_string(),
            label: centre_label(t, c),
            selected: *c == input.centre,
        })
        .collect();
    let promised_text = |days: u32| {
        if days == 0 {
            t.get("applicant-promised-immediate").to_string()
        } else {
            t.fill1("common-working-days", "n", days.to_string())
        }
    };
    let visits_text = |visits: u32| {
        if visits == 0 {
            t.get("applicant-visits-zero").to_string()
        } else {
            t.fill1("applicant-visits-n", "n", visits.to_string())
        }
    };
    let (
        item_name,
        visits,
        at_most_once,
        promised,
        run_mode,
        materials,
        optional_materials,
        bundle,
    ) = match target {
        Target::Item(item) => {
            let item_ref = &item.item;
            (
                item_ref.name.clone(),
                visits_text(item_ref.visits_required),
                item_ref.visits_required <= 1,
                promised_text(item_ref.promised_days),
                t.get(run_mode_key(item_ref.run_mode)).to_string(),
                item_ref
                    .demanded_materials()
                    .map(|m| FileInput {
                        key: m.key.clone(),
                        name: m.name.clone(),
                        required: true,
                        sample: m.sample.clone().filter(|s| !s.trim().is_empty()),
                        error: None,
                    })
                    .collect(),
                item_ref
                    .materials
                    .iter()
                    .filter(|m| m.cancelled.is_none() && !m.required)
                    .map(|m| m.name.clone())
                    .collect(),
                None,
            )
        }
        Target::Bundle(view) => {
            let plan = &view.plan;
            let b = &view.bundle.bundle;
            let department =
                |code: &str| crate::ui::case_view::department_name(t, departments, code);
            let item_name = |code: &str| {
                plan.tasks
                    .iter()
                    .find(|task| task.item_code == code)
                    .map_or_else(|| code.to_string(), |task| task.item_name.clone())
            };
            let name = match t.lang() {
                Lang::En if !b.name_en.trim().is_empty() => b.name_en.clone(),
                _ => b.name.clone(),
            };
            (
                name,
                visits_text(plan.figures.visits_after),
                plan.figures.visits_after <= 1,
                promised_text(plan.limit_days),
                t.get("applicant-bundle-run-mode").to_string(),
                plan.demanded_materials()
                    .map(|m| FileInput {
                        key: m.key.clone(),
                        name: m.name.clone(),
                        required: true,
                        sample: m.sample.clone().filter(|s| !s.trim().is_empty()),
                        error: None,
                    })
                    .collect(),
                Vec::new(),
                Some(BundleFacts {
                    lead: t.fill(
                        "applicant-bundle-lead",
                        &[
                            ("window", &plan.lead_window),
                            ("department", &department(&plan.lead_department)),
                        ],
                    ),
                    members: plan
                        .tasks
                        .iter()
                        .map(|task| {
                            t.fill(
                                "applicant-bundle-member",
                                &[
                                    ("item", &task.item_name),
                                    ("department", &department(&task.department)),
                                ],
                            )
                        })
                        .collect(),
                    produced: plan
                        .materials
                        .iter()
                        .filter_map(|m| {
                            m.produced_by.as_deref().map(|by| {
                                format!(
                                    "{} · {}",
                                    m.name,
                                    t.fill1("common-bundle-produced-by", "item", item_name(by))
                                )
                            })
                        })
                        .collect(),
                    bundle_href: format!("/bundles/{}", encode_query_value(&plan.code)),
                }),
            )
        }
    };
    ApplyPage {
        chrome: chrome.clone(),
        code: target.code().to_string(),
        code_path: encode_query_value(target.code()),
        item_name,
        visits,
        at_most_once,
        promised,
        run_mode,
        agent: is_agent(session),
        kinds,
        kind_label: kind_label(t, input.kind).to_string(),
        name: input.name.clone(),
        id_number: input.id_number.clone(),
        id_masked: onewindow_domain::access::mask(&input.id_number),
        phone: input.phone.clone(),
        centres,
        materials,
        optional_materials,
        bundle,
        idempotency_key: input.idempotency_key.clone(),
        general: Vec::new(),
        name_error: None,
        id_error: None,
        centre_error: None,
        reselect: false,
        project: None,
    }
}

#[derive(Debug, Deserialize, Default)]
struct ApplyQuery {
    /// The investment project to file under (`/apply/{item}?project=…`).
    project: Option<String>,
}

impl ApplyPage {
    /// Files the application under `project`: the materials its earlier results provide are
    /// not asked for.
    fn under_project(&mut self, project: super::projects::ProjectForApply) {
        self.materials
            .retain(|m| !project.reused.iter().any(|r| r.material_key == m.key));
        self.project = Some(project);
    }
}

/// The project of `/apply/{code}?project=…`: an item, or a bundle (the joint completion
/// acceptance).
async fn apply_project(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    target: &Target,
    code: Option<&str>,
) -> Result<Option<super::projects::ProjectForApply>, Response> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let target_code = match target {
        Target::Item(item) => item.item.code.clone(),
        Target::Bundle(view) => view.bundle.bundle.code.clone(),
    };
    super::projects::project_for_apply(service, ctx.chrome.t, session, code, &target_code)
        .await
        .map(Some)
        .map_err(|e| ctx.app_error(e))
}

impl ApplyPage {
    fn file_error(&mut self, key: &str, message: String) {
        match self.materials.iter_mut().find(|m| m.key == key) {
            Some(m) => {
                m.error.get_or_insert(message);
            }
            None => self.general.push(message),
        }
    }

    /// Puts each of the service's field errors next to its field.
    fn place(&mut self, errors: &[FieldError], upload_keys: &[String], input: &ApplyInput) {
        let t = self.chrome.t;
        // The service lists the materials in the order of the uploads, each once.
        let mut material_keys: Vec<&String> = Vec::new();
        for key in upload_keys {
            if !material_keys.contains(&key) {
                material_keys.push(key);
            }
        }
        for e in errors {
            let field = e.field.as_str();
            if field == "applicant.id_number" {
                let message = identity_problem(t, input.kind, &input.id_number)
                    .unwrap_or_else(|| t.get("applicant-error-id-invalid").to_string());
                self.id_error.get_or_insert(message);
            } else if field == "applicant.name" {
                self.name_error
                    .get_or_insert(t.get("applicant-error-required").to_string());
            } else if field == "centre" {
                self.centre_error
                    .get_or_insert(t.get("applicant-error-required").to_string());
            } else if let Some(key) = index_of(field, "files").and_then(|i| upload_keys.get(i)) {
                let message = file_reason(t, &e.reason);
                self.file_error(&key.clone(), message);
            } else if let Some(key) =
                index_of(field, "materials").and_then(|i| material_keys.get(i))
            {
                let message = t.get("applicant-error-file-unknown").to_string();
                self.file_error(&key.to_string(), message);
            } else if field == "files" && e.reason.starts_with("at most") {
                self.general
                    .push(t.get("applicant-error-too-many-files").to_string());
            } else {
                self.general
                    .push(t.fill1("applicant-error-other", "reason", &e.reason));
            }
        }
    }
}

async fn apply_form(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<ApplyQuery>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    if !is_agent(session) && session.actor.principal.identity.is_none() {
        return Ok(ctx.error(StatusCode::FORBIDDEN, "applicant-error-no-identity"));
    }
    let target = Target::find(&service, &code).await.or_page(&ctx)?;
    let project = apply_project(&service, &ctx, session, &target, q.project.as_deref()).await?;
    let departments = service.departments().await.unwrap_or_default();
    let mut input = ApplyInput::first(session);
    // An agent files for the project's owner: the owner is known.
    if let Some(p) = project.as_ref().filter(|_| is_agent(session)) {
        input.kind = ApplicantKind::Enterprise;
        input.name = p.owner_name.clone();
        input.id_number = p.owner_identity.clone();
    }
    let mut page = apply_page(&ctx.chrome, session, &target, &input, &departments);
    if let Some(p) = project {
        page.under_project(p);
    }
    Ok(render(&page))
}

async fn apply(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let posted = match multipart {
        Ok(m) => read_multipart(m).await,
        Err(_) => None,
    };
    let Some(posted) = posted else {
        return Ok(ctx.error(StatusCode::BAD_REQUEST, "applicant-error-upload-read"));
    };
    ctx.check_csrf(posted.field("csrf_token"))?;
    if !is_agent(session) && session.actor.principal.identity.is_none() {
        return Ok(ctx.error(StatusCode::FORBIDDEN, "applicant-error-no-identity"));
    }
    let target = Target::find(&service, &code).await.or_page(&ctx)?;
    let departments = service.departments().await.unwrap_or_default();
    let t = ctx.chrome.t;
    let input = ApplyInput::posted(session, &posted);
    let project = apply_project(
        &service,
        &ctx,
        session,
        &target,
        Some(posted.field("project_code")),
    )
    .await?;
    let mut page = apply_page(&ctx.chrome, session, &target, &input, &departments);
    page.reselect = true;
    let project_code = project.as_ref().map(|p| p.code.clone());
    let reused: Vec<String> = project
        .as_ref()
        .map(|p| p.reused.iter().map(|r| r.material_key.clone()).collect())
        .unwrap_or_default();
    if let Some(p) = project {
        page.under_project(p);
    }

    // What the page can tell at once, so that every problem shows in one answer; the service
    // checks all of it again.
    if input.name.is_empty() {
        page.name_error = Some(t.get("applicant-error-required").to_string());
    }
    if is_agent(session) {
        page.id_error = identity_problem(t, input.kind, &input.id_number);
    }
    if !CENTRES.contains(&input.centre.as_str()) {
        page.centre_error = Some(t.get("applicant-error-required").to_string());
    }
    if posted.files.len() > MAX_FILES {
        page.general
            .push(t.get("applicant-error-too-many-files").to_string());
    }
    for upload in &posted.files {
        match file_problem(t, upload) {
            Some(problem) => page.file_error(&upload.material_key, problem),
            None if !page.materials.iter().any(|m| m.key == upload.material_key) => page
                .general
                .push(t.get("applicant-error-file-unknown").to_string()),
            None => {}
        }
    }
    for key in target.demanded_keys() {
        if !reused.contains(&key) && !posted.files.iter().any(|u| u.material_key == key) {
            page.file_error(&key, t.get("applicant-error-file-missing").to_string());
        }
    }
    if page.has_errors() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }

    let upload_keys: Vec<String> = posted
        .files
        .iter()
        .map(|u| u.material_key.clone())
        .collect();
    let request = SubmitCase {
        item_code: target.code().to_string(),
        applicant: Applicant {
            kind: input.kind,
            name: input.name.clone(),
            id_number: input.id_number.clone(),
            phone: Some(input.phone.clone()).filter(|p| !p.is_empty()),
        },
        channel: if is_agent(session) {
            Channel::Agent
        } else {
            Channel::Online
        },
        centre: input.centre.clone(),
        materials: Vec::new(),
    };
    let submitted = match (&target, &project_code) {
        (_, Some(project_code)) => {
            service
                .submit_case_in_project_with_files(
                    &session.actor,
                    request,
                    project_code,
                    Some(input.idempotency_key.clone()),
                    posted.files,
                )
                .await
        }
        (_, None) => {
            service
                .submit_case_with_files(
                    &session.actor,
                    request,
                    Some(input.idempotency_key.clone()),
                    posted.files,
                )
                .await
        }
    };
    Ok(match submitted {
        Ok(submitted) => see_other(&format!(
            "/my/cases/{}?done=submitted",
            encode_query_value(&submitted.case.id)
        )),
        Err(AppError::Invalid(errors)) => {
            page.place(&errors, &upload_keys, &input);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(AppError::Forbidden(_)) => {
            page.general
                .push(t.get("applicant-error-not-yours").to_string());
            (StatusCode::FORBIDDEN, render(&page)).into_response()
        }
        Err(AppError::IdempotencyKeyReused) => {
            page.general
                .push(t.get("applicant-error-replayed").to_string());
            page.idempotency_key = new_form_key();
            (StatusCode::CONFLICT, render(&page)).into_response()
        }
        Err(e) => ctx.app_error(e),
    })
}

// ---- my cases -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct CaseRow {
    href: String,
    number: String,
    item_name: String,
    status: String,
    received: String,
    due: String,
    left: Option<Left>,
}

#[derive(Template)]
#[template(path = "applicant/cases.html")]
struct CasesPage {
    chrome: Chrome,
    rows: Vec<CaseRow>,
    next: Option<String>,
    paged: bool,
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    cursor: Option<String>,
}

async fn my_cases(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let cursor = q.cursor.filter(|c| !c.trim().is_empty());
    let paged = cursor.is_some();
    let page = match service
        .cases(
            &session.actor,
            CaseQuery {
                cursor,
                limit: Some(PAGE_SIZE),
                ..CaseQuery::default()
            },
        )
        .await
    {
        Ok(page) => page,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let t = ctx.chrome.t;
    let rows = page
        .items
        .iter()
        .map(|case| {
            let (due, left) = clock_of(&service, case);
            CaseRow {
                href: format!("/my/cases/{}", encode_query_value(&case.id)),
                number: case.number.clone(),
                item_name: case.item_name.clone(),
                status: t.get(status_key(case.status)).to_string(),
                received: t.date(&case.received_on),
                due: t.date_or_dash(&due),
                left: left
                    .map(|n| left_view(t, n, case.clock.as_ref().map_or(0, |c| c.total_limit()))),
            }
        })
        .collect();
    Ok(render(&CasesPage {
        chrome: ctx.chrome.clone(),
        rows,
        next: page
            .next_cursor
            .map(|c| format!("/my/cases?cursor={}", encode_query_value(&c))),
        paged,
    }))
}

// ---- one case -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Step {
    when: String,
    title: String,
    details: Vec<String>,
    by: String,
}

#[derive(Debug, Clone)]
struct FileLink {
    href: String,
    name: String,
    size: String,
}

#[derive(Debug, Clone)]
struct MaterialRow {
    name: String,
    demanded: bool,
    provided: bool,
    files: Vec<FileLink>,
    /// Taken from an earlier result of the case's investment project.
    reused: Option<String>,
}

#[derive(Debug, Clone)]
struct DecisionView {
    approved: bool,
    reason: String,
    date: String,
    by: String,
    document: Option<String>,
}

#[derive(Debug, Clone)]
struct Asked {
    name: String,
    still_missing: bool,
}

/// The open supplement notice and the form that answers it.
#[derive(Debug, Clone, Default)]
struct SupplementView {
    lead: String,
    during_review: bool,
    note: String,
    asked: Vec<Asked>,
    inputs: Vec<FileInput>,
    general: Vec<String>,
}

/// The delivery form, as drawn or as sent back.
#[derive(Debug, Clone, Default)]
struct DeliveryView {
    lead: String,
    pickup_hint: String,
    method: String,
    recipient: String,
    phone: String,
    address: String,
    general: Vec<String>,
    method_error: Option<String>,
    recipient_error: Option<String>,
    phone_error: Option<String>,
    address_error: Option<String>,
}

#[derive(Template)]
#[template(path = "applicant/case.html")]
struct CasePage {
    chrome: Chrome,
    /// A joint case: each department decides its own part (see `tasks`).
    joint: bool,
    /// A joint case's department tasks: who decided what and why, and the licence numbers.
    tasks: Vec<case_view::TaskRowView>,
    notice: Option<String>,
    action_base: String,
    number: String,
    item_name: String,
    status: String,
    applicant: String,
    centre: String,
    received: String,
    accepted: Option<String>,
    due: String,
    left: Option<Left>,
    visits: String,
    at_most_once: bool,
    steps: Vec<Step>,
    materials: Vec<MaterialRow>,
    decision: Option<DecisionView>,
    rejection: Option<String>,
    supplement: Option<SupplementView>,
    delivery_form: Option<DeliveryView>,
    delivered: Option<String>,
    version: u64,
    /// The investment project the case is filed under: its code and page.
    project: Option<(String, String)>,
}

#[derive(Debug, Deserialize, Default)]
struct CaseQueryParams {
    done: Option<String>,
}

/// Material names by key, from the item the case was filed for.
async fn material_names(service: &Service, case: &Case) -> BTreeMap<String, String> {
    // A joint case has the bundle's one form of materials.
    if let Some(circulation) = &case.circulation {
        return circulation
            .materials
            .iter()
            .map(|m| (m.key.clone(), m.name.clone()))
            .collect();
    }
    service
        .item(&case.item_code)
        .await
        .map(|item| {
            item.item
                .materials
                .into_iter()
                .map(|m| (m.key, m.name))
                .collect()
        })
        .unwrap_or_default()
}

fn name_of(names: &BTreeMap<String, String>, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| key.to_string())
}

fn names_of(t: &Messages, names: &BTreeMap<String, String>, keys: &[String]) -> String {
    join_list(t, keys.iter().map(|k| name_of(names, k)))
}

fn delivery_text(t: &Messages, method: &DeliveryMethod, centre: &str) -> String {
    match method {
        DeliveryMethod::Pickup => t.fill1(
            "applicant-delivery-pickup-at",
            "centre",
            centre_label(t, centre),
        ),
        DeliveryMethod::Express {
            address,
            tracking_number,
        } => {
            let text = t.fill1("applicant-delivery-express-to", "address", address);
            match tracking_number {
                Some(n) => t.fill(
                    "applicant-delivery-express-tracked",
                    &[("delivery", &text), ("number", n)],
                ),
                None => text,
            }
        }
        DeliveryMethod::Online => t.get("applicant-delivery-online").to_string(),
    }
}

fn step_of(
    t: &Messages,
    names: &BTreeMap<String, String>,
    case: &Case,
    event: &CaseEvent,
) -> (String, Vec<String>) {
    let get = |k: &str| t.get(k).to_string();
    match event {
        CaseEvent::Submitted { materials } => (
            get("applicant-event-submitted"),
            (!materials.is_empty())
                .then(|| {
                    t.fill1(
                        "applicant-detail-materials",
                        "list",
                        names_of(t, names, materials),
                    )
                })
                .into_iter()
                .collect(),
        ),
        CaseEvent::PreReviewStarted => (get("applicant-event-pre_review_started"), vec![]),
        CaseEvent::SupplementRequested { missing, note } => {
            let mut details = vec![t.fill1(
                "applicant-detail-missing",
                "list",
                names_of(t, names, missing),
            )];
            if !note.trim().is_empty() {
                details.push(t.fill1("applicant-detail-note", "note", note));
            }
            (get("applicant-event-supplement_requested"), details)
        }
        CaseEvent::SupplementProvided { materials } => (
            get("applicant-event-supplement_provided"),
            vec![t.fill1(
                "applicant-detail-materials",
                "list",
                names_of(t, names, materials),
            )],
        ),
        CaseEvent::Accepted { deemed, due_on, .. } => (
            get(if *deemed {
                "applicant-event-deemed-accepted"
            } else {
                "applicant-event-accepted"
            }),
            due_on
                .map(|d| t.fill1("applicant-detail-due", "date", t.date(&d)))
                .into_iter()
                .collect(),
        ),
        CaseEvent::DeadlineRecomputed {
            notice_year,
            previous,
            due_on,
            ..
        } => (
            get("applicant-event-deadline_recomputed"),
            vec![t.fill(
                "applicant-detail-deadline-moved",
                &[
                    ("year", &notice_year.to_string()),
                    ("before", &t.date_or_dash(previous)),
                    ("after", &t.date_or_dash(due_on)),
                ],
            )],
        ),
        CaseEvent::Rejected { reason } => (
            get("applicant-event-rejected"),
            vec![t.fill1("applicant-detail-reason", "reason", reason)],
        ),
        CaseEvent::ReviewStarted => (get("applicant-event-review_started"), vec![]),
        CaseEvent::Suspended { kind, reason } => {
            let mut details = vec![t.fill1(
                "applicant-detail-suspension",
                "kind",
                t.get(suspension_key(*kind)),
            )];
            if !reason.trim().is_empty() {
                details.push(t.fill1("applicant-detail-reason", "reason", reason));
            }
            (get("applicant-event-suspended"), details)
        }
        CaseEvent::Resumed => (get("applicant-event-resumed"), vec![]),
        CaseEvent::Extended {
            working_days,
            reason,
        } => (
            get("applicant-event-extended"),
            vec![
                t.fill1("applicant-detail-extended", "n", working_days.to_string()),
                t.fill1("applicant-detail-reason", "reason", reason),
            ],
        ),
        CaseEvent::Decided { approved, reason } => (
            get(if *approved {
                "applicant-event-approved"
            } else {
                "applicant-event-denied"
            }),
            (!reason.trim().is_empty())
                .then(|| t.fill1("applicant-detail-reason", "reason", reason))
                .into_iter()
                .collect(),
        ),
        CaseEvent::ResultIssued { document_number } => (
            get("applicant-event-result_issued"),
            vec![t.fill1("applicant-detail-document", "number", document_number)],
        ),
        CaseEvent::Delivered { method } => (
            get("applicant-event-delivered"),
            vec![delivery_text(t, method, &case.centre)],
        ),
        CaseEvent::Closed => (get("applicant-event-closed"), vec![]),
        CaseEvent::VisitRecorded {
            purpose,
            extra_visit_reason,
        } => {
            let mut details = vec![purpose.clone()];
            if let Some(reason) = extra_visit_reason {
                details.push(t.fill1("applicant-detail-extra-visit", "reason", reason));
            }
            (get("applicant-event-visit_recorded"), details)
        }
        CaseEvent::Task { task, event } => {
            let department = case
                .circulation
                .as_ref()
                .and_then(|c| c.task(task))
                .map_or_else(|| task.clone(), |t| t.spec.item_name.clone());
            match event {
                TaskEvent::Decided { approved, reason } => {
                    let mut details = vec![department];
                    if !reason.trim().is_empty() {
                        details.push(t.fill1("applicant-detail-reason", "reason", reason));
                    }
                    (
                        get(if *approved {
                            "applicant-event-task-approved"
                        } else {
                            "applicant-event-task-denied"
                        }),
                        details,
                    )
                }
                TaskEvent::SupplementRequested { missing, note } => (
                    get("applicant-event-supplement_requested"),
                    vec![
                        department,
                        t.fill1(
                            "applicant-detail-missing",
                            "list",
                            names_of(t, names, missing),
                        ),
                        t.fill1("applicant-detail-note", "note", note),
                    ],
                ),
                _ => (get("applicant-event-task-progress"), vec![department]),
            }
        }
    }
}

/// True while the case waits for the applicant's supplement: the one-time notice before
/// acceptance, or a department's request that stopped the clock.
fn waits_for_supplement(detail: &CaseDetail) -> bool {
    let case = &detail.case;
    let open = match case.status {
        Status::SupplementRequested => true,
        Status::Suspended => case
            .clock
            .as_ref()
            .and_then(|c| c.suspensions.last())
            .is_some_and(|s| s.until.is_none() && s.kind == SuspensionKind::Supplement),
        _ => false,
    };
    open && detail.allowed_actions.contains(&Action::ProvideSupplement)
}

fn size_text(t: &Messages, size: u64) -> String {
    t.fill1(
        "applicant-file-size-kb",
        "n",
        size.div_ceil(1024).to_string(),
    )
}

fn case_page(
    chrome: &Chrome,
    detail: &CaseDetail,
    files: &[CaseFile],
    names: &BTreeMap<String, String>,
) -> CasePage {
    let t = chrome.t;
    let case = &detail.case;
    let (due_on, left) = (detail.due_on, detail.working_days_left);
    let due = match (due_on, case.status) {
        (Some(d), _) => match super::case_view::provisional_note(t, detail.provisional_year) {
            Some(note) => format!("{}（{note}）", t.date(&d)),
            None => t.date(&d),
        },
        (None, s) if s.is_before_acceptance() => t.get("applicant-case-due-before").to_string(),
        (None, Status::Suspended) => t.get("applicant-case-due-stopped").to_string(),
        (None, _) if case.accepted_on.is_some() => t.get("applicant-case-due-done").to_string(),
        (None, _) => "—".to_string(),
    };
    let steps = detail
        .history
        .iter()
        .map(|stored| {
            let (title, details) = step_of(t, names, case, &stored.event);
            Step {
                when: t.time(&stored.at),
                title,
                details,
                by: t.fill1("applicant-event-by", "actor", &stored.actor),
            }
        })
        .collect();

    // Every material the case asks for, then any other a file or the record names.
    let mut keys: Vec<String> = case.required_materials.clone();
    for key in case
        .provided_materials
        .iter()
        .chain(files.iter().map(|f| &f.material_key))
    {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    let materials = keys
        .iter()
        .map(|key| MaterialRow {
            name: name_of(names, key),
            demanded: case.required_materials.contains(key),
            provided: case.provided_materials.contains(key),
            files: files
                .iter()
                .filter(|f| &f.material_key == key)
                .map(|f| FileLink {
                    href: format!("/my/files/{}", encode_query_value(&f.id)),
                    name: f.file_name.clone(),
                    size: size_text(t, f.size),
                })
                .collect(),
            reused: case
                .reused_materials
                .iter()
                .find(|r| &r.key == key)
                .map(|r| {
                    t.fill(
                        "projects-reused-short",
                        &[("item", &r.issued_by), ("document", &r.document)],
                    )
                }),
        })
        .collect();

    let supplement = waits_for_supplement(detail).then(|| {
        let missing = case.missing_materials();
        let notice = case.supplement_notices.last();
        SupplementView {
            lead: notice.map_or_else(String::new, |n| {
                t.fill1("applicant-supplement-lead", "date", t.date(&n.issued_on))
            }),
            during_review: case.status == Status::Suspended,
            note: notice.map_or_else(String::new, |n| n.note.clone()),
            asked: notice
                .map(|n| n.missing.clone())
                .unwrap_or_else(|| missing.clone())
                .iter()
                .map(|k| Asked {
                    name: name_of(names, k),
                    still_missing: missing.contains(k),
                })
                .collect(),
            inputs: missing
                .iter()
                .map(|k| FileInput {
                    key: k.clone(),
                    name: name_of(names, k),
                    required: false,
                    sample: None,
                    error: None,
                })
                .collect(),
            general: Vec::new(),
        }
    });

    let delivery_form = (case.status == Status::ResultIssued
        && detail.allowed_actions.contains(&Action::Deliver))
    .then(|| DeliveryView {
        lead: t.fill1(
            "applicant-delivery-lead",
            "document",
            case.result_document.as_deref().unwrap_or("—"),
        ),
        pickup_hint: t.fill1(
            "applicant-delivery-pickup-hint",
            "centre",
            centre_label(t, &case.centre),
        ),
        recipient: case.applicant.name.clone(),
        ..DeliveryView::default()
    });

    let decision = case.decision.as_ref().map(|d| DecisionView {
        approved: d.approved,
        reason: d.reason.clone(),
        date: t.date(&d.decided_on),
        by: d.decided_by.clone(),
        document: case.result_document.clone(),
    });

    CasePage {
        chrome: chrome.clone(),
        notice: None,
        action_base: format!("/my/cases/{}", encode_query_value(&case.id)),
        number: case.number.clone(),
        item_name: case.item_name.clone(),
        status: t.get(status_key(case.status)).to_string(),
        applicant: t.fill(
            "applicant-case-applicant-line",
            &[
                ("name", &case.applicant.name),
                ("kind", kind_label(t, case.applicant.kind)),
                ("id", &case.applicant.id_number),
            ],
        ),
        centre: centre_label(t, &case.centre),
        received: t.time(&case.received_at),
        accepted: case.accepted_on.map(|d| t.date(&d)),
        due,
        left: left.map(|n| left_view(t, n, case.clock.as_ref().map_or(0, |c| c.total_limit()))),
        visits: t.fill1("applicant-visits-n", "n", detail.visit_count.to_string()),
        at_most_once: detail.at_most_once,
        steps,
        materials,
        decision,
        rejection: case.rejection_reason.clone(),
        supplement,
        delivery_form,
        delivered: case
            .delivery
            .as_ref()
            .map(|m| delivery_text(t, m, &case.centre)),
        version: case.version,
        joint: case.circulation.is_some(),
        tasks: Vec::new(),
        project: case
            .project_code
            .as_ref()
            .map(|c| (c.clone(), format!("/projects/{}", encode_query_value(c)))),
    }
}

impl CasePage {
    fn accept(&self) -> &'static str {
        ACCEPT
    }
}

/// Loads everything the case page shows, or the page's refusal.
async fn load_case_page(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    case_ref: &str,
) -> Result<CasePage, Response> {
    let detail = service
        .case(&session.actor, case_ref)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let files = service
        .case_files(&session.actor, &detail.case.id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let names = material_names(service, &detail.case).await;
    let mut page = case_page(&ctx.chrome, &detail, &files, &names);
    if detail.case.circulation.is_some() {
        let departments = service.departments().await.unwrap_or_default();
        page.tasks = case_view::task_rows(
            ctx.chrome.t,
            &detail.case,
            &departments,
            service,
            &[],
            |_| None,
        );
    }
    Ok(page)
}

async fn my_case(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<CaseQueryParams>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let mut page = load_case_page(&service, &ctx, session, &id).await?;
    let t = ctx.chrome.t;
    page.notice = match q.done.as_deref() {
        Some("submitted") => Some(t.fill1("applicant-notice-submitted", "number", &page.number)),
        Some("supplemented") => Some(t.get("applicant-notice-supplemented").to_string()),
        Some("delivery") => Some(t.get("applicant-notice-delivery").to_string()),
        _ => None,
    };
    Ok(render(&page))
}

/// The general message of a command the service refused for the case's state or version.
fn command_refusal(t: &Messages, e: &AppError) -> Option<(StatusCode, String)> {
    match e {
        AppError::VersionConflict { .. } => Some((
            StatusCode::CONFLICT,
            t.get("applicant-error-conflict").to_string(),
        )),
        AppError::NotAllowed { .. } => Some((
            StatusCode::CONFLICT,
            t.get("applicant-error-not-allowed").to_string(),
        )),
        _ => None,
    }
}

async fn supplement(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let posted = match multipart {
        Ok(m) => read_multipart(m).await,
        Err(_) => None,
    };
    let Some(posted) = posted else {
        return Ok(ctx.error(StatusCode::BAD_REQUEST, "applicant-error-upload-read"));
    };
    ctx.check_csrf(posted.field("csrf_token"))?;
    let mut page = load_case_page(&service, &ctx, session, &id).await?;
    let t = ctx.chrome.t;
    let Some(form) = page.supplement.as_mut() else {
        page.notice = None;
        return Ok((StatusCode::CONFLICT, render(&page)).into_response());
    };
    // Only what the notice still misses may be handed in here.
    if posted.files.is_empty() {
        form.general
            .push(t.get("applicant-error-choose-file").to_string());
    }
    for upload in &posted.files {
        let asked = form.inputs.iter().any(|i| i.key == upload.material_key);
        if !asked {
            let message = t.get("applicant-error-not-missing").to_string();
            if !form.general.contains(&message) {
                form.general.push(message);
            }
        } else if let Some(problem) = file_problem(t, upload)
            && let Some(input) = form
                .inputs
                .iter_mut()
                .find(|i| i.key == upload.material_key)
        {
            input.error.get_or_insert(problem);
        }
    }
    if !form.general.is_empty() || form.inputs.iter().any(|i| i.error.is_some()) {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let version = posted.field("version").trim().parse().unwrap_or(0);
    let keys: Vec<String> = posted
        .files
        .iter()
        .map(|u| u.material_key.clone())
        .collect();
    Ok(
        match service
            .supplement_with_files(&session.actor, &id, version, posted.files)
            .await
        {
            Ok(case) => see_other(&format!(
                "/my/cases/{}?done=supplemented",
                encode_query_value(&case.id)
            )),
            Err(AppError::Invalid(errors)) => {
                for e in &errors {
                    let at = index_of(&e.field, "files").and_then(|i| keys.get(i));
                    match at.and_then(|k| form.inputs.iter_mut().find(|i| &i.key == k)) {
                        Some(input) => {
                            input.error.get_or_insert(file_reason(t, &e.reason));
                        }
                        None => {
                            form.general
                                .push(t.fill1("applicant-error-other", "reason", &e.reason))
                        }
                    }
                }
                (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
            }
            Err(e) => match command_refusal(t, &e) {
                Some((status, message)) => {
                    form.general.push(message);
                    (status, render(&page)).into_response()
                }
                None => ctx.app_error(e),
            },
        },
    )
}

#[derive(Debug, Deserialize, Default)]
struct DeliveryForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
}

async fn delivery(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<DeliveryForm>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    ctx.check_csrf(&form.csrf_token)?;
    let mut page = load_case_page(&service, &ctx, session, &id).await?;
    let t = ctx.chrome.t;
    let Some(view) = page.delivery_form.as_mut() else {
        return Ok((StatusCode::CONFLICT, render(&page)).into_response());
    };
    let (recipient, phone, address) = (
        form.recipient.trim(),
        form.phone.trim(),
        form.address.trim(),
    );
    view.method = form.method.clone();
    view.recipient = recipient.to_string();
    view.phone = phone.to_string();
    view.address = address.to_string();
    let required = || Some(t.get("applicant-error-required").to_string());
    let method = match form.method.as_str() {
        "pickup" => Some(DeliveryMethod::Pickup),
        "online" => Some(DeliveryMethod::Online),
        "express" => {
            if recipient.is_empty() {
                view.recipient_error = required();
            }
            if phone.is_empty() {
                view.phone_error = required();
            }
            if address.is_empty() {
                view.address_error = required();
            }
            Some(DeliveryMethod::Express {
                address: format!("{recipient} {phone} {address}"),
                tracking_number: None,
            })
        }
        _ => {
            view.method_error = required();
            None
        }
    };
    let Some(method) = method.filter(|_| {
        view.recipient_error.is_none() && view.phone_error.is_none() && view.address_error.is_none()
    }) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let version = form.version.trim().parse().unwrap_or(0);
    Ok(
        match service
            .execute(
                &session.actor,
                &id,
                version,
                CaseCommand::Deliver { method },
            )
            .await
        {
            Ok(case) => see_other(&format!(
                "/my/cases/{}?done=delivery",
                encode_query_value(&case.id)
            )),
            Err(AppError::Invalid(errors)) => {
                for e in &errors {
                    if e.field == "delivery.address" {
                        view.address_error = required();
                    } else {
                        view.general
                            .push(t.fill1("applicant-error-other", "reason", &e.reason));
                    }
                }
                (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
            }
            Err(e) => match command_refusal(t, &e) {
                Some((status, message)) => {
                    view.general.push(message);
                    (status, render(&page)).into_response()
                }
                None => ctx.app_error(e),
            },
        },
    )
}

// ---- files --------------------------------------------------------------------------------------

/// A file name for `filename*=UTF-8''…` (RFC 5987/8187): every byte outside `attr-char` encoded.
fn rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One uploaded file, for whoever may read its case (the service decides; others get 404).
async fn open_file(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(file_id): Path<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    Ok(
        match service.open_case_file(&session.actor, &file_id).await {
            Ok((file, bytes)) => (
                [
                    (header::CONTENT_TYPE, file.content_type.clone()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename*=UTF-8''{}", rfc5987(&file.file_name)),
                    ),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => ctx.app_error(e),
        },
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use chrono::NaiveDate;
    use object_store::{ObjectStore, ObjectStoreExt};
    use onewindow_app::accounts::{Actor, NewUser};
    use onewindow_app::catalogue_io::CatalogueDocument;
    use onewindow_app::{ManualClock, Service};
    use onewindow_domain::access::{Post, Role};
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::case::{CaseCommand, DeliveryMethod, Status};
    use onewindow_domain::catalogue::{
        Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory,
        MaterialForm, MaterialSource, RunMode,
    };
    use onewindow_store::Store;
    use tower::ServiceExt;

    use super::*;
    use crate::i18n::Lang;

    const PASSWORD: &str = "Tr0ub4dor&3-staple";
    const CITIZEN_ID: &str = "11010519491231002X";
    const OTHER_ID: &str = "110101199003074477";
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
    const BOUNDARY: &str = "----onewindow-test-7MA4YWxkTrZu0gW";

    struct TempDir(std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    struct World {
        app: Router,
        service: Service,
        /// Each account's session: the cookie's token and the CSRF token.
        sessions: HashMap<&'static str, (String, String)>,
        _dir: TempDir,
    }

    fn material(key: &str, name: &str, required: bool) -> Material {
        Material {
            key: key.into(),
            name: name.into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            category: MaterialCategory::Ordinary,
            required,
            sample: None,
            cancelled: None,
        }
    }

    fn catalogue() -> CatalogueDocument {
        CatalogueDocument {
            departments: vec![Department {
                code: "SCJG".into(),
                name: "市场监督管理局".into(),
                name_en: "Market Supervision".into(),
            }],
            items: vec![Item {
                code: "SCJG-001".into(),
                name: "食品经营许可".into(),
                kind: ItemKind::Licence,
                department: "SCJG".into(),
                legal_basis: "《中华人民共和国食品安全法》".into(),
                statutory_days: 20,
                promised_days: 5,
                visits_required: 1,
                run_mode: RunMode::OnlinePrereview,
                levels: vec![Level::County, Level::Township],
                hall: HallStatus {
                    allowed: true,
                    in_hall: true,
                    authorised: true,
                },
                materials: vec![
                    material("M01", "食品经营许可申请书", true),
                    material("M02", "经营场所平面图", true),
                    material("M03", "健康证明", false),
                ],
                intermediary_services: vec![],
                fee: Fee::default(),
                result_licence_type: Some("食品经营许可证".into()),
            }],
        }
    }

    /// A fresh SQLite store in a temp dir with a file store, the item, and these accounts,
    /// each logged in; the clock stands at Monday 2 November 2026, 09:00 China time.
    async fn world() -> World {
        let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
        let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("files");
        world_with(dir, files).await
    }

    /// The same world with its uploads in the given file store.
    async fn world_with(dir: std::path::PathBuf, files: Arc<dyn ObjectStore>) -> World {
        let service = service_on(&dir, files).await;
        let operator = Actor::command_line("test");
        service
            .import_catalogue(&operator, catalogue())
            .await
            .expect("catalogue imports");
        let accounts: [(&'static str, &str, Option<&str>, Post); 6] = [
            (
                "citizen",
                "林晓梅",
                Some(CITIZEN_ID),
                Post::new(Role::Applicant),
            ),
            ("other", "卫东", Some(OTHER_ID), Post::new(Role::Applicant)),
            ("agent", "周代办", None, Post::new(Role::Agent)),
            (
                "clerk",
                "张三",
                None,
                Post::new(Role::Clerk).at_centre("county-hall"),
            ),
            (
                "approver",
                "赵审批",
                None,
                Post::new(Role::Approver).in_department("SCJG"),
            ),
            ("admin", "孙管理", None, Post::new(Role::Administrator)),
        ];
        let mut sessions = HashMap::new();
        for (username, display_name, identity, post) in accounts {
            service
                .create_user(
                    &operator,
                    NewUser {
                        username: username.into(),
                        display_name: display_name.into(),
                        password: PASSWORD.into(),
                        identity: identity.map(str::to_string),
                        phone: None,
                        posts: vec![post],
                        may_reveal_personal_data: false,
                    },
                )
                .await
                .expect("account");
            let grant = service
                .login(username, PASSWORD, "test")
                .await
                .expect("login");
            sessions.insert(username, (grant.token, grant.csrf_token));
        }
        World {
            app: crate::app(service.clone()),
            service,
            sessions,
            _dir: TempDir(dir),
        }
    }

    /// A service on the world's SQLite store in `dir`: a second one is another node.
    async fn service_on(dir: &std::path::Path, files: Arc<dyn ObjectStore>) -> Service {
        let url = onewindow_store::data_dir_url(dir).expect("temp dir");
        let store = Store::open(&url).await.expect("store opens");
        let clock = Arc::new(ManualClock::at_local_morning(
            NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
        ));
        Service::new(store, Calendar::prc(), clock, "330226").with_file_store(files)
    }

    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
    }

    impl Answer {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.body).into_owned()
        }

        fn location(&self) -> &str {
            self.headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        }
    }

    /// A multipart body as a browser builds it: text fields, then files.
    fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    impl World {
        fn cookie(&self, who: &str, lang: Lang) -> String {
            let token = self.sessions.get(who).map_or("", |s| s.0.as_str());
            format!("ow_session={token}; ow_lang={}", lang.tag())
        }

        fn csrf(&self, who: &str) -> String {
            self.sessions
                .get(who)
                .map(|s| s.1.clone())
                .unwrap_or_default()
        }

        async fn actor(&self, who: &str) -> Actor {
            let token = self.sessions.get(who).map_or("", |s| s.0.as_str());
            self.service
                .authenticate(token, "test")
                .await
                .expect("session")
                .actor
        }

        async fn send(&self, request: Request<Body>) -> Answer {
            let response = self.app.clone().oneshot(request).await.expect("answer");
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body")
                .to_vec();
            Answer {
                status,
                headers,
                body,
            }
        }

        async fn get_as(&self, who: &str, path: &str) -> Answer {
            self.send(
                Request::get(path)
                    .header(header::COOKIE, self.cookie(who, Lang::ZhCn))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
        }

        async fn post_multipart(&self, who: &str, lang: Lang, path: &str, body: Vec<u8>) -> Answer {
            self.send(
                Request::post(path)
                    .header(header::COOKIE, self.cookie(who, lang))
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
        }

        async fn post_form(&self, who: &str, path: &str, pairs: &[(&str, &str)]) -> Answer {
            let body = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect::<Vec<_>>()
                .join("&");
            self.send(
                Request::post(path)
                    .header(header::COOKIE, self.cookie(who, Lang::ZhCn))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
        }

        /// Applies for SCJG-001 as `who` with these files; the answer of the POST.
        async fn apply_with(
            &self,
            who: &str,
            lang: Lang,
            key: &str,
            files: &[(&str, &str, &[u8])],
        ) -> Answer {
            let csrf = self.csrf(who);
            let body = multipart(
                &[
                    ("csrf_token", &csrf),
                    ("idempotency_key", key),
                    ("name", "林晓梅"),
                    ("phone", "13805740000"),
                    ("centre", "county-hall"),
                ],
                files,
            );
            self.post_multipart(who, lang, "/apply/SCJG-001", body)
                .await
        }

        /// A case filed by the citizen through the page, with both required materials.
        async fn filed_case(&self) -> String {
            let answer = self
                .apply_with(
                    "citizen",
                    Lang::ZhCn,
                    "0123456789abcdef0123",
                    &[
                        ("file_M01", "申请书.pdf", PDF),
                        ("file_M02", "平面图.png", PNG),
                    ],
                )
                .await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
            let location = answer.location().to_string();
            let id = location
                .strip_prefix("/my/cases/")
                .and_then(|rest| rest.split('?').next())
                .expect("to the case page");
            id.to_string()
        }

        async fn run(&self, who: &str, case: &str, command: CaseCommand) {
            let actor = self.actor(who).await;
            let version = self
                .service
                .case(&actor, case)
                .await
                .expect("case")
                .case
                .version;
            self.service
                .execute(&actor, case, version, command)
                .await
                .unwrap_or_else(|e| panic!("{who} runs a command: {e}"));
        }
    }

    /// The first link to an uploaded file in a page.
    fn first_file_link(html: &str) -> Option<String> {
        let at = html.find("href=\"/my/files/")? + "href=\"".len();
        let rest = &html[at..];
        Some(rest[..rest.find('"')?].to_string())
    }

    #[tokio::test]
    async fn applying_with_uploads_files_a_case_whose_files_only_its_applicant_reads() {
        let w = world().await;
        let form = w.get_as("citizen", "/apply/SCJG-001").await;
        assert_eq!(form.status, StatusCode::OK);
        let html = form.text();
        assert!(html.contains("食品经营许可"), "the item's name");
        assert!(html.contains("name=\"file_M01\"") && html.contains("name=\"file_M02\""));
        assert!(
            !html.contains("name=\"file_M03\""),
            "optional: listed, not asked for"
        );
        assert!(html.contains("健康证明"));
        assert!(html.contains("value=\"林晓梅\""), "name from the account");
        assert!(html.contains("1101**********002X"), "identity masked");
        assert!(!html.contains(CITIZEN_ID), "never in full");
        assert!(html.len() < 200 * 1024);

        let id = w.filed_case().await;
        let page = w
            .get_as("citizen", &format!("/my/cases/{id}?done=submitted"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("申请已提交"), "a confirmation");
        assert!(html.contains("申请书.pdf") && html.contains("平面图.png"));
        assert!(html.contains("已收件"), "status and the first step");

        // The same form sent twice files once.
        let again = w
            .apply_with(
                "citizen",
                Lang::ZhCn,
                "0123456789abcdef0123",
                &[
                    ("file_M01", "申请书.pdf", PDF),
                    ("file_M02", "平面图.png", PNG),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert!(again.location().starts_with(&format!("/my/cases/{id}")));
        let list = w.get_as("citizen", "/my/cases").await;
        assert_eq!(list.status, StatusCode::OK);
        let rows = list.text().matches("<td><a href=\"/my/cases/").count();
        assert_eq!(rows, 1, "one case");

        let link = first_file_link(&html).expect("a link to the file");
        let file = w.get_as("citizen", &link).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.body, PDF);
        assert_eq!(file.headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(
            file.headers[header::CONTENT_DISPOSITION],
            "inline; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf"
        );
        assert_eq!(file.headers[header::CACHE_CONTROL], "private, no-store");

        // Another applicant learns nothing: not the case, not the file.
        assert_eq!(w.get_as("other", &link).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            w.get_as("other", &format!("/my/cases/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(!w.get_as("other", "/my/cases").await.text().contains(&id));
    }

    /// The upload and the reading of a file on a given file store, by the node that took it and
    /// by another; a file whose object is gone is a plain 404.
    async fn uploads_are_read_back_by_every_node(w: World, files: Arc<dyn ObjectStore>) {
        let id = w.filed_case().await;
        let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
        let link = first_file_link(&html).expect("a link to the file");
        let file = w.get_as("citizen", &link).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.body, PDF);

        // Another node: its own service and file store client on the same database and files.
        let other_node = World {
            app: crate::app(service_on(&w._dir.0, files.clone()).await),
            service: w.service.clone(),
            sessions: w.sessions.clone(),
            _dir: TempDir(w._dir.0.join("unused")),
        };
        let file = other_node.get_as("citizen", &link).await;
        assert_eq!(file.status, StatusCode::OK, "{}", file.text());
        assert_eq!(file.body, PDF);

        let actor = w.actor("citizen").await;
        let stored = w.service.case_files(&actor, &id).await.expect("files");
        let pdf = stored
            .iter()
            .find(|f| f.material_key == "M01")
            .expect("the PDF's row");
        let key = object_store::path::Path::from(pdf.storage_key.as_str());
        assert_eq!(
            files
                .get(&key)
                .await
                .expect("object")
                .bytes()
                .await
                .expect("bytes"),
            PDF,
            "the object is where the row says"
        );
        files
            .delete(&key)
            .await
            .expect("removed behind the service's back");
        let gone = w.get_as("citizen", &link).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text());
        drop(other_node);
    }

    #[tokio::test]
    async fn uploads_on_the_local_disk_are_read_back_by_every_node() {
        let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
        let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("files");
        let w = world_with(dir, files.clone()).await;
        uploads_are_read_back_by_every_node(w, files).await;
    }

    #[tokio::test]
    async fn uploads_on_s3_are_read_back_by_every_node() {
        let test = "uploads_on_s3_are_read_back_by_every_node";
        let Some(config) = onewindow_app::s3::testing::fresh_bucket(test).await else {
            return;
        };
        let files = onewindow_app::s3::open(&config)
            .await
            .expect("bucket opens");
        let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
        let w = world_with(dir, files).await;
        // The test's own client of the bucket, as a second node would open it.
        let second = onewindow_app::s3::open(&config)
            .await
            .expect("bucket opens again");
        uploads_are_read_back_by_every_node(w, second).await;
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_pdf_is_refused_next_to_its_field_in_chinese() {
        let w = world().await;
        let answer = w
            .apply_with(
                "citizen",
                Lang::ZhCn,
                "fedcba9876543210fedc",
                &[
                    (
                        "file_M01",
                        "scan.pdf",
                        b"MZ\x90\x00 a program named scan.pdf",
                    ),
                    ("file_M02", "plan.png", PNG),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = answer.text();
        let at = html
            .find("id=\"file_M01-error\"")
            .expect("an error next to the field");
        assert!(html[at..].starts_with(
            "id=\"file_M01-error\">只接受 PDF、JPG 或 PNG 文件（按文件内容识别，仅修改扩展名无效）。"
        ));
        assert!(
            html.contains(
                "aria-describedby=\"file_M01-hint file_M01-error\" aria-invalid=\"true\""
            )
        );
        assert!(!html.contains("id=\"file_M02-error\""));
        assert!(html.contains("value=\"林晓梅\""), "what was typed stays");
        let mine = w
            .service
            .cases(&w.actor("citizen").await, CaseQuery::default())
            .await
            .expect("list");
        assert!(mine.items.is_empty(), "nothing filed");

        // A required material left out is named too, and in English for an English reader.
        let answer = w
            .apply_with(
                "citizen",
                Lang::En,
                "fedcba9876543210fedc",
                &[("file_M01", "form.pdf", PDF)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            answer
                .text()
                .contains("id=\"file_M02-error\">Upload this required material.")
        );
    }

    #[tokio::test]
    async fn an_agent_files_for_someone_else_and_a_wrong_identity_names_its_character() {
        let w = world().await;
        let csrf = w.csrf("agent");
        let body = |id: &str| {
            multipart(
                &[
                    ("csrf_token", &csrf),
                    ("idempotency_key", "aaaabbbbccccdddd0001"),
                    ("kind", "person"),
                    ("name", "王芳"),
                    ("id_number", id),
                    ("centre", "township-yuelong"),
                ],
                &[("file_M01", "a.pdf", PDF), ("file_M02", "b.pdf", PDF)],
            )
        };
        let wrong = w
            .post_multipart(
                "agent",
                Lang::ZhCn,
                "/apply/SCJG-001",
                body("110105194912310021"),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong
                .text()
                .contains("id=\"id_number-error\">证件号码第 18 位有误，请核对。")
        );
        let right = w
            .post_multipart("agent", Lang::ZhCn, "/apply/SCJG-001", body(CITIZEN_ID))
            .await;
        assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text());
        // The citizen sees the case filed in her name.
        assert!(
            w.get_as("citizen", "/my/cases")
                .await
                .text()
                .contains("食品经营许可")
        );
    }

    #[tokio::test]
    async fn forms_without_the_csrf_token_and_strangers_are_refused() {
        let w = world().await;
        let body = multipart(
            &[("idempotency_key", "0000111122223333"), ("name", "林晓梅")],
            &[("file_M01", "a.pdf", PDF), ("file_M02", "b.pdf", PDF)],
        );
        let answer = w
            .post_multipart("citizen", Lang::ZhCn, "/apply/SCJG-001", body)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.text().contains("页面已过期"));
        let mine = w
            .service
            .cases(&w.actor("citizen").await, CaseQuery::default())
            .await
            .expect("list");
        assert!(mine.items.is_empty(), "nothing filed");

        // Not logged in: to the login page, and back here after it.
        let anonymous = w
            .send(
                Request::get("/apply/SCJG-001")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert!(anonymous.status.is_redirection());
        assert_eq!(anonymous.location(), "/login?next=/apply/SCJG-001");
        // Staff apply at their own window, not here.
        assert_eq!(
            w.get_as("clerk", "/apply/SCJG-001").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            w.get_as("citizen", "/apply/NO-SUCH").await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn a_supplement_takes_only_the_missing_materials() {
        let w = world().await;
        let id = w.filed_case().await;
        w.run(
            "clerk",
            &id,
            CaseCommand::RequestSupplement {
                missing: vec!["M02".into()],
                note: "平面图不清晰，请重新扫描".into(),
            },
        )
        .await;
        let page = w.get_as("citizen", &format!("/my/cases/{id}")).await;
        let html = page.text();
        assert!(html.contains("待补正") && html.contains("平面图不清晰，请重新扫描"));
        assert!(html.contains("name=\"file_M02\""));
        assert!(!html.contains("name=\"file_M01\""), "M01 is not missing");
        let version = w
            .service
            .case(&w.actor("citizen").await, &id)
            .await
            .expect("case")
            .case
            .version
            .to_string();
        let csrf = w.csrf("citizen");
        let path = format!("/my/cases/{id}/supplement");

        let not_missing = multipart(
            &[("csrf_token", &csrf), ("version", &version)],
            &[("file_M01", "again.pdf", PDF)],
        );
        let refused = w
            .post_multipart("citizen", Lang::ZhCn, &path, not_missing)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text()
                .contains("只需上传告知书中列出、尚未补齐的材料。")
        );

        let missing = multipart(
            &[("csrf_token", &csrf), ("version", &version)],
            &[("file_M02", "平面图-清晰.pdf", PDF)],
        );
        let done = w
            .post_multipart("citizen", Lang::ZhCn, &path, missing)
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let detail = w
            .service
            .case(&w.actor("citizen").await, &id)
            .await
            .expect("case");
        assert_eq!(detail.case.status, Status::PreReview);
        assert!(detail.case.missing_materials().is_empty());
        let html = w
            .get_as("citizen", &format!("/my/cases/{id}?done=supplemented"))
            .await
            .text();
        assert!(html.contains("平面图-清晰.pdf") && html.contains("补正材料已提交"));
        assert!(!html.contains("/supplement\""), "no form any more");
    }

    #[tokio::test]
    async fn choosing_express_delivery_records_the_address() {
        let w = world().await;
        let id = w.filed_case().await;
        w.run("clerk", &id, CaseCommand::Accept).await;
        let list = w.get_as("citizen", "/my/cases").await.text();
        assert!(
            list.contains("已受理") && list.contains("2026年11月9日"),
            "status, due"
        );
        assert!(list.contains("light green") && list.contains("剩余 5 个工作日"));
        w.run(
            "approver",
            &id,
            CaseCommand::Decide {
                approve: true,
                reason: "材料齐全，符合条件".into(),
            },
        )
        .await;
        w.run(
            "approver",
            &id,
            CaseCommand::IssueResult {
                document_number: Some("宁市监食许〔2026〕18号".into()),
            },
        )
        .await;
        let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
        assert!(html.contains("准予许可") && html.contains("宁市监食许〔2026〕18号"));
        assert!(html.contains("name=\"method\" value=\"express\""));
        let version = w
            .service
            .case(&w.actor("citizen").await, &id)
            .await
            .expect("case")
            .case
            .version
            .to_string();
        let csrf = w.csrf("citizen");
        let path = format!("/my/cases/{id}/delivery");

        let no_address = w
            .post_form(
                "citizen",
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("version", &version),
                    ("method", "express"),
                    ("recipient", "林晓梅"),
                    ("phone", "13805740000"),
                    ("address", " "),
                ],
            )
            .await;
        assert_eq!(no_address.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            no_address
                .text()
                .contains("id=\"address-error\">请填写此项。")
        );

        let chosen = w
            .post_form(
                "citizen",
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("version", &version),
                    ("method", "express"),
                    ("recipient", "林晓梅"),
                    ("phone", "13805740000"),
                    ("address", "浙江省宁海县跃龙街道人民大道1号"),
                ],
            )
            .await;
        assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.text());
        let case = w
            .service
            .case(&w.actor("citizen").await, &id)
            .await
            .expect("case")
            .case;
        assert_eq!(case.status, Status::Delivered);
        let Some(DeliveryMethod::Express { address, .. }) = case.delivery else {
            panic!("express delivery recorded: {:?}", case.delivery);
        };
        assert!(address.contains("浙江省宁海县跃龙街道人民大道1号") && address.contains("林晓梅"));
        let html = w
            .get_as("citizen", &format!("/my/cases/{id}?done=delivery"))
            .await
            .text();
        assert!(html.contains("领取方式已确认") && html.contains("快递送达"));
    }

    /// Scanned documents are often larger than the app's general 2 MB request limit; the upload
    /// routes carry their own.
    #[tokio::test]
    async fn scans_larger_than_two_megabytes_are_accepted_and_over_ten_refused_at_their_field() {
        let w = world().await;
        let mut scan = PDF.to_vec();
        scan.resize(3 * 1024 * 1024, b' ');
        let answer = w
            .apply_with(
                "citizen",
                Lang::ZhCn,
                "1111222233334444aaaa",
                &[("file_M01", "big.pdf", &scan), ("file_M02", "b.png", PNG)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());

        scan.resize(MAX_FILE_BYTES + 1, b' ');
        let answer = w
            .apply_with(
                "citizen",
                Lang::ZhCn,
                "1111222233334444bbbb",
                &[("file_M01", "huge.pdf", &scan), ("file_M02", "b.png", PNG)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            answer
                .text()
                .contains("id=\"file_M01-error\">文件超过 10 MB")
        );
    }

    #[tokio::test]
    async fn my_cases_come_newest_first_a_page_at_a_time() {
        let w = world().await;
        let citizen = w.actor("citizen").await;
        let mut numbers = Vec::new();
        for _ in 0..=PAGE_SIZE {
            let request = SubmitCase {
                item_code: "SCJG-001".into(),
                applicant: Applicant {
                    kind: ApplicantKind::Person,
                    name: "林晓梅".into(),
                    id_number: CITIZEN_ID.into(),
                    phone: None,
                },
                channel: Channel::Online,
                centre: "county-hall".into(),
                materials: vec!["M01".into()],
            };
            let filed = w
                .service
                .submit_case(&citizen, request, None)
                .await
                .expect("filed");
            numbers.push(filed.case.number);
        }
        let first = w.get_as("citizen", "/my/cases").await.text();
        assert_eq!(
            first.matches("<td><a href=\"/my/cases/").count(),
            PAGE_SIZE as usize
        );
        let newest = first.find(numbers[PAGE_SIZE as usize].as_str());
        let older = first.find(numbers[PAGE_SIZE as usize - 1].as_str());
        assert!(newest.is_some() && newest < older, "newest first");
        assert!(
            !first.contains(numbers[0].as_str()),
            "the oldest is on the next page"
        );
        let at = first.find("href=\"/my/cases?cursor=").expect("a next page") + 6;
        let next = &first[at..at + first[at..].find('"').expect("end")];
        let second = w.get_as("citizen", next).await.text();
        assert!(second.contains(numbers[0].as_str()));
        assert_eq!(second.matches("<td><a href=\"/my/cases/").count(), 1);
        assert!(second.contains("href=\"/my/cases\"") && !second.contains("rel=\"next\""));
    }

    #[test]
    fn every_status_event_and_run_mode_has_words() {
        for lang in Lang::ALL {
            let t = lang.messages();
            let keys = Status::ALL
                .into_iter()
                .map(status_key)
                .chain(RunMode::ALL.into_iter().map(run_mode_key))
                .chain(SuspensionKind::ALL.into_iter().map(suspension_key))
                .chain(CENTRES.iter().filter_map(|c| centre_key(c)));
            for key in keys {
                assert!(t.has(key), "{} lacks {key}", lang.tag());
            }
        }
    }

    #[test]
    fn file_names_are_encoded_for_the_header() {
        assert_eq!(rfc5987("a b.pdf"), "a%20b.pdf");
        assert_eq!(rfc5987("证.pdf"), "%E8%AF%81.pdf");
        assert_eq!(rfc5987("x\"y;z"), "x%22y%3Bz");
    }

    #[test]
    fn form_keys_differ_and_are_accepted_back() {
        let (a, b) = (new_form_key(), new_form_key());
        assert_ne!(a, b);
        assert!(
            valid_form_key(&a)
                && !valid_form_key("short")
                && !valid_form_key("a b c d e f g h i j")
        );
    }
}
