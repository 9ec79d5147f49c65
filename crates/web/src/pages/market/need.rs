//! Needs: the owner posts one under its project; the page of a need shows its quotes as the
//! viewer may see them (sealed while they are taken), the firm's quote form, the owner's
//! selection and closing, and once selected the published result — for a draw, the seed, every
//! firm's number and the way to re-run it.

use onewindow_app::projects::ProjectView;
use onewindow_domain::intermediary::{Need, NewNeed, NewQuote, Quote};

use super::*;

// ---- posting a need ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub(super) struct NewNeedQuery {
    #[serde(default)]
    project: String,
}

/// The need form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct NeedForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    step_key: String,
    #[serde(default)]
    ceiling: String,
    #[serde(default)]
    quote_deadline: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    description: String,
}

impl CarriesCsrf for NeedForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Debug, Default)]
struct NeedErrors {
    service: Option<String>,
    step_key: Option<String>,
    ceiling: Option<String>,
    quote_deadline: Option<String>,
    rule: Option<String>,
    description: Option<String>,
}

#[derive(Template)]
#[template(path = "market/need_new.html")]
struct NewNeedPage {
    chrome: Chrome,
    project_code: String,
    project_name: String,
    project_href: String,
    services: Vec<Choice>,
    steps: Vec<Choice>,
    rules: Vec<Choice>,
    ceiling: String,
    quote_deadline: String,
    description: String,
    direct_ceiling: String,
    errors: NeedErrors,
    general: Vec<String>,
}

impl NewNeedPage {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        let t = self.chrome.t;
        let e = &self.errors;
        [
            ("service", "market-field-service", &e.service),
            ("step_key", "market-field-step", &e.step_key),
            ("ceiling", "market-field-ceiling", &e.ceiling),
            ("quote_deadline", "market-field-deadline", &e.quote_deadline),
            ("rule-lowest_price", "market-field-rule", &e.rule),
            ("description", "market-field-description", &e.description),
        ]
        .into_iter()
        .filter_map(|(id, label, e)| {
            e.as_ref().map(|e| {
                (
                    id,
                    t.fill(
                        "market-field-error",
                        &[("field", t.get(label)), ("error", e)],
                    ),
                )
            })
        })
        .collect()
    }

    fn has_errors(&self) -> bool {
        !self.general.is_empty() || !self.field_errors().is_empty()
    }
}

fn new_need_page(chrome: &Chrome, view: &ProjectView, form: &NeedForm) -> NewNeedPage {
    let t = chrome.t;
    let project = &view.project;
    let mut services = Vec::new();
    for s in SERVICE_TYPES {
        services.push(Choice {
            value: s.code.to_string(),
            label: service_name(chrome.lang, s.code),
            selected: form.service == s.code,
        });
    }
    let mut steps = vec![Choice {
        value: String::new(),
        label: t.get("market-step-auto").to_string(),
        selected: form.step_key.is_empty(),
    }];
    for step in project
        .plan
        .steps
        .iter()
        .filter(|s| !s.intermediary.is_empty())
    {
        let work: Vec<String> = step
            .intermediary
            .iter()
            .map(|w| {
                t.fill(
                    "market-step-work",
                    &[("name", &w.name), ("n", &w.working_days.to_string())],
                )
            })
            .collect();
        steps.push(Choice {
            value: step.key.clone(),
            label: t.fill(
                "market-step-option",
                &[("item", &step.item_name), ("work", &work.join("、"))],
            ),
            selected: form.step_key == step.key,
        });
    }
    let rule = if form.rule.is_empty() {
        "lowest_price"
    } else {
        form.rule.as_str()
    };
    let rules = [
        SelectionRule::LowestPrice,
        SelectionRule::RandomDraw,
        SelectionRule::DirectChoice,
    ]
    .into_iter()
    .map(|r| Choice {
        value: r.as_str().to_string(),
        label: t.get(rule_key(r)).to_string(),
        selected: r.as_str() == rule,
    })
    .collect();
    NewNeedPage {
        chrome: chrome.clone(),
        project_code: project.code.to_string(),
        project_name: project.name.clone(),
        project_href: project_href(project.code.as_str()),
        services,
        steps,
        rules,
        ceiling: form.ceiling.clone(),
        quote_deadline: form.quote_deadline.clone(),
        description: form.description.clone(),
        direct_ceiling: money(t, onewindow_domain::intermediary::DIRECT_CHOICE_CEILING_FEN),
        errors: NeedErrors::default(),
        general: Vec::new(),
    }
}

