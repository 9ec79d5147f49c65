//! The intermediary's side: registering its firm, and its own page (status, the needs it may
//! quote on, its contracts with their lights).

use onewindow_domain::intermediary::{NewFirm, Qualification};

use super::*;

/// Qualification rows the registration form offers; blank rows are ignored.
/// The most qualification rows a form is read for.
const MAX_QUALIFICATION_ROWS: usize = 30;

const QUALIFICATION_ROWS: usize = 3;
/// The county's division, the default region served.
const COUNTY: &str = "330226";

/// One qualification row as typed.
#[derive(Debug, Clone, Default)]
struct QualificationRow {
    index: usize,
    services: Vec<Choice>,
    level: String,
    number: String,
    valid_until: String,
    error: Option<String>,
}

/// Each field's refusal, in the page's language.
#[derive(Debug, Default)]
struct RegisterErrors {
    uscc: Option<String>,
    name: Option<String>,
    services: Option<String>,
    regions: Option<String>,
    staff: Option<String>,
    contact: Option<String>,
    phone: Option<String>,
}

#[derive(Template)]
#[template(path = "market/register.html")]
struct RegisterPage {
    chrome: Chrome,
    /// Changing the firm's registration (its code fixed) rather than registering it.
    editing: bool,
    /// The firm's version the change is based on.
    version: u64,
    uscc: String,
    name: String,
    services: Vec<Choice>,
    rows: Vec<QualificationRow>,
    regions: String,
    staff: String,
    contact: String,
    phone: String,
    errors: RegisterErrors,
    general: Vec<String>,
}

impl RegisterPage {
    /// Every field with an error, for the summary above the form: (its id, the message).
    fn field_errors(&self) -> Vec<(String, String)> {
        let t = self.chrome.t;
        let e = &self.errors;
        let mut out: Vec<(String, String)> = [
            ("uscc", "market-field-uscc", &e.uscc),
            ("name", "market-field-firm-name", &e.name),
            ("services", "market-field-services", &e.services),
            ("regions", "market-field-regions", &e.regions),
            ("staff", "market-field-staff", &e.staff),
            ("contact", "market-field-contact", &e.contact),
            ("phone", "market-field-phone", &e.phone),
        ]
        .into_iter()
        .filter_map(|(id, label, e)| {
            e.as_ref().map(|e| {
                (
                    id.to_string(),
                    t.fill(
                        "market-field-error",
                        &[("field", t.get(label)), ("error", e)],
                    ),
                )
            })
        })
        .collect();
        for row in &self.rows {
            if let Some(e) = &row.error {
                out.push((
                    format!("q{}-service", row.index),
                    t.fill(
                        "market-field-error",
                        &[
                            (
                                "field",
                                &t.fill1(
                                    "market-qualification-row",
                                    "n",
                                    (row.index + 1).to_string(),
                                ),
                            ),
                            ("error", e),
                        ],
                    ),
                ));
            }
        }
        out
    }

    fn has_errors(&self) -> bool {
        !self.general.is_empty() || !self.field_errors().is_empty()
    }
}

fn service_choices(lang: Lang, chosen: &[String]) -> Vec<Choice> {
    SERVICE_TYPES
        .iter()
        .map(|s| Choice {
            value: s.code.to_string(),
            label: service_name(lang, s.code),
            selected: chosen.iter().any(|c| c == s.code),
        })
        .collect()
}

fn row_service_choices(t: &Messages, chosen: &str) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: t.get("market-choose").to_string(),
        selected: chosen.is_empty(),
    }];
    choices.extend(
        service_choices(t.lang(), &[chosen.to_string()])
            .into_iter()
            .map(|mut c| {
                c.selected = c.value == chosen;
                c
            }),
    );
    choices
}

fn blank_page(chrome: &Chrome) -> RegisterPage {
    RegisterPage {
        chrome: chrome.clone(),
        editing: false,
        version: 0,
        uscc: String::new(),
        name: String::new(),
        services: service_choices(chrome.lang, &[]),
        rows: (0..QUALIFICATION_ROWS)
            .map(|index| QualificationRow {
                index,
                services: row_service_choices(chrome.t, ""),
                ..QualificationRow::default()
            })
            .collect(),
        regions: COUNTY.to_string(),
        staff: String::new(),
        contact: String::new(),
        phone: String::new(),
        errors: RegisterErrors::default(),
        general: Vec::new(),
    }
}

pub(super) async fn register_form(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
) -> PageResult {
    if service
        .my_firm(&session.actor)
        .await
        .or_page(&ctx)?
        .is_some()
    {
        return Ok(see_other("/market/my-firm"));
    }
    Ok(render(&blank_page(&ctx.chrome)))
}

