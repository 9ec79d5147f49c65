//! One case as its applicant sees it: progress, materials, supplements, delivery.

use super::*;
use onewindow_domain::delivery::{DeliveryChoice, Recipient};

#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) when: String,
    pub(super) title: String,
    pub(super) details: Vec<String>,
    pub(super) by: String,
}

#[derive(Debug, Clone)]
pub(super) struct FileLink {
    pub(super) href: String,
    pub(super) name: String,
    pub(super) size: String,
}

#[derive(Debug, Clone)]
pub(super) struct MaterialRow {
    pub(super) name: String,
    pub(super) demanded: bool,
    pub(super) provided: bool,
    pub(super) files: Vec<FileLink>,
    /// Taken from an earlier result of the case's investment project.
    pub(super) reused: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct DecisionView {
    pub(super) approved: bool,
    pub(super) reason: String,
    pub(super) date: String,
    pub(super) by: String,
    pub(super) document: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Asked {
    pub(super) name: String,
    pub(super) still_missing: bool,
}

/// The open supplement notice and the form that answers it.
#[derive(Debug, Clone, Default)]
pub(super) struct SupplementView {
    pub(super) lead: String,
    pub(super) during_review: bool,
    pub(super) note: String,
    pub(super) asked: Vec<Asked>,
    pub(super) inputs: Vec<FileInput>,
    pub(super) general: Vec<String>,
}

/// The delivery form, as drawn or as sent back.
#[derive(Debug, Clone, Default)]
pub(super) struct DeliveryView {
    pub(super) lead: String,
    pub(super) pickup_hint: String,
    pub(super) method: String,
    pub(super) recipient: String,
    pub(super) phone: String,
    pub(super) address: String,
    pub(super) general: Vec<String>,
    pub(super) method_error: Option<String>,
    pub(super) recipient_error: Option<String>,
    pub(super) phone_error: Option<String>,
    pub(super) address_error: Option<String>,
    /// The version of the delivery agreement an express choice accepts.
    pub(super) agreement: String,
    pub(super) agreed: bool,
    pub(super) agreement_error: Option<String>,
}

/// The withdraw form (撤回申请), as drawn or as sent back.
#[derive(Debug, Clone, Default)]
pub(super) struct WithdrawView {
    pub(super) reason: String,
    pub(super) reason_error: Option<String>,
    pub(super) general: Vec<String>,
}

/// What the applicant chose and every parcel posted.
#[derive(Debug, Clone, Default)]
pub(super) struct PostPanel {
    pub(super) choice: Option<String>,
    pub(super) parcels: Vec<crate::pages::window_post::ParcelLine>,
}

#[derive(Template)]
#[template(path = "applicant/case.html")]
pub(super) struct CasePage {
    pub(super) chrome: Chrome,
    /// 收件 → 预审 → 受理 → 审查 → 决定 → 送达: each step's words and state.
    pub(super) progress: Vec<(&'static str, &'static str)>,
    /// Promises, commitments and a revocation (容缺受理, 告知承诺).
    pub(super) tolerance: crate::pages::case_tolerance::ToleranceView,
    /// A joint case: each department decides its own part (see `tasks`).
    pub(super) joint: bool,
    /// A joint case's department tasks: who decided what and why, and the licence numbers.
    pub(super) tasks: Vec<case_view::TaskRowView>,
    pub(super) notice: Option<String>,
    pub(super) action_base: String,
    pub(super) number: String,
    pub(super) item_name: String,
    pub(super) status: String,
    pub(super) applicant: String,
    pub(super) centre: String,
    /// Where it was accepted, decided and delivered.
    pub(super) route: String,
    pub(super) received: String,
    pub(super) accepted: Option<String>,
    pub(super) due: String,
    pub(super) left: Option<Left>,
    pub(super) visits: String,
    pub(super) at_most_once: bool,
    pub(super) steps: Vec<Step>,
    pub(super) materials: Vec<MaterialRow>,
    pub(super) decision: Option<DecisionView>,
    pub(super) rejection: Option<String>,
    pub(super) supplement: Option<SupplementView>,
    pub(super) delivery_form: Option<DeliveryView>,
    /// The form to withdraw, while the case may still be withdrawn.
    pub(super) withdraw: Option<WithdrawView>,
    /// When and why the application was withdrawn.
    pub(super) withdrawn: Option<String>,
    pub(super) post: PostPanel,
    /// 好差评: the ratings given, the form of the stages still open, the rectifications.
    pub(super) rating: crate::pages::evaluation::RatingPanel,
    pub(super) delivered: Option<String>,
    pub(super) version: u64,
    /// The investment project the case is filed under: its code and page.
    pub(super) project: Option<(String, String)>,
    /// The electronic licences the case issued, to download (网上下载).
    pub(super) licences: Vec<crate::pages::licences::LicenceRow>,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct CaseQueryParams {
    pub(super) done: Option<String>,
}

/// Material names by key, from the item the case was filed for.
pub(super) async fn material_names(service: &Service, case: &Case) -> BTreeMap<String, String> {
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

pub(super) fn name_of(names: &BTreeMap<String, String>, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| key.to_string())
}

pub(super) fn names_of(t: &Messages, names: &BTreeMap<String, String>, keys: &[String]) -> String {
    join_list(t, keys.iter().map(|k| name_of(names, k)))
}

pub(super) fn delivery_text(t: &Messages, method: &DeliveryMethod, centre: &str) -> String {
    match method {
        DeliveryMethod::Pickup { .. } => t.fill1("applicant-delivery-pickup-at", "centre", centre),
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

pub(super) fn step_of(
    t: &Messages,
    names: &BTreeMap<String, String>,
    case: &Case,
    event: &CaseEvent,
    centre_name: &str,
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
        CaseEvent::PromiseReminded { material } => (
            get("tolerance-event-promise_reminded"),
            vec![name_of(names, material)],
        ),
        CaseEvent::PromiseBroken { material, .. } => (
            get("tolerance-event-promise_broken"),
            vec![name_of(names, material)],
        ),
        CaseEvent::CommitmentChecked {
            material, truthful, ..
        } => (
            get(if *truthful {
                "tolerance-event-commitment_true"
            } else {
                "tolerance-event-commitment_false"
            }),
            vec![name_of(names, material)],
        ),
        CaseEvent::Withdrawn { reason } => (
            get("withdraw-event"),
            vec![t.fill1("applicant-detail-reason", "reason", reason)],
        ),
        CaseEvent::DecisionRevoked { reason } => (
            get("tolerance-event-decision_revoked"),
            vec![t.fill1("applicant-detail-reason", "reason", reason)],
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
        // The applicant is shown a proposal as the review it is (see `Disclosure::Public`).
        CaseEvent::ReviewStarted | CaseEvent::Proposed { .. } => {
            (get("applicant-event-review_started"), vec![])
        }
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
            vec![delivery_text(t, method, centre_name)],
        ),
        CaseEvent::Closed => (get("applicant-event-closed"), vec![]),
        CaseEvent::VisitRecorded {
            purpose,
            extra_visit_reason,
            exception,
            ..
        } => {
            let mut details = vec![purpose.clone()];
            if let Some(reason) = extra_visit_reason {
                details.push(t.fill1("applicant-detail-extra-visit", "reason", reason));
            }
            if let Some(why) = exception {
                details.push(case_view::exception_text(t, *why));
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
pub(super) fn waits_for_supplement(detail: &CaseDetail) -> bool {
    let case = &detail.case;
    let open = match case.status {
        Status::SupplementRequested => true,
        Status::Suspended => case
            .clock
            .as_ref()
            .and_then(|c| c.suspensions.last())
            .is_some_and(|s| s.until.is_none() && s.kind == SuspensionKind::Supplement),
        // Accepted on a promise (容缺): the promised material is handed in here.
        Status::Accepted | Status::InReview => case.promises.iter().any(|p| p.kept_on.is_none()),
        _ => false,
    };
    open && detail.allowed_actions.contains(&Action::ProvideSupplement)
}

pub(super) fn size_text(t: &Messages, size: u64) -> String {
    t.fill1(
        "applicant-file-size-kb",
        "n",
        size.div_ceil(1024).to_string(),
    )
}

pub(super) fn case_page(
    chrome: &Chrome,
    detail: &CaseDetail,
    files: &[CaseFile],
    names: &BTreeMap<String, String>,
    people: &case_view::Names,
) -> CasePage {
    let t = chrome.t;
    let case = &detail.case;
    let centre_name = people.centre(t, &case.centre);
    let (due_on, left) = (detail.due_on, detail.timeliness);
    let due = match (due_on, case.status) {
        (Some(d), _) => match crate::pages::case_view::provisional_note(t, detail.provisional_year)
        {
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
            let (title, details) = step_of(t, names, case, &stored.event, &centre_name);
            Step {
                when: t.time(&stored.at),
                title,
                details,
                by: t.fill1(
                    "applicant-event-by",
                    "actor",
                    people.actor(t, &stored.actor),
                ),
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
                })
                .or_else(|| {
                    case.taken_licences.iter().find(|l| &l.key == key).map(|l| {
                        t.fill(
                            "applicant-material-taken",
                            &[("type", &l.licence_type), ("number", &l.number)],
                        )
                    })
                }),
        })
        .collect();

    let supplement = waits_for_supplement(detail).then(|| {
        let promised: Vec<String> = case
            .promises
            .iter()
            .filter(|p| p.kept_on.is_none())
            .map(|p| p.key.clone())
            .collect();
        // A promise awaited is what is handed in; else what the last notice asked.
        let (missing, notice) = if promised.is_empty() {
            (case.missing_materials(), case.supplement_notices.last())
        } else {
            (promised, None)
        };
        SupplementView {
            lead: match (notice, case.promises.iter().find(|p| p.kept_on.is_none())) {
                (Some(n), _) => t.fill1("applicant-supplement-lead", "date", t.date(&n.issued_on)),
                (None, Some(p)) => t.fill1("tolerance-material-promised", "by", t.date(&p.due_on)),
                (None, None) => String::new(),
            },
            during_review: case.status == Status::Suspended && notice.is_some(),
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
                    tag: None,
                    tolerable: false,
                    committable: false,
                    committed: false,
                    kept: None,
                })
                .collect(),
            general: Vec::new(),
        }
    });

    // Drawn when the delivery allows a choice ([`with_delivery`]).
    let delivery_form = None;

    let decision = case.decision.as_ref().map(|d| DecisionView {
        approved: d.approved,
        reason: d.reason.clone(),
        date: t.date(&d.decided_on),
        by: people.actor(t, &d.decided_by),
        document: case.result_document.clone(),
    });

    CasePage {
        chrome: chrome.clone(),
        progress: onewindow_domain::progress::progress(case)
            .into_iter()
            .map(|(step, state)| {
                let label = match step {
                    onewindow_domain::progress::Step::Received => "applicant-progress-received",
                    onewindow_domain::progress::Step::PreReview => "applicant-progress-pre_review",
                    onewindow_domain::progress::Step::Accepted => "applicant-progress-accepted",
                    onewindow_domain::progress::Step::Review => "applicant-progress-review",
                    onewindow_domain::progress::Step::Decided => "applicant-progress-decided",
                    onewindow_domain::progress::Step::Delivered => "applicant-progress-delivered",
                };
                let state = match state {
                    onewindow_domain::progress::StepState::Done => "done",
                    onewindow_domain::progress::StepState::Current => "current",
                    onewindow_domain::progress::StepState::Ahead => "ahead",
                    onewindow_domain::progress::StepState::Stopped => "stopped",
                };
                (t.get(label), state)
            })
            .collect(),
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
        centre: centre_name.clone(),
        route: case_view::network_route(t, people, case),
        received: t.time(&case.received_at),
        accepted: case.accepted_on.map(|d| t.date(&d)),
        due,
        left: left.map(|n| left_view(t, n, case.clock.as_ref().map_or(0, |c| c.total_limit()))),
        // The claim "已实现最多跑一次" only of a case that is done; before, the visits so far.
        visits: if case_view::at_most_once_kept(case) {
            t.fill1("applicant-visits-n", "n", detail.visit_count.to_string())
        } else {
            case_view::count(t, "applicant-visits-so-far", detail.visit_count as i64)
        },
        at_most_once: case_view::at_most_once_kept(case),
        steps,
        materials,
        decision,
        rejection: case.rejection_reason.clone(),
        supplement,
        delivery_form,
        withdraw: case.may_withdraw().then(WithdrawView::default),
        withdrawn: case.withdrawal.as_ref().map(|w| {
            t.fill(
                "withdraw-withdrawn",
                &[("date", &t.date(&w.withdrawn_on)), ("reason", &w.reason)],
            )
        }),
        post: PostPanel::default(),
        rating: crate::pages::evaluation::RatingPanel::default(),
        delivered: case
            .delivery
            .as_ref()
            .map(|m| delivery_text(t, m, &centre_name)),
        version: case.version,
        joint: case.circulation.is_some(),
        tasks: Vec::new(),
        project: case
            .project_code
            .as_ref()
            .map(|c| (c.clone(), format!("/projects/{}", encode_query_value(c)))),
        licences: Vec::new(),
        tolerance: crate::pages::case_tolerance::view(t, detail, |key| name_of(names, key)),
    }
}

impl CasePage {
    pub(super) fn accept(&self) -> &'static str {
        ACCEPT
    }
}

/// Loads everything the case page shows, or the page's refusal.
pub(super) async fn load_case_page(
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
    let people = case_view::Names::for_case(service, &detail).await;
    let mut page = case_page(&ctx.chrome, &detail, &files, &names, &people);
    let licences = service
        .case_licences(&session.actor, &detail.case.id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    page.licences = licences
        .iter()
        .map(|l| crate::pages::licences::LicenceRow::of(ctx.chrome.t, l))
        .collect();
    if detail.case.circulation.is_some() {
        page.tasks =
            case_view::task_rows(ctx.chrome.t, &detail.case, &people, service, &[], |_| None);
    }
    let post = service
        .case_delivery(&session.actor, &detail.case.id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let centre_name = people.centre(ctx.chrome.t, &detail.case.centre);
    with_delivery(&mut page, ctx.chrome.t, &detail.case, &post, &centre_name);
    let ratings = service
        .case_ratings(&session.actor, &detail.case.id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    page.rating = crate::pages::evaluation::rating_panel(ctx.chrome.t, &detail.case.id, &ratings);
    Ok(page)
}

/// The applicant's case page with the rating form as it was sent back, refused.
pub(crate) async fn case_with_rating_form(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    case_ref: &str,
    form: crate::pages::evaluation::RatingForm,
    status: StatusCode,
) -> PageResult {
    let mut page = load_case_page(service, ctx, session, case_ref).await?;
    page.rating.form = Some(form);
    Ok((status, render(&page)).into_response())
}

/// The delivery part of the page: the form while the applicant may still choose (decided, no
/// parcel on its way, not delivered), what was chosen, and every parcel with its reports.
fn with_delivery(
    page: &mut CasePage,
    t: &Messages,
    case: &Case,
    view: &onewindow_app::delivery::DeliveryView,
    centre_name: &str,
) {
    let delivery = &view.delivery;
    let may_choose = delivery.open_to_choice(case.status);
    let express = delivery.express_recipient();
    page.post.choice = delivery.choice.as_ref().map(|c| match c {
        DeliveryChoice::Pickup => t.fill1("applicant-delivery-pickup-at", "centre", centre_name),
        DeliveryChoice::Express { recipient, .. } => t.fill(
            "applicant-delivery-chosen-express",
            &[
                ("name", &recipient.name),
                ("phone", &recipient.phone),
                ("address", &recipient.address),
            ],
        ),
    });
    page.post.parcels = crate::pages::window_post::parcel_lines(t, view, false);
    if !may_choose {
        return;
    }
    let lead = match &case.result_document {
        Some(document) => t.fill1("applicant-delivery-lead", "document", document),
        None => t.get("applicant-delivery-lead-decided").to_string(),
    };
    page.delivery_form = Some(DeliveryView {
        lead,
        pickup_hint: t.fill1("applicant-delivery-pickup-hint", "centre", centre_name),
        method: match &delivery.choice {
            Some(DeliveryChoice::Express { .. }) => "express".into(),
            Some(DeliveryChoice::Pickup) => "pickup".into(),
            None => String::new(),
        },
        recipient: express.map_or_else(|| case.applicant.name.clone(), |r| r.name.clone()),
        phone: express.map(|r| r.phone.clone()).unwrap_or_default(),
        address: express.map(|r| r.address.clone()).unwrap_or_default(),
        agreement: view.agreement.clone(),
        agreed: express.is_some(),
        ..DeliveryView::default()
    });
}

pub(super) async fn my_case(
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
        Some("rated") => Some(t.get("evaluation-thanks").to_string()),
        Some("feedback") => Some(t.get("evaluation-feedback-thanks").to_string()),
        Some("withdrawn") => Some(t.get("withdraw-done").to_string()),
        _ => None,
    };
    Ok(render(&page))
}

/// The general message of a command the service refused for the case's state or version.
pub(super) fn command_refusal(t: &Messages, e: &AppError) -> Option<(StatusCode, String)> {
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

pub(super) async fn supplement(
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
                        None => form.general.push(t.fill1(
                            "applicant-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        )),
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
pub(super) struct DeliveryForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) method: String,
    #[serde(default)]
    pub(super) recipient: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) address: String,
    /// The agreement's version, when its box is ticked.
    #[serde(default)]
    pub(super) agreement: String,
}

pub(super) async fn delivery(
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
    view.agreed = !form.agreement.is_empty();
    let choice = match form.method.as_str() {
        "pickup" => DeliveryChoice::Pickup,
        "express" => DeliveryChoice::Express {
            recipient: Recipient {
                name: recipient.to_string(),
                phone: phone.to_string(),
                address: address.to_string(),
            },
            agreement: form.agreement.trim().to_string(),
        },
        _ => {
            view.method_error = Some(t.get("applicant-error-required").to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    Ok(
        match service.choose_delivery(&session.actor, &id, choice).await {
            Ok(_) => see_other(&format!(
                "/my/cases/{}?done=delivery",
                encode_query_value(&id)
            )),
            Err(AppError::Invalid(errors)) => {
                for e in &errors {
                    let message = Some(t.get(delivery_error_key(&e.field)).to_string());
                    match e.field.as_str() {
                        "recipient.name" => view.recipient_error = message,
                        "recipient.phone" => view.phone_error = message,
                        "recipient.address" => view.address_error = message,
                        "agreement" => view.agreement_error = message,
                        _ => view.general.push(t.fill1(
                            "applicant-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        )),
                    }
                }
                (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
            }
            Err(AppError::Conflict(_)) => {
                view.general
                    .push(t.get("applicant-error-not-allowed").to_string());
                (StatusCode::CONFLICT, render(&page)).into_response()
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

/// The message of a delivery form's field error.
fn delivery_error_key(field: &str) -> &'static str {
    match field {
        "recipient.name" => "applicant-error-required",
        "recipient.phone" => "applicant-delivery-error-phone",
        "recipient.address" => "applicant-delivery-error-address",
        "agreement" => "applicant-delivery-error-agreement",
        _ => "applicant-error-required",
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct WithdrawForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) version: u64,
}

/// 撤回申请: the applicant ends the application before the decision, with a reason.
pub(super) async fn withdraw(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    ctx.check_csrf(&form.csrf_token)?;
    let mut page = load_case_page(&service, &ctx, session, &id).await?;
    let t = ctx.chrome.t;
    let Some(view) = page.withdraw.as_mut() else {
        return Ok((StatusCode::CONFLICT, render(&page)).into_response());
    };
    view.reason = form.reason.trim().to_string();
    let command = CaseCommand::Withdraw {
        reason: view.reason.clone(),
    };
    Ok(
        match service
            .execute(&session.actor, &id, form.version, command)
            .await
        {
            Ok(case) => see_other(&format!(
                "/my/cases/{}?done=withdrawn",
                encode_query_value(&case.id)
            )),
            Err(AppError::Invalid(errors)) => {
                for e in &errors {
                    if e.field == "reason" {
                        view.reason_error = Some(crate::pages::reasons::reason_or_general(t, e));
                    } else {
                        view.general.push(t.fill1(
                            "applicant-error-other",
                            "reason",
                            crate::pages::reasons::reason_or_general(t, e),
                        ));
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