/// The project of a need form, for someone acting for its owner; the refusal page otherwise.
async fn owners_project(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    code: &str,
) -> Result<ProjectView, super::super::page_error::PageError> {
    if code.trim().is_empty() {
        return Err(ctx
            .error(StatusCode::NOT_FOUND, "common-error-not-found")
            .into());
    }
    let view = service.project(actor, code.trim()).await.or_page(ctx)?;
    if !acts_for_owner(&actor.principal, &view.project) {
        return Err(ctx
            .error(StatusCode::FORBIDDEN, "market-error-not-owner")
            .into());
    }
    Ok(view)
}

pub(super) async fn new_form(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Query(q): Query<NewNeedQuery>,
) -> PageResult {
    let view = owners_project(&service, &ctx, &session.actor, &q.project).await?;
    let today = service.today();
    let deadline = service
        .calendar()
        .add_working_days(today, 5)
        .unwrap_or(today + chrono::Days::new(7));
    let form = NeedForm {
        quote_deadline: deadline.format("%Y-%m-%d").to_string(),
        // The first service the plan needs, to start from.
        service: view
            .project
            .plan
            .steps
            .iter()
            .flat_map(|s| s.intermediary.iter())
            .find_map(|w| onewindow_domain::intermediary::service_for_work(&w.name))
            .map(|s| s.code.to_string())
            .unwrap_or_default(),
        ..NeedForm::default()
    };
    Ok(render(&new_need_page(&ctx.chrome, &view, &form)))
}

pub(super) async fn post_need(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    CsrfForm(form): CsrfForm<NeedForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let view = owners_project(&service, &ctx, &session.actor, &form.project).await?;
    let mut page = new_need_page(&ctx.chrome, &view, &form);
    let ceiling = parse_yuan(&form.ceiling);
    if ceiling.is_none() {
        page.errors.ceiling = Some(t.get("market-error-money").to_string());
    }
    let deadline = parse_date(&form.quote_deadline);
    if deadline.is_none() {
        page.errors.quote_deadline = Some(t.get("market-error-date").to_string());
    }
    let rule = parse_rule(&form.rule);
    if rule.is_none() {
        page.errors.rule = Some(t.get("market-error-choose").to_string());
    }
    let (Some(ceiling_fen), Some(quote_deadline), Some(rule), false) =
        (ceiling, deadline, rule, page.has_errors())
    else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let new = NewNeed {
        project_code: view.project.code.to_string(),
        service: form.service.trim().to_string(),
        step_key: Some(form.step_key.trim().to_string()).filter(|s| !s.is_empty()),
        description: form.description.clone(),
        ceiling_fen,
        quote_deadline,
        rule,
    };
    let refused = match service.post_need(&session.actor, new).await {
        Ok(need) => {
            return Ok(see_other(&format!("{}?done=posted", need_href(&need.id))));
        }
        Err(e) => refusal(&ctx, e)?,
    };
    let status = match refused {
        Refusal::Fields(errors, status) => {
            for e in &errors {
                let words = reason_words(t, e);
                let place = match e.field.as_str() {
                    "service" => &mut page.errors.service,
                    "step_key" => &mut page.errors.step_key,
                    "ceiling_fen" => &mut page.errors.ceiling,
                    "quote_deadline" => &mut page.errors.quote_deadline,
                    "rule" => &mut page.errors.rule,
                    "description" => &mut page.errors.description,
                    _ => {
                        page.general.push(words);
                        continue;
                    }
                };
                place.get_or_insert(words);
            }
            status
        }
        Refusal::General(words, status) => {
            page.general.push(words);
            status
        }
    };
    Ok((status, render(&page)).into_response())
}