/// The firm's registration as its form shows it, to change (a renewed qualification, a new
/// service or region): the rows it has, and at least one blank row more.
pub(super) async fn edit_form(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
) -> PageResult {
    let Some(firm) = service.my_firm(&session.actor).await.or_page(&ctx)? else {
        return Ok(see_other("/market/register"));
    };
    let t = ctx.chrome.t;
    let mut page = blank_page(&ctx.chrome);
    page.editing = true;
    page.version = firm.version;
    page.uscc = firm.uscc.clone();
    page.name = firm.name.clone();
    page.services = service_choices(ctx.chrome.lang, &firm.services);
    page.regions = firm.regions.join(", ");
    page.staff = firm.staff.to_string();
    page.contact = firm.contact.clone();
    page.phone = firm.phone.clone();
    let rows = (firm.qualifications.len() + 1).max(QUALIFICATION_ROWS);
    page.rows = (0..rows)
        .map(|index| match firm.qualifications.get(index) {
            Some(q) => QualificationRow {
                index,
                services: row_service_choices(t, &q.service),
                level: q.level.clone(),
                number: q.number.clone(),
                valid_until: q.valid_until.format("%Y-%m-%d").to_string(),
                error: None,
            },
            None => QualificationRow {
                index,
                services: row_service_choices(t, ""),
                ..QualificationRow::default()
            },
        })
        .collect();
    Ok(render(&page))
}

