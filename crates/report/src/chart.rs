//! Charts of the statistics, drawn by plotters: pure functions from figures to an SVG string for
//! the pages and the HTML report, and the same drawing onto a PDF page (`crate::pdf`).
//!
//! plotters is built without its font features: the SVG backend writes `<text>` elements that the
//! browser lays out with its own fonts, and label areas are sized from an estimate of the text's
//! width ([`crate::font::estimate_width`]), so no font file is read to draw a chart.

use chrono::{Datelike as _, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use crate::font::estimate_width;

/// The font families an SVG chart asks the browser for; Noto Sans CJK comes with the set-up.
pub const FONT_FAMILY: &str =
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

const INK: RGBColor = RGBColor(0x1f, 0x23, 0x28);
const GRID: RGBColor = RGBColor(0xd0, 0xd7, 0xde);
const RECEIVED: RGBColor = RGBColor(0x21, 0x6e, 0xc9);
const COMPLETED: RGBColor = RGBColor(0x2d, 0xa4, 0x4e);
const GOOD: RGBColor = RGBColor(0x2d, 0xa4, 0x4e);
const FAIR: RGBColor = RGBColor(0xd4, 0x8a, 0x06);
const POOR: RGBColor = RGBColor(0xcf, 0x22, 0x2e);

/// Font size of labels, in plotters' units (it draws text at size / 1.24).
const LABEL_SIZE: f64 = 12.0 * 1.24;

/// Cases received and completed on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub received: u64,
    pub completed: u64,
}

/// One bar of a rate chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RateRow {
    pub label: String,
    /// 0 to 100.
    pub percent: f64,
    /// Shown after the percentage, e.g. `45/50`.
    pub detail: String,
}

/// A chart of the report or the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Vertical bars: received and completed per day of the period.
    Daily {
        title: String,
        days: Vec<DayCount>,
        received: String,
        completed: String,
    },
    /// Horizontal bars: a rate per unit (on-time rate by department), best first as given.
    Rates { title: String, rows: Vec<RateRow> },
}

/// Drawing failed; with the SVG backend and our own PDF backend this does not happen in practice.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(pub String);

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Daily { title, .. } | Chart::Rates { title, .. } => title,
        }
    }

    /// Width and height in pixels (the SVG's view box).
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Daily { .. } => (760, 300),
            Chart::Rates { rows, .. } => (760, 56 + 24 * rows.len().max(1) as u32),
        }
    }

    /// The chart as an SVG document that scales to the width of its container.
    pub fn svg(&self) -> Result<String, ChartError> {
        let (w, h) = self.size();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|e| ChartError(format!("{e:?}")))?;
            root.present().map_err(|e| ChartError(format!("{e:?}")))?;
        }
        // Scale with the page (the view box keeps the proportions), name it for screen readers.
        let opening = format!("<svg width=\"{w}\" height=\"{h}\" ");
        let labelled = format!(
            "<svg width=\"100%\" role=\"img\" class=\"chart\" aria-label=\"{}\" ",
            escape_attribute(self.title())
        );
        Ok(out.replacen(&opening, &labelled, 1))
    }

    /// Draws the chart onto any plotters backend.
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        match self {
            Chart::Daily {
                days,
                received,
                completed,
                ..
            } => draw_daily(root, days, received, completed),
            Chart::Rates { rows, .. } => draw_rates(root, rows),
        }
    }
}

fn label_font() -> TextStyle<'static> {
    (FONT_FAMILY, LABEL_SIZE).into_font().color(&INK)
}

/// Day `i` spans `[i * SLOT, (i + 1) * SLOT)` on the x axis (integer coordinates: plotters
/// formats those without a font and lets us place the ticks in the middle of each day).
const SLOT: u32 = 100;

