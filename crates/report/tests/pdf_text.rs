//! The PDF report carries real Chinese text: rendered with the system's CJK font and read back
//! with poppler's `pdftotext`.
//!
//! Needs Noto Sans CJK (Debian's fonts-noto-cjk, or `ONEWINDOW_REPORT_FONT`) and pdftotext
//! (poppler-utils); `.ci/run` installs both. Outside CI a machine without them skips the test
//! with a message; under CI (`CI` set) it fails instead.

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use onewindow_report::{Block, Chart, Column, DayCount, Document, RateRow, ReportFont, Table};

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn skip_or_fail(why: &str) {
    assert!(!under_ci(), "{why} (required under CI)");
    eprintln!("SKIPPED: {why}");
}

fn font_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ONEWINDOW_REPORT_FONT") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    p.exists().then_some(p)
}

fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("onewindow-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).ok()?;
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_pdf_contains_the_chinese_text_and_embeds_a_font_subset() {
    let Some(path) = font_path() else {
        return skip_or_fail("no CJK font: install fonts-noto-cjk or set ONEWINDOW_REPORT_FONT");
    };
    if Command::new("pdftotext").arg("-v").output().is_err() {
        return skip_or_fail("pdftotext is not installed (Debian package poppler-utils)");
    }
    let bytes = std::fs::read(&path).expect("the font file reads");
    let font = ReportFont::from_bytes(bytes).expect("a font with Chinese glyphs");
    assert!(font.family().contains("SC"), "{}", font.family());

    let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).expect("date");
    let many_rows: Vec<Vec<String>> = (1..=80)
        .map(|i| {
            vec![
                format!("NH2026{i:05}"),
                "食品经营许可（新办）".into(),
                format!("{i}"),
            ]
        })
        .collect();
    let doc = Document {
        lang: "zh-CN".into(),
        title: "2026年10月 政务服务效能监察月报".into(),
        subtitle: "宁海县行政服务中心 · 生成于 2026年11月1日".into(),
        blocks: vec![
            Block::Heading("一、主要指标".into()),
            Block::Paragraph(
                "本月收件 1,234 件，按期办结率 98.50%，较上月提高 1.20 个百分点。".into(),
            ),
            Block::Chart(Chart::Daily {
                title: "每日收件与办结".into(),
                days: (1..=31)
                    .map(|d| DayCount {
                        day: day(d),
                        received: u64::from(d % 7) * 3,
                        completed: u64::from(d % 5) * 2,
                    })
                    .collect(),
                received: "收件".into(),
                completed: "办结".into(),
            }),
            Block::Chart(Chart::Rates {
                title: "部门按期办结率".into(),
                rows: vec![RateRow {
                    label: "市场监督管理局".into(),
                    percent: 97.5,
                    detail: "39/40".into(),
                }],
            }),
            Block::Heading("六、超期件及原因".into()),
            Block::Table(Table {
                id: "overdue".into(),
                columns: vec![
                    Column::left("收件编号", 2.0),
                    Column::left("事项", 4.0),
                    Column::right("超期（工作日）", 1.5),
                ],
                rows: many_rows,
                empty: "本月无超期件。".into(),
            }),
        ],
    };
    let pdf = onewindow_report::pdf::render(&doc, &font).expect("rendered");
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(keep) = std::env::var_os("ONEWINDOW_KEEP_PDF") {
        std::fs::write(keep, &pdf).expect("kept");
    }
    // A subset, not the 19 MB collection.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    let Some(text) = pdftotext(&pdf) else {
        return skip_or_fail("pdftotext could not be run");
    };
    for expected in [
        "政务服务效能监察月报",
        "一、主要指标",
        "按期办结率 98.50%",
        "市场监督管理局",
        "每日收件与办结",
        "食品经营许可（新办）",
        "NH202600080",
        "超期（工作日）",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Eighty rows take more than one page; each page has its number.
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("1/3"), "{text}");
    assert!(squeezed.contains("3/3"), "{text}");
}
