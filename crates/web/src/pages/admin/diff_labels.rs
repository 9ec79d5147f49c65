//! The draft-versus-published comparison in the item form's words: a changed field is named by
//! the label its input has on the form (承诺时限, 申请材料 M02 · 必交), and a value that is a code
//! (a kind, a way of running, a department, yes or no) by what the form's choices call it. The
//! service's change list keeps the field paths (`promised_days`, `materials[M02].required`) for
//! the API; only the page translates them.

use onewindow_domain::catalogue::{Department, Item};

use crate::i18n::Messages;

/// The message key of an item's own field, as the item form labels it.
fn item_field_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "admin-item-code",
        "name" => "admin-item-name",
        "kind" => "admin-item-kind",
        "department" => "admin-item-department",
        "legal_basis" => "admin-item-legal-basis",
        "statutory_days" => "admin-item-statutory-days",
        "promised_days" => "admin-item-promised-days",
        "visits_required" => "admin-item-visits",
        "run_mode" => "admin-item-run-mode",
        "result_licence_type" => "admin-item-licence",
        "fee.charged" => "admin-item-fee-charged",
        "fee.description" => "admin-item-fee",
        "levels" => "admin-diff-levels",
        "hall.allowed" => "admin-diff-hall-allowed",
        "hall.in_hall" => "admin-diff-hall-in-hall",
        "hall.authorised" => "admin-diff-hall-authorised",
        "decision_without_proposal" => "admin-item-decision-without-proposal",
        "auto_approval" => "auto-approval-item",
        _ => return None,
    })
}

/// The message key of a field of a material or an intermediary service.
fn part_field_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "key" => "admin-material-key",
        "name" => "admin-material-name",
        "form" => "admin-material-form",
        "copies" => "admin-material-copies",
        "source" => "admin-material-source",
        "category" => "admin-material-category",
        "required" => "admin-material-required",
        "sample" => "admin-material-sample",
        "working_days" => "admin-diff-working-days",
        "cancelled.date" => "admin-cancel-date",
        "cancelled.reason" => "admin-cancel-reason",
        _ => return None,
    })
}

/// `materials[M02].required` → (`materials`, `M02`, `required`).
fn split_list_path(field: &str) -> Option<(&str, &str, &str)> {
    let (list, rest) = field.split_once('[')?;
    let (id, rest) = rest.split_once(']')?;
    Some((list, id, rest.trim_start_matches('.')))
}

/// A changed field as the item form names it; a path the form does not know stays as it is.
pub(super) fn change_label(t: &Messages, draft: &Item, field: &str) -> String {
    if let Some(key) = item_field_key(field) {
        return t.get(key).to_string();
    }
    let Some((list, id, rest)) = split_list_path(field) else {
        return field.to_string();
    };
    let owner = match list {
        "materials" => {
            let name = draft
                .materials
                .iter()
                .find(|m| m.key == id)
                .map(|m| m.name.as_str())
                .unwrap_or_default();
            t.fill("admin-diff-material", &[("key", id), ("name", name)])
                .trim()
                .to_string()
        }
        "intermediary_services" => t.fill1("admin-diff-intermediary", "name", id),
        _ => return field.to_string(),
    };
    if rest.is_empty() {
        return owner;
    }
    match part_field_key(rest) {
        Some(key) => format!("{owner} · {}", t.get(key)),
        None => format!("{owner} · {rest}"),
    }
}

/// A changed value as the form's choices show it: kinds, ways of running, material forms,
/// sources and categories by their labels, departments by name, yes and no; others as they are.
pub(super) fn change_value(
    t: &Messages,
    departments: &[Department],
    field: &str,
    value: &str,
) -> String {
    let last = split_list_path(field).map_or(field, |(_, _, rest)| rest);
    let prefix = match last {
        "kind" => Some("admin-kind-"),
        "run_mode" => Some("admin-run-mode-"),
        "form" => Some("admin-form-"),
        "source" => Some("admin-source-"),
        "category" => Some("admin-category-"),
        _ => None,
    };
    if let Some(prefix) = prefix {
        let key = format!("{prefix}{value}");
        if t.has(&key) {
            return t.get(&key).to_string();
        }
        return value.to_string();
    }
    if last == "department" {
        return crate::pages::case_view::department_name(t, departments, value);
    }
    if last == "levels" {
        // A JSON list of level codes, e.g. ["county","township"].
        if let Ok(levels) = serde_json::from_str::<Vec<String>>(value) {
            return levels
                .iter()
                .map(|l| {
                    let key = format!("portal-level-{l}");
                    if t.has(&key) {
                        t.get(&key).to_string()
                    } else {
                        l.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(match t.lang() {
                    crate::i18n::Lang::En => ", ",
                    _ => "、",
                });
        }
    }
    match value {
        "true" => t.get("admin-diff-yes").to_string(),
        "false" => t.get("admin-diff-no").to_string(),
        _ => value.to_string(),
    }
}

impl super::items::ItemPage {
    /// The label of a changed field, for the comparison table.
    pub(super) fn change_field(&self, field: &str) -> String {
        change_label(self.chrome.t, &self.view.item, field)
    }

    /// A changed value, for the comparison table.
    pub(super) fn change_text(&self, field: &str, value: &str) -> String {
        change_value(self.chrome.t, &self.departments, field, value)
    }
}
