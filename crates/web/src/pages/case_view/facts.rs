//! A case's facts as the window and the desk show them.

use super::*;

/// Whether a page may say that "at most once" (最多跑一次) was kept: only of a case that is done
/// (decided, then delivered or closed: no visit is still to come, such as fetching the result)
/// with at most one visit in person. Before that the pages say the visits so far, never the
/// claim; a case with two visits never gets it.
pub fn at_most_once_kept(case: &Case) -> bool {
    once_kept(case.status, case.decision.is_some(), case.visits.len())
}

/// [`at_most_once_kept`] on the facts it reads.
pub fn once_kept(status: Status, decided: bool, visits: usize) -> bool {
    decided && matches!(status, Status::Delivered | Status::Closed) && visits <= 1
}

/// The names of an item's materials by key: `营业执照（M03）`.
#[derive(Debug, Clone, Default)]
pub struct MaterialNames(HashMap<String, String>);

impl MaterialNames {
    /// The names of a case's materials: the bundle's one form for a joint case, else its item's.
    pub fn for_case(case: &Case, item: Option<&PublishedItem>) -> Self {
        match &case.circulation {
            Some(c) => Self(
                c.materials
                    .iter()
                    .map(|m| (m.key.clone(), m.name.clone()))
                    .collect(),
            ),
            None => Self::of(item),
        }
    }

