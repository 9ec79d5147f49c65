//! Delivery of results by post (快递送达): the applicant's choice and agreement, posting at the
//! department's cost, what couriers report through a signed webhook (or the window by hand), and
//! delivery on signature; the count of deliveries by method per period. The rules are the
//! domain's ([`onewindow_domain::delivery`]); this is the shell around them.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{KeyInit, Mac};
use onewindow_domain::access::{self, DeliveryOperation, Operation, Principal};
use onewindow_domain::audit::Outcome;
use onewindow_domain::case::{Case, CaseCommand, CaseEvent, DeliveryMethod};
use onewindow_domain::delivery::{
    AGREEMENT_VERSION, CaseDelivery, DeliveryChoice, DeliveryError, ParcelReport, ReportOutcome,
    is_courier_code,
};
use onewindow_store::deliveries::{self as delivery_rows, CourierRow};
use onewindow_store::{Conn, audit as audit_rows, cases as case_rows, enqueue_outbox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::actor::Actor;
use crate::case_policy::{facts, refusal};
use crate::error::AppError;
use crate::service::Service;

/// How far a courier's timestamp may be from the service's clock, either way: a signed report
/// replayed later than this is refused.
pub const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;

/// A courier as the window picks it (the secret stays in the store).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourierInfo {
    pub code: String,
    pub name: String,
}

/// A case's delivery by post as it leaves the service: the choice, the parcels and their
/// reports, the agreement's current version and the couriers the window can post with. The
/// recipient's phone number is masked for anyone but the applicant's side and readers with the
/// personal-data permission.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub delivery: CaseDelivery,
    /// The delivery agreement an express choice accepts.
    pub agreement: String,
    pub couriers: Vec<CourierInfo>,
}

/// What a courier's webhook carries: the waybill and the report (`state` in_transit, signed or
/// returned, with `note`, `signed_by` or `reason`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourierReport {
    pub waybill: String,
    #[serde(flatten)]
    pub report: ParcelReport,
}

/// The answer to a courier: what the report did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourierAnswer {
    pub case_number: String,
    pub waybill: String,
    /// in_transit, signed or returned.
    pub parcel_state: String,
    /// True when the report was a repeat and changed nothing.
    pub repeated: bool,
    /// True when the signature delivered the case.
    pub delivered: bool,
}

/// Deliveries by method in a period (送达统计): what the county reports as express deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryCounts {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    /// 窗口领取
    pub pickup: u64,
    /// 快递送达 (signed for)
    pub express: u64,
    /// 网上下载 (first download)
    pub online: u64,
    pub total: u64,
}

/// Counts delivered events by their method.
pub fn count_deliveries<'a>(
    methods: impl IntoIterator<Item = &'a DeliveryMethod>,
    from: NaiveDate,
    to: NaiveDate,
) -> DeliveryCounts {
    let mut counts = DeliveryCounts {
        from,
        to,
        pickup: 0,
        express: 0,
        online: 0,
        total: 0,
    };
    for method in methods {
        match method {
            DeliveryMethod::Pickup { .. } => counts.pickup += 1,
            DeliveryMethod::Express { .. } => counts.express += 1,
            DeliveryMethod::Online => counts.online += 1,
        }
        counts.total += 1;
    }
    counts
}

/// The HMAC-SHA256 a courier signs a report with: over `<timestamp>.<body>`, hex, as the
/// `X-Onewindow-Signature: sha256=<hex>` header carries it.
pub fn webhook_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `presented` (`sha256=<hex>`) is the signature of `<timestamp>.<body>` under `secret`,
/// compared in constant time.
fn signature_matches(secret: &str, timestamp: &str, body: &[u8], presented: &str) -> bool {
    let Some(hex) = presented.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(bytes) = decode_hex(hex) else {
        return false;
    };
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The delivery as `who` may see it.
fn disclose_delivery(who: &Principal, case: &Case, delivery: &mut CaseDelivery) {
    let applicant_side = who.user_id.as_str() == case.filed_by.as_deref().unwrap_or_default()
        || who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&case.applicant.id_number));
    if applicant_side || who.may_reveal_personal_data {
        return;
    }
    let mask = |r: &mut onewindow_domain::delivery::Recipient| {
        r.phone = access::mask(&r.phone);
        r.address = access::mask_numbers(&r.address);
    };
    if let Some(DeliveryChoice::Express { recipient, .. }) = &mut delivery.choice {
        mask(recipient);
    }
    for parcel in &mut delivery.parcels {
        mask(&mut parcel.recipient);
    }
}