/// The regions as typed: division codes separated by commas, spaces or 、.
fn split_regions(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ' ', '\n', '\t', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) async fn register(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> PageResult {
    submit(&service, &ctx, &session.actor, &form, false).await
}

pub(super) async fn edit(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> PageResult {
    submit(&service, &ctx, &session.actor, &form, true).await
}

/// Registers the firm, or changes its registration (`editing`), from the form as sent.
async fn submit(
    service: &Service,
    ctx: &PageCtx,
    actor: &Actor,
    form: &Pairs,
    editing: bool,
) -> PageResult {
    let t = ctx.chrome.t;
    let chosen = form.all("services");
    let mut page = blank_page(&ctx.chrome);
    page.editing = editing;
    page.version = form.get("version").trim().parse().unwrap_or(0);
    // The rows sent: as many as the form had.
    // At most MAX_QUALIFICATION_ROWS: the keys are read once, not once per row.
    let keys: std::collections::HashSet<&str> = form.0.iter().map(|(k, _)| k.as_str()).collect();
    let sent_rows = (0..MAX_QUALIFICATION_ROWS)
        .take_while(|i| keys.contains(format!("q{i}_service").as_str()))
        .count();
    if sent_rows > QUALIFICATION_ROWS {
        page.rows = (0..sent_rows)
            .map(|index| QualificationRow {
                index,
                ..QualificationRow::default()
            })
            .collect();
    }
    page.uscc = form.get("uscc").trim().to_string();
    page.name = form.get("name").to_string();
    page.services = service_choices(ctx.chrome.lang, &chosen);
    page.regions = form.get("regions").to_string();
    page.staff = form.get("staff").to_string();
    page.contact = form.get("contact").to_string();
    page.phone = form.get("phone").to_string();

    // What the page can tell at once; the service checks all of it again.
    page.errors.uscc = credit_code_problem(t, &page.uscc);
    let staff = match page.staff.trim() {
        "" => Some(0),
        text => text.parse::<u32>().ok(),
    };
    if staff.is_none() {
        page.errors.staff = Some(t.get("market-error-whole-number").to_string());
    }
    // The rows typed, each with the index of the qualification the service will see.
    let mut qualifications = Vec::new();
    let mut kept_rows = Vec::new();
    for row in &mut page.rows {
        let field = |name: &str| {
            form.get(&format!("q{}_{name}", row.index))
                .trim()
                .to_string()
        };
        let service_code = field("service");
        row.services = row_service_choices(t, &service_code);
        row.level = field("level");
        row.number = field("number");
        row.valid_until = field("valid_until");
        if service_code.is_empty()
            && row.level.is_empty()
            && row.number.is_empty()
            && row.valid_until.is_empty()
        {
            continue;
        }
        let valid_until = parse_date(&row.valid_until);
        if service_code.is_empty() {
            row.error = Some(
                t.get("market-error-qualification-service-choose")
                    .to_string(),
            );
        } else if row.level.is_empty() || row.number.is_empty() {
            row.error = Some(t.get("market-error-qualification-incomplete").to_string());
        } else if valid_until.is_none() {
            row.error = Some(t.get("market-error-date").to_string());
        }
        if let Some(valid_until) = valid_until.filter(|_| row.error.is_none()) {
            kept_rows.push(row.index);
            qualifications.push(Qualification {
                service: service_code,
                level: row.level.clone(),
                number: row.number.clone(),
                valid_until,
            });
        }
    }
    let (Some(staff), false) = (staff, page.has_errors()) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let new = NewFirm {
        uscc: page.uscc.clone(),
        name: page.name.trim().to_string(),
        services: chosen,
        qualifications,
        regions: split_regions(&page.regions),
        staff,
        contact: page.contact.trim().to_string(),
        phone: page.phone.trim().to_string(),
    };
    let result = if editing {
        let uscc = new.uscc.clone();
        service.update_firm(actor, &uscc, page.version, new).await
    } else {
        service.register_firm(actor, new).await
    };
    let refused = match result {
        Ok(_) if editing => return Ok(see_other("/market/my-firm?done=updated")),
        Ok(_) => return Ok(see_other("/market/my-firm?done=registered")),
        Err(e) => refusal(ctx, e)?,
    };
    let status = match refused {
        Refusal::Fields(errors, status) => {
            for e in &errors {
                let words = reason_words(t, e);
                let place = match e.field.split(['[', '.']).next().unwrap_or("") {
                    "uscc" => &mut page.errors.uscc,
                    "name" => &mut page.errors.name,
                    "services" => &mut page.errors.services,
                    "regions" => &mut page.errors.regions,
                    "staff" => &mut page.errors.staff,
                    "contact" => &mut page.errors.contact,
                    "phone" => &mut page.errors.phone,
                    "qualifications" => {
                        let sent: Option<usize> = e
                            .field
                            .strip_prefix("qualifications[")
                            .and_then(|rest| rest.split(']').next())
                            .and_then(|n| n.parse().ok());
                        match sent.and_then(|i| kept_rows.get(i)).copied() {
                            Some(row) => &mut page.rows[row].error,
                            None => {
                                page.general.push(words);
                                continue;
                            }
                        }
                    }
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

/// An open need the firm may quote on.
struct QuotableNeed {
    href: String,
    id: String,
    project: String,
    service: String,
    ceiling: String,
    deadline: String,
    rule: String,
    /// The firm's own quote, if it quoted.
    quoted: Option<String>,
}

#[derive(Template)]
#[template(path = "market/my_firm.html")]
struct MyFirmPage {
    chrome: Chrome,
    notice: Option<String>,
    /// None: the account has no firm yet.
    firm: Option<MyFirm>,
}

struct MyFirm {
    uscc: String,
    href: String,
    name: String,
    status: String,
    tone: &'static str,
    status_reason: Option<String>,
    /// Why it may not quote at all now (not admitted).
    not_admitted: Option<String>,
    services: String,
    needs: Vec<QuotableNeed>,
    contracts: Vec<ContractLine>,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn my_firm(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Intermediaries>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let actor = &session.actor;
    let notice = match q.done.as_deref() {
        Some("registered") => Some(t.get("market-notice-registered").to_string()),
        Some("updated") => Some(t.get("market-notice-updated").to_string()),
        _ => None,
    };
    let Some(firm) = service.my_firm(actor).await.or_page(&ctx)? else {
        return Ok(render(&MyFirmPage {
            chrome: ctx.chrome.clone(),
            notice,
            firm: None,
        }));
    };
    let today = service.today();
    let open = service
        .needs(actor, Some(NeedStatus::Open), None)
        .await
        .or_page(&ctx)?;
    let needs = open
        .iter()
        .filter(|n| firm.may_quote(&n.service, &n.division, today).is_ok())
        .map(|n| QuotableNeed {
            href: need_href(&n.id),
            id: n.id.clone(),
            project: n.project_name.clone(),
            service: service_name(lang, &n.service),
            ceiling: money(t, n.ceiling_fen),
            deadline: t.date(&n.quote_deadline),
            rule: t.get(rule_key(n.rule)).to_string(),
            quoted: n
                .quotes
                .iter()
                .find(|q| q.firm == firm.uscc)
                .map(|q| money(t, q.price_fen)),
        })
        .collect();
    let contracts = service
        .contracts(actor)
        .await
        .or_page(&ctx)?
        .iter()
        .filter(|v| v.contract.firm == firm.uscc)
        .map(|v| contract_line(t, v))
        .collect();
    let (status_key, tone) = firm_status_key(firm.status);
    let not_admitted = (firm.status != FirmStatus::Admitted)
        .then(|| ineligible_text(t, &Ineligible::NotAdmitted(firm.status.as_str())));
    Ok(render(&MyFirmPage {
        chrome: ctx.chrome.clone(),
        notice,
        firm: Some(MyFirm {
            href: firm_href(&firm.uscc),
            uscc: firm.uscc.clone(),
            name: firm.name.clone(),
            status: t.get(status_key).to_string(),
            tone,
            status_reason: firm.status_reason.clone(),
            not_admitted,
            services: services_line(lang, &firm.services),
            needs,
            contracts,
        }),
    }))
}