    pub fn of(item: Option<&PublishedItem>) -> Self {
        Self(
            item.map(|i| {
                i.item
                    .materials
                    .iter()
                    .map(|m| (m.key.clone(), m.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The material's name, or its key when the item no longer has it.
    pub fn name(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The names of `keys`, joined for a sentence.
    pub fn list(&self, t: &Messages, keys: &[String]) -> String {
        let sep = if t.lang() == Lang::ZhCn { "、" } else { ", " };
        keys.iter()
            .map(|k| self.name(k))
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// The facts of a case as its pages show them, in the reader's language.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: String,
    pub number: String,
    pub version: u64,
    pub status: Status,
    pub status_label: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub applicant_name: String,
    pub applicant_kind: String,
    /// Masked by the service.
    pub applicant_id: String,
    pub applicant_phone: Option<String>,
    pub channel: String,
    pub centre: String,
    /// Where it was accepted, where it is decided and where it is delivered (三级联动).
    pub route: String,
    pub received_at: String,
    pub received_on: String,
    pub accepted_on: Option<String>,
    pub accepted_by: Option<String>,
    pub deemed_accepted: bool,
    pub promised_days: String,
    pub due_on: Option<String>,
    /// "预计，以国务院公布的2027年节假日安排为准" when the due day is counted on the provisional
    /// year.
    pub due_provisional: Option<String>,
    pub working_days_used: Option<u32>,
    pub timeliness: Option<Timeliness>,
    /// "used 3 working days".
    pub used_text: Option<String>,
    pub days_left_text: String,
    pub light: Option<Light>,
    pub light_label: String,
    pub extension: Option<String>,
    pub rejection_reason: Option<String>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub result_document: Option<String>,
    pub delivery: Option<String>,
    pub visit_count: usize,
    /// "1 visit so far".
    pub visit_count_text: String,
    /// The count with its unit: "0 次", "1 visit".
    pub visits_text: String,
    /// "At most once" was kept: the case is done with at most one visit ([`at_most_once_kept`]).
    pub at_most_once: bool,
    pub closed_on: Option<String>,
}

impl CaseView {
    pub fn new(detail: &CaseDetail, t: &Messages, names: &Names) -> Self {
        let case = &detail.case;
        let light = Light::of(
            case.status,
            detail.timeliness,
            case.clock.as_ref().map(|c| c.total_limit()),
        );
        let department = names.department(t, &case.department);
        let decision = case.decision.as_ref();
        Self {
            id: case.id.clone(),
            number: case.number.clone(),
            version: case.version,
            status: case.status,
            status_label: t.get(status_key(case.status)).to_string(),
            item_code: case.item_code.clone(),
            item_name: case.item_name.clone(),
            department,
            applicant_name: case.applicant.name.clone(),
            applicant_kind: t
                .get(match case.applicant.kind {
                    ApplicantKind::Person => "window-applicant-person",
                    ApplicantKind::Enterprise => "window-applicant-enterprise",
                })
                .to_string(),
            applicant_id: case.applicant.id_number.clone(),
            applicant_phone: case.applicant.phone.clone(),
            channel: t.get(channel_key(case.channel)).to_string(),
            centre: names.centre(t, &case.centre),
            route: network_route(t, names, case),
            received_at: t.time(&case.received_at),
            received_on: t.date(&case.received_on),
            accepted_on: case.accepted_on.as_ref().map(|d| t.date(d)),
            accepted_by: case.accepted_by.as_deref().map(|by| names.person(by)),
            deemed_accepted: case.deemed_accepted,
            promised_days: if case.promised_days == 0 {
                t.get("window-immediate").to_string()
            } else {
                count(t, "window-working-days", i64::from(case.promised_days))
            },
            due_on: detail.due_on.as_ref().map(|d| t.date(d)),
            due_provisional: provisional_note(t, detail.provisional_year),
            working_days_used: detail.working_days_used,
            timeliness: detail.timeliness,
            used_text: detail
                .working_days_used
                .map(|n| count(t, "window-used-days", i64::from(n))),
            days_left_text: days_left_text(t, case.status, detail.timeliness),
            light,
            light_label: light.map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
            extension: case
                .clock
                .as_ref()
                .filter(|c| c.extension_days > 0)
                .map(|c| {
                    t.fill(
                        "window-extension-text",
                        &[
                            ("n", &c.extension_days.to_string()),
                            ("reason", case.extension_reason.as_deref().unwrap_or("")),
                        ],
                    )
                }),
            rejection_reason: case.rejection_reason.clone(),
            decision: decision.map(|d| {
                t.fill(
                    if d.approved {
                        "window-decision-approved"
                    } else {
                        "window-decision-denied"
                    },
                    &[
                        ("who", &names.person(&d.decided_by)),
                        ("date", &t.date(&d.decided_on)),
                    ],
                )
            }),
            decision_reason: decision
                .map(|d| d.reason.clone())
                .filter(|r| !r.trim().is_empty()),
            result_document: case.result_document.clone(),
            delivery: case.delivery.as_ref().map(|m| delivery_text(t, m)),
            visit_count: detail.visit_count,
            visit_count_text: count(t, "window-visit-count", detail.visit_count as i64),
            visits_text: count(t, "window-visits", detail.visit_count as i64),
            at_most_once: at_most_once_kept(case),
            closed_on: case.closed_on.as_ref().map(|d| t.date(d)),
        }
    }

    pub fn light_class(&self) -> &'static str {
        self.light.map_or("", Light::class)
    }
}

pub(super) fn delivery_text(t: &Messages, method: &DeliveryMethod) -> String {
    match method {
        DeliveryMethod::Pickup {
            collected_by: Some(c),
        } => t.fill(
            if c.authorised {
                "window-delivery-pickup-authorised"
            } else {
                "window-delivery-pickup-holder"
            },
            &[
                ("name", &c.name),
                ("id", &c.id_number),
                (
                    "authorisation",
                    c.authorisation.as_deref().unwrap_or_default(),
                ),
            ],
        ),
        DeliveryMethod::Pickup { collected_by: None } => {
            t.get("window-delivery-pickup").to_string()
        }
        DeliveryMethod::Online => t.get("window-delivery-online").to_string(),
        DeliveryMethod::Express {
            address,
            tracking_number,
        } => t.fill(
            "window-delivery-express",
            &[
                ("address", address),
                ("tracking", tracking_number.as_deref().unwrap_or("—")),
            ],
        ),
    }
}

/// "受理：前童镇鹿山村代办点（村级）→ 审批：市场监督管理局（县级）→ 送达：受理地领取": where a case
/// was accepted, where it is decided (always the department at the county) and where it is
/// delivered (the accepting centre, by courier or online).
pub fn network_route(t: &Messages, names: &Names, case: &onewindow_domain::case::Case) -> String {
    let level = names
        .centres
        .iter()
        .find(|c| c.code == case.centre)
        .map_or(onewindow_domain::catalogue::Level::County, |c| c.level);
    let accepted = names.centre(t, &case.centre);
    let delivered = match &case.delivery {
        Some(onewindow_domain::case::DeliveryMethod::Pickup { .. }) => {
            t.fill1("case-route-pickup", "centre", &accepted)
        }
        Some(onewindow_domain::case::DeliveryMethod::Express { .. }) => {
            t.get("case-route-express").to_string()
        }
        Some(onewindow_domain::case::DeliveryMethod::Online) => {
            t.get("case-route-online").to_string()
        }
        None => t.fill1("case-route-pending", "centre", &accepted),
    };
    t.fill(
        "case-route",
        &[
            ("accepted", &accepted),
            ("level", t.get(&format!("hall-level-{}", level.as_str()))),
            ("department", &names.department(t, &case.department)),
            ("delivered", &delivered),
        ],
    )
}
