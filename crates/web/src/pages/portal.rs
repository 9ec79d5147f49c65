//! Pages: the catalogue for everyone: browse, search (also by pinyin initials), item pages, and
//! the home page with the reform's headline figures.
//!
//! Nothing here needs a login. The list reads one page of the store at a time (keyset paging on
//! the item code); only the home page's figures read every item, and those are cached by the
//! service for a minute.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use onewindow_app::bundles::BundleView;
use onewindow_app::portal::CatalogueOverview;
use onewindow_app::{AppError, ItemFilter, Service};
use onewindow_domain::catalogue::{
    Department, Item, ItemKind, Level, Material, MaterialForm, MaterialSource, PublishedItem,
    RunMode,
};
use onewindow_domain::figures::{Figure, FigureSource, ReformMilestone};
use onewindow_domain::life_events::{LifeEvent, life_events_of};
use serde::Deserialize;

use super::{Chrome, PageCtx, encode_query_value, render};
use crate::i18n::{Lang, Messages};

/// Items on one page of the list.
const PAGE_SIZE: i64 = 20;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/catalogue", get(catalogue))
        .route("/catalogue/items/{code}", get(item_page))
        .route("/bundles", get(bundles_page))
        .route("/bundles/{code}", get(bundle_page))
}

/// Marks a message key written outside `t.get(…)`, so the catalogue test checks it exists.
const fn msg(key: &'static str) -> &'static str {
    key
}

// ---- words for the catalogue's values ---------------------------------------------------------

fn run_mode_key(mode: RunMode) -> &'static str {
    match mode {
        RunMode::Immediate => msg("portal-mode-immediate"),
        RunMode::WindowExpress => msg("portal-mode-window_express"),
        RunMode::OnlinePrereview => msg("portal-mode-online_prereview"),
        RunMode::OnlineExpress => msg("portal-mode-online_express"),
        RunMode::OnlineOnline => msg("portal-mode-online_online"),
    }
}

fn run_mode_explained_key(mode: RunMode) -> &'static str {
    match mode {
        RunMode::Immediate => msg("portal-mode-immediate-explained"),
        RunMode::WindowExpress => msg("portal-mode-window_express-explained"),
        RunMode::OnlinePrereview => msg("portal-mode-online_prereview-explained"),
        RunMode::OnlineExpress => msg("portal-mode-online_express-explained"),
        RunMode::OnlineOnline => msg("portal-mode-online_online-explained"),
    }
}

fn life_event_key(event: LifeEvent) -> &'static str {
    match event {
        LifeEvent::Birth => msg("portal-event-birth"),
        LifeEvent::Schooling => msg("portal-event-schooling"),
        LifeEvent::Employment => msg("portal-event-employment"),
        LifeEvent::MarriageChildren => msg("portal-event-marriage_children"),
        LifeEvent::Housing => msg("portal-event-housing"),
        LifeEvent::Travel => msg("portal-event-travel"),
        LifeEvent::StartBusiness => msg("portal-event-start_business"),
        LifeEvent::RunBusiness => msg("portal-event-run_business"),
        LifeEvent::Construction => msg("portal-event-construction"),
        LifeEvent::SocialHealth => msg("portal-event-social_health"),
        LifeEvent::Retirement => msg("portal-event-retirement"),
        LifeEvent::AfterDeath => msg("portal-event-after_death"),
    }
}

fn kind_key(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Licence => msg("portal-kind-licence"),
        ItemKind::Confirmation => msg("portal-kind-confirmation"),
        ItemKind::Inspection => msg("portal-kind-inspection"),
        ItemKind::Filing => msg("portal-kind-filing"),
        ItemKind::OtherPower => msg("portal-kind-other_power"),
        ItemKind::PublicService => msg("portal-kind-public_service"),
    }
}

fn level_key(level: Level) -> &'static str {
    match level {
        Level::County => msg("portal-level-county"),
        Level::Township => msg("portal-level-township"),
        Level::Village => msg("portal-level-village"),
    }
}

fn form_key(form: MaterialForm) -> &'static str {
    match form {
        MaterialForm::Original => msg("portal-form-original"),
        MaterialForm::Copy => msg("portal-form-copy"),
        MaterialForm::Electronic => msg("portal-form-electronic"),
    }
}

fn source_key(source: MaterialSource) -> &'static str {
    match source {
        MaterialSource::Applicant => msg("portal-source-applicant"),
        MaterialSource::Government => msg("portal-source-government"),
        MaterialSource::Intermediary => msg("portal-source-intermediary"),
    }
}

/// "零跑", "最多跑一次" or "需到现场 3 次", and whether it is "at most once".
fn visits_label(t: &Messages, visits: u32) -> String {
    match visits {
        0 => t.get("portal-visits-zero").to_string(),
        1 => t.get("portal-visits-once").to_string(),
        n => t.fill1("portal-visits-many", "n", n.to_string()),
    }
}

/// "即办" or "5 个工作日".
fn promised_label(t: &Messages, days: u32) -> String {
    if days == 0 {
        t.get("portal-promised-immediate").to_string()
    } else {
        working_days(t, days)
    }
}