fn delivery_error(e: DeliveryError) -> AppError {
    match e {
        DeliveryError::Invalid(errors) => AppError::Invalid(errors),
        DeliveryError::Conflict(message) => AppError::Conflict(message),
    }
}

impl Actor {
    /// A courier reporting through its webhook: the service acts on its word.
    pub fn courier(code: &str, source: &str) -> Self {
        let mut principal = Principal::system();
        principal.username = format!("courier:{code}");
        principal.display_name = principal.username.clone();
        Actor::new(principal, source)
    }
}

/// A step of the delivery inside a write job: load the case and its delivery, check the policy.
async fn load_for(
    conn: &mut Conn,
    actor: &Actor,
    case_ref: &str,
    op: DeliveryOperation,
) -> Result<(Case, CaseDelivery), AppError> {
    let case = case_rows::load(&mut *conn, case_ref)
        .await?
        .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
    refusal(
        access::decide_delivery(&actor.principal, op, &facts(&case)),
        &case,
        case_ref,
    )?;
    let delivery = delivery_rows::get(&mut *conn, &case.id)
        .await?
        .unwrap_or_else(|| CaseDelivery::new(&case.id, &case.number, &case.department));
    Ok((case, delivery))
}

/// Writes the delivery's next state (if still at the version it was read at), audits and tells
/// the outbox.
async fn save(
    conn: &mut Conn,
    before: &CaseDelivery,
    next: &CaseDelivery,
    actor: &Actor,
    now: DateTime<Utc>,
    action: &str,
    detail: String,
) -> Result<(), AppError> {
    let at = now.to_rfc3339();
    if !delivery_rows::save(&mut *conn, next, before.version, &at).await? {
        return Err(AppError::Conflict(format!(
            "the delivery of case {} was changed by someone else; reload and try again",
            next.case_number
        )));
    }
    audit_rows::append(
        &mut *conn,
        actor.entry(
            now,
            action,
            format!("case:{}", next.case_number),
            Outcome::Success,
            detail,
        ),
    )
    .await?;
    let message = serde_json::json!({
        "case_id": next.case_id,
        "number": next.case_number,
        "action": action,
        "parcel": next.current_parcel().map(|p| serde_json::json!({
            "waybill": p.waybill,
            "courier": p.courier,
            "state": p.state,
        })),
    });
    enqueue_outbox(&mut *conn, "delivery.changed", &message.to_string(), &at).await?;
    Ok(())
}

/// Applies a parcel report inside the caller's transaction: the delivery, the parcel's row, and
/// on a signature the case's delivery.
async fn apply_report(
    conn: &mut Conn,
    actor: &Actor,
    case: &Case,
    delivery: &CaseDelivery,
    waybill: &str,
    report: ParcelReport,
    (now, calendar): (DateTime<Utc>, &onewindow_domain::calendar::Calendar),
) -> Result<(CaseDelivery, ReportOutcome), AppError> {
    let (next, outcome) = delivery
        .report(waybill, report, actor.username(), now)
        .map_err(delivery_error)?;
    if outcome == ReportOutcome::Repeated {
        return Ok((next, outcome));
    }
    let parcel = next
        .parcels
        .iter()
        .find(|p| p.waybill == waybill)
        .ok_or_else(|| AppError::Internal(format!("parcel {waybill} vanished")))?;
    delivery_rows::set_parcel_state(&mut *conn, parcel).await?;
    save(
        &mut *conn,
        delivery,
        &next,
        actor,
        now,
        "delivery.report",
        format!("parcel {waybill}: {}", parcel.state.as_str()),
    )
    .await?;
    if outcome == ReportOutcome::Signed {
        crate::case_sync::run_own_command(
            &mut *conn,
            case,
            &CaseCommand::RecordSignature {
                address: parcel.recipient.address.clone(),
                waybill: waybill.to_string(),
            },
            actor,
            (now, calendar),
            (
                "case.deliver",
                format!("delivered by post: parcel {waybill} signed for"),
            ),
        )
        .await?;
    }
    Ok((next, outcome))
}

/// A user's step of a case's delivery.
enum Step {
    Choose(DeliveryChoice),
    Dispatch {
        courier: String,
        waybill: String,
    },
    Report {
        waybill: String,
        report: ParcelReport,
    },
}

