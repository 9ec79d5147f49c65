//! The agent's board and the monthly progress review.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct BoardRow {
    pub(super) href: String,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) owner: String,
    pub(super) agent: String,
    pub(super) ends_on: String,
    pub(super) done: String,
    pub(super) behind: Vec<String>,
    pub(super) under_way: Vec<String>,
}

#[derive(Template)]
#[template(path = "projects/board.html")]
pub(super) struct BoardPage {
    pub(super) chrome: Chrome,
    pub(super) on: String,
    pub(super) month_ends: Vec<Choice>,
    pub(super) on_error: Option<String>,
    pub(super) rows: Vec<BoardRow>,
    pub(super) summary: String,
    /// Alerts of stalled steps, newest first.
    pub(super) alerts: Vec<AlertRow>,
}

#[derive(Debug, Clone)]
pub(super) struct AlertRow {
    pub(super) href: String,
    pub(super) text: String,
    pub(super) raised: String,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct BoardQuery {
    pub(super) on: Option<String>,
}

/// The last day of the month of `day`.
pub(super) fn month_end(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(day)
}

/// The ends of this month and the eleven before, newest first.
pub(super) fn month_ends(today: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut end = month_end(today);
    for _ in 0..12 {
        out.push(end);
        match NaiveDate::from_ymd_opt(end.year(), end.month(), 1).and_then(|d| d.pred_opt()) {
            Some(previous) => end = previous,
            None => break,
        }
    }
    out
}

pub(super) fn board_row(
    t: &Messages,
    departments: &[Department],
    line: &BoardLine,
    names: &BTreeMap<String, String>,
) -> BoardRow {
    let step = |(key, department): &(String, String)| {
        t.fill(
            "projects-board-step",
            &[
                ("step", names.get(key).map_or(key.as_str(), String::as_str)),
                ("department", &department_name(t, departments, department)),
            ],
        )
    };
    BoardRow {
        href: project_href(&line.code),
        code: line.code.clone(),
        name: line.name.clone(),
        owner: line.owner_name.clone(),
        agent: line.agent.clone().unwrap_or_else(|| "—".into()),
        ends_on: t.date_or_dash(&line.ends_on),
        done: t.fill(
            "projects-board-done",
            &[
                ("done", &line.done.to_string()),
                ("total", &line.steps.to_string()),
            ],
        ),
        behind: line.behind.iter().map(step).collect(),
        under_way: line.waiting_on.iter().map(step).collect(),
    }
}

pub(super) async fn board(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let session = ctx.require_role(BOARD_ROLES)?;
    let t = ctx.chrome.t;
    let today = service.today();
    let mut on_error = None;
    let on = match q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match parse_date(text) {
            Some(d) => Some(d),
            None => {
                on_error = Some(t.get("projects-error-date").to_string());
                None
            }
        },
    };
    let lines = service
        .project_board(&session.actor, on)
        .await
        .or_page(&ctx)?;
    // Step names, from the projects the board lists.
    let mut names = BTreeMap::new();
    if let Ok(projects) = service.projects(&session.actor).await {
        for p in projects {
            for s in p.plan.steps {
                names.entry(s.key).or_insert(s.item_name);
            }
        }
    }
    let departments = service.departments().await.unwrap_or_default();
    let alerts: Vec<AlertRow> = service
        .stall_alerts(&session.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .take(50)
        .map(|a| AlertRow {
            href: project_href(&a.project_code),
            text: t.fill(
                "projects-alert",
                &[
                    ("project", &a.project_name),
                    ("step", &a.item_name),
                    (
                        "department",
                        &department_name(t, &departments, &a.department),
                    ),
                    // The store keeps the planned day as ISO text; the page writes it as the
                    // reader's language writes dates (text that does not parse shows as stored).
                    (
                        "date",
                        &parse_date(&a.planned_end)
                            .map_or_else(|| a.planned_end.clone(), |d| t.date(&d)),
                    ),
                ],
            ),
            raised: chrono::DateTime::parse_from_rfc3339(&a.raised_at).map_or_else(
                |_| a.raised_at.clone(),
                |at| t.time(&at.with_timezone(&chrono::Utc)),
            ),
        })
        .collect();
    let shown = on.unwrap_or(today);
    let rows: Vec<BoardRow> = lines
        .iter()
        .map(|l| board_row(t, &departments, l, &names))
        .collect();
    Ok(render(&BoardPage {
        alerts,
        on: t.date(&shown),
        month_ends: std::iter::once(Choice {
            value: String::new(),
            label: t.fill1("projects-board-today", "date", t.date(&today)),
            selected: on.is_none(),
        })
        .chain(month_ends(today).into_iter().map(|d| Choice {
            value: d.format("%Y-%m-%d").to_string(),
            label: t.date(&d),
            selected: on == Some(d),
        }))
        .collect(),
        on_error,
        summary: t.fill(
            "projects-board-summary",
            &[
                ("projects", &lines.len().to_string()),
                (
                    "behind",
                    &lines
                        .iter()
                        .filter(|l| !l.behind.is_empty())
                        .count()
                        .to_string(),
                ),
            ],
        ),
        rows,
        chrome: ctx.chrome,
    }))
}