/// "5 个工作日", "5 working days", "1 working day".
fn working_days(t: &Messages, days: u32) -> String {
    if days == 1 {
        t.get("portal-one-working-day").to_string()
    } else {
        t.fill1("common-working-days", "n", days.to_string())
    }
}

/// A department's name in the page's language.
fn department_name(lang: Lang, d: &Department) -> String {
    match lang {
        Lang::En if !d.name_en.is_empty() => d.name_en.clone(),
        _ => d.name.clone(),
    }
}

fn department_name_of(lang: Lang, departments: &[Department], code: &str) -> String {
    departments
        .iter()
        .find(|d| d.code == code)
        .map_or_else(|| code.to_string(), |d| department_name(lang, d))
}

fn item_href(code: &str) -> String {
    format!("/catalogue/items/{}", encode_query_value(code))
}

// ---- the list ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    cursor: String,
}

/// An option of a select: value, label, whether chosen.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A life event as a link that narrows the list (or widens it again when it is the current one).
struct EventLink {
    href: String,
    label: String,
    current: bool,
}

/// One result of the list.
struct ResultRow {
    href: String,
    name: String,
    department: String,
    mode: String,
    visits: String,
    at_most_once: bool,
    promised: String,
}

#[derive(Template)]
#[template(path = "portal/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    q: String,
    departments: Vec<Choice>,
    events: Vec<Choice>,
    modes: Vec<Choice>,
    event_links: Vec<EventLink>,
    /// What the list shows, in words: "婚育 · 网上申报+快递送达 · “yyzz”".
    summary: String,
    filtered: bool,
    /// A department, life event or run mode is chosen: the filters are shown open.
    narrowed: bool,
    results: Vec<ResultRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// The list's address for these filters (and cursor).
fn catalogue_href(q: &str, department: &str, event: &str, mode: &str, cursor: &str) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("q", q),
        ("department", department),
        ("event", event),
        ("mode", mode),
        ("cursor", cursor),
    ] {
        if !value.is_empty() {
            parts.push(format!("{name}={}", encode_query_value(value)));
        }
    }
    if parts.is_empty() {
        "/catalogue".to_string()
    } else {
        format!("/catalogue?{}", parts.join("&"))
    }
}

async fn catalogue(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(query): Query<CatalogueQuery>,
) -> Response {
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let q = query.q.trim().to_string();
    // Unknown filter values are ignored rather than refused: an old bookmark still shows a list.
    let mode = RunMode::parse(&query.mode);
    let event = LifeEvent::parse(&query.event);
    let departments = match service.departments().await {
        Ok(d) => d,
        Err(e) => return ctx.app_error(e),
    };
    let department = departments
        .iter()
        .find(|d| d.code == query.department)
        .map(|d| d.code.clone());
    let filter = ItemFilter {
        query: (!q.is_empty()).then(|| q.clone()),
        department: department.clone(),
        run_mode: mode.map(|m| m.as_str().to_string()),
        kind: None,
        after_code: (!query.cursor.is_empty()).then(|| query.cursor.clone()),
        limit: PAGE_SIZE,
    };
    let page = match service.browse_items(filter, event).await {
        Ok(p) => p,
        Err(e) => return ctx.app_error(e),
    };

    let department_code = department.clone().unwrap_or_default();
    let event_code = event.map_or("", LifeEvent::as_str);
    let mode_code = mode.map_or("", RunMode::as_str);
    let mut summary = Vec::new();
    if let Some(e) = event {
        summary.push(t.get(life_event_key(e)).to_string());
    }
    if let Some(code) = &department {
        summary.push(department_name_of(lang, &departments, code));
    }
    if let Some(m) = mode {
        summary.push(t.get(run_mode_key(m)).to_string());
    }
    if !q.is_empty() {
        summary.push(t.fill1("portal-list-matching", "q", &q));
    }
    let filtered = !summary.is_empty();

    let results = page
        .items
        .iter()
        .map(|p| ResultRow {
            href: item_href(&p.item.code),
            name: p.item.name.clone(),
            department: department_name_of(lang, &departments, &p.item.department),
            mode: t.get(run_mode_key(p.item.run_mode)).to_string(),
            visits: visits_label(t, p.item.visits_required),
            at_most_once: p.item.is_at_most_once(),
            promised: promised_label(t, p.item.promised_days),
        })
        .collect();
    let next_href = page
        .next_cursor
        .as_deref()
        .map(|c| catalogue_href(&q, &department_code, event_code, mode_code, c));
    let first_href = (!query.cursor.is_empty())
        .then(|| catalogue_href(&q, &department_code, event_code, mode_code, ""));

    let page = CataloguePage {
        q: q.clone(),
        departments: departments
            .iter()
            .map(|d| Choice {
                value: d.code.clone(),
                label: department_name(lang, d),
                selected: department.as_deref() == Some(d.code.as_str()),
            })
            .collect(),
        events: LifeEvent::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str().to_string(),
                label: t.get(life_event_key(*e)).to_string(),
                selected: event == Some(*e),
            })
            .collect(),
        modes: RunMode::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().to_string(),
                label: t.get(run_mode_key(*m)).to_string(),
                selected: mode == Some(*m),
            })
            .collect(),
        event_links: LifeEvent::ALL
            .iter()
            .map(|e| {
                let current = event == Some(*e);
                let target = if current { "" } else { e.as_str() };
                EventLink {
                    href: catalogue_href(&q, &department_code, target, mode_code, ""),
                    label: t.get(life_event_key(*e)).to_string(),
                    current,
                }
            })
            .collect(),
        summary: summary.join(" · "),
        filtered,
        narrowed: department.is_some() || event.is_some() || mode.is_some(),
        results,
        next_href,
        first_href,
        chrome: ctx.chrome,
    };
    render(&page)
}

