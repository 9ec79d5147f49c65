//! Pages: the online intermediary supermarket (网上中介超市, issue 18). The public front with the
//! services, the admitted firms and the open needs (`/market`), a firm's page, the intermediary's
//! registration and its own firm, the owner's needs with sealed quotes and the selection (the
//! draw re-runnable by anyone), the contract on its clock with the report, and the supervising
//! department's monitoring (`/monitor/market`). Every rule is the service's
//! (`onewindow_app::market`); these pages parse the forms, call it, and put its answers and its
//! refusals (next to their fields) into words.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use onewindow_app::market::{ContractView, FirmDecision, FirmSummary};
use onewindow_app::{Actor, AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::identifiers::{IdentifierError, UnifiedSocialCreditCode};
use onewindow_domain::intermediary::{
    ContractStatus, FirmStatus, Ineligible, NeedStatus, SERVICE_TYPES, SelectionRule,
};
use onewindow_domain::monitor::Light;
use onewindow_domain::project::Project;
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::guard::{CarriesCsrf, CsrfForm, Member, Roles};
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::extract::Source;
use crate::i18n::{Lang, Messages};

mod contract;
mod firm;
mod front;
mod need;
mod project;
mod supervise;

pub(crate) use project::{ProjectMarketSection, project_section};

/// The largest body of the report form: one PDF of at most `MAX_FILE_BYTES`, and its fields.
const REPORT_BODY_LIMIT: usize = onewindow_app::files::MAX_FILE_BYTES + 1024 * 1024;

pub fn routes() -> Router<Service> {
    let uploads = Router::new()
        .route("/market/contracts/{id}/deliver", post(contract::deliver))
        .layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT));
    Router::new()
        .route("/market", get(front::market))
        .route("/market/firms/{uscc}", get(front::firm_page))
        .route(
            "/market/register",
            get(firm::register_form).post(firm::register),
        )
        .route("/market/my-firm", get(firm::my_firm))
        .route(
            "/market/my-firm/edit",
            get(firm::edit_form).post(firm::edit),
        )
        .route(
            "/market/needs/new",
            get(need::new_form).post(need::post_need),
        )
        .route("/market/needs/{id}", get(need::show))
        .route("/market/needs/{id}/quote", post(need::quote))
        .route("/market/needs/{id}/select", post(need::select))
        .route("/market/needs/{id}/close", post(need::close))
        .route("/market/needs/{id}/draw", get(need::draw))
        .route("/market/contracts/{id}", get(contract::show))
        .route("/market/contracts/{id}/report", get(contract::report))
        .route(
            "/market/contracts/{id}/hand-over",
            post(contract::hand_over),
        )
        .route("/market/contracts/{id}/wait", post(contract::wait_on_owner))
        .route(
            "/market/contracts/{id}/supplied",
            post(contract::owner_supplied),
        )
        .route("/market/contracts/{id}/accept", post(contract::accept))
        .route(
            "/market/contracts/{id}/return",
            post(contract::return_report),
        )
        .route("/market/contracts/{id}/rate", post(contract::rate))
        .route("/market/contracts/{id}/complain", post(contract::complain))
        .route("/monitor/market", get(supervise::monitor))
        .route("/monitor/market/firms/{uscc}", post(supervise::decide))
        .merge(uploads)
}

// ---- who ------------------------------------------------------------------------------------------

/// The accounts of intermediary firms.
pub struct Intermediaries;

impl Roles for Intermediaries {
    const ROLES: &'static [Role] = &[Role::Intermediary];
}

/// Who posts needs and acts for a project's owner: the enterprise's account or an agent.
pub struct Owners;

impl Roles for Owners {
    const ROLES: &'static [Role] = &[Role::Applicant, Role::Agent];
}

/// Who may open the market's monitoring: the supervising department's staff (the service asks
/// whether they are of it) and the supervisors.
pub struct Watchers;

impl Roles for Watchers {
    const ROLES: &'static [Role] = &[Role::Reviewer, Role::Approver, Role::Supervisor];
}

/// The supervising department's reviewers and approvers (the service checks the department).
pub struct DepartmentStaff;

impl Roles for DepartmentStaff {
    const ROLES: &'static [Role] = &[Role::Reviewer, Role::Approver];
}

