//! The decision document (准予 / 不予行政许可决定书) as a PDF: what a granted case without a
//! licence, and every refused case, delivers online (网上下载). The applicant's first download
//! of a result waiting for delivery delivers the case, as a licence's does.

use onewindow_domain::case::{Case, Status};
use onewindow_report::DecisionSheet;
use onewindow_store::licences as licence_rows;

use crate::actor::Actor;
use crate::error::AppError;
use crate::licences::{LicencePdf, department_title, licence_font};
use crate::service::Service;

/// Statuses in which the decision document exists: the result is issued.
fn issued(status: Status) -> bool {
    matches!(
        status,
        Status::ResultIssued | Status::Delivered | Status::Closed
    )
}

fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The words of the document (Chinese: it is the official text), from the case, the deciding
/// department's name and the licences the case issued (type and number).
pub fn decision_sheet(
    case: &Case,
    issuer: &str,
    licences: &[(String, String)],
) -> Option<DecisionSheet> {
    let decision = case.decision.as_ref()?;
    let mut paragraphs = Vec::new();
    let received = chinese_date(case.received_on);
    let accepted = case
        .accepted_on
        .map_or_else(|| received.clone(), chinese_date);
    let reason = decision.reason.trim().trim_end_matches('。');
    let (title, ruling) = if decision.approved {
        (
            "准予行政许可决定书",
            "根据《中华人民共和国行政许可法》第三十八条第一款的规定，本机关决定准予行政许可。",
        )
    } else {
        (
            "不予行政许可决定书",
            "根据《中华人民共和国行政许可法》第三十八条第二款的规定，本机关决定不予行政许可。",
        )
    };
    paragraphs.push(format!(
        "你（单位）于{received}提出的“{}”申请（受理编号 {}），本机关已于{accepted}依法受理。经审查，{}。{ruling}",
        case.item_name,
        case.number,
        if reason.is_empty() {
            if decision.approved {
                "申请材料齐全、符合法定形式，符合法定条件、标准"
            } else {
                "申请不符合法定条件、标准"
            }
        } else {
            reason
        },
    ));
    if decision.approved {
        for (licence_type, number) in licences {
            paragraphs.push(format!(
                "本机关向你（单位）颁发{licence_type}（电子证照，编号 {number}），与纸质证照具有同等法律效力，可在“证照核验”页面查验其真伪和状态。"
            ));
        }
    } else {
        paragraphs.push(
            "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
                .to_string(),
        );
    }
    Some(DecisionSheet {
        lang: "zh-CN".into(),
        title: title.into(),
        number: case
            .result_document
            .clone()
            .unwrap_or_else(|| case.number.clone()),
        addressee: format!("{}：", case.applicant.name),
        paragraphs,
        issuer: issuer.to_string(),
        seal_text: "行政许可专用章".into(),
        dated: chinese_date(decision.decided_on),
        footer: vec![format!(
            "受理编号 {}。办理进度可凭受理编号和申请人名称在“办件查询”页面查询。",
            case.number
        )],
    })
}

impl Service {
    /// The decision document of a case whose result is issued, for whoever may read the case.
    /// The applicant's (or the filing agent's) first download of a result waiting for delivery
    /// delivers the case.
    pub async fn decision_pdf(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<LicencePdf, AppError> {
        let detail = self.case(actor, case_ref).await?;
        let case = &detail.case;
        if !issued(case.status) || case.decision.is_none() {
            return Err(AppError::Conflict(format!(
                "case {} has no decision document yet: it is issued with the result",
                case.number
            )));
        }
        let issuer = self
            .departments()
            .await?
            .into_iter()
            .find(|d| d.code == case.department)
            .map_or_else(|| case.department.clone(), |d| department_title(&d.name));
        let licences: Vec<(String, String)> =
            licence_rows::of_case(self.store().readers(), &case.id)
                .await?
                .into_iter()
                .map(|s| (s.licence.licence_type, s.licence.number))
                .collect();
        let sheet = decision_sheet(case, &issuer, &licences)
            .ok_or_else(|| AppError::Internal("a decided case without its decision".into()))?;
        let font = licence_font()?;
        let bytes = onewindow_report::render_decision(&sheet, font)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let document = sheet.number.clone();
        self.record_download(
            actor,
            &case.id,
            &format!("decision:{document}"),
            None,
            self.now(),
        )
        .await?;
        Ok(LicencePdf {
            bytes,
            file_name: format!("{}-decision.pdf", case.number),
        })
    }
}
