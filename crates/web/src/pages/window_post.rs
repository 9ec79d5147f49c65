//! The window's part of delivery by post (快递送达): what the applicant chose (or choosing it for
//! them at the counter, where they sign the agreement on paper), posting the result with the
//! courier's waybill, and recording by hand what the courier says of a parcel.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::routing::post;
use onewindow_app::delivery::DeliveryView;
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::case::{Case, Status};
use onewindow_domain::delivery::{
    AGREEMENT_VERSION, DeliveryChoice, ParcelReport, ParcelState, Recipient,
};

use crate::i18n::Messages;
use crate::pages::case_view::{self, FormFields};
use crate::pages::page_error::PageResult;
use crate::pages::{PageCtx, encode_query_value, see_other};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/window/cases/{id}/delivery-choice", post(choose))
        .route("/window/cases/{id}/parcels", post(dispatch))
        .route("/window/cases/{id}/parcels/{waybill}", post(report))
}

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
    let open = !delivery.parcel_out() && !delivery.signed();
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
        may_dispatch: case.status == Status::ResultIssued
            && open
            && delivery.express_recipient().is_some(),
        may_choose: open
            && matches!(
                case.status,
                Status::Approved | Status::Denied | Status::ResultIssued
            ),
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

/// The answer to a delivery form: back to the case, or the case again with the refusal.
async fn answer(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    form_name: &str,
    form: FormFields,
    result: Result<DeliveryView, AppError>,
) -> PageResult {
    Ok(match result {
        Ok(view) => see_other(&format!(
            "/window/cases/{}?done={form_name}",
            encode_query_value(&view.delivery.case_number)
        )),
        Err(e) => match case_view::refusal(ctx.chrome.t, form_name, e) {
            Ok(r) => {
                super::window::show_case(service, ctx, id, r.status, Some(r.notice), r.errors, form)
                    .await
            }
            Err(e) => ctx.app_error(e),
        },
    })
}

/// The applicant's choice, recorded at the counter (they sign the agreement on paper).
async fn choose(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let choice = match form.value("method") {
        "express" => DeliveryChoice::Express {
            recipient: Recipient {
                name: form.value("recipient").trim().to_string(),
                phone: form.value("phone").trim().to_string(),
                address: form.value("address").trim().to_string(),
            },
            agreement: form.value("agreement").trim().to_string(),
        },
        _ => DeliveryChoice::Pickup,
    };
    let result = service.choose_delivery(&session.actor, &id, choice).await;
    answer(&service, &ctx, &id, "delivery-choice", form, result).await
}

/// Posts the result with the courier's waybill.
async fn dispatch(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let result = service
        .dispatch_parcel(
            &session.actor,
            &id,
            form.value("courier"),
            form.value("waybill"),
        )
        .await;
    answer(&service, &ctx, &id, "dispatch", form, result).await
}

/// Records by hand what the courier says of a parcel.
async fn report(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, waybill)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let detail = form.value("detail").trim().to_string();
    let report = match form.value("state") {
        "signed" => ParcelReport::Signed { signed_by: detail },
        "returned" => ParcelReport::Returned { reason: detail },
        "in_transit" => ParcelReport::InTransit { note: detail },
        _ => {
            let result = Err(AppError::invalid("state", "in_transit, signed or returned"));
            return answer(&service, &ctx, &id, "report", form, result).await;
        }
    };
    let result = service
        .report_parcel(&session.actor, &id, &waybill, report)
        .await;
    answer(&service, &ctx, &id, "report", form, result).await
}
