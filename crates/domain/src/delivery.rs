//! Delivery of a result by post (快递送达): the applicant's choice of how the result comes, the
//! delivery agreement and address, the parcels the department posts at its own cost, and what
//! the courier reports of them. The case is delivered on the recipient's signature; a parcel
//! returned undelivered opens a new dispatch. Pickup at the window and the download are the
//! case's own ([`crate::case::DeliveryMethod`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::Status;
use crate::validation::{FieldError, TEXT_MAX_CHARS, check_text, text_problem};

/// The version of the delivery agreement (送达地址确认书) an applicant accepts when choosing
/// express delivery: the address is where documents of the case are served, and a parcel
/// signed there is delivered. A new text gets a new version.
pub const AGREEMENT_VERSION: &str = "2026-12";

/// The longest recipient name.
const NAME_MAX_CHARS: usize = 50;
/// The longest address.
const ADDRESS_MAX_CHARS: usize = 200;

/// Who receives an express delivery and where (收件人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipient {
    pub name: String,
    /// A mainland mobile number (11 digits, 1[3-9]…) or a landline with its area code.
    pub phone: String,
    /// The postal address, from the province or city down to the door (门牌号) or village.
    pub address: String,
}

impl Recipient {
    /// What is wrong with the recipient, by field (`recipient.name`, `recipient.phone`,
    /// `recipient.address`), every problem at once.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("recipient.name", "must not be empty"));
        }
        check_text(
            &mut errors,
            "recipient.name",
            &self.name,
            NAME_MAX_CHARS,
            false,
        );
        if !phone_is_valid(&self.phone) {
            errors.push(FieldError::new(
                "recipient.phone",
                "a mobile number of 11 digits (13800000000) or a landline with its area code (0574-65560000)",
            ));
        }
        let address = self.address.trim();
        if let Some(problem) = text_problem(address, ADDRESS_MAX_CHARS, false) {
            errors.push(FieldError::new("recipient.address", problem));
        } else if !address_is_deliverable(address) {
            errors.push(FieldError::new(
                "recipient.address",
                "a full address: the county or district, the township or street, and the road and number or the village (e.g. 浙江省宁波市宁海县跃龙街道兴宁中路 88 号)",
            ));
        }
        errors
    }
}

/// A mainland mobile number, or a landline `0` + area code + 7–8 digits (a dash or space
/// allowed after the area code).
pub fn phone_is_valid(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let bytes = digits.as_bytes();
    let mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
    let landline = (10..=12).contains(&bytes.len()) && bytes[0] == b'0' && bytes[1] != b'0';
    mobile || landline
}

/// Whether a courier can find the address: at least eight characters, a county-level or
/// township-level place (县, 区, 市, 镇, 乡, 街道) and a door or village below it (号, 村, 路,
/// 街, 弄, 幢, 室, 社区, 小区).
pub fn address_is_deliverable(address: &str) -> bool {
    let place = ["县", "区", "市", "镇", "乡", "街道"];
    let door = ["号", "村", "路", "街", "弄", "幢", "室", "社区", "小区"];
    address.chars().count() >= 8
        && place.iter().any(|p| address.contains(p))
        && door.iter().any(|d| address.contains(d))
}

/// How the applicant wants the result (送达方式): at the window, or by post to an address under
/// the delivery agreement. The download needs no choice: it is always there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DeliveryChoice {
    Pickup,
    Express {
        recipient: Recipient,
        /// The version of the delivery agreement accepted ([`AGREEMENT_VERSION`]).
        agreement: String,
    },
}

/// Where a parcel is (邮件状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParcelState {
    /// 运输中: posted, not yet signed or returned.
    InTransit,
    /// 已签收
    Signed,
    /// 已退回: returned undelivered.
    Returned,
}

impl ParcelState {
    pub fn as_str(self) -> &'static str {
        match self {
            ParcelState::InTransit => "in_transit",
            ParcelState::Signed => "signed",
            ParcelState::Returned => "returned",
        }
    }
}

/// What a courier (or the window, by hand) reports of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ParcelReport {
    /// A scan on the way (揽收, 到达, 派送中).
    InTransit {
        #[serde(default)]
        note: String,
    },
    /// Signed for, by whom (the recipient or someone for them).
    Signed { signed_by: String },
    /// Returned undelivered, and why (拒收, 查无此人, 地址不详).
    Returned { reason: String },
}

