//! The public front of the market: its services, the admitted firms with what their contracts
//! say of them, the open needs (sealed: no prices), the latest results; and a firm's own page.

use super::*;

/// A service of the market and how many admitted firms offer it.
struct ServiceLine {
    code: &'static str,
    name: String,
    deliverable: &'static str,
    firms: usize,
}

/// An open need as the public sees it: no prices, no firms.
struct OpenNeed {
    id: String,
    href: String,
    project: String,
    project_code: String,
    service: String,
    ceiling: String,
    deadline: String,
    rule: String,
    quotes: String,
}

/// A published result.
struct ResultLine {
    href: String,
    project: String,
    service: String,
    firm: String,
    firm_href: String,
    price: String,
    ceiling: String,
    rule: String,
    on: String,
}

#[derive(Template)]
#[template(path = "market/index.html")]
struct MarketPage {
    chrome: Chrome,
    services: Vec<ServiceLine>,
    firms: Vec<FirmLine>,
    needs: Vec<OpenNeed>,
    results: Vec<ResultLine>,
    /// For an intermediary: its firm's page or the registration.
    firm_link: Option<(&'static str, &'static str)>,
    /// For an owner or an agent: their projects, where needs are posted.
    projects_link: bool,
    /// For the supervising department and the supervisors.
    monitor_link: bool,
}

/// The number of quotes of a need: told to everyone, the quotes themselves sealed while open.
fn quotes_shown(t: &Messages, need: &onewindow_domain::intermediary::Need) -> String {
    if need.status == NeedStatus::Open {
        t.fill1(
            "market-quotes-sealed",
            "n",
            need.quotes_received.to_string(),
        )
    } else {
        need.quotes.len().to_string()
    }
}

pub(super) async fn market(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
) -> PageResult {
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let actor = actor_of(&ctx, source);
    let firms = service.firms(&actor, None).await.or_page(&ctx)?;
    let admitted: Vec<&FirmSummary> = firms
        .iter()
        .filter(|f| f.firm.status == FirmStatus::Admitted)
        .collect();
    let open = service
        .needs(&actor, Some(NeedStatus::Open), None)
        .await
        .or_page(&ctx)?;
    let selected = service
        .needs(&actor, Some(NeedStatus::Selected), None)
        .await
        .or_page(&ctx)?;
    let who = ctx.session.as_ref().map(|s| &s.actor.principal);
    let firm_link = match who {
        Some(p) if p.has_role(Role::Intermediary) => {
            Some(match service.my_firm(&actor).await.or_page(&ctx)? {
                Some(_) => ("/market/my-firm", "market-my-firm"),
                None => ("/market/register", "market-register-firm"),
            })
        }
        _ => None,
    };
    let page = MarketPage {
        services: SERVICE_TYPES
            .iter()
            .map(|s| ServiceLine {
                code: s.code,
                name: service_name(lang, s.code),
                deliverable: s.deliverable,
                firms: admitted
                    .iter()
                    .filter(|f| f.firm.services.iter().any(|c| c == s.code))
                    .count(),
            })
            .collect(),
        firms: admitted.iter().map(|f| firm_line(t, f)).collect(),
        needs: open
            .iter()
            .map(|n| OpenNeed {
                id: n.id.clone(),
                href: need_href(&n.id),
                project: n.project_name.clone(),
                project_code: n.project_code.clone(),
                service: service_name(lang, &n.service),
                ceiling: money(t, n.ceiling_fen),
                deadline: t.date(&n.quote_deadline),
                rule: t.get(rule_key(n.rule)).to_string(),
                quotes: quotes_shown(t, n),
            })
            .collect(),
        results: selected
            .iter()
            .filter_map(|n| {
                let s = n.selection.as_ref()?;
                Some(ResultLine {
                    href: need_href(&n.id),
                    project: n.project_name.clone(),
                    service: service_name(lang, &n.service),
                    firm: s.firm_name.clone(),
                    firm_href: firm_href(&s.firm),
                    price: money(t, s.price_fen),
                    ceiling: money(t, n.ceiling_fen),
                    rule: t.get(rule_key(s.rule)).to_string(),
                    on: t.date(&s.on),
                })
            })
            .take(20)
            .collect(),
        firm_link,
        projects_link: who.is_some_and(|p| p.has_role(Role::Applicant) || p.has_role(Role::Agent)),
        monitor_link: who.is_some_and(|p| {
            onewindow_domain::intermediary::decide_market(
                p,
                onewindow_domain::intermediary::MarketOperation::Monitor,
                Default::default(),
            )
            .is_allowed()
        }),
        chrome: ctx.chrome.clone(),
    };
    Ok(render(&page))
}

/// A qualification as the firm's page lists it.
struct QualificationLine {
    service: String,
    level: String,
    number: String,
    valid_until: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "market/firm.html")]
struct FirmPage {
    chrome: Chrome,
    uscc: String,
    name: String,
    status: String,
    tone: &'static str,
    status_reason: Option<String>,
    services: String,
    qualifications: Vec<QualificationLine>,
    regions: String,
    staff: u32,
    contact: String,
    phone: String,
    registered_on: String,
    rating: String,
    contracts: usize,
    completed: usize,
    late: usize,
    /// The visitor acts for this firm.
    own: bool,
}

pub(super) async fn firm_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
    Path(uscc): Path<String>,
) -> PageResult {
    let t = ctx.chrome.t;
    let actor = actor_of(&ctx, source);
    let summary = service.firm(&actor, &uscc).await.or_page(&ctx)?;
    let own = match &ctx.session {
        Some(s) if s.actor.principal.has_role(Role::Intermediary) => service
            .my_firm(&actor)
            .await
            .or_page(&ctx)?
            .is_some_and(|f| f.uscc == summary.firm.uscc),
        _ => false,
    };
    let today = service.today();
    let firm = &summary.firm;
    let (status_key, tone) = firm_status_key(firm.status);
    Ok(render(&FirmPage {
        uscc: firm.uscc.clone(),
        name: firm.name.clone(),
        status: t.get(status_key).to_string(),
        tone,
        status_reason: firm.status_reason.clone(),
        services: services_line(t.lang(), &firm.services),
        qualifications: firm
            .qualifications
            .iter()
            .map(|q| QualificationLine {
                service: service_name(t.lang(), &q.service),
                level: q.level.clone(),
                number: q.number.clone(),
                valid_until: t.date(&q.valid_until),
                expired: q.valid_until < today,
            })
            .collect(),
        regions: firm.regions.join(", "),
        staff: firm.staff,
        contact: firm.contact.clone(),
        phone: firm.phone.clone(),
        registered_on: t.date(&firm.registered_on),
        rating: rating_text(t, summary.rating, summary.ratings),
        contracts: summary.contracts,
        completed: summary.completed,
        late: summary.late,
        own,
        chrome: ctx.chrome.clone(),
    }))
}
