//! The delivery by post (快递送达) panel of a case at the window and on the applicant's page: what
//! the applicant chose, the parcels and what was reported of them. The window's forms that act on
//! it are in `window.rs`, with the rest of the case page's forms.

use onewindow_app::delivery::DeliveryView;
use onewindow_domain::case::Case;
use onewindow_domain::delivery::{AGREEMENT_VERSION, DeliveryChoice, ParcelReport, ParcelState};

use crate::i18n::Messages;

/// A courier the window can post with.
#[derive(Debug, Clone)]
pub struct CourierChoice {
    pub code: String,
    pub name: String,
}

/// A parcel as the window follows it.
#[derive(Debug, Clone)]
pub struct ParcelLine {
    pub waybill: String,
    pub courier: String,
    pub state: String,
    pub tone: &'static str,
    pub updates: Vec<String>,
    /// Still on its way: the window may record what the courier says.
    pub in_transit: bool,
    /// Came back undelivered.
    pub returned: bool,
}

/// Every parcel of a delivery as a line, its reports in words; `with_reporter` adds who
/// reported each (the window's view).
pub fn parcel_lines(t: &Messages, view: &DeliveryView, with_reporter: bool) -> Vec<ParcelLine> {
    let courier_name = |code: &str| {
        view.couriers
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    };
    view.delivery
        .parcels
        .iter()
        .map(|p| ParcelLine {
            waybill: p.waybill.clone(),
            courier: courier_name(&p.courier),
            state: t
                .get(&format!("applicant-parcel-{}", p.state.as_str()))
                .to_string(),
            tone: match p.state {
                ParcelState::InTransit => "warn",
                ParcelState::Signed => "ok",
                ParcelState::Returned => "bad",
            },
            updates: p
                .updates
                .iter()
                .map(|u| {
                    let what = match &u.report {
                        ParcelReport::InTransit { note } => note.clone(),
                        ParcelReport::Signed { signed_by } => {
                            t.fill1("applicant-parcel-signed-by", "name", signed_by)
                        }
                        ParcelReport::Returned { reason } => {
                            t.fill1("applicant-parcel-returned-why", "reason", reason)
                        }
                    };
                    if with_reporter {
                        format!("{} {what}（{}）", t.time(&u.at), u.by)
                    } else {
                        format!("{} {what}", t.time(&u.at))
                    }
                })
                .collect(),
            in_transit: p.state == ParcelState::InTransit,
            returned: p.state == ParcelState::Returned,
        })
        .collect()
}

/// The delivery by post of a case, as the window page draws it.
#[derive(Debug, Clone, Default)]
pub struct WindowPost {
    /// What the applicant chose, in words.
    pub choice: Option<String>,
    /// The result may be posted now (issued, express chosen, nothing on its way).
    pub may_dispatch: bool,
    /// The window may record the applicant's choice at the counter.
    pub may_choose: bool,
    pub couriers: Vec<CourierChoice>,
    pub parcels: Vec<ParcelLine>,
    pub agreement: String,
}

impl WindowPost {
    /// Whether there is anything to show.
    pub fn shown(&self) -> bool {
        self.choice.is_some() || self.may_dispatch || self.may_choose || !self.parcels.is_empty()
    }
}

/// The panel of `case` from its delivery.
pub fn panel(t: &Messages, case: &Case, view: &DeliveryView) -> WindowPost {
    let delivery = &view.delivery;
    WindowPost {
        choice: delivery.choice.as_ref().map(|c| match c {
            DeliveryChoice::Pickup => t.get("window-post-choice-pickup").to_string(),
            DeliveryChoice::Express { recipient, .. } => t.fill(
                "window-post-choice-express",
                &[
                    ("name", &recipient.name),
                    ("phone", &recipient.phone),
                    ("address", &recipient.address),
                    ("payer", &delivery.department),
                ],
            ),
        }),
        may_dispatch: delivery.ready_to_dispatch(case.status),
        may_choose: delivery.open_to_choice(case.status),
        couriers: view
            .couriers
            .iter()
            .map(|c| CourierChoice {
                code: c.code.clone(),
                name: c.name.clone(),
            })
            .collect(),
        parcels: parcel_lines(t, view, true),
        agreement: AGREEMENT_VERSION.to_string(),
    }
}