// ---- the need's page ---------------------------------------------------------------------------

/// A quote as the page lists it.
struct QuoteLine {
    firm: String,
    firm_name: String,
    firm_href: String,
    price: String,
    share: String,
    days: String,
    note: String,
    at: String,
    own: bool,
    winner: bool,
}

/// The firm's quote form.
#[derive(Default)]
struct QuoteFormView {
    price: String,
    days: String,
    note: String,
    price_error: Option<String>,
    days_error: Option<String>,
    /// The firm's quote on record, which a new one replaces.
    replaces: Option<String>,
}

/// The owner's selection form.
struct SelectFormView {
    direct: bool,
    /// Lowest price and draw wait for the deadline to pass.
    ready: bool,
    choices: Vec<Choice>,
    error: Option<String>,
}

/// One firm's number of a draw.
struct DrawLine {
    firm: String,
    firm_name: String,
    number: String,
    winner: bool,
    command: String,
}

struct DrawView {
    seed: String,
    lines: Vec<DrawLine>,
    winner_name: String,
}

/// A re-run of the draw asked for with a seed.
struct RerunView {
    seed: String,
    /// The same winner as recorded, with the numbers; or why it was refused.
    result: Result<DrawView, String>,
}

struct SelectionView {
    firm_name: String,
    firm_href: String,
    price: String,
    days: String,
    on: String,
    rule: String,
    contract_id: String,
    /// For the parties and staff, who may open the contract.
    contract_href: Option<String>,
}

#[derive(Template)]
#[template(path = "market/need.html")]
struct NeedPage {
    chrome: Chrome,
    notice: Option<String>,
    general: Vec<String>,
    id: String,
    href: String,
    project_name: String,
    project_code: String,
    project_href: Option<String>,
    owner_name: String,
    service: String,
    deliverable: String,
    work: Option<String>,
    description: String,
    ceiling: String,
    deadline: String,
    rule: String,
    posted_on: String,
    status: String,
    tone: &'static str,
    closed_reason: Option<String>,
    version: u64,
    open: bool,
    /// How the viewer sees the quotes while they are taken: `public` (sealed), `firm` (its own),
    /// `all` (the owner, staff).
    seen_as: &'static str,
    quotes: Vec<QuoteLine>,
    quote_form: Option<QuoteFormView>,
    /// Why the viewer's firm may not quote on this need.
    ineligible: Option<String>,
    select_form: Option<SelectFormView>,
    close_form: bool,
    close_reason: String,
    close_error: Option<String>,
    selection: Option<SelectionView>,
    draw: Option<DrawView>,
    rerun: Option<RerunView>,
    login_href: Option<String>,
}

/// What a refused form sent back, or what the visitor asked to see, for drawing the page.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    general: Vec<String>,
    quote: Option<QuoteFormView>,
    select_error: Option<String>,
    chosen: String,
    close_reason: String,
    close_error: Option<String>,
    rerun: Option<(String, Result<onewindow_domain::intermediary::Draw, String>)>,
}

fn draw_view(need: &Need, draw: &onewindow_domain::intermediary::Draw) -> DrawView {
    let name_of = |uscc: &str| {
        need.quotes
            .iter()
            .find(|q| q.firm == uscc)
            .map_or_else(|| uscc.to_string(), |q| q.firm_name.clone())
    };
    DrawView {
        seed: draw.seed.clone(),
        lines: draw
            .numbers
            .iter()
            .map(|(firm, number)| DrawLine {
                firm_name: name_of(firm),
                number: number.clone(),
                winner: *firm == draw.winner,
                command: format!(
                    "printf '%s' \"{}:{}:{}\" | sha256sum",
                    need.id, draw.seed, firm
                ),
                firm: firm.clone(),
            })
            .collect(),
        winner_name: name_of(&draw.winner),
    }
}