impl Step {
    /// The name the audit trail gives it.
    fn action(&self) -> &'static str {
        match self {
            Step::Choose(_) => "delivery.choose",
            Step::Dispatch { .. } => "delivery.dispatch",
            Step::Report { .. } => "delivery.report",
        }
    }

    fn operation(&self) -> DeliveryOperation {
        match self {
            Step::Choose(_) => DeliveryOperation::Choose,
            _ => DeliveryOperation::Post,
        }
    }
}

/// Posts the result: the parcel recorded by its courier and waybill (which must be the
/// courier's and not used before), inside the caller's transaction.
async fn dispatch(
    conn: &mut Conn,
    actor: &Actor,
    case: &Case,
    delivery: &CaseDelivery,
    courier: &str,
    waybill: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let next = delivery
        .dispatch(courier, waybill, case.status, actor.username(), now)
        .map_err(delivery_error)?;
    if delivery_rows::courier(&mut *conn, courier).await?.is_none() {
        return Err(AppError::invalid(
            "courier",
            format!("no courier {courier}: choose one of the couriers set up"),
        ));
    }
    let parcel = next
        .current_parcel()
        .ok_or_else(|| AppError::Internal("a dispatch without a parcel".into()))?;
    if !delivery_rows::insert_parcel(&mut *conn, &case.id, parcel).await? {
        return Err(AppError::invalid(
            "waybill",
            format!("waybill {waybill} of {courier} is used by a parcel already"),
        ));
    }
    let detail = format!(
        "{courier} {waybill}, postage paid by {} (parcel {})",
        parcel.payer,
        next.parcels.len()
    );
    save(
        &mut *conn,
        delivery,
        &next,
        actor,
        now,
        "delivery.dispatch",
        detail,
    )
    .await
}

impl Service {
    /// The couriers the window can post with.
    pub async fn couriers(&self) -> Result<Vec<CourierInfo>, AppError> {
        Ok(delivery_rows::couriers(self.store().readers())
            .await?
            .into_iter()
            .map(|c| CourierInfo {
                code: c.code,
                name: c.name,
            })
            .collect())
    }