/// The visitor as the service sees them: the session's actor, or a stranger.
fn actor_of(ctx: &PageCtx, source: String) -> Actor {
    ctx.session
        .as_ref()
        .map_or_else(|| Actor::anonymous(source), |s| s.actor.clone())
}

pub(crate) use onewindow_app::market::{acts_for_owner, is_staff};

// ---- words for the market's values -------------------------------------------------------------

/// A sum in fen as yuan with two decimals and thousands separated: `80,000.00`.
pub(crate) fn yuan(fen: u64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", fen % 100)
}

/// A sum in fen as the page's language writes money.
pub(crate) fn money(t: &Messages, fen: u64) -> String {
    t.fill1("market-yuan", "amount", yuan(fen))
}

/// Yuan as typed (`80000`, `80,000.5`, `1234.56元`) in fen; `None` when it is no sum of money.
pub(crate) fn parse_yuan(text: &str) -> Option<u64> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('元')
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 2
        || whole.len() > 12
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: u64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// The name of a service of the market in the page's language.
pub(crate) fn service_name(lang: Lang, code: &str) -> String {
    match SERVICE_TYPES.iter().find(|s| s.code == code) {
        Some(s) if lang == Lang::En => s.name_en.to_string(),
        Some(s) => s.name.to_string(),
        None => code.to_string(),
    }
}

fn services_line(lang: Lang, codes: &[String]) -> String {
    let names: Vec<String> = codes.iter().map(|c| service_name(lang, c)).collect();
    names.join(if lang == Lang::En { ", " } else { "、" })
}

fn rule_key(rule: SelectionRule) -> &'static str {
    match rule {
        SelectionRule::LowestPrice => "market-rule-lowest_price",
        SelectionRule::RandomDraw => "market-rule-random_draw",
        SelectionRule::DirectChoice => "market-rule-direct_choice",
    }
}

fn parse_rule(text: &str) -> Option<SelectionRule> {
    match text.trim() {
        "lowest_price" => Some(SelectionRule::LowestPrice),
        "random_draw" => Some(SelectionRule::RandomDraw),
        "direct_choice" => Some(SelectionRule::DirectChoice),
        _ => None,
    }
}

fn need_status_key(status: NeedStatus) -> (&'static str, &'static str) {
    match status {
        NeedStatus::Open => ("market-need-open", "warn"),
        NeedStatus::Selected => ("market-need-selected", "ok"),
        NeedStatus::Closed => ("market-need-closed", ""),
    }
}

fn contract_status_key(status: ContractStatus) -> (&'static str, &'static str) {
    match status {
        ContractStatus::AwaitingHandover => ("market-contract-awaiting_handover", "task-waiting"),
        ContractStatus::Working => ("market-contract-working", ""),
        ContractStatus::WaitingOnOwner => ("market-contract-waiting_on_owner", "task-stopped"),
        ContractStatus::Delivered => ("market-contract-delivered", "task-stopped"),
        ContractStatus::Accepted => ("market-contract-accepted", "task-done"),
    }
}

fn firm_status_key(status: FirmStatus) -> (&'static str, &'static str) {
    match status {
        FirmStatus::Pending => ("market-firm-pending", "warn"),
        FirmStatus::Admitted => ("market-firm-admitted", "ok"),
        FirmStatus::Suspended => ("market-firm-suspended", "bad"),
        FirmStatus::Removed => ("market-firm-removed", "bad"),
    }
}

fn light_parts(light: Light) -> (&'static str, &'static str) {
    match light {
        Light::Green => ("green", "market-light-green"),
        Light::Yellow => ("yellow", "market-light-yellow"),
        Light::Red => ("red", "market-light-red"),
    }
}