fn draw_daily<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    days: &[DayCount],
    received: &str,
    completed: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let n = days.len().max(1) as u32;
    let max = days
        .iter()
        .map(|d| d.received.max(d.completed))
        .max()
        .unwrap_or(0);
    let top = nice_top(max);
    let keys: Vec<u32> = (0..days.len() as u32)
        .map(|i| i * SLOT + SLOT / 2)
        .collect();
    let mut chart = ChartBuilder::on(root)
        .margin_top(14)
        .margin_right(16)
        .margin_left(6)
        .margin_bottom(4)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d((0u32..n * SLOT).with_key_points(keys), 0u64..top)?;
    let day_label = |x: &u32| {
        days.get((*x / SLOT) as usize)
            .map(|d| d.day.day().to_string())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.6))
        .x_labels(days.len().max(2))
        .y_labels(6)
        .x_label_style(label_font())
        .y_label_style(label_font())
        .x_label_formatter(&day_label)
        .draw()?;
    chart
        .draw_series(days.iter().enumerate().map(|(i, d)| {
            let x = i as u32 * SLOT;
            Rectangle::new([(x + 12, 0), (x + 50, d.received)], RECEIVED.filled())
        }))?
        .label(received)
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], RECEIVED.filled()));
    chart
        .draw_series(days.iter().enumerate().map(|(i, d)| {
            let x = i as u32 * SLOT;
            Rectangle::new([(x + 50, 0), (x + 88, d.completed)], COMPLETED.filled())
        }))?
        .label(completed)
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], COMPLETED.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(label_font())
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .draw()?;
    Ok(())
}

/// Rates are drawn in hundredths of a percent (integer coordinates, see [`SLOT`]).
fn centi(percent: f64) -> u32 {
    (percent.clamp(0.0, 100.0) * 100.0).round() as u32
}

fn draw_rates<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[RateRow],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let n = rows.len().max(1) as u32;
    let label_width = rows
        .iter()
        .map(|r| estimate_width(&r.label, (LABEL_SIZE / 1.24) as f32))
        .fold(40.0f32, f32::max)
        .min(300.0) as u32
        + 16;
    // Row i (from the top) spans y = (n - 1 - i) * SLOT .. + SLOT.
    let keys: Vec<u32> = (0..rows.len() as u32)
        .map(|i| i * SLOT + SLOT / 2)
        .collect();
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(16)
        .margin_left(6)
        .margin_bottom(4)
        .x_label_area_size(28)
        .y_label_area_size(label_width)
        .build_cartesian_2d(
            // Room right of 100% for the value written after the bar.
            (0u32..12_500).with_key_points(vec![0, 2000, 4000, 6000, 8000, 10_000]),
            (0u32..n * SLOT).with_key_points(keys),
        )?;
    let row_label = |y: &u32| {
        let from_top = (n - 1).saturating_sub(*y / SLOT) as usize;
        rows.get(from_top)
            .map(|r| r.label.clone())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.6))
        .y_labels(rows.len().max(2))
        .x_label_style(label_font())
        .y_label_style(label_font())
        .x_label_formatter(&|x| format!("{}%", x / 100))
        .y_label_formatter(&row_label)
        .draw()?;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let y = (n - 1 - i as u32) * SLOT;
        let colour = if r.percent >= 95.0 {
            GOOD
        } else if r.percent >= 85.0 {
            FAIR
        } else {
            POOR
        };
        Rectangle::new([(0, y + 20), (centi(r.percent), y + 80)], colour.filled())
    }))?;
    let value_font = label_font().pos(Pos::new(HPos::Left, VPos::Center));
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let y = (n - 1 - i as u32) * SLOT + SLOT / 2;
        let text = if r.detail.is_empty() {
            format!("{:.1}%", r.percent)
        } else {
            format!("{:.1}%  {}", r.percent, r.detail)
        };
        Text::new(text, (centi(r.percent) + 100, y), value_font.clone())
    }))?;
    Ok(())
}

/// A round top for a count axis with some room above the highest bar.
fn nice_top(max: u64) -> u64 {
    let wanted = max + max / 8 + 1;
    let step = match wanted {
        0..=10 => 1,
        11..=50 => 5,
        51..=100 => 10,
        101..=200 => 20,
        201..=500 => 50,
        _ => 10u64.pow((wanted as f64).log10().floor() as u32 - 1),
    };
    wanted.div_ceil(step) * step
}