// ---- one item ---------------------------------------------------------------------------------

/// A material as the item page shows it.
struct MaterialRow {
    name: String,
    /// "原件，1 份".
    form: String,
    source: String,
    required: bool,
    sample: Option<String>,
    /// "2019年3月1日取消：reason", for a cancelled material.
    cancelled: Option<String>,
}

/// An intermediary service as the item page shows it.
struct ServiceRow {
    name: String,
    days: String,
    cancelled: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/item.html")]
struct ItemPage {
    chrome: Chrome,
    name: String,
    department: String,
    department_href: String,
    kind: String,
    /// "事项编码：… （第 3 版）".
    code_line: String,
    /// The one plain sentence about visits: "您最多只需到现场一次。"
    visits_sentence: String,
    visits: String,
    at_most_once: bool,
    mode: String,
    mode_explained: String,
    mode_href: String,
    promised: String,
    statutory: String,
    /// "比法定时限快 80%", when both limits exist and the promise is shorter.
    speed_up: Option<String>,
    fee: String,
    legal_basis: String,
    levels: String,
    result_licence_type: Option<String>,
    events: Vec<EventLink>,
    materials_heading: String,
    materials: Vec<MaterialRow>,
    cancelled_materials_heading: String,
    cancelled_materials: Vec<MaterialRow>,
    services: Vec<ServiceRow>,
    cancelled_services: Vec<ServiceRow>,
    apply_href: String,
}

fn cancelled_text(t: &Messages, c: &onewindow_domain::catalogue::Cancellation) -> String {
    t.fill(
        "portal-item-cancelled-on",
        &[("date", &t.date(&c.date)), ("reason", &c.reason)],
    )
}

fn material_row(t: &Messages, m: &Material) -> MaterialRow {
    MaterialRow {
        name: m.name.clone(),
        form: t.fill(
            "portal-item-form-copies",
            &[
                ("form", t.get(form_key(m.form))),
                ("n", &m.copies.to_string()),
            ],
        ),
        source: t.get(source_key(m.source)).to_string(),
        required: m.required,
        sample: m.sample.clone().filter(|s| !s.trim().is_empty()),
        cancelled: m.cancelled.as_ref().map(|c| cancelled_text(t, c)),
    }
}

fn item_view(chrome: Chrome, published: &PublishedItem, departments: &[Department]) -> ItemPage {
    let t = chrome.t;
    let lang = chrome.lang;
    let item: &Item = &published.item;
    let visits_sentence = match item.visits_required {
        0 => t.get("portal-item-visits-zero").to_string(),
        1 => t.get("portal-item-visits-once").to_string(),
        n => t.fill1("portal-item-visits-many", "n", n.to_string()),
    };
    let statutory = if item.statutory_days == 0 {
        t.get("portal-item-statutory-none").to_string()
    } else {
        working_days(t, item.statutory_days)
    };
    let speed_up =
        (item.statutory_days > 0 && item.promised_days < item.statutory_days).then(|| {
            let saved = item.statutory_days - item.promised_days;
            // Whole percent, rounded half up in integers.
            let percent = (u64::from(saved) * 200 + u64::from(item.statutory_days))
                / (2 * u64::from(item.statutory_days));
            t.fill1("portal-item-speed-up", "percent", percent.to_string())
        });
    let fee = if item.fee.charged {
        if item.fee.description.trim().is_empty() {
            t.get("portal-item-fee-charged").to_string()
        } else {
            item.fee.description.clone()
        }
    } else {
        t.get("portal-item-fee-free").to_string()
    };
    let levels = item
        .levels
        .iter()
        .map(|l| t.get(level_key(*l)))
        .collect::<Vec<_>>()
        .join(match lang {
            Lang::ZhCn => "、",
            Lang::En => ", ",
        });
    let (cancelled_materials, materials): (Vec<_>, Vec<_>) = item
        .materials
        .iter()
        .map(|m| material_row(t, m))
        .partition(|m| m.cancelled.is_some());
    let (cancelled_services, services): (Vec<_>, Vec<_>) = item
        .intermediary_services
        .iter()
        .map(|s| ServiceRow {
            name: s.name.clone(),
            days: working_days(t, s.working_days),
            cancelled: s.cancelled.as_ref().map(|c| cancelled_text(t, c)),
        })
        .partition(|s| s.cancelled.is_some());
    ItemPage {
        name: item.name.clone(),
        department: department_name_of(lang, departments, &item.department),
        department_href: catalogue_href("", &item.department, "", "", ""),
        kind: t.get(kind_key(item.kind)).to_string(),
        code_line: t.fill(
            "portal-item-code-line",
            &[
                ("code", &item.code),
                ("version", &published.version.to_string()),
            ],
        ),
        visits_sentence,
        visits: visits_label(t, item.visits_required),
        at_most_once: item.is_at_most_once(),
        mode: t.get(run_mode_key(item.run_mode)).to_string(),
        mode_explained: t.get(run_mode_explained_key(item.run_mode)).to_string(),
        mode_href: catalogue_href("", "", "", item.run_mode.as_str(), ""),
        promised: promised_label(t, item.promised_days),
        statutory,
        speed_up,
        fee,
        legal_basis: item.legal_basis.clone(),
        levels,
        result_licence_type: item
            .result_licence_type
            .clone()
            .filter(|r| !r.trim().is_empty()),
        events: life_events_of(item)
            .into_iter()
            .map(|e| EventLink {
                href: catalogue_href("", "", e.as_str(), "", ""),
                label: t.get(life_event_key(e)).to_string(),
                current: false,
            })
            .collect(),
        materials_heading: t.fill1(
            "portal-item-materials-heading",
            "n",
            materials.len().to_string(),
        ),
        materials,
        cancelled_materials_heading: t.fill1(
            "portal-item-cancelled-materials",
            "n",
            cancelled_materials.len().to_string(),
        ),
        cancelled_materials,
        services,
        cancelled_services,
        apply_href: format!("/apply/{}", encode_query_value(&item.code)),
        chrome,
    }
}

async fn item_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
) -> Response {
    let published = match service.item(&code).await {
        Ok(p) => p,
        Err(AppError::NotFound { .. }) => {
            return ctx.error(StatusCode::NOT_FOUND, "portal-item-not-found");
        }
        Err(e) => return ctx.app_error(e),
    };
    let departments = match service.departments().await {
        Ok(d) => d,
        Err(e) => return ctx.app_error(e),
    };
    render(&item_view(ctx.chrome, &published, &departments))
}