/// A mean rating (1–5) with one decimal, or a dash.
fn rating_text(t: &Messages, rating: Option<f64>, count: usize) -> String {
    match rating {
        Some(r) => t.fill(
            "market-rating-value",
            &[("mean", &format!("{r:.1}")), ("n", &count.to_string())],
        ),
        None => t.get("market-rating-none").to_string(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.0}%", r * 100.0))
}

fn firm_href(uscc: &str) -> String {
    format!("/market/firms/{}", encode_query_value(uscc))
}

fn need_href(id: &str) -> String {
    format!("/market/needs/{}", encode_query_value(id))
}

fn contract_href(id: &str) -> String {
    format!("/market/contracts/{}", encode_query_value(id))
}

fn project_href(code: &str) -> String {
    format!("/projects/{}", encode_query_value(code))
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// What is wrong with a credit code, in words, naming the wrong character.
fn credit_code_problem(t: &Messages, text: &str) -> Option<String> {
    let e = UnifiedSocialCreditCode::parse(text).err()?;
    Some(match (&e, e.position()) {
        (IdentifierError::Empty { .. }, _) => t.get("market-error-required").to_string(),
        (_, Some(n)) => t.fill1("market-error-code-position", "n", n.to_string()),
        _ => t.get("market-error-code-invalid").to_string(),
    })
}

/// Why a firm may not quote, in words.
fn ineligible_text(t: &Messages, why: &Ineligible) -> String {
    match why {
        Ineligible::NotAdmitted(status) => {
            let key = match *status {
                "pending" => "market-ineligible-pending",
                "suspended" => "market-ineligible-suspended",
                _ => "market-ineligible-removed",
            };
            t.get(key).to_string()
        }
        Ineligible::ServiceNotOffered(s) => t.fill1(
            "market-ineligible-service",
            "service",
            service_name(t.lang(), s),
        ),
        Ineligible::NoQualification(s) => t.fill1(
            "market-ineligible-qualification",
            "service",
            service_name(t.lang(), s),
        ),
        Ineligible::QualificationExpired {
            number, expired_on, ..
        } => t.fill(
            "market-ineligible-expired",
            &[("number", number), ("date", &t.date(expired_on))],
        ),
        Ineligible::RegionNotServed(d) => t.fill1("market-ineligible-region", "division", d),
    }
}

/// The message key of a field refusal of the market's rules this part knows, by the leading or
/// telling words of its reason (`domain::intermediary` and `app::market`).
fn reason_key(field: &str, reason: &str) -> Option<&'static str> {
    let r = reason.trim();
    let field = field.split(['[', '.']).next().unwrap_or("");
    Some(match field {
        "services" if r == "name at least one service" => "market-error-services-none",
        _ if r.ends_with("is not a service of the market") => "market-error-service-unknown",
        "qualifications" if r.ends_with("is not among the firm's services") => {
            "market-error-qualification-service"
        }
        "regions" if r == "name at least one division served" => "market-error-regions-none",
        "regions" if r.ends_with("is not a six-digit division code") => "market-error-region-code",
        "uscc" if r == "a firm's code does not change" => "market-error-uscc-fixed",
        "project_code" => "market-error-project-code",
        "ceiling_fen" | "price_fen" if r == "must be more than 0" => "market-error-positive",
        "price_fen" if r.contains("is above the ceiling") => "market-error-above-ceiling",
        "quote_deadline" if r.ends_with("is already past") => "market-error-deadline-past",
        "quote_deadline" if r.starts_with("quotes closed at the end of") => {
            "market-error-quotes-closed"
        }
        "quote_deadline" if r.contains("select after it") => "market-error-select-early",
        "rule" if r.starts_with("direct choice is allowed up to") => "market-error-direct-ceiling",
        "step_key" if r.ends_with("is not a step of the project's plan") => {
            "market-error-step-unknown"
        }
        "step_key" if r.contains("has no open intermediary work") => "market-error-step-no-work",
        "days" if r.starts_with("must be 1 to") => "market-error-days",
        "reason" if r.starts_with("quotes are closed and there are quotes") => {
            "market-error-close-after-deadline"
        }
        "quotes" if r.starts_with("no qualified quote") => "market-error-no-quotes",
        "firm" if r == "register the firm first" => "market-error-firm-none",
        "firm" if r.starts_with("name the firm chosen") => "market-error-choose-firm",
        "firm" if r.ends_with("has no qualified quote on this need") => {
            "market-error-firm-no-quote"
        }
        "firm" if r.contains("not admitted to the market") => "market-error-firm-not-admitted",
        "firm" if r.contains("does not offer the service") => "market-error-firm-no-service",
        "firm" if r.contains("has no qualification for") => "market-error-firm-no-qualification",
        "firm" if r.contains("expired on") => "market-error-firm-expired",
        "firm" if r.contains("does not serve the division") => "market-error-firm-region",
        "reason" if r.starts_with("give the reason") => "market-error-reason-published",
        "reason" if r.starts_with("say what the firm waits for") => "market-error-wait-reason",
        "reason" if r.starts_with("say why the report goes back") => "market-error-return-reason",
        "number" if r.starts_with("give the report's number") => "market-error-report-number",
        "file" if r.contains("as a PDF") => "market-error-pdf",
        "file" if r.starts_with("larger than") => "market-error-file-big",
        "file" if r == "the file is empty" || r == "no file" => "market-error-file-empty",
        "timeliness" | "quality" | "attitude" if r.ends_with("is not 1 to 5") => {
            "market-error-rating"
        }
        _ => return None,
    })
}

/// A field refusal of the service in the page's language.
fn reason_words(t: &Messages, e: &FieldError) -> String {
    if e.field == "seed"
        && let Some(seed) = e
            .reason
            .strip_prefix("the draw was made with the seed ")
            .and_then(|rest| rest.split(';').next())
    {
        return t.fill1("market-error-seed", "seed", seed.trim());
    }
    match reason_key(&e.field, &e.reason) {
        Some(key) => t.get(key).to_string(),
        None => super::reasons::reason_or_general(t, e),
    }
}

/// A refusal that is not about a field (the state moved on, someone else changed the record),
/// in the page's language.
fn conflict_words(t: &Messages, e: &AppError) -> String {
    let key = match e {
        AppError::VersionConflict { .. } => "market-conflict-changed",
        AppError::Conflict(m) if m.contains("acts for a registered firm already") => {
            "market-conflict-has-firm"
        }
        AppError::Conflict(m) if m.contains("is registered already") => {
            "market-conflict-uscc-taken"
        }
        AppError::Conflict(m) if m.contains("changed meanwhile") => "market-conflict-changed",
        AppError::Conflict(m)
            if m.contains("takes no more quotes") || m.contains("nothing to select") =>
        {
            "market-conflict-need-decided"
        }
        AppError::Conflict(m) if m.contains("cannot be made") => "market-conflict-firm-status",
        AppError::Conflict(m) if m.contains("was not decided by a draw") => {
            "market-conflict-no-draw"
        }
        AppError::Conflict(m) if m.starts_with("contract ") => "market-conflict-contract-state",
        AppError::Conflict(m) if t.lang() == Lang::En => return m.clone(),
        _ => "market-conflict-other",
    };
    t.get(key).to_string()
}

/// How a command's refusal is shown on its page: by field, or above the forms.
enum Refusal {
    Fields(Vec<FieldError>, StatusCode),
    General(String, StatusCode),
}

/// Sorts a service refusal: field errors to their fields, conflicts and refusals above the
/// forms; anything else is the page of the error.
fn refusal(ctx: &PageCtx, e: AppError) -> Result<Refusal, Response> {
    let t = ctx.chrome.t;
    Ok(match e {
        AppError::Invalid(errors) => Refusal::Fields(errors, StatusCode::UNPROCESSABLE_ENTITY),
        e @ (AppError::Conflict(_) | AppError::VersionConflict { .. }) => {
            Refusal::General(conflict_words(t, &e), StatusCode::CONFLICT)
        }
        AppError::Forbidden(_) => Refusal::General(
            t.get("market-error-forbidden").to_string(),
            StatusCode::FORBIDDEN,
        ),
        e => return Err(ctx.app_error(e)),
    })
}

/// An option of a select, a radio button or a checkbox.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A form of several values under one name (checkboxes, rows): its pairs as sent.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl CarriesCsrf for Pairs {
    fn csrf_token(&self) -> &str {
        self.get("csrf_token")
    }
}

