//! What a draft of a catalogue item changes against its published version (草稿与发布版本对比),
//! field by field, so an administrator sees exactly what publishing will do.

use serde::Serialize;
use serde_json::Value;

use crate::catalogue::Item;

/// One changed field. `field` is a path such as `promised_days`, `materials[M02].required` or
/// `intermediary_services[测绘].cancelled.reason`: materials are named by key and intermediary
/// services by name, so a reordered list is not a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub field: String,
    /// The published value as text; `None` when the field is new.
    pub before: Option<String>,
    /// The draft's value as text; `None` when the field was removed.
    pub after: Option<String>,
}

/// Every change from `published` (none for a new item) to `draft`, in a stable order.
pub fn diff(published: Option<&Item>, draft: &Item) -> Vec<Change> {
    let before = published
        .and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or(Value::Null);
    let after = serde_json::to_value(draft).unwrap_or(Value::Null);
    let mut changes = Vec::new();
    walk("", &before, &after, &mut changes);
    changes
}

/// The identity of an element of a keyed list, if it has one.
fn element_id(value: &Value) -> Option<String> {
    let object = value.as_object()?;
    object
        .get("key")
        .or_else(|| object.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(
                    &join(path, key),
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Object(_), Value::Null) | (Value::Null, Value::Object(_)) => {
            // A whole object appears or goes: list its leaves against nothing.
            let empty = Value::Object(serde_json::Map::new());
            let (b, a) = if before.is_null() {
                (&empty, after)
            } else {
                (before, &empty)
            };
            walk(path, b, a, out);
        }
        (Value::Array(b), Value::Array(a))
            if b.iter().chain(a.iter()).all(|v| element_id(v).is_some()) =>
        {
            let mut ids: Vec<String> = Vec::new();
            for v in b.iter().chain(a.iter()) {
                if let Some(id) = element_id(v)
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
            for id in ids {
                let find = |list: &Vec<Value>| {
                    list.iter()
                        .find(|v| element_id(v).as_deref() == Some(id.as_str()))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                walk(&format!("{path}[{id}]"), &find(b), &find(a), out);
            }
        }
        _ => out.push(Change {
            field: path.to_string(),
            before: text(before),
            after: text(after),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{
        Cancellation, Fee, HallStatus, ItemKind, Level, Material, MaterialCategory, MaterialForm,
        MaterialSource, RunMode,
    };

    fn material(key: &str, name: &str) -> Material {
        Material {
            key: key.into(),
            name: name.into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            licence_type: None,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
        }
    }

    fn item() -> Item {
        Item {
            code: "SCJG-001".into(),
            name: "食品经营许可".into(),
            kind: ItemKind::Licence,
            department: "SCJGJ".into(),
            legal_basis: "《中华人民共和国食品安全法》".into(),
            statutory_days: 20,
            promised_days: 5,
            visits_required: 1,
            run_mode: RunMode::OnlinePrereview,
            levels: vec![Level::County],
            hall: HallStatus {
                allowed: true,
                in_hall: true,
                authorised: true,
            },
            materials: vec![material("M01", "申请书"), material("M02", "平面图")],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: None,
            decision_without_proposal: false,
            licence_valid_years: None,
            commitment_text: None,
            auto_approval: false,
        }
    }

    #[test]
    fn no_change_no_lines() {
        assert!(diff(Some(&item()), &item()).is_empty());
    }

    #[test]
    fn changed_fields_are_named_by_path_and_materials_by_key() {
        let mut draft = item();
        draft.promised_days = 3;
        draft.materials.reverse();
        draft.materials[0].cancelled = Some(Cancellation {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
            reason: "数据共享可查".into(),
        });
        let changes = diff(Some(&item()), &draft);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "materials[M02].cancelled.date",
                "materials[M02].cancelled.reason",
                "promised_days"
            ]
        );
        assert_eq!(changes[2].before.as_deref(), Some("5"));
        assert_eq!(changes[2].after.as_deref(), Some("3"));
        assert_eq!(changes[1].before, None);
        assert_eq!(changes[1].after.as_deref(), Some("数据共享可查"));
    }

    #[test]
    fn added_and_removed_materials_show_every_field() {
        let mut draft = item();
        draft.materials.remove(0);
        draft.materials.push(material("M03", "承诺书"));
        let changes = diff(Some(&item()), &draft);
        assert!(changes.iter().any(|c| c.field == "materials[M01].name"
            && c.before.as_deref() == Some("申请书")
            && c.after.is_none()));
        assert!(changes.iter().any(|c| c.field == "materials[M03].name"
            && c.before.is_none()
            && c.after.as_deref() == Some("承诺书")));
    }

    #[test]
    fn a_new_item_lists_everything_as_added() {
        let changes = diff(None, &item());
        assert!(changes.iter().all(|c| c.before.is_none()));
        assert!(changes.iter().any(|c| c.field == "name"));
    }
}
