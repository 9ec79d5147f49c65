//! Applying online: the form of an item or a bundle, with uploads, under a project or not.

use super::*;
use onewindow_app::admin::Centre;
use onewindow_app::drafts::{Draft, DraftForm};
use onewindow_app::licences::LicenceView;
use onewindow_domain::catalogue::Necessity;

/// An option of a select.
#[derive(Debug, Clone)]
pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// One file input: a material the item asks for.
#[derive(Debug, Clone)]
pub(super) struct FileInput {
    pub(super) key: String,
    pub(super) name: String,
    pub(super) required: bool,
    pub(super) sample: Option<String>,
    pub(super) error: Option<String>,
    /// How far it may be missing, when not essential (容缺, 可承诺).
    pub(super) tag: Option<&'static str>,
    /// 容缺: it may follow after acceptance, on a promise made at the window.
    pub(super) tolerable: bool,
    /// 可承诺: a signed commitment may stand in for it.
    pub(super) committable: bool,
    /// The applicant chose to sign the commitment instead.
    pub(super) committed: bool,
    /// The file a saved draft keeps for it (暂存): nothing to upload again.
    pub(super) kept: Option<String>,
}

#[derive(Template)]
#[template(path = "applicant/apply.html")]
pub(super) struct ApplyPage {
    pub(super) chrome: Chrome,
    pub(super) code: String,
    pub(super) code_path: String,
    pub(super) item_name: String,
    pub(super) visits: String,
    pub(super) at_most_once: bool,
    pub(super) promised: String,
    pub(super) run_mode: String,
    /// An agent fills in the applicant; an applicant applies as their account.
    pub(super) agent: bool,
    pub(super) kinds: Vec<Choice>,
    pub(super) kind_label: String,
    pub(super) name: String,
    pub(super) id_number: String,
    pub(super) id_masked: String,
    pub(super) phone: String,
    pub(super) centres: Vec<Choice>,
    pub(super) materials: Vec<FileInput>,
    pub(super) optional_materials: Vec<String>,
    /// For a bundle: its lead window, members and the materials issued inside it.
    pub(super) bundle: Option<BundleFacts>,
    pub(super) idempotency_key: String,
    pub(super) general: Vec<String>,
    pub(super) name_error: Option<String>,
    pub(super) id_error: Option<String>,
    pub(super) centre_error: Option<String>,
    /// Shown after a refused submission: browsers do not keep chosen files.
    pub(super) reselect: bool,
    /// The investment project the application is filed under, and what it already provides.
    pub(super) project: Option<crate::pages::projects::ProjectForApply>,
    /// Materials the applicant's own valid licences serve (免证办, 已调取): nothing to upload.
    pub(super) taken: Vec<TakenRow>,
    /// The commitment the item lets an applicant sign instead of a committable material.
    pub(super) commitment_text: Option<String>,
    /// The saved draft this form continues (暂存), and when it expires.
    pub(super) draft: Option<(String, String)>,
    /// "Saved": the draft was just saved.
    pub(super) draft_saved: bool,
    /// Filed by a clerk at the window for the applicant of a called ticket (窗口收件).
    pub(super) walk_in: Option<WalkIn>,
}

/// The ticket a walk-in application is filed on, and the window it was called to.
#[derive(Debug, Clone, Default)]
pub(super) struct WalkIn {
    pub(super) ticket: String,
    pub(super) window: String,
}

/// A material taken from the applicant's licence library.
#[derive(Debug, Clone)]
pub(super) struct TakenRow {
    pub(super) key: String,
    pub(super) name: String,
    pub(super) licence: String,
}

impl ApplyPage {
    pub(super) fn accept(&self) -> &'static str {
        ACCEPT
    }

    /// Every field with an error, for the summary above the form: (the field's id, its label
    /// and the error).
    pub(super) fn field_errors(&self) -> Vec<(String, String)> {
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

    pub(super) fn has_errors(&self) -> bool {
        !self.general.is_empty()
            || self.name_error.is_some()
            || self.id_error.is_some()
            || self.centre_error.is_some()
            || self.materials.iter().any(|m| m.error.is_some())
    }
}