async fn draw_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    id: &str,
    shown: Shown,
) -> Result<NeedPage, super::super::page_error::PageError> {
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let need = service.need(actor, id).await.or_page(ctx)?;
    let who = &actor.principal;
    let signed_in = ctx.session.is_some();
    let owner = signed_in
        && (who.has_role(Role::Applicant) || who.has_role(Role::Agent))
        && service
            .project(actor, &need.project_code)
            .await
            .is_ok_and(|v| acts_for_owner(who, &v.project));
    let staff = signed_in && is_staff(who);
    let firm = if signed_in && who.has_role(Role::Intermediary) {
        service.my_firm(actor).await.or_page(ctx)?
    } else {
        None
    };
    let today = service.today();
    let open = need.status == NeedStatus::Open;
    let seen_as = if owner || staff {
        "all"
    } else if firm.is_some() {
        "firm"
    } else {
        "public"
    };
    let winner = need.selection.as_ref().map(|s| s.firm.clone());
    let quote_line = |q: &Quote| QuoteLine {
        firm: q.firm.clone(),
        firm_name: q.firm_name.clone(),
        firm_href: firm_href(&q.firm),
        price: money(t, q.price_fen),
        share: if need.ceiling_fen > 0 {
            format!(
                "{:.0}%",
                q.price_fen as f64 * 100.0 / need.ceiling_fen as f64
            )
        } else {
            "—".to_string()
        },
        days: t.fill1("common-working-days", "n", q.days.to_string()),
        note: q.note.clone(),
        at: t.time(&q.at),
        own: firm.as_ref().is_some_and(|f| f.uscc == q.firm),
        winner: winner.as_deref() == Some(q.firm.as_str()),
    };
    let mut quotes: Vec<QuoteLine> = need.quotes.iter().map(quote_line).collect();
    // Published quotes read from the lowest price up.
    if !open {
        let mut sorted: Vec<&Quote> = need.quotes.iter().collect();
        sorted.sort_by_key(|q| (q.price_fen, q.days));
        quotes = sorted.into_iter().map(quote_line).collect();
    }

    let mut ineligible = None;
    if open && signed_in && firm.is_none() && who.has_role(Role::Intermediary) {
        ineligible = Some(t.get("market-register-to-quote").to_string());
    }
    let quote_form = match &firm {
        Some(f) if open => {
            if today > need.quote_deadline {
                ineligible = Some(t.get("market-quotes-closed").to_string());
                None
            } else if let Err(why) = f.may_quote(&need.service, &need.division, today) {
                ineligible = Some(ineligible_text(t, &why));
                None
            } else {
                let mine = need.quotes.iter().find(|q| q.firm == f.uscc);
                Some(shown.quote.unwrap_or_else(|| {
                    QuoteFormView {
                        price: mine
                            .map(|q| yuan(q.price_fen).replace(',', ""))
                            .unwrap_or_default(),
                        days: mine.map(|q| q.days.to_string()).unwrap_or_default(),
                        note: mine.map(|q| q.note.clone()).unwrap_or_default(),
                        ..QuoteFormView::default()
                    }
                }))
                .map(|mut form| {
                    form.replaces = mine.map(|q| {
                        t.fill(
                            "market-quote-replaces",
                            &[
                                ("price", &money(t, q.price_fen)),
                                ("days", &q.days.to_string()),
                            ],
                        )
                    });
                    form
                })
            }
        }
        _ => None,
    };
    let select_form = (owner && open).then(|| {
        let direct = need.rule == SelectionRule::DirectChoice;
        SelectFormView {
            direct,
            ready: direct || today > need.quote_deadline,
            choices: need
                .quotes
                .iter()
                .map(|q| Choice {
                    value: q.firm.clone(),
                    label: t.fill(
                        "market-select-choice",
                        &[
                            ("firm", &q.firm_name),
                            ("price", &money(t, q.price_fen)),
                            ("days", &q.days.to_string()),
                        ],
                    ),
                    selected: shown.chosen == q.firm,
                })
                .collect(),
            error: shown.select_error.clone(),
        }
    });
    let selection = need.selection.as_ref().map(|s| SelectionView {
        firm_name: s.firm_name.clone(),
        firm_href: firm_href(&s.firm),
        price: money(t, s.price_fen),
        days: t.fill1("common-working-days", "n", s.days.to_string()),
        on: t.date(&s.on),
        rule: t.get(rule_key(s.rule)).to_string(),
        contract_id: s.contract.clone(),
        contract_href: (owner || staff || firm.as_ref().is_some_and(|f| f.uscc == s.firm))
            .then(|| contract_href(&s.contract)),
    });
    let draw = need
        .selection
        .as_ref()
        .and_then(|s| s.draw.as_ref())
        .map(|d| draw_view(&need, d));
    let rerun = shown.rerun.map(|(seed, result)| RerunView {
        seed,
        result: result.map(|d| draw_view(&need, &d)),
    });
    let (status_key, tone) = need_status_key(need.status);
    let kind = SERVICE_TYPES.iter().find(|s| s.code == need.service);
    Ok(NeedPage {
        notice: shown.notice,
        general: shown.general,
        href: need_href(&need.id),
        id: need.id.clone(),
        project_name: need.project_name.clone(),
        project_code: need.project_code.clone(),
        project_href: (owner || staff).then(|| project_href(&need.project_code)),
        owner_name: need.owner_name.clone(),
        service: service_name(lang, &need.service),
        deliverable: kind.map_or_else(String::new, |k| k.deliverable.to_string()),
        work: need.work_name.as_ref().map(|w| match need.planned_days {
            Some(n) => t.fill(
                "market-need-work-days",
                &[("name", w), ("n", &n.to_string())],
            ),
            None => w.clone(),
        }),
        description: need.description.clone(),
        ceiling: money(t, need.ceiling_fen),
        deadline: t.date(&need.quote_deadline),
        rule: t.get(rule_key(need.rule)).to_string(),
        posted_on: t.date(&need.posted_on),
        status: t.get(status_key).to_string(),
        tone,
        closed_reason: need.closed_reason.clone(),
        version: need.version,
        open,
        seen_as,
        quotes,
        quote_form,
        ineligible,
        select_form,
        close_form: owner && open,
        close_reason: shown.close_reason,
        close_error: shown.close_error,
        selection,
        draw,
        rerun,
        login_href: (!signed_in)
            .then(|| format!("/login?next={}", encode_query_value(&ctx.chrome.here))),
        chrome: ctx.chrome.clone(),
    })
}

