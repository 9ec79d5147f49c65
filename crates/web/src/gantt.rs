//! The approval plan of a project as a Gantt chart (SVG): one row per step, intermediary work
//! in a light bar before the department's days, the critical path drawn in red, working days on
//! the axis. A pure function of the plan and its schedule, so pages and the API draw the same.

use std::fmt::Write as _;

use onewindow_domain::project::{Plan, Schedule, Stage};

const ROW: u32 = 26;
const LABEL: u32 = 300;
const TOP: u32 = 34;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn stage_fill(stage: Stage) -> &'static str {
    match stage {
        Stage::ProjectAndLand => "#eef4fb",
        Stage::ConstructionLicence => "#f3f0fa",
        Stage::ConstructionPermit => "#eef8f1",
        Stage::Completion => "#fbf6ec",
    }
}

/// The chart of the steps before construction. `title` heads it (e.g. "94 个工作日：行政 29 +
/// 中介 65"); `day_label` names the axis unit.
pub fn gantt_svg(plan: &Plan, schedule: &Schedule, title: &str, day_label: &str) -> String {
    let total = schedule.total_days.max(1);
    let width: u32 = 960;
    let scale = f64::from(width - LABEL - 20) / f64::from(total);
    let rows: Vec<_> = {
        let mut rows: Vec<_> = schedule.steps.iter().collect();
        rows.sort_by_key(|s| (s.start, s.end));
        rows
    };
    let height = TOP + ROW * u32::try_from(rows.len()).unwrap_or(0) + 30;
    let x = |day: u32| f64::from(LABEL) + f64::from(day) * scale;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}" font-family="'Noto Sans CJK SC','Noto Sans SC',sans-serif" font-size="12">"##,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<title>{}</title><text x="8" y="18" font-size="14" font-weight="bold">{}</text>"##,
        escape(title),
        escape(title)
    );
    // Working-day ticks every ten days.
    let mut day = 0;
    while day <= total {
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1}" stroke="#ddd"/><text x="{0:.1}" y="{2}" text-anchor="middle" fill="#555">{day}</text>"##,
            x(day),
            height - 24,
            height - 10
        );
        day += 10;
    }
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{}</text>"##,
        width - 4,
        height - 10,
        escape(day_label)
    );
    for (i, s) in rows.iter().enumerate() {
        let Some(step) = plan.steps.iter().find(|p| p.key == s.key) else {
            continue;
        };
        let y = TOP + ROW * u32::try_from(i).unwrap_or(0);
        let _ = write!(
            svg,
            r##"<g class="step{}" data-step="{}"><rect x="0" y="{y}" width="{width}" height="{ROW}" fill="{}"/>"##,
            if s.critical { " critical" } else { "" },
            escape(&s.key),
            stage_fill(step.stage)
        );
        let _ = write!(
            svg,
            r##"<text x="8" y="{}" fill="#222">{}</text>"##,
            y + 17,
            escape(&step.item_name)
        );
        if s.admin_start > s.start {
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{}" width="{:.1}" height="14" fill="#b8c7d9"><title>{}</title></rect>"##,
                x(s.start),
                y + 6,
                f64::from(s.admin_start - s.start) * scale,
                escape(
                    &step
                        .intermediary
                        .iter()
                        .map(|w| format!("{} {}", w.name, w.working_days))
                        .collect::<Vec<_>>()
                        .join("、")
                )
            );
        }
        let colour = if s.critical { "#c0392b" } else { "#2e6da4" };
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{}" width="{:.1}" height="14" fill="{colour}"/><text x="{:.1}" y="{}" fill="#222">{}</text></g>"##,
            x(s.admin_start),
            y + 6,
            (f64::from(s.end - s.admin_start) * scale).max(2.0),
            x(s.end) + 4.0,
            y + 17,
            s.end
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_domain::project::{ProjectType, propose_plan};

    #[test]
    fn the_chart_has_a_row_per_step_and_the_critical_path_in_red() {
        let plan = propose_plan(ProjectType::Industrial, false).before_construction();
        let schedule = plan.schedule().expect("a sound plan");
        let svg = gantt_svg(
            &plan,
            &schedule,
            "94 个工作日 <行政 29 + 中介 65>",
            "工作日",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("data-step=").count(), plan.steps.len());
        assert_eq!(svg.matches("class=\"step critical\"").count(), 7);
        assert!(svg.contains("建设工程规划许可证核发"));
        assert!(svg.contains("&lt;行政 29 + 中介 65&gt;"), "escaped");
        assert!(!svg.contains("<行政"));
    }
}