// ---- the home page ----------------------------------------------------------------------------

/// A headline figure: the percentage, what it counts and of how many.
pub struct HeadlineFigure {
    pub percent: String,
    pub label: String,
    pub detail: String,
}

/// A shortcut to a part of the catalogue with its number of items.
pub struct Shortcut {
    pub href: String,
    pub label: String,
    pub count: String,
}

/// What the home page shows of the catalogue; empty when the store could not be read, so that the
/// home page (search box, login) still answers.
pub struct HomeCatalogue {
    pub figures: Vec<HeadlineFigure>,
    /// The reform's cuts, before → after.
    pub milestones: Vec<MilestoneRow>,
    pub modes: Vec<HeadlineFigure>,
    pub events: Vec<Shortcut>,
    pub departments: Vec<Shortcut>,
    pub total: String,
}

/// One line of the reform's before → after table.
pub struct MilestoneRow {
    /// "2015年", or "—" where the county's report names no year.
    pub year: String,
    pub what: String,
    /// "86 → 63 项证明".
    pub change: String,
    /// Where the figures come from: the county's report, or computed by the system.
    pub source: String,
}

fn milestone_row(t: &Messages, m: &ReformMilestone) -> MilestoneRow {
    let zh = t.lang() == crate::i18n::Lang::ZhCn;
    let (what, unit) = if zh {
        (&m.what_zh, &m.unit_zh)
    } else {
        (&m.what_en, &m.unit_en)
    };
    let source = if m.after_source == FigureSource::Computed {
        "portal-home-reform-computed"
    } else {
        "portal-home-reform-reported"
    };
    MilestoneRow {
        year: m.year.map_or_else(
            || "—".to_string(),
            |y| t.fill1("portal-home-reform-year", "year", y.to_string()),
        ),
        what: what.clone(),
        change: t.fill(
            "portal-home-reform-change",
            &[
                ("before", &m.before.to_string()),
                ("after", &m.after.to_string()),
                ("unit", unit),
            ],
        ),
        source: t.get(source).to_string(),
    }
}

fn headline(t: &Messages, figure: &Figure, label_key: &'static str) -> HeadlineFigure {
    HeadlineFigure {
        percent: format!("{}%", figure.percent_2dp),
        label: t.get(label_key).to_string(),
        detail: t.fill(
            "portal-home-of",
            &[
                ("n", &figure.ratio.numerator.to_string()),
                ("total", &figure.ratio.denominator.to_string()),
            ],
        ),
    }
}