fn done_notice(t: &Messages, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "posted" => "market-notice-posted",
        "quoted" => "market-notice-quoted",
        "selected" => "market-notice-selected",
        "closed" => "market-notice-closed",
        _ => return None,
    };
    Some(t.get(key).to_string())
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct NeedQuery {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn show(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
    Path(id): Path<String>,
    Query(q): Query<NeedQuery>,
) -> PageResult {
    let actor = actor_of(&ctx, source);
    let shown = Shown {
        notice: done_notice(ctx.chrome.t, q.done.as_deref()),
        ..Shown::default()
    };
    Ok(render(
        &draw_page(&service, &ctx, &actor, &id, shown).await?,
    ))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DrawQuery {
    #[serde(default)]
    seed: String,
}

/// Re-runs the need's draw with the seed asked for: anyone may check the result.
pub(super) async fn draw(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
    Path(id): Path<String>,
    Query(q): Query<DrawQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let actor = actor_of(&ctx, source);
    let seed = q.seed.trim().to_string();
    let (result, status) = match service.rerun_draw(&id, &seed).await {
        Ok(d) => (Ok(d), StatusCode::OK),
        Err(AppError::Invalid(errors)) => (
            Err(errors
                .iter()
                .map(|e| reason_words(t, e))
                .collect::<Vec<_>>()
                .join(" ")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e @ AppError::Conflict(_)) => (Err(conflict_words(t, &e)), StatusCode::CONFLICT),
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let shown = Shown {
        rerun: Some((seed, result)),
        ..Shown::default()
    };
    let page = draw_page(&service, &ctx, &actor, &id, shown).await?;
    Ok((status, render(&page)).into_response())
}

/// The page again with what a refused form sent back.
async fn refused_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    id: &str,
    status: StatusCode,
    shown: Shown,
) -> PageResult {
    let page = draw_page(service, ctx, actor, id, shown).await?;
    Ok((status, render(&page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct QuoteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    note: String,
}

impl CarriesCsrf for QuoteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub(super) async fn quote(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<QuoteForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let mut typed = QuoteFormView {
        price: form.price.clone(),
        days: form.days.clone(),
        note: form.note.clone(),
        ..QuoteFormView::default()
    };
    let price = parse_yuan(&form.price);
    if price.is_none() {
        typed.price_error = Some(t.get("market-error-money").to_string());
    }
    let days = form.days.trim().parse::<u32>().ok();
    if days.is_none() {
        typed.days_error = Some(t.get("market-error-whole-number").to_string());
    }
    let mut shown = Shown::default();
    let status = match (price, days) {
        (Some(price_fen), Some(days)) => {
            let new = NewQuote {
                price_fen,
                days,
                note: form.note.clone(),
            };
            match service.quote(&session.actor, &id, new).await {
                Ok(_) => return Ok(see_other(&format!("{}?done=quoted", need_href(&id)))),
                Err(e) => match refusal(&ctx, e)? {
                    Refusal::Fields(errors, status) => {
                        for e in &errors {
                            let words = reason_words(t, e);
                            match e.field.as_str() {
                                "price_fen" => {
                                    typed.price_error.get_or_insert(words);
                                }
                                "days" => {
                                    typed.days_error.get_or_insert(words);
                                }
                                _ => shown.general.push(words),
                            }
                        }
                        status
                    }
                    Refusal::General(words, status) => {
                        shown.general.push(words);
                        status
                    }
                },
            }
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    shown.quote = Some(typed);
    refused_page(&service, &ctx, &session.actor, &id, status, shown).await
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct SelectForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    firm: String,
}

impl CarriesCsrf for SelectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub(super) async fn select(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SelectForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let version = form.version.trim().parse().unwrap_or(0);
    let chosen = Some(form.firm.trim().to_string()).filter(|f| !f.is_empty());
    let mut shown = Shown {
        chosen: form.firm.trim().to_string(),
        ..Shown::default()
    };
    let status = match service
        .select_firm(&session.actor, &id, version, chosen)
        .await
    {
        Ok(_) => return Ok(see_other(&format!("{}?done=selected", need_href(&id)))),
        Err(e) => match refusal(&ctx, e)? {
            Refusal::Fields(errors, status) => {
                let words: Vec<String> = errors.iter().map(|e| reason_words(t, e)).collect();
                shown.select_error = Some(words.join(" "));
                status
            }
            Refusal::General(words, status) => {
                shown.general.push(words);
                status
            }
        },
    };
    refused_page(&service, &ctx, &session.actor, &id, status, shown).await
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct CloseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    reason: String,
}

impl CarriesCsrf for CloseForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub(super) async fn close(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Owners>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CloseForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let version = form.version.trim().parse().unwrap_or(0);
    let mut shown = Shown {
        close_reason: form.reason.clone(),
        ..Shown::default()
    };
    let status = match service
        .close_need(&session.actor, &id, version, &form.reason)
        .await
    {
        Ok(_) => return Ok(see_other(&format!("{}?done=closed", need_href(&id)))),
        Err(e) => match refusal(&ctx, e)? {
            Refusal::Fields(errors, status) => {
                let words: Vec<String> = errors.iter().map(|e| reason_words(t, e)).collect();
                shown.close_error = Some(words.join(" "));
                status
            }
            Refusal::General(words, status) => {
                shown.general.push(words);
                status
            }
        },
    };
    refused_page(&service, &ctx, &session.actor, &id, status, shown).await
}
