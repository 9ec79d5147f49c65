//! The supervising department's page of the market (`/monitor/market`): the totals, each firm's
//! record (on time, days taken against promised, price against ceiling, complaints, rating, what
//! is overdue now) with why to act on it, and for the department's staff the forms that admit,
//! suspend and remove firms. Supervisors read it.

use onewindow_domain::intermediary::{MarketOperation, MarketParty, decide_market};

use super::*;

/// A reason to act on a firm, as a badge.
struct ActOn {
    label: String,
    tone: &'static str,
}

/// A decision a firm's form offers: its value and its button's words.
struct DecisionButton {
    value: &'static str,
    label: String,
    danger: bool,
}

struct FirmRow {
    uscc: String,
    href: String,
    name: String,
    status: String,
    tone: &'static str,
    status_reason: Option<String>,
    contracts: usize,
    completed: usize,
    on_time: String,
    days: String,
    price_share: String,
    complaints: usize,
    rating: String,
    overdue_now: usize,
    act_on: Vec<ActOn>,
    version: u64,
    decisions: Vec<DecisionButton>,
    reason: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "market/monitor.html")]
struct MonitorPage {
    chrome: Chrome,
    notice: Option<String>,
    general: Vec<String>,
    may_decide: bool,
    pending: usize,
    open_needs: usize,
    running: usize,
    completed: usize,
    on_time: String,
    firms: Vec<FirmRow>,
}

fn act_on_words(t: &Messages, code: &str) -> ActOn {
    let (key, tone) = match code {
        "pending_admission" => ("market-act-pending_admission", "warn"),
        "overdue" => ("market-act-overdue", "bad"),
        "late_record" => ("market-act-late_record", "bad"),
        "complaints" => ("market-act-complaints", "bad"),
        "low_rating" => ("market-act-low_rating", "bad"),
        "qualification_expiring" => ("market-act-qualification_expiring", "warn"),
        other => {
            return ActOn {
                label: other.to_string(),
                tone: "warn",
            };
        }
    };
    ActOn {
        label: t.get(key).to_string(),
        tone,
    }
}

fn decisions_for(t: &Messages, status: FirmStatus) -> Vec<DecisionButton> {
    let button = |value, key, danger| DecisionButton {
        value,
        label: t.get(key).to_string(),
        danger,
    };
    match status {
        FirmStatus::Pending => vec![
            button("admit", "market-decide-admit", false),
            button("remove", "market-decide-remove", true),
        ],
        FirmStatus::Admitted => vec![
            button("suspend", "market-decide-suspend", true),
            button("remove", "market-decide-remove", true),
        ],
        FirmStatus::Suspended => vec![
            button("admit", "market-decide-readmit", false),
            button("remove", "market-decide-remove", true),
        ],
        FirmStatus::Removed => Vec::new(),
    }
}

/// What a refused decision sent back: the firm, the reason typed, the error.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    general: Vec<String>,
    firm: String,
    reason: String,
    error: Option<String>,
}

async fn draw_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    shown: Shown,
) -> Result<MonitorPage, super::super::page_error::PageError> {
    let t = ctx.chrome.t;
    let monitor = service.market_monitor(actor).await.or_page(ctx)?;
    let firms = service.firms(actor, None).await.or_page(ctx)?;
    let may_decide = decide_market(
        &actor.principal,
        MarketOperation::SuperviseFirm,
        MarketParty::default(),
    )
    .is_allowed();
    let mut rows: Vec<FirmRow> = monitor
        .firms
        .iter()
        .map(|f| {
            let summary = firms.iter().find(|s| s.firm.uscc == f.uscc);
            let (status_key, tone) = firm_status_key(f.status);
            let mine = shown.firm == f.uscc;
            FirmRow {
                uscc: f.uscc.clone(),
                href: firm_href(&f.uscc),
                name: f.name.clone(),
                status: t.get(status_key).to_string(),
                tone,
                status_reason: summary.and_then(|s| s.firm.status_reason.clone()),
                contracts: f.contracts,
                completed: f.completed,
                on_time: percent(f.on_time_rate),
                days: match (f.mean_days_taken, f.mean_days_promised) {
                    (Some(taken), Some(promised)) => t.fill(
                        "market-monitor-days-value",
                        &[
                            ("taken", &format!("{taken:.1}")),
                            ("promised", &format!("{promised:.1}")),
                        ],
                    ),
                    _ => "—".to_string(),
                },
                price_share: percent(f.price_to_ceiling),
                complaints: f.complaints,
                rating: f
                    .rating
                    .map_or_else(|| "—".to_string(), |r| format!("{r:.1}")),
                overdue_now: f.overdue_now,
                act_on: f.act_on.iter().map(|c| act_on_words(t, c)).collect(),
                version: summary.map_or(0, |s| s.firm.version),
                decisions: if may_decide {
                    decisions_for(t, f.status)
                } else {
                    Vec::new()
                },
                reason: if mine {
                    shown.reason.clone()
                } else {
                    String::new()
                },
                error: if mine { shown.error.clone() } else { None },
            }
        })
        .collect();
    // The firms to act on first, then by name.
    rows.sort_by(|a, b| {
        b.act_on
            .len()
            .min(1)
            .cmp(&a.act_on.len().min(1))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(MonitorPage {
        chrome: ctx.chrome.clone(),
        notice: shown.notice,
        general: shown.general,
        may_decide,
        pending: monitor.pending_firms,
        open_needs: monitor.open_needs,
        running: monitor.running_contracts,
        completed: monitor.completed_contracts,
        on_time: percent(monitor.on_time_rate),
        firms: rows,
    })
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct MonitorQuery {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn monitor(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Watchers>,
    Query(q): Query<MonitorQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let notice = match q.done.as_deref() {
        Some("admit") => Some(t.get("market-notice-admitted").to_string()),
        Some("suspend") => Some(t.get("market-notice-suspended").to_string()),
        Some("remove") => Some(t.get("market-notice-removed").to_string()),
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    Ok(render(
        &draw_page(&service, &ctx, &session.actor, shown).await?,
    ))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DecideForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

impl CarriesCsrf for DecideForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub(super) async fn decide(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<DepartmentStaff>,
    Path(uscc): Path<String>,
    CsrfForm(form): CsrfForm<DecideForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let decision = match form.decision.trim() {
        "admit" => FirmDecision::Admit,
        "suspend" => FirmDecision::Suspend,
        "remove" => FirmDecision::Remove,
        _ => return Ok(ctx.error(StatusCode::BAD_REQUEST, "market-error-decision")),
    };
    let version = form.version.trim().parse().unwrap_or(0);
    let mut shown = Shown {
        firm: uscc.clone(),
        reason: form.reason.clone(),
        ..Shown::default()
    };
    let status = match service
        .decide_firm(&session.actor, &uscc, version, decision, &form.reason)
        .await
    {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/monitor/market?done={}#firm-{}",
                form.decision.trim(),
                encode_query_value(&uscc)
            )));
        }
        Err(e) => match refusal(&ctx, e)? {
            Refusal::Fields(errors, status) => {
                let words: Vec<String> = errors.iter().map(|e| reason_words(t, e)).collect();
                shown.error = Some(words.join(" "));
                status
            }
            Refusal::General(words, status) => {
                shown.general.push(words);
                status
            }
        },
    };
    let page = draw_page(&service, &ctx, &session.actor, shown).await?;
    Ok((status, render(&page)).into_response())
}