    /// Adds a courier allowed to report on parcels; returns the shared secret its webhook signs
    /// with, shown this once. Administrators (and the command line) only.
    pub async fn add_courier(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
    ) -> Result<String, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let mut errors = Vec::new();
        if !is_courier_code(code) {
            errors.push(onewindow_domain::validation::FieldError::new(
                "code",
                "2–32 lower-case letters, digits or -, e.g. ems",
            ));
        }
        if name.trim().is_empty() {
            errors.push(onewindow_domain::validation::FieldError::new(
                "name",
                "must not be empty",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let row = CourierRow {
            code: code.to_string(),
            name: name.trim().to_string(),
            secret: secret.clone(),
            created_at: self.now().to_rfc3339(),
        };
        let actor = actor.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if !delivery_rows::add_courier(&mut *conn, &row).await? {
                        return Err(AppError::Conflict(format!(
                            "a courier {} exists already",
                            row.code
                        )));
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "courier.add",
                            format!("courier:{}", row.code),
                            Outcome::Success,
                            row.name.clone(),
                        ),
                    )
                    .await?;
                    Ok(())
                })
            })
            .await?;
        Ok(secret)
    }

    /// A case's delivery by post, for someone who may read the case.
    pub async fn case_delivery(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<DeliveryView, AppError> {
        let readers = self.store().readers();
        let case = case_rows::load(readers, case_ref)
            .await?
            .filter(|c| {
                access::decide_case(&actor.principal, access::CaseOperation::Read, &facts(c))
                    .is_allowed()
            })
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let mut delivery = delivery_rows::get(readers, &case.id)
            .await?
            .unwrap_or_else(|| CaseDelivery::new(&case.id, &case.number, &case.department));
        disclose_delivery(&actor.principal, &case, &mut delivery);
        Ok(DeliveryView {
            delivery,
            agreement: AGREEMENT_VERSION.to_string(),
            couriers: self.couriers().await?,
        })
    }

    /// The applicant (or the window for them) chooses how the result comes.
    pub async fn choose_delivery(
        &self,
        actor: &Actor,
        case_ref: &str,
        choice: DeliveryChoice,
    ) -> Result<DeliveryView, AppError> {
        self.delivery_step(actor, case_ref, Step::Choose(choice))
            .await
    }

    /// The window or the department posts the result with the courier's waybill (again after
    /// a return).
    pub async fn dispatch_parcel(
        &self,
        actor: &Actor,
        case_ref: &str,
        courier: &str,
        waybill: &str,
    ) -> Result<DeliveryView, AppError> {
        let step = Step::Dispatch {
            courier: courier.trim().to_string(),
            waybill: waybill.trim().to_uppercase(),
        };
        self.delivery_step(actor, case_ref, step).await
    }

    /// The window records by hand what the courier says of a parcel (a phone call, the
    /// courier's own site), when the courier has no webhook.
    pub async fn report_parcel(
        &self,
        actor: &Actor,
        case_ref: &str,
        waybill: &str,
        report: ParcelReport,
    ) -> Result<DeliveryView, AppError> {
        let step = Step::Report {
            waybill: waybill.trim().to_uppercase(),
            report,
        };
        self.delivery_step(actor, case_ref, step).await
    }

    /// One step of a case's delivery by a user, in one transaction: the policy, the domain's
    /// rule, the rows, the audit record and the outbox; a refusal is audited. Answers the
    /// delivery as the actor may see it.
    async fn delivery_step(
        &self,
        actor: &Actor,
        case_ref: &str,
        step: Step,
    ) -> Result<DeliveryView, AppError> {
        let now = self.now();
        let calendar = self.calendar();
        let action = step.action();
        let owned_actor = actor.clone();
        let owned_ref = case_ref.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = owned_actor;
                    let (case, delivery) =
                        load_for(&mut *conn, &actor, &owned_ref, step.operation()).await?;
                    match step {
                        Step::Choose(choice) => {
                            let next = delivery
                                .choose(choice, case.status, actor.username(), now)
                                .map_err(delivery_error)?;
                            let detail = match &next.choice {
                                Some(DeliveryChoice::Express { agreement, .. }) => {
                                    format!("express, agreement {agreement}")
                                }
                                _ => "pickup".to_string(),
                            };
                            save(&mut *conn, &delivery, &next, &actor, now, action, detail).await
                        }
                        Step::Dispatch { courier, waybill } => {
                            dispatch(
                                &mut *conn, &actor, &case, &delivery, &courier, &waybill, now,
                            )
                            .await
                        }
                        Step::Report { waybill, report } => apply_report(
                            &mut *conn,
                            &actor,
                            &case,
                            &delivery,
                            &waybill,
                            report,
                            (now, &calendar),
                        )
                        .await
                        .map(|_| ()),
                    }
                })
            })
            .await;
        self.audit_refusal(actor, action, case_ref, result).await?;
        self.case_delivery(actor, case_ref).await
    }

    /// A courier's webhook: `courier` from the address, the `timestamp` and `signature`
    /// headers, the raw body. A wrong or missing signature, a stale timestamp, a courier not
    /// set up or a waybill it did not carry for us is refused and audited; nothing changes.
    pub async fn courier_report(
        &self,
        courier: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        source: &str,
    ) -> Result<CourierAnswer, AppError> {
        let actor = Actor::courier(courier, source);
        let result = self
            .courier_report_checked(&actor, courier, timestamp, signature, body)
            .await;
        if let Err(e) = &result {
            self.audit_alone(actor.entry(
                self.now(),
                "delivery.courier-report",
                format!("courier:{courier}"),
                Outcome::Denied,
                e.to_string(),
            ))
            .await?;
        }
        result
    }

    async fn courier_report_checked(
        &self,
        actor: &Actor,
        courier: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<CourierAnswer, AppError> {
        let unsigned = || {
            AppError::Unauthenticated(
                "a courier's report is signed: X-Onewindow-Timestamp (Unix seconds) and X-Onewindow-Signature (sha256=HMAC of \"<timestamp>.<body>\" with the courier's secret)".into(),
            )
        };
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(unsigned());
        };
        let known = if is_courier_code(courier) {
            delivery_rows::courier(self.store().readers(), courier).await?
        } else {
            None
        };
        let Some(row) = known else {
            return Err(AppError::Unauthenticated(format!(
                "no courier {courier} is set up to report"
            )));
        };
        if !signature_matches(&row.secret, timestamp, body, signature) {
            return Err(AppError::Unauthenticated(
                "the signature does not match the report and the courier's secret".into(),
            ));
        }
        let sent = timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .ok_or_else(|| {
                AppError::invalid("X-Onewindow-Timestamp", "Unix seconds, e.g. 1796342400")
            })?;
        let now = self.now();
        if (now - sent).num_seconds().abs() > WEBHOOK_TOLERANCE_SECONDS {
            return Err(AppError::Unauthenticated(format!(
                "the report was signed at {sent}, more than {WEBHOOK_TOLERANCE_SECONDS} seconds from now: send it again, freshly signed"
            )));
        }
        let report: CourierReport = serde_json::from_slice(body).map_err(|e| {
            AppError::invalid(
                "body",
                format!("{{\"waybill\": …, \"state\": \"in_transit\" | \"signed\" | \"returned\", …}}: {e}"),
            )
        })?;
        let waybill = report.waybill.trim().to_uppercase();
        let Some(case_id) =
            delivery_rows::parcel_case(self.store().readers(), courier, &waybill).await?
        else {
            return Err(AppError::not_found(format!(
                "parcel {waybill} of courier {courier}"
            )));
        };
        let calendar = self.calendar();
        let actor = actor.clone();
        let courier = courier.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let case = case_rows::load(&mut *conn, &case_id)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("case {case_id}")))?;
                    let delivery =
                        delivery_rows::get(&mut *conn, &case_id)
                            .await?
                            .ok_or_else(|| {
                                AppError::not_found(format!(
                                    "parcel {waybill} of courier {courier}"
                                ))
                            })?;
                    let (next, outcome) = apply_report(
                        &mut *conn,
                        &actor,
                        &case,
                        &delivery,
                        &waybill,
                        report.report,
                        (now, &calendar),
                    )
                    .await?;
                    let state = next
                        .parcels
                        .iter()
                        .find(|p| p.waybill == waybill)
                        .map_or("in_transit", |p| p.state.as_str());
                    Ok(CourierAnswer {
                        case_number: case.number.clone(),
                        waybill: waybill.clone(),
                        parcel_state: state.to_string(),
                        repeated: outcome == ReportOutcome::Repeated,
                        delivered: outcome == ReportOutcome::Signed,
                    })
                })
            })
            .await
    }

    /// Deliveries by method from `from` to `to` (both days, China time). Supervisors only.
    pub async fn delivery_counts(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DeliveryCounts, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        if to < from {
            return Err(AppError::invalid("to", "the period ends before it starts"));
        }
        let start = crate::clock::local_day_start;
        let until = to.succ_opt().unwrap_or(to);
        let rows = delivery_rows::delivered_between(
            self.store().readers(),
            &start(from).to_rfc3339(),
            &start(until).to_rfc3339(),
        )
        .await?;
        let mut methods = Vec::with_capacity(rows.len());
        for (at, body) in rows {
            let event: CaseEvent = serde_json::from_str(&body)
                .map_err(|e| onewindow_store::StoreError::corrupt(format!("event at {at}"), e))?;
            if let CaseEvent::Delivered { method } = event {
                methods.push(method);
            }
        }
        Ok(count_deliveries(&methods, from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_checked_over_the_timestamp_and_the_body() {
        let body = br#"{"waybill":"EM123456789CN","state":"signed","signed_by":"x"}"#;
        let good = format!("sha256={}", webhook_signature("s3cret", "1796342400", body));
        assert!(signature_matches("s3cret", "1796342400", body, &good));
        assert!(!signature_matches("s3cret", "1796342401", body, &good));
        assert!(!signature_matches("other", "1796342400", body, &good));
        assert!(!signature_matches("s3cret", "1796342400", b"{}", &good));
        assert!(!signature_matches(
            "s3cret",
            "1796342400",
            body,
            "sha256=zz"
        ));
        assert!(!signature_matches("s3cret", "1796342400", body, &good[7..]));
    }

    #[test]
    fn deliveries_are_counted_by_method() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let methods = [
            DeliveryMethod::Online,
            DeliveryMethod::Pickup { collected_by: None },
            DeliveryMethod::Express {
                address: "a".into(),
                tracking_number: None,
            },
            DeliveryMethod::Online,
        ];
        let counts = count_deliveries(&methods, day, day);
        assert_eq!(
            (counts.pickup, counts.express, counts.online, counts.total),
            (1, 1, 2, 4)
        );
    }
}