fn home_catalogue(chrome: &Chrome, overview: &CatalogueOverview) -> HomeCatalogue {
    let t = chrome.t;
    let f = &overview.figures;
    let items_count = |n: u64| t.fill1("portal-home-items", "n", n.to_string());
    HomeCatalogue {
        figures: vec![
            headline(t, &f.at_most_once, msg("portal-home-figure-at-most-once")),
            headline(t, &f.in_hall, msg("portal-home-figure-in-hall")),
            headline(t, &f.authorised, msg("portal-home-figure-authorised")),
            HeadlineFigure {
                percent: format!("{}%", f.promised_speed_up.figure.percent_2dp),
                label: t.get("portal-home-figure-speed-up").to_string(),
                detail: t.fill(
                    "portal-home-speed-up-detail",
                    &[
                        ("promised", &f.promised_speed_up.promised_days.to_string()),
                        ("statutory", &f.promised_speed_up.statutory_days.to_string()),
                    ],
                ),
            },
        ],
        milestones: f.milestones.iter().map(|m| milestone_row(t, m)).collect(),
        modes: f
            .by_run_mode
            .iter()
            .map(|m| HeadlineFigure {
                percent: format!("{}%", m.figure.percent_2dp),
                label: t.get(run_mode_key(m.run_mode)).to_string(),
                detail: catalogue_href("", "", "", m.run_mode.as_str(), ""),
            })
            .collect(),
        events: overview
            .life_events
            .iter()
            .map(|(e, n)| Shortcut {
                href: catalogue_href("", "", e.as_str(), "", ""),
                label: t.get(life_event_key(*e)).to_string(),
                count: items_count(*n),
            })
            .collect(),
        departments: overview
            .departments
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| Shortcut {
                href: catalogue_href("", &d.code, "", "", ""),
                label: department_name(chrome.lang, d),
                count: items_count(*n),
            })
            .collect(),
        total: t.fill1("portal-home-total", "n", f.total_items.to_string()),
    }
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    chrome: Chrome,
    catalogue: Option<HomeCatalogue>,
    /// "One thing" bundles, the homestay first; empty when there are none.
    bundles: Vec<BundleCard>,
}

/// The home page: the search box, shortcuts by life event and department, and the headline
/// figures of the reform.
pub async fn home(State(service): State<Service>, ctx: PageCtx) -> Response {
    let catalogue = match service.catalogue_overview().await {
        Ok(overview) if overview.figures.total_items > 0 => {
            Some(home_catalogue(&ctx.chrome, &overview))
        }
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, "home page figures failed");
            None
        }
    };
    let departments = service.departments().await.unwrap_or_default();
    let bundles = match service.bundles().await {
        Ok(views) => bundle_cards(&ctx.chrome, &views, &departments),
        Err(e) => {
            tracing::error!(error = %e, "home page bundles failed");
            Vec::new()
        }
    };
    render(&HomePage {
        chrome: ctx.chrome,
        catalogue,
        bundles,
    })
    .into_response()
}

// ---- joint-approval bundles ("one thing") -----------------------------------------------------

/// The bundles the home page and the list lead with: the seed's homestay first.
const FEATURED_BUNDLE: &str = "LB-MINSU";

fn bundle_href(code: &str) -> String {
    format!("/bundles/{}", encode_query_value(code))
}

/// A bundle's name in the page's language (the catalogue's Chinese when it has no English one).
fn bundle_name(lang: Lang, view: &BundleView) -> String {
    match lang {
        Lang::En if !view.bundle.bundle.name_en.trim().is_empty() => {
            view.bundle.bundle.name_en.clone()
        }
        _ => view.bundle.bundle.name.clone(),
    }
}

/// One bundle in a list: what it is, where, and what it saves.
pub struct BundleCard {
    pub href: String,
    pub name: String,
    pub description: String,
    pub lead: String,
    pub members: String,
    pub saving: String,
}

fn bundle_card(chrome: &Chrome, view: &BundleView, departments: &[Department]) -> BundleCard {
    let t = chrome.t;
    let b = &view.bundle.bundle;
    let f = &view.plan.figures;
    let lead_department = department_name_of(chrome.lang, departments, &b.lead_department);
    BundleCard {
        href: bundle_href(&b.code),
        name: bundle_name(chrome.lang, view),
        description: b.description.clone(),
        lead: if b.lead_window.trim().is_empty() {
            lead_department
        } else {
            t.fill(
                "portal-bundle-lead-window",
                &[("window", &b.lead_window), ("department", &lead_department)],
            )
        },
        members: t.fill1(
            "portal-bundle-members-count",
            "n",
            view.plan.tasks.len().to_string(),
        ),
        saving: t.fill(
            "portal-bundle-saving",
            &[
                ("materials_before", &f.materials_before.to_string()),
                ("materials_after", &f.materials_after.to_string()),
                ("visits_before", &f.visits_before.to_string()),
                ("visits_after", &f.visits_after.to_string()),
            ],
        ),
    }
}

/// The cards of `views`, the featured bundle first.
fn bundle_cards(
    chrome: &Chrome,
    views: &[BundleView],
    departments: &[Department],
) -> Vec<BundleCard> {
    let mut ordered: Vec<&BundleView> = views.iter().collect();
    ordered.sort_by_key(|v| v.bundle.bundle.code != FEATURED_BUNDLE);
    ordered
        .into_iter()
        .map(|v| bundle_card(chrome, v, departments))
        .collect()
}