fn escape_attribute(text: &str) -> String {
    crate::document::escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).expect("date")
    }

    /// The texts of an SVG's `<text>` elements, as written (escaped).
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let start = t.find('>')? + 1;
                let end = t.find("</text>")?;
                Some(t[start..end].trim().to_string())
            })
            .collect()
    }

    #[test]
    fn the_daily_chart_has_two_bars_per_day_and_its_legend() {
        let days: Vec<DayCount> = (1..=31)
            .map(|d| DayCount {
                day: day(d),
                received: u64::from(d),
                completed: u64::from(d) / 2,
            })
            .collect();
        let chart = Chart::Daily {
            title: "每日收件与办结".into(),
            days,
            received: "收件".into(),
            completed: "办结".into(),
        };
        let svg = chart.svg().expect("drawn");
        assert!(
            svg.starts_with("<svg width=\"100%\" role=\"img\""),
            "{svg:.200}"
        );
        assert!(svg.contains("viewBox=\"0 0 760 300\""));
        assert!(svg.contains("aria-label=\"每日收件与办结\""));
        // 62 bars, the background and the legend's two swatches (and its box).
        let blue = svg.matches("fill=\"#216EC9\"").count();
        let green = svg.matches("fill=\"#2DA44E\"").count();
        std::fs::write(std::env::temp_dir().join("onewindow-daily.svg"), &svg).ok();
        assert_eq!((blue, green), (32, 32), "31 bars and a legend swatch each");
        let texts = texts(&svg);
        assert!(texts.contains(&"收件".to_string()) && texts.contains(&"办结".to_string()));
        assert!(
            texts.contains(&"31".to_string()),
            "the last day is labelled"
        );
        assert!(
            texts.contains(&"1".to_string()),
            "the first day is labelled"
        );
        assert!(svg.ends_with("</svg>\n") || svg.ends_with("</svg>"));
    }

    #[test]
    fn the_rate_chart_has_a_bar_per_department_and_escapes_labels() {
        let rows = vec![
            RateRow {
                label: "市场监督管理局".into(),
                percent: 100.0,
                detail: "20/20".into(),
            },
            RateRow {
                label: "<b>公安&消防</b>".into(),
                percent: 90.0,
                detail: "9/10".into(),
            },
            RateRow {
                label: "住建局".into(),
                percent: 50.0,
                detail: "1/2".into(),
            },
        ];
        let chart = Chart::Rates {
            title: "部门按期办结率".into(),
            rows,
        };
        let svg = chart.svg().expect("drawn");
        let texts = texts(&svg);
        assert!(texts.contains(&"市场监督管理局".to_string()), "{texts:?}");
        assert!(texts.contains(&"&lt;b&gt;公安&amp;消防&lt;/b&gt;".to_string()));
        assert!(!svg.contains("<b>"));
        assert!(texts.contains(&"100.0%  20/20".to_string()));
        assert!(texts.contains(&"100%".to_string()) && texts.contains(&"0%".to_string()));
        // One bar each, coloured by how good the rate is.
        assert_eq!(svg.matches("fill=\"#2DA44E\"").count(), 1);
        assert_eq!(svg.matches("fill=\"#D48A06\"").count(), 1);
        assert_eq!(svg.matches("fill=\"#CF222E\"").count(), 1);
        assert_eq!(chart.size(), (760, 56 + 24 * 3));
    }

    #[test]
    fn empty_periods_still_draw() {
        let daily = Chart::Daily {
            title: "t".into(),
            days: Vec::new(),
            received: "r".into(),
            completed: "c".into(),
        };
        assert!(daily.svg().expect("drawn").contains("</svg>"));
        let rates = Chart::Rates {
            title: "t".into(),
            rows: Vec::new(),
        };
        assert!(rates.svg().expect("drawn").contains("</svg>"));
    }

    #[test]
    fn count_axes_end_on_round_numbers() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(8), 10);
        assert_eq!(nice_top(40), 50);
        assert_eq!(nice_top(90), 120);
        assert_eq!(nice_top(1234), 1400);
    }
}