/// A summary line of a firm for the lists.
struct FirmLine {
    href: String,
    name: String,
    services: String,
    rating: String,
    contracts: usize,
    completed: usize,
    late: usize,
}

fn firm_line(t: &Messages, f: &FirmSummary) -> FirmLine {
    FirmLine {
        href: firm_href(&f.firm.uscc),
        name: f.firm.name.clone(),
        services: services_line(t.lang(), &f.firm.services),
        rating: rating_text(t, f.rating, f.ratings),
        contracts: f.contracts,
        completed: f.completed,
        late: f.late,
    }
}

/// A contract's line for the lists: its state and its light.
struct ContractLine {
    id: String,
    href: String,
    project: String,
    service: String,
    firm: String,
    price: String,
    agreed: String,
    status: String,
    tone: &'static str,
    /// The light's class and words, while the contract is on its clock.
    light: Option<(&'static str, String)>,
    clock: String,
}

fn contract_line(t: &Messages, view: &ContractView) -> ContractLine {
    let c = &view.contract;
    let (status_key, tone) = contract_status_key(c.status);
    let light = view.clock.as_ref().map(|k| {
        let (class, key) = light_parts(k.light);
        (class, t.get(key).to_string())
    });
    ContractLine {
        id: c.id.clone(),
        href: contract_href(&c.id),
        project: c.project_name.clone(),
        service: service_name(t.lang(), &c.service),
        firm: c.firm_name.clone(),
        price: money(t, c.price_fen),
        agreed: t.fill1("common-working-days", "n", c.agreed_days.to_string()),
        status: t.get(status_key).to_string(),
        tone,
        light,
        clock: clock_line(t, view),
    }
}

/// The clock in one line: due day and days left, the clock standing, or the days taken.
fn clock_line(t: &Messages, view: &ContractView) -> String {
    let c = &view.contract;
    match (&view.clock, c.status) {
        (Some(k), _) if !k.running => {
            t.fill1("market-clock-stands", "used", k.used_days.to_string())
        }
        (Some(k), _) => {
            let due = t.date_or_dash(&k.due_on);
            if k.days_left < 0 {
                t.fill(
                    "market-clock-overdue",
                    &[("due", &due), ("n", &(-k.days_left).to_string())],
                )
            } else {
                t.fill(
                    "market-clock-left",
                    &[("due", &due), ("n", &k.days_left.to_string())],
                )
            }
        }
        (None, ContractStatus::Accepted) => t.fill(
            "market-clock-taken",
            &[
                ("taken", &c.days_taken.unwrap_or_default().to_string()),
                ("agreed", &c.agreed_days.to_string()),
            ],
        ),
        (None, _) => t.get("market-clock-not-started").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_are_read_and_written_exactly() {
        assert_eq!(parse_yuan("80000"), Some(8_000_000));
        assert_eq!(parse_yuan("80,000.5"), Some(8_000_050));
        assert_eq!(parse_yuan(" 1234.56元"), Some(123_456));
        assert_eq!(parse_yuan(".5"), Some(50));
        for bad in ["", "abc", "1.234", "-5", "1e5", "."] {
            assert_eq!(parse_yuan(bad), None, "{bad:?}");
        }
        assert_eq!(yuan(8_000_000), "80,000.00");
        assert_eq!(yuan(123_456), "1,234.56");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(10_000_000_000), "100,000,000.00");
    }

    #[test]
    fn every_service_reason_has_its_words_in_both_languages() {
        for (field, reason) in [
            ("services", "name at least one service"),
            ("services[0]", "xyz is not a service of the market"),
            (
                "qualifications[1].service",
                "eia is not among the firm's services",
            ),
            ("regions", "name at least one division served"),
            ("regions[0]", "\"33\" is not a six-digit division code"),
            ("price_fen", "8000001 is above the ceiling of 8000000 fen"),
            ("quote_deadline", "2026-11-01 is already past"),
            ("quote_deadline", "quotes closed at the end of 2026-11-04"),
            (
                "quote_deadline",
                "quotes are taken until the end of 2026-11-04; select after it",
            ),
            (
                "rule",
                "direct choice is allowed up to a ceiling of 50000 yuan; choose lowest_price or random_draw",
            ),
            ("step_key", "x is not a step of the project's plan"),
            (
                "step_key",
                "the step x has no open intermediary work of the service eia",
            ),
            ("days", "must be 1 to 250 working days"),
            ("quotes", "no qualified quote to select from"),
            ("firm", "the firm is pending, not admitted to the market"),
            ("firm", "name the firm chosen among the quotes"),
            ("reason", "give the reason, it is published"),
            ("reason", "say what the firm waits for"),
            ("reason", "say why the report goes back"),
            ("number", "give the report's number"),
            ("file", "the report is handed in as a PDF"),
            ("quality", "7 is not 1 to 5"),
            (
                "reason",
                "quotes are closed and there are quotes: select by the need's rule",
            ),
        ] {
            let key = reason_key(field, reason).unwrap_or_else(|| panic!("{field}: {reason}"));
            for lang in Lang::ALL {
                assert!(lang.messages().has(key), "{key} in {lang:?}");
            }
        }
    }
}