#[derive(Template)]
#[template(path = "portal/bundles.html")]
struct BundlesPage {
    chrome: Chrome,
    bundles: Vec<BundleCard>,
}

async fn bundles_page(State(service): State<Service>, ctx: PageCtx) -> Response {
    let views = match service.bundles().await {
        Ok(v) => v,
        Err(e) => return ctx.app_error(e),
    };
    let departments = match service.departments().await {
        Ok(d) => d,
        Err(e) => return ctx.app_error(e),
    };
    let bundles = bundle_cards(&ctx.chrome, &views, &departments);
    render(&BundlesPage {
        chrome: ctx.chrome,
        bundles,
    })
}

/// A member of the bundle as its page lists it.
struct MemberRow {
    href: String,
    name: String,
    department: String,
    /// "并联办理" or "在 … 之后".
    order: String,
    essential: bool,
    countersign: Option<String>,
    promised: String,
    result: Option<String>,
}

/// A material of the bundle's one form.
struct BundleMaterialRow {
    key: String,
    name: String,
    form: String,
    /// The members that need it.
    needed_by: String,
    /// "在联办中由 … 出具，无需提交".
    produced_by: Option<String>,
    sample: Option<String>,
}

/// One figure before → after.
struct BeforeAfter {
    label: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "portal/bundle.html")]
struct BundlePage {
    chrome: Chrome,
    name: String,
    /// The Chinese name under an English heading.
    name_zh: Option<String>,
    description: String,
    code_line: String,
    lead_department: String,
    lead_window: String,
    promised: String,
    members_line: String,
    figures: Vec<BeforeAfter>,
    members: Vec<MemberRow>,
    materials_heading: String,
    materials: Vec<BundleMaterialRow>,
    produced: Vec<BundleMaterialRow>,
    apply_href: String,
}

fn bundle_view_page(chrome: Chrome, view: &BundleView, departments: &[Department]) -> BundlePage {
    let t = chrome.t;
    let lang = chrome.lang;
    let b = &view.bundle.bundle;
    let plan = &view.plan;
    let sep = match lang {
        Lang::ZhCn => "、",
        Lang::En => ", ",
    };
    let item_name = |code: &str| {
        plan.tasks
            .iter()
            .find(|task| task.item_code == code)
            .map_or_else(|| code.to_string(), |task| task.item_name.clone())
    };
    let members = plan
        .tasks
        .iter()
        .map(|task| MemberRow {
            href: item_href(&task.item_code),
            name: task.item_name.clone(),
            department: department_name_of(lang, departments, &task.department),
            order: if task.after.is_empty() {
                t.get("common-task-parallel").to_string()
            } else {
                t.fill1(
                    "common-task-after",
                    "items",
                    task.after
                        .iter()
                        .map(|a| item_name(a))
                        .collect::<Vec<_>>()
                        .join(sep),
                )
            },
            essential: task.essential,
            countersign: (task.countersign > 0).then(|| {
                t.fill1(
                    "portal-bundle-countersign",
                    "n",
                    task.countersign.to_string(),
                )
            }),
            promised: promised_label(t, task.promised_days),
            result: task
                .result_licence_type
                .clone()
                .filter(|r| !r.trim().is_empty()),
        })
        .collect();
    let row = |m: &onewindow_domain::bundle::BundleMaterial| BundleMaterialRow {
        key: m.key.clone(),
        name: m.name.clone(),
        form: t.fill(
            "portal-item-form-copies",
            &[
                ("form", t.get(form_key(m.form))),
                ("n", &m.copies.to_string()),
            ],
        ),
        needed_by: m
            .needed_by
            .iter()
            .map(|u| item_name(&u.item_code))
            .collect::<Vec<_>>()
            .join(sep),
        produced_by: m
            .produced_by
            .as_deref()
            .map(|code| t.fill1("common-bundle-produced-by", "item", item_name(code))),
        sample: m.sample.clone().filter(|s| !s.trim().is_empty()),
    };
    let (materials, produced): (Vec<_>, Vec<_>) = plan
        .materials
        .iter()
        .map(row)
        .partition(|m| m.produced_by.is_none());
    let f = &plan.figures;
    let times = |n: u32| t.fill1("portal-bundle-times", "n", n.to_string());
    let name = bundle_name(lang, view);
    BundlePage {
        name_zh: (name != b.name).then(|| b.name.clone()),
        name,
        description: b.description.clone(),
        code_line: t.fill(
            "portal-item-code-line",
            &[
                ("code", &b.code),
                ("version", &view.bundle.version.to_string()),
            ],
        ),
        lead_department: department_name_of(lang, departments, &b.lead_department),
        lead_window: b.lead_window.clone(),
        promised: working_days(t, plan.limit_days),
        members_line: t.fill(
            "portal-bundle-members-line",
            &[
                ("n", &plan.tasks.len().to_string()),
                ("departments", &f.departments_before.to_string()),
            ],
        ),
        figures: vec![
            BeforeAfter {
                label: t.get("portal-bundle-figure-materials").to_string(),
                before: t.fill1("portal-bundle-copies", "n", f.materials_before.to_string()),
                after: t.fill1("portal-bundle-copies", "n", f.materials_after.to_string()),
            },
            BeforeAfter {
                label: t.get("portal-bundle-figure-departments").to_string(),
                before: t.fill1(
                    "portal-bundle-windows",
                    "n",
                    f.departments_before.to_string(),
                ),
                after: t.fill1(
                    "portal-bundle-windows",
                    "n",
                    f.departments_after.to_string(),
                ),
            },
            BeforeAfter {
                label: t.get("portal-bundle-figure-visits").to_string(),
                before: times(f.visits_before),
                after: times(f.visits_after),
            },
        ],
        members,
        materials_heading: t.fill1(
            "portal-bundle-materials-heading",
            "n",
            materials.len().to_string(),
        ),
        materials,
        produced,
        apply_href: format!("/apply/{}", encode_query_value(&b.code)),
        chrome,
    }
}

