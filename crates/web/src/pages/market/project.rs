//! The market's section of a project's page (中介服务（网上中介超市）): the intermediary working
//! days of the plan before the market and with it, the project's needs and contracts, and for
//! the owner or its agent the way to post a need. Drawn here, in the market's words, and placed
//! into the project page as a finished piece of HTML.

use super::*;

/// A need of the project as the section lists it.
struct NeedLine {
    id: String,
    href: String,
    service: String,
    work: String,
    ceiling: String,
    deadline: String,
    rule: String,
    status: String,
    tone: &'static str,
    quotes: usize,
}

#[derive(Template)]
#[template(path = "market/_project.html")]
struct ProjectSection {
    chrome: Chrome,
    planned: u32,
    market: u32,
    needs: Vec<NeedLine>,
    contracts: Vec<ContractLine>,
    post_href: Option<String>,
}

/// The section drawn, ready to place into the project page; the HTML it returns escapes every
/// value (it is an askama template like the page).
pub(crate) type ProjectMarketSection = String;

/// The market's section of `project`'s page for `actor` (who may see the project); empty when
/// the service cannot give it.
pub(crate) async fn project_section(
    service: &Service,
    chrome: &Chrome,
    actor: &Actor,
    project: &Project,
) -> ProjectMarketSection {
    let t = chrome.t;
    let market = match service.project_market(actor, project).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, project = %project.code, "the market's section failed");
            return String::new();
        }
    };
    // The clocks as the service shows them to this reader; a contract it does not show them is
    // listed without its light.
    let views = service.contracts(actor).await.unwrap_or_default();
    let calendarless = |c: &onewindow_domain::intermediary::Contract| ContractView {
        contract: c.clone(),
        clock: None,
        late: c.overdue,
        actions: Vec::new(),
    };
    let contracts = market
        .contracts
        .iter()
        .map(|c| match views.iter().find(|v| v.contract.id == c.id) {
            Some(v) => contract_line(t, v),
            None => contract_line(t, &calendarless(c)),
        })
        .collect();
    let needs = market
        .needs
        .iter()
        .map(|n| {
            let (status_key, tone) = need_status_key(n.status);
            NeedLine {
                id: n.id.clone(),
                href: need_href(&n.id),
                service: service_name(t.lang(), &n.service),
                work: n
                    .work_name
                    .as_ref()
                    .map_or_else(String::new, |w| match n.planned_days {
                        Some(d) => t.fill(
                            "market-need-work-days",
                            &[("name", w), ("n", &d.to_string())],
                        ),
                        None => w.clone(),
                    }),
                ceiling: money(t, n.ceiling_fen),
                deadline: t.date(&n.quote_deadline),
                rule: t.get(rule_key(n.rule)).to_string(),
                status: t.get(status_key).to_string(),
                tone,
                quotes: n.quotes.len(),
            }
        })
        .collect();
    let section = ProjectSection {
        chrome: chrome.clone(),
        planned: market.planned_intermediary_days,
        market: market.market_intermediary_days,
        needs,
        contracts,
        post_href: acts_for_owner(&actor.principal, project).then(|| {
            format!(
                "/market/needs/new?project={}",
                encode_query_value(project.code.as_str())
            )
        }),
    };
    match section.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "the market's section could not be drawn");
            String::new()
        }
    }
}
