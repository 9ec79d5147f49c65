//! Documents rendered from onewindow's figures: spreadsheets (XLSX), charts (SVG, drawn by
//! plotters) and the monthly inspection report (HTML, and PDF with an embedded CJK font subset,
//! written by krilla). Everything here is a pure function of figures (and of a font's bytes), so
//! the pages, the API and the command line render the same documents; the heavier dependencies
//! compile only in this crate.

pub mod chart;
pub mod decision;
pub mod document;
pub mod font;
pub mod licence;
pub mod monthly;
pub mod pdf;

pub use chart::{Chart, ChartError, DayCount, RateRow};
pub use decision::{DecisionSheet, render_decision};
pub use document::{Align, Block, Column, Document, Table};
pub use font::{FontError, ReportFont};
pub use licence::{LicenceSheet, render_licence};
pub use pdf::PdfError;

use onewindow_domain::statistics::PeriodStatistics;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Rendering failed; never the user's doing.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the spreadsheet: {0}")]
pub struct ReportError(#[from] XlsxError);

/// The labels of the statistics sheet, in the reader's language.
pub struct StatisticsLabels<'a> {
    pub sheet: &'a str,
    pub figure: &'a str,
    pub value: &'a str,
    pub numerator: &'a str,
    pub denominator: &'a str,
    pub period: &'a str,
    pub received: &'a str,
    pub accepted: &'a str,
    pub rejected: &'a str,
    pub withdrawn: &'a str,
    pub completed: &'a str,
    pub on_time: &'a str,
    pub ahead: &'a str,
    pub at_most_once: &'a str,
    pub days_used: &'a str,
    pub days_promised: &'a str,
    pub overdue: &'a str,
    pub suspended: &'a str,
    pub extended: &'a str,
    pub satisfaction: &'a str,
    pub good_rate: &'a str,
    pub bad_ratings: &'a str,
    pub rectified_on_time: &'a str,
    pub complaints: &'a str,
}

/// The figures of a period as an XLSX workbook with one sheet: a row per figure, rates as
/// numbers formatted as percentages (so a spreadsheet can compute with them) beside their
/// numerator and denominator.
pub fn statistics_xlsx(
    s: &PeriodStatistics,
    l: &StatisticsLabels<'_>,
) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(l.sheet)?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.00%");
    let days = Format::new().set_num_format("0.00");
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 14)?;
    sheet.set_column_width(2, 12)?;
    sheet.set_column_width(3, 12)?;
    sheet.write_string_with_format(0, 0, l.figure, &bold)?;
    sheet.write_string_with_format(0, 1, l.value, &bold)?;
    sheet.write_string_with_format(0, 2, l.numerator, &bold)?;
    sheet.write_string_with_format(0, 3, l.denominator, &bold)?;
    sheet.write_string(1, 0, l.period)?;
    sheet.write_string(1, 1, format!("{} – {}", s.from, s.to))?;
    let counts = [
        (l.received, s.received),
        (l.accepted, s.accepted),
        (l.rejected, s.rejected),
        (l.withdrawn, s.withdrawn),
        (l.completed, s.completed),
        (l.overdue, s.overdue),
        (l.bad_ratings, s.bad_ratings),
        (l.complaints, s.complaints),
    ];
    let rates = [
        (l.on_time, &s.on_time),
        (l.ahead, &s.ahead_of_promise),
        (l.at_most_once, &s.at_most_once),
        (l.suspended, &s.suspended),
        (l.extended, &s.extended),
        (l.satisfaction, &s.satisfaction),
        (l.good_rate, &s.good_rate),
        (l.rectified_on_time, &s.rectified_on_time),
    ];
    let mut row = 2;
    for (label, n) in counts {
        sheet.write_string(row, 0, label)?;
        sheet.write_number(row, 1, n as f64)?;
        row += 1;
    }
    for (label, r) in rates {
        sheet.write_string(row, 0, label)?;
        sheet.write_number_with_format(row, 1, r.percent() / 100.0, &percent)?;
        sheet.write_number(row, 2, r.numerator as f64)?;
        sheet.write_number(row, 3, r.denominator as f64)?;
        row += 1;
    }
    sheet.write_string(row, 0, l.days_used)?;
    sheet.write_number_with_format(row, 1, s.average_days_used_centi as f64 / 100.0, &days)?;
    sheet.write_string(row + 1, 0, l.days_promised)?;
    sheet.write_number_with_format(
        row + 1,
        1,
        s.average_days_promised_centi as f64 / 100.0,
        &days,
    )?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_domain::statistics::period_statistics;

    #[test]
    fn the_workbook_is_a_zip_with_the_sheet_and_its_chinese_labels() {
        let day = |d| chrono_date(2026, 11, d);
        let s = period_statistics(&[], day(1), day(30));
        let labels = StatisticsLabels {
            sheet: "办件统计",
            figure: "指标",
            value: "数值",
            numerator: "分子",
            denominator: "分母",
            period: "统计期间",
            received: "收件数",
            accepted: "受理数",
            rejected: "不予受理数",
            withdrawn: "撤回数",
            completed: "办结数",
            on_time: "按期办结率",
            ahead: "提前办结率",
            at_most_once: "最多跑一次实现率",
            days_used: "平均用时",
            days_promised: "平均承诺时限",
            overdue: "超期在办",
            suspended: "曾暂停计时",
            extended: "延期办理",
            satisfaction: "满意率",
            good_rate: "好评率",
            bad_ratings: "差评数",
            rectified_on_time: "差评整改按期率",
            complaints: "有效投诉",
        };
        let bytes = statistics_xlsx(&s, &labels).expect("written");
        assert!(
            bytes.starts_with(b"PK\x03\x04"),
            "an XLSX file is a zip archive"
        );
        assert!(bytes.len() > 1000);
    }

    fn chrono_date(y: i32, m: u32, d: u32) -> onewindow_domain::NaiveDate {
        onewindow_domain::NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }
}