async fn bundle_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
) -> Response {
    let view = match service.bundle(&code).await {
        Ok(v) => v,
        // A bundle that no longer resolves over the published items cannot be applied for.
        Err(AppError::NotFound { .. } | AppError::Invalid(_)) => {
            return ctx.error(StatusCode::NOT_FOUND, "portal-bundle-not-found");
        }
        Err(e) => return ctx.app_error(e),
    };
    let departments = match service.departments().await {
        Ok(d) => d,
        Err(e) => return ctx.app_error(e),
    };
    render(&bundle_view_page(ctx.chrome, &view, &departments))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use onewindow_app::ManualClock;
    use onewindow_domain::NaiveDate;
    use onewindow_domain::calendar::Calendar;
    use onewindow_store::Store;
    use tower::ServiceExt;

    use super::*;

    /// A data directory removed when the test ends.
    use onewindow_testkit::TempDir;

    /// A service on a fresh store holding the Ninghai demo catalogue: SQLite in a temporary
    /// directory, or a scratch PostgreSQL database when `ONEWINDOW_TEST_POSTGRES` names a server
    /// (as the API tests do).
    async fn demo_service() -> (Service, TempDir) {
        let dir = std::env::temp_dir().join(format!("onewindow-portal-{}", uuid::Uuid::now_v7()));
        let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                onewindow_store::create_scratch_postgres(&base, "onewindow_portal")
                    .await
                    .expect("PostgreSQL reachable for the test suite")
            }
            _ => onewindow_store::data_dir_url(&dir).expect("temp dir"),
        };
        let store = Store::open(&url).await.expect("store opens");
        let morning = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(morning));
        let service = Service::new(store, Calendar::prc(), clock, "330226");
        service.seed_demo(0).await.expect("demo catalogue loads");
        (service, TempDir(dir))
    }

    /// GETs `path` from the whole app, in English when `english`; the status and the page.
    async fn get(service: &Service, path: &str, english: bool) -> (StatusCode, String) {
        let mut request = Request::get(path);
        if english {
            request = request.header(header::COOKIE, "ow_lang=en");
        }
        let response = crate::app(service.clone())
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body under 1 MiB");
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    }

    /// The names of the results on a list page.
    fn result_names(page: &str) -> Vec<String> {
        page.split("<h3><a href=\"/catalogue/items/")
            .skip(1)
            .filter_map(|part| {
                let start = part.find('>')? + 1;
                let end = part.find("</a>")?;
                Some(part[start..end].to_string())
            })
            .collect()
    }

    fn next_link(page: &str) -> Option<String> {
        let at = page.find("rel=\"next\"")?;
        let before = &page[..at];
        let start = before.rfind("href=\"")? + 6;
        let end = start + before[start..].find('"')?;
        Some(before[start..end].replace("&amp;", "&"))
    }

    #[tokio::test]
    async fn the_catalogue_pages_on_the_demo_catalogue() {
        let (service, _dir) = demo_service().await;

        // Pinyin initials and partial pinyin find 营业执照.
        for q in ["yyzz", "yingye", "YYZZ", "营业执照"] {
            let (status, page) = get(&service, &format!("/catalogue?q={q}"), false).await;
            assert_eq!(status, StatusCode::OK);
            let names = result_names(&page);
            assert!(
                names.iter().any(|n| n.contains("营业执照")),
                "{q} finds 营业执照 items: {names:?}"
            );
        }

        // The list without filters is one page of 20 with a next page that continues after it.
        let (status, page) = get(&service, "/catalogue", false).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.len() < 200 * 1024,
            "the list weighs {} bytes",
            page.len()
        );
        let first = result_names(&page);
        assert_eq!(first.len(), PAGE_SIZE as usize);
        assert!(page.contains("最多跑一次") && page.contains("下一页"));
        let next = next_link(&page).expect("a next page");
        assert!(next.starts_with("/catalogue?cursor="), "{next}");
        let (_, page2) = get(&service, &next, false).await;
        let second = result_names(&page2);
        assert_eq!(second.len(), PAGE_SIZE as usize);
        let codes = |page: &str| -> Vec<String> {
            page.split("<h3><a href=\"/catalogue/items/")
                .skip(1)
                .filter_map(|p| p.split('"').next().map(str::to_string))
                .collect()
        };
        let (first_codes, second_codes) = (codes(&page), codes(&page2));
        assert!(
            first_codes.last() < second_codes.first(),
            "the next page continues after the first"
        );
        assert!(page2.contains("回到第一页"));

        // Filters: a life event, a run mode and a department narrow the list.
        let (_, births) = get(&service, "/catalogue?event=birth", false).await;
        let names = result_names(&births);
        assert!(names.contains(&"出生登记".to_string()), "{names:?}");
        assert!(names.iter().all(|n| !n.contains("营业执照")));
        let (_, online) = get(&service, "/catalogue?mode=online_online", false).await;
        assert!(online.contains("网上申报+网上取证"));
        assert!(!result_names(&online).is_empty());
        let (_, crj) = get(&service, "/catalogue?department=CRJ&q=hz", false).await;
        assert!(
            result_names(&crj).iter().any(|n| n.contains("护照")),
            "hz finds 普通护照签发 in the exit-entry department"
        );
        let (_, none) = get(&service, "/catalogue?q=zzzzqqq", false).await;
        assert!(result_names(&none).is_empty());
        assert!(none.contains("没有找到"));

        // The English page shows English labels; item names stay Chinese.
        let (_, english) = get(&service, "/catalogue?q=yyzz", true).await;
        assert!(english.contains("<html lang=\"en\">"));
        assert!(english.contains("Way of applying") && english.contains("All departments"));
        assert!(english.contains("At most one visit"));
        assert!(english.contains("Market Supervision Administration"));
        assert!(!english.contains("办理方式"));

        // An item page says how many visits, which way, the times, and lists every material.
        let page = service
            .items(ItemFilter {
                query: Some("营业执照补领".into()),
                limit: 1,
                ..ItemFilter::default()
            })
            .await
            .expect("search");
        let item = &page.items[0].item;
        let (status, html) = get(&service, &item_href(&item.code), false).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("<h1>{}</h1>", item.name)));
        for m in &item.materials {
            assert!(html.contains(&m.name), "the page lists {}", m.name);
        }
        assert!(html.contains("跑几次") && html.contains("法定时限"));
        assert!(html.contains(&format!("href=\"/apply/{}\"", item.code)));
        let (_, html) = get(&service, &item_href(&item.code), true).await;
        assert!(html.contains("Materials to hand in") && html.contains("Apply online"));

        // Cancelled materials are shown as cancelled with date and reason.
        let cancelled = service
            .items(ItemFilter {
                limit: 200,
                ..ItemFilter::default()
            })
            .await
            .expect("items")
            .items
            .into_iter()
            .find(|p| p.item.materials.iter().any(|m| m.cancelled.is_some()))
            .expect("an item with a cancelled material");
        let (_, html) = get(&service, &item_href(&cancelled.item.code), false).await;
        let c = cancelled
            .item
            .materials
            .iter()
            .find_map(|m| m.cancelled.as_ref().map(|c| (m, c)))
            .expect("cancelled");
        assert!(html.contains(&format!("<del>{}</del>", c.0.name)));
        assert!(html.contains(&c.1.reason));
        assert!(html.contains("年") && html.contains("已取消"));

        // An unknown item is the 404 page, in the page's language.
        let (status, html) = get(&service, "/catalogue/items/NO-SUCH-ITEM", false).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("没有这个事项"));
        let (status, html) = get(&service, "/catalogue/items/NO-SUCH-ITEM", true).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("There is no such service"));
    }

    #[tokio::test]
    async fn the_home_page_shows_the_figures_and_the_shortcuts() {
        let (service, _dir) = demo_service().await;
        let router = Router::new()
            .route("/", get_home())
            .with_state(service.clone());
        let response = router
            .oneshot(Request::get("/").body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(html.contains("action=\"/catalogue\""));
        // The seed's figure: 864 of 1,016 items need at most one visit.
        assert!(
            html.contains("85.04%") && html.contains("864 / 1016"),
            "{html}"
        );
        // The reform's before → after: the 2015 clean-up of certificates, the project
        // services, the village project's steps (computed from the plan the system proposes).
        assert!(html.contains("id=\"reform-milestones\""), "{html}");
        for shown in [
            "2015年",
            "86 → 63 项证明",
            "42 → 24 项",
            "3 → 1 个环节",
            "取消 23 项",
            "由系统的审批方案计算",
        ] {
            assert!(html.contains(shown), "{shown} on the home page");
        }
        assert!(html.contains("/catalogue?event=birth") && html.contains("出生"));
        assert!(html.contains("/catalogue?department=SCJGJ"));
        assert!(html.len() < 200 * 1024);
    }

    fn get_home() -> axum::routing::MethodRouter<Service> {
        axum::routing::get(home)
    }
}