impl ParcelReport {
    pub fn state(&self) -> ParcelState {
        match self {
            ParcelReport::InTransit { .. } => ParcelState::InTransit,
            ParcelReport::Signed { .. } => ParcelState::Signed,
            ParcelReport::Returned { .. } => ParcelState::Returned,
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match self {
            ParcelReport::InTransit { note } => {
                check_text(&mut errors, "note", note, TEXT_MAX_CHARS, false);
            }
            ParcelReport::Signed { signed_by } => {
                if signed_by.trim().is_empty() {
                    errors.push(FieldError::new(
                        "signed_by",
                        "who signed for the parcel must be given",
                    ));
                }
                check_text(&mut errors, "signed_by", signed_by, NAME_MAX_CHARS, false);
            }
            ParcelReport::Returned { reason } => {
                if reason.trim().is_empty() {
                    errors.push(FieldError::new(
                        "reason",
                        "why the parcel came back must be given",
                    ));
                }
                check_text(&mut errors, "reason", reason, TEXT_MAX_CHARS, false);
            }
        }
        errors
    }
}

/// One report of a parcel, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParcelUpdate {
    pub at: DateTime<Utc>,
    pub report: ParcelReport,
    /// Who reported it: `courier:<code>` for a courier's webhook, or the clerk's user name.
    pub by: String,
}

/// A parcel posted with the result (邮件): its waybill, the courier, the recipient, who pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parcel {
    /// The waybill number (运单号).
    pub waybill: String,
    /// The courier's code (e.g. `ems`).
    pub courier: String,
    pub recipient: Recipient,
    /// The department that pays the postage (邮费由审批部门承担, as the county does).
    pub payer: String,
    pub dispatched_at: DateTime<Utc>,
    pub dispatched_by: String,
    pub state: ParcelState,
    /// Every report, oldest first.
    pub updates: Vec<ParcelUpdate>,
}

/// The delivery of one case by post: the applicant's choice and the parcels posted, oldest
/// first (a returned parcel is followed by the next dispatch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDelivery {
    pub case_id: String,
    pub case_number: String,
    /// The department of the case: it posts the result and pays for it.
    pub department: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<DeliveryChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_at: Option<DateTime<Utc>>,
    pub parcels: Vec<Parcel>,
    /// Bumped by every change; a write names the version it was based on.
    pub version: u64,
}

/// Why a delivery step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid delivery input: {}", crate::validation::list_field_errors(.0))]
    Invalid(Vec<FieldError>),
    /// The step does not fit where the delivery stands.
    #[error("{0}")]
    Conflict(String),
}

/// What a report did to the case's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// A scan on the way; nothing changes for the case.
    Moving,
    /// Signed: the case is delivered now.
    Signed,
    /// Returned: the result waits for a new dispatch (or for the applicant at the window).
    Returned,
    /// The same final report again (a courier retrying its webhook): nothing changes.
    Repeated,
}

impl CaseDelivery {
    pub fn new(case_id: &str, case_number: &str, department: &str) -> Self {
        Self {
            case_id: case_id.to_string(),
            case_number: case_number.to_string(),
            department: department.to_string(),
            choice: None,
            chosen_by: None,
            chosen_at: None,
            parcels: Vec::new(),
            version: 0,
        }
    }

    /// The parcel posted last, if any.
    pub fn current_parcel(&self) -> Option<&Parcel> {
        self.parcels.last()
    }

    /// A parcel is on its way.
    pub fn parcel_out(&self) -> bool {
        self.current_parcel()
            .is_some_and(|p| p.state == ParcelState::InTransit)
    }

    /// A parcel was signed for.
    pub fn signed(&self) -> bool {
        self.parcels.iter().any(|p| p.state == ParcelState::Signed)
    }

    /// Whether how the result comes may be chosen (or changed) now, the case being `status`:
    /// decided or its result issued, nothing signed for and no parcel on its way.
    pub fn open_to_choice(&self, status: Status) -> bool {
        matches!(
            status,
            Status::Approved | Status::Denied | Status::ResultIssued
        ) && !self.signed()
            && !self.parcel_out()
    }

    /// Whether the result may be posted now: issued, express chosen, nothing on its way or
    /// signed for.
    pub fn ready_to_dispatch(&self, status: Status) -> bool {
        status == Status::ResultIssued
            && self.express_recipient().is_some()
            && !self.parcel_out()
            && !self.signed()
    }