/// The applicant part of the form as filled in (or as drawn first).
#[derive(Debug, Clone)]
pub(super) struct ApplyInput {
    pub(super) kind: ApplicantKind,
    pub(super) name: String,
    pub(super) id_number: String,
    pub(super) phone: String,
    pub(super) centre: String,
    pub(super) idempotency_key: String,
}

/// An agent or a window clerk fills in the applicant; an applicant applies as their account.
pub(super) fn is_agent(session: &Authenticated) -> bool {
    session.actor.principal.has_role(Role::Agent) || is_clerk(session)
}

/// A window clerk filing a walk-in applicant's case at the window (窗口收件).
pub(super) fn is_clerk(session: &Authenticated) -> bool {
    session.actor.principal.has_role(Role::Clerk)
}

/// The centres a clerk works at.
fn own_centres(session: &Authenticated) -> Vec<String> {
    session
        .actor
        .principal
        .posts
        .iter()
        .filter(|p| p.role == Role::Clerk)
        .filter_map(|p| p.centre.clone())
        .collect()
}

/// Who may file on this form: applicants and agents online, clerks at their window.
const FILING_ROLES: &[Role] = &[Role::Applicant, Role::Agent, Role::Clerk];

/// The channel a case filed on this form comes by: a clerk's is the window's own level.
fn channel_of(session: &Authenticated, centre: Option<&Centre>) -> Channel {
    if is_clerk(session) {
        return centre.map_or(Channel::Window, |c| Channel::at_counter_of(c.level));
    }
    if session.actor.principal.has_role(Role::Agent) {
        Channel::Agent
    } else {
        Channel::Online
    }
}

/// The kind of an account's identity: a resident ID is a person, anything else an enterprise.
pub(super) fn account_kind(identity: &str) -> ApplicantKind {
    if ResidentIdNumber::parse(identity).is_ok() {
        ApplicantKind::Person
    } else {
        ApplicantKind::Enterprise
    }
}