    /// The recipient of an express choice.
    pub fn express_recipient(&self) -> Option<&Recipient> {
        match &self.choice {
            Some(DeliveryChoice::Express { recipient, .. }) => Some(recipient),
            _ => None,
        }
    }

    /// The applicant (or the window for them) chooses how the result comes. An express choice
    /// needs a deliverable address and the current agreement accepted.
    pub fn choose(
        &self,
        choice: DeliveryChoice,
        case_status: Status,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<CaseDelivery, DeliveryError> {
        if let DeliveryChoice::Express {
            recipient,
            agreement,
        } = &choice
        {
            let mut errors = recipient.problems();
            if agreement != AGREEMENT_VERSION {
                errors.push(FieldError::new(
                    "agreement",
                    format!(
                        "accept the delivery agreement (送达地址确认书) of version {AGREEMENT_VERSION} to have the result posted"
                    ),
                ));
            }
            if !errors.is_empty() {
                return Err(DeliveryError::Invalid(errors));
            }
        }
        if !matches!(
            case_status,
            Status::Approved | Status::Denied | Status::ResultIssued
        ) || self.signed()
        {
            return Err(DeliveryError::Conflict(format!(
                "the way the result comes is chosen once it is decided and until it is delivered; the case is {}",
                case_status.as_str()
            )));
        }
        if self.parcel_out() {
            return Err(DeliveryError::Conflict(
                "a parcel is on its way; the choice can change once it is signed or returned"
                    .into(),
            ));
        }
        let mut next = self.clone();
        next.choice = Some(match choice {
            DeliveryChoice::Express {
                recipient,
                agreement,
            } => DeliveryChoice::Express {
                recipient: Recipient {
                    name: recipient.name.trim().to_string(),
                    phone: recipient.phone.trim().to_string(),
                    address: recipient.address.trim().to_string(),
                },
                agreement,
            },
            pickup => pickup,
        });
        next.chosen_by = Some(by.to_string());
        next.chosen_at = Some(at);
        next.version += 1;
        Ok(next)
    }

    /// The department posts the result to the chosen address (寄递), at its cost: the courier
    /// and the waybill number. Again after a return (re-delivery).
    pub fn dispatch(
        &self,
        courier: &str,
        waybill: &str,
        case_status: Status,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<CaseDelivery, DeliveryError> {
        let mut errors = Vec::new();
        if !is_courier_code(courier) {
            errors.push(FieldError::new(
                "courier",
                "a courier's code: 2–32 lower-case letters, digits or -",
            ));
        }
        let waybill = waybill.trim();
        if !is_waybill(waybill) {
            errors.push(FieldError::new(
                "waybill",
                "a waybill number: 8–30 letters and digits",
            ));
        }
        if !errors.is_empty() {
            return Err(DeliveryError::Invalid(errors));
        }
        if case_status != Status::ResultIssued {
            return Err(DeliveryError::Conflict(format!(
                "only an issued result waiting for delivery is posted; the case is {}",
                case_status.as_str()
            )));
        }
        let Some(recipient) = self.express_recipient() else {
            return Err(DeliveryError::Conflict(
                "the applicant has not chosen express delivery with an address".into(),
            ));
        };
        if self.parcel_out() || self.signed() {
            return Err(DeliveryError::Conflict(
                "a parcel of this case is on its way or signed for already".into(),
            ));
        }
        let mut next = self.clone();
        next.parcels.push(Parcel {
            waybill: waybill.to_string(),
            courier: courier.to_string(),
            recipient: recipient.clone(),
            payer: self.department.clone(),
            dispatched_at: at,
            dispatched_by: by.to_string(),
            state: ParcelState::InTransit,
            updates: Vec::new(),
        });
        next.version += 1;
        Ok(next)
    }

    /// A report of the parcel with `waybill`. A repeated final report is accepted and changes
    /// nothing (couriers retry webhooks); a different one after the end is refused.
    pub fn report(
        &self,
        waybill: &str,
        report: ParcelReport,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(CaseDelivery, ReportOutcome), DeliveryError> {
        let errors = report.problems();
        if !errors.is_empty() {
            return Err(DeliveryError::Invalid(errors));
        }
        let Some(index) = self.parcels.iter().position(|p| p.waybill == waybill) else {
            return Err(DeliveryError::Invalid(vec![FieldError::new(
                "waybill",
                format!("no parcel {waybill} for case {}", self.case_number),
            )]));
        };
        let parcel = &self.parcels[index];
        if parcel.state != ParcelState::InTransit {
            let same = parcel
                .updates
                .last()
                .is_some_and(|u| u.report.state() == report.state());
            return if same {
                Ok((self.clone(), ReportOutcome::Repeated))
            } else {
                Err(DeliveryError::Conflict(format!(
                    "parcel {waybill} is {} already",
                    parcel.state.as_str()
                )))
            };
        }
        let outcome = match report.state() {
            ParcelState::InTransit => ReportOutcome::Moving,
            ParcelState::Signed => ReportOutcome::Signed,
            ParcelState::Returned => ReportOutcome::Returned,
        };
        let mut next = self.clone();
        let parcel = &mut next.parcels[index];
        parcel.state = report.state();
        parcel.updates.push(ParcelUpdate {
            at,
            report,
            by: by.to_string(),
        });
        next.version += 1;
        Ok((next, outcome))
    }
}

/// A courier's code as the webhook's address names it.
pub fn is_courier_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_waybill(waybill: &str) -> bool {
    (8..=30).contains(&waybill.len()) && waybill.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, 0, 0)
            .single()
            .expect("a time")
    }

    fn recipient() -> Recipient {
        Recipient {
            name: "王小明".into(),
            phone: "13800000000".into(),
            address: "浙江省宁波市宁海县跃龙街道兴宁中路 88 号".into(),
        }
    }

    fn express() -> DeliveryChoice {
        DeliveryChoice::Express {
            recipient: recipient(),
            agreement: AGREEMENT_VERSION.into(),
        }
    }

    fn fields(e: DeliveryError) -> Vec<String> {
        match e {
            DeliveryError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            DeliveryError::Conflict(c) => panic!("a conflict, not invalid input: {c}"),
        }
    }

    #[test]
    fn phones_and_addresses_a_courier_can_use() {
        for good in [
            "13800000000",
            "0574-65560000",
            "0574 6556 0000",
            "19912345678",
        ] {
            assert!(phone_is_valid(good), "{good}");
        }
        for bad in [
            "12800000000",
            "1380000000",
            "65560000",
            "abc",
            "",
            "0074-65560000",
        ] {
            assert!(!phone_is_valid(bad), "{bad}");
        }
        assert!(address_is_deliverable("宁海县跃龙街道兴宁中路88号"));
        assert!(address_is_deliverable("宁海县桃源街道下桥村"));
        assert!(!address_is_deliverable("宁海县"));
        assert!(!address_is_deliverable("我家门口的那条小路"));
    }

    #[test]
    fn express_needs_a_deliverable_address_and_the_agreement() {
        let delivery = CaseDelivery::new("c1", "N1", "scjgj");
        let bad = DeliveryChoice::Express {
            recipient: Recipient {
                name: " ".into(),
                phone: "123".into(),
                address: "宁海".into(),
            },
            agreement: "2020-1".into(),
        };
        let refused = delivery
            .choose(bad, Status::ResultIssued, "citizen", at(9))
            .expect_err("refused");
        assert_eq!(
            fields(refused),
            vec![
                "recipient.name",
                "recipient.phone",
                "recipient.address",
                "agreement"
            ]
        );
        let chosen = delivery
            .choose(express(), Status::ResultIssued, "citizen", at(9))
            .expect("chosen");
        assert_eq!(chosen.express_recipient(), Some(&recipient()));
        assert_eq!(chosen.version, 1);
        assert!(matches!(
            delivery.choose(express(), Status::InReview, "citizen", at(9)),
            Err(DeliveryError::Conflict(_))
        ));
    }

    #[test]
    fn a_parcel_is_posted_at_the_departments_cost_signed_or_returned_and_posted_again() {
        let chosen = CaseDelivery::new("c1", "N1", "scjgj")
            .choose(express(), Status::ResultIssued, "citizen", at(9))
            .expect("chosen");
        assert!(matches!(
            chosen.dispatch("ems", "EM123456789CN", Status::Approved, "clerk", at(10)),
            Err(DeliveryError::Conflict(_))
        ));
        assert_eq!(
            fields(
                chosen
                    .dispatch("EMS!", "12", Status::ResultIssued, "clerk", at(10))
                    .expect_err("refused")
            ),
            vec!["courier", "waybill"]
        );
        let posted = chosen
            .dispatch(
                "ems",
                "EM123456789CN",
                Status::ResultIssued,
                "clerk",
                at(10),
            )
            .expect("posted");
        assert_eq!(posted.parcels[0].payer, "scjgj");
        assert!(posted.parcel_out());
        // One parcel at a time, and the address cannot change under it.
        assert!(matches!(
            posted.dispatch(
                "ems",
                "EM000000000CN",
                Status::ResultIssued,
                "clerk",
                at(10)
            ),
            Err(DeliveryError::Conflict(_))
        ));
        assert!(matches!(
            posted.choose(
                DeliveryChoice::Pickup,
                Status::ResultIssued,
                "citizen",
                at(10)
            ),
            Err(DeliveryError::Conflict(_))
        ));
        let (moving, outcome) = posted
            .report(
                "EM123456789CN",
                ParcelReport::InTransit {
                    note: "宁波中心已揽收".into(),
                },
                "courier:ems",
                at(11),
            )
            .expect("a scan");
        assert_eq!(outcome, ReportOutcome::Moving);
        let returned = ParcelReport::Returned {
            reason: "查无此人".into(),
        };
        let (back, outcome) = moving
            .report("EM123456789CN", returned.clone(), "courier:ems", at(12))
            .expect("returned");
        assert_eq!(outcome, ReportOutcome::Returned);
        assert!(!back.parcel_out());
        // The courier retries its webhook: accepted, nothing changes.
        let (same, outcome) = back
            .report("EM123456789CN", returned, "courier:ems", at(13))
            .expect("a repeat");
        assert_eq!(
            (same.version, outcome),
            (back.version, ReportOutcome::Repeated)
        );
        assert!(matches!(
            back.report(
                "EM123456789CN",
                ParcelReport::Signed {
                    signed_by: "王小明".into()
                },
                "courier:ems",
                at(13)
            ),
            Err(DeliveryError::Conflict(_))
        ));
        // Re-delivery: a new parcel to the same address.
        let again = back
            .dispatch(
                "ems",
                "EM987654321CN",
                Status::ResultIssued,
                "clerk",
                at(14),
            )
            .expect("posted again");
        let (signed, outcome) = again
            .report(
                "EM987654321CN",
                ParcelReport::Signed {
                    signed_by: "王小明".into(),
                },
                "courier:ems",
                at(15),
            )
            .expect("signed");
        assert_eq!(outcome, ReportOutcome::Signed);
        assert!(signed.signed());
        assert_eq!(signed.parcels.len(), 2);
        assert_eq!(
            fields(
                signed
                    .report(
                        "NOPE12345",
                        ParcelReport::Signed {
                            signed_by: "x".into()
                        },
                        "c",
                        at(16)
                    )
                    .expect_err("unknown")
            ),
            vec!["waybill"]
        );
    }

    proptest! {
        #[test]
        fn whatever_a_courier_reports_a_signed_parcel_stays_signed(
            reports in proptest::collection::vec(0u8..3, 1..12)
        ) {
            let mut delivery = CaseDelivery::new("c1", "N1", "scjgj")
                .choose(express(), Status::ResultIssued, "citizen", at(9))
                .expect("chosen")
                .dispatch("ems", "EM123456789CN", Status::ResultIssued, "clerk", at(10))
                .expect("posted");
            let mut ended: Option<ParcelState> = None;
            for r in reports {
                let report = match r {
                    0 => ParcelReport::InTransit { note: String::new() },
                    1 => ParcelReport::Signed { signed_by: "王小明".into() },
                    _ => ParcelReport::Returned { reason: "拒收".into() },
                };
                match delivery.report("EM123456789CN", report, "courier:ems", at(11)) {
                    Ok((next, _)) => delivery = next,
                    Err(DeliveryError::Conflict(_)) => prop_assert!(ended.is_some()),
                    Err(e) => prop_assert!(false, "unexpected {e}"),
                }
                let state = delivery.parcels[0].state;
                if let Some(end) = ended {
                    prop_assert_eq!(state, end);
                } else if state != ParcelState::InTransit {
                    ended = Some(state);
                }
            }
        }
    }
}