impl ApplyInput {
    pub(super) fn first(session: &Authenticated) -> Self {
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
            centre: if is_clerk(session) {
                own_centres(session)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| DEFAULT_CENTRE.to_string())
            } else {
                DEFAULT_CENTRE.to_string()
            },
            idempotency_key: new_form_key(),
        }
    }

    pub(super) fn posted(session: &Authenticated, posted: &Posted) -> Self {
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
pub(super) enum Target {
    Item(Box<PublishedItem>),
    Bundle(Box<BundleView>),
}

impl Target {
    /// The centres that may accept an application for it: those at one of the item's levels, or
    /// the county's for a joint application (its lead window is at the county).
    pub(super) async fn accepting_centres(
        &self,
        service: &Service,
        session: &Authenticated,
    ) -> Vec<Centre> {
        let levels = match self {
            Target::Item(item) => item.item.levels.clone(),
            Target::Bundle(_) => vec![onewindow_domain::catalogue::Level::County],
        };
        service
            .centres()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| onewindow_domain::hall::accepts_at(&levels, c.level))
            // A clerk files at the window of their own centre only.
            .filter(|c| !is_clerk(session) || own_centres(session).contains(&c.code))
            .collect()
    }

    pub(super) async fn find(service: &Service, code: &str) -> Result<Target, AppError> {
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

    pub(super) fn code(&self) -> &str {
        match self {
            Target::Item(item) => &item.item.code,
            Target::Bundle(view) => &view.plan.code,
        }
    }

    /// The materials the applicant's own licences serve today (免证办). A failed look-up only
    /// means the form asks for the file; the service takes the licence at filing anyway.
    pub(super) async fn licences_serving(
        &self,
        service: &Service,
        session: &Authenticated,
    ) -> Vec<(String, LicenceView)> {
        let Target::Item(item) = self else {
            return Vec::new();
        };
        // The library is the applicant's own, read with their account.
        if is_clerk(session) {
            return Vec::new();
        }
        service
            .licences_serving(&session.actor, &item.item.materials)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the licence library could not be read for the apply form");
                Vec::new()
            })
    }

    /// The keys of the materials the applicant must upload.
    pub(super) fn demanded_keys(&self) -> Vec<String> {
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
pub(super) struct BundleFacts {
    pub(super) lead: String,
    pub(super) members: Vec<String>,
    pub(super) produced: Vec<String>,
    pub(super) bundle_href: String,
}

pub(super) fn apply_page(
    chrome: &Chrome,
    session: &Authenticated,
    target: &Target,
    input: &ApplyInput,
    departments: &[Department],
    centres: &[Centre],
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
    let centres = centres
        .iter()
        .map(|c| Choice {
            value: c.code.clone(),
            label: crate::pages::case_view::centre_name(t, std::slice::from_ref(c), &c.code),
            selected: c.code == input.centre,
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
                    .map(|m| {
                        let tolerable = m.necessity == Necessity::Tolerable;
                        let committable = m.necessity == Necessity::Committable;
                        FileInput {
                            key: m.key.clone(),
                            name: m.name.clone(),
                            // The browser does not insist on a material that may follow or be
                            // committed; the page and the service still check.
                            required: !(tolerable || committable),
                            sample: m.sample.clone().filter(|s| !s.trim().is_empty()),
                            error: None,
                            tag: if tolerable {
                                Some("tolerance-tag-tolerable")
                            } else if committable {
                                Some("tolerance-tag-committable")
                            } else {
                                None
                            },
                            tolerable,
                            committable,
                            committed: false,
                            kept: None,
                        }
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
                |code: &str| crate::pages::case_view::department_name(t, departments, code);
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
                        tag: None,
                        tolerable: false,
                        committable: false,
                        committed: false,
                        kept: None,
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
        draft: None,
        draft_saved: false,
        project: None,
        taken: Vec::new(),
        walk_in: None,
        commitment_text: match target {
            Target::Item(item) => item.item.commitment_text.clone(),
            Target::Bundle(_) => None,
        },
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ApplyQuery {
    /// The investment project to file under (`/apply/{item}?project=…`).
    pub(super) project: Option<String>,
    /// A saved draft to continue (`/apply/{item}?draft=…`).
    pub(super) draft: Option<String>,
    /// Set after saving the draft.
    pub(super) saved: Option<u8>,
    /// A clerk files for the applicant of this ticket, called to `window`.
    pub(super) ticket: Option<String>,
    pub(super) window: Option<String>,
}

impl ApplyPage {
    /// Drafts are kept of a single item's application, not a bundle's or a project's.
    pub(super) fn may_save_draft(&self) -> bool {
        self.bundle.is_none() && self.project.is_none() && self.walk_in.is_none()
    }

    /// Continues a saved draft: its form, its choices, and its files shown as kept.
    pub(super) fn with_draft(&mut self, t: &Messages, draft: &Draft) {
        self.draft = Some((draft.id.clone(), t.date(&draft.expires_on)));
        for m in &mut self.materials {
            m.kept = draft
                .files
                .iter()
                .filter(|f| f.material_key == m.key)
                .map(|f| f.file_name.clone())
                .next_back();
            m.committed = m.committable && draft.form.commitments.contains(&m.key);
        }
    }
}

/// The form of a draft as the input of the apply page.
pub(super) fn input_of_draft(session: &Authenticated, draft: &Draft) -> ApplyInput {
    let mut input = ApplyInput::first(session);
    let form = &draft.form;
    if is_agent(session) {
        input.kind = if form.kind == "enterprise" {
            ApplicantKind::Enterprise
        } else {
            ApplicantKind::Person
        };
        input.id_number = form.id_number.clone();
    }
    if !form.name.is_empty() {
        input.name = form.name.clone();
    }
    input.phone = form.phone.clone();
    if !form.centre.is_empty() {
        input.centre = form.centre.clone();
    }
    input
}

impl ApplyPage {
    /// Shows the materials the applicant's licences serve as taken (已调取) instead of asking
    /// for a file.
    pub(super) fn take_from_library(&mut self, serving: Vec<(String, LicenceView)>) {
        let t = self.chrome.t;
        for (key, view) in serving {
            let Some(at) = self.materials.iter().position(|m| m.key == key) else {
                continue;
            };
            let material = self.materials.remove(at);
            let l = &view.licence;
            let until = l.valid_until.map_or_else(
                || t.get("window-material-taken-no-limit").to_string(),
                |d| t.fill1("window-material-taken-until", "date", t.date(&d)),
            );
            self.taken.push(TakenRow {
                key,
                name: material.name,
                licence: t.fill(
                    "applicant-apply-taken",
                    &[
                        ("type", &l.licence_type),
                        ("number", &l.number),
                        ("issuer", &l.issuer_name),
                        ("until", &until),
                    ],
                ),
            });
        }
    }

    /// Files the application under `project`: the materials its earlier results provide are
    /// not asked for.
    pub(super) fn under_project(&mut self, project: crate::pages::projects::ProjectForApply) {
        self.materials
            .retain(|m| !project.reused.iter().any(|r| r.material_key == m.key));
        self.project = Some(project);
    }
}

/// The project of `/apply/{code}?project=…`: an item, or a bundle (the joint completion
/// acceptance).
pub(super) async fn apply_project(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    target: &Target,
    code: Option<&str>,
) -> Result<Option<crate::pages::projects::ProjectForApply>, Response> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let target_code = match target {
        Target::Item(item) => item.item.code.clone(),
        Target::Bundle(view) => view.bundle.bundle.code.clone(),
    };
    crate::pages::projects::project_for_apply(service, ctx.chrome.t, session, code, &target_code)
        .await
        .map(Some)
        .map_err(|e| ctx.app_error(e))
}

impl ApplyPage {
    pub(super) fn file_error(&mut self, key: &str, message: String) {
        match self.materials.iter_mut().find(|m| m.key == key) {
            Some(m) => {
                m.error.get_or_insert(message);
            }
            None => self.general.push(message),
        }
    }

    /// Puts each of the service's field errors next to its field.
    pub(super) fn place(
        &mut self,
        errors: &[FieldError],
        upload_keys: &[String],
        input: &ApplyInput,
    ) {
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
                self.general.push(t.fill1(
                    "applicant-error-other",
                    "reason",
                    crate::pages::reasons::reason_or_general(t, e),
                ));
            }
        }
    }
}

pub(super) async fn apply_form(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<ApplyQuery>,
) -> PageResult {
    let session = ctx.require_role(FILING_ROLES)?;
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
    let draft = match q.draft.as_deref().filter(|d| !d.is_empty()) {
        Some(id) => Some(
            service
                .application_draft(&session.actor, id)
                .await
                .or_page(&ctx)?,
        ),
        None => None,
    };
    if let Some(d) = &draft {
        input = input_of_draft(session, d);
    }
    let centres = target.accepting_centres(&service, session).await;
    let mut page = apply_page(
        &ctx.chrome,
        session,
        &target,
        &input,
        &departments,
        &centres,
    );
    if let Some(p) = project {
        page.under_project(p);
    }
    if is_clerk(session) {
        page.walk_in = Some(WalkIn {
            ticket: q.ticket.clone().unwrap_or_default(),
            window: q.window.clone().unwrap_or_default(),
        });
    }
    page.take_from_library(target.licences_serving(&service, session).await);
    if let Some(d) = &draft {
        page.with_draft(ctx.chrome.t, d);
        page.draft_saved = q.saved.is_some();
    }
    Ok(render(&page))
}

pub(super) async fn apply(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let session = ctx.require_role(FILING_ROLES)?;
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
    let centres = target.accepting_centres(&service, session).await;
    let mut page = apply_page(
        &ctx.chrome,
        session,
        &target,
        &input,
        &departments,
        &centres,
    );
    page.reselect = true;
    if is_clerk(session) {
        page.walk_in = Some(WalkIn {
            ticket: posted.field("walk_in_ticket").trim().to_string(),
            window: posted.field("walk_in_window").trim().to_string(),
        });
    }
    let project_code = project.as_ref().map(|p| p.code.clone());
    let reused: Vec<String> = project
        .as_ref()
        .map(|p| p.reused.iter().map(|r| r.material_key.clone()).collect())
        .unwrap_or_default();
    if let Some(p) = project {
        page.under_project(p);
    }
    page.take_from_library(target.licences_serving(&service, session).await);
    let taken: Vec<String> = page.taken.iter().map(|r| r.key.clone()).collect();
    let draft_id = posted.field("draft_id").trim().to_string();
    let draft = if draft_id.is_empty() || !page.may_save_draft() {
        None
    } else {
        Some(
            service
                .application_draft(&session.actor, &draft_id)
                .await
                .or_page(&ctx)?,
        )
    };
    if let Some(d) = &draft {
        page.with_draft(t, d);
    }
    let kept: Vec<String> = page
        .materials
        .iter()
        .filter(|m| m.kept.is_some())
        .map(|m| m.key.clone())
        .collect();
    if posted.field("intent") == "draft" && page.may_save_draft() {
        return save_draft(&service, &ctx, session, page, &input, posted, draft_id).await;
    }

    // What the page can tell at once, so that every problem shows in one answer; the service
    // checks all of it again.
    if input.name.is_empty() {
        page.name_error = Some(t.get("applicant-error-required").to_string());
    }
    if is_agent(session) {
        page.id_error = identity_problem(t, input.kind, &input.id_number);
    }
    if !page.centres.iter().any(|c| c.value == input.centre) {
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
    // A committable material is left out with the commitment signed instead; a tolerable one
    // may follow after acceptance, on a promise made when the window accepts.
    let mut commitments = Vec::new();
    for m in &mut page.materials {
        let uploaded = posted.files.iter().any(|u| u.material_key == m.key);
        m.committed =
            m.committable && !uploaded && posted.field(&format!("commit_{}", m.key)) == "on";
        if m.committed {
            commitments.push(m.key.clone());
        }
    }
    for key in target.demanded_keys() {
        let excused = page
            .materials
            .iter()
            .any(|m| m.key == key && (m.tolerable || m.committed));
        if !reused.contains(&key)
            && !taken.contains(&key)
            && !kept.contains(&key)
            && !excused
            && !posted.files.iter().any(|u| u.material_key == key)
        {
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
        channel: channel_of(session, centres.iter().find(|c| c.code == input.centre)),
        centre: input.centre.clone(),
        materials: Vec::new(),
        commitments,
    };
    let submitted = match (&target, &project_code) {
        _ if draft.is_some() => {
            service
                .submit_application_draft(
                    &session.actor,
                    &draft_id,
                    request,
                    Some(input.idempotency_key.clone()),
                    posted.files,
                )
                .await
        }
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
        // The clerk goes back to the ticket, to serve it with the new case (the visit).
        Ok(submitted) => match page.walk_in.as_ref().filter(|w| !w.ticket.is_empty()) {
            Some(walk_in) => see_other(&format!(
                "/window/queue?centre={}&window={}&case={}&ticket={}",
                encode_query_value(&input.centre),
                encode_query_value(&walk_in.window),
                encode_query_value(&submitted.case.number),
                encode_query_value(&walk_in.ticket)
            )),
            None if is_clerk(session) => see_other(&format!(
                "/window/cases/{}",
                encode_query_value(&submitted.case.number)
            )),
            None => see_other(&format!(
                "/my/cases/{}?done=submitted",
                encode_query_value(&submitted.case.id)
            )),
        },
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

/// 暂存: keeps the form and the files chosen so far; nothing is checked but the files
/// themselves, for a draft may be incomplete.
async fn save_draft(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    mut page: ApplyPage,
    input: &ApplyInput,
    posted: Posted,
    draft_id: String,
) -> PageResult {
    let t = ctx.chrome.t;
    for upload in &posted.files {
        if let Some(problem) = file_problem(t, upload) {
            page.file_error(&upload.material_key, problem);
        }
    }
    if page.has_errors() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let form = DraftForm {
        kind: match input.kind {
            ApplicantKind::Enterprise => "enterprise".into(),
            ApplicantKind::Person => "person".into(),
        },
        name: input.name.clone(),
        id_number: input.id_number.clone(),
        phone: input.phone.clone(),
        centre: input.centre.clone(),
        commitments: page
            .materials
            .iter()
            .filter(|m| m.committable && posted.field(&format!("commit_{}", m.key)) == "on")
            .map(|m| m.key.clone())
            .collect(),
    };
    let existing = Some(draft_id.as_str()).filter(|d| !d.is_empty());
    match service
        .save_application_draft(&session.actor, existing, &page.code, form, posted.files)
        .await
    {
        Ok(draft) => Ok(see_other(&format!(
            "/apply/{}?draft={}&saved=1",
            page.code_path,
            encode_query_value(&draft.id)
        ))),
        Err(AppError::Invalid(errors)) => {
            let keys: Vec<String> = Vec::new();
            page.place(&errors, &keys, input);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}
