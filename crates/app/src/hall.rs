//! The network (三级联动网络): centres by level under their parents, windows by kind, kept one by
//! one in the pages or imported as a whole (JSON, the format `GET /api/v1/hall` returns).

use std::collections::{HashMap, HashSet};

use onewindow_domain::access::Operation;
use onewindow_domain::audit::Outcome;
use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::OpeningHours;
use onewindow_domain::validation::FieldError;
use onewindow_store::audit as audit_rows;
use onewindow_store::hall::{self as hall_rows, Centre, Window};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// The whole network in one document: what an import writes and an export reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HallImport {
    #[serde(default)]
    pub centres: Vec<Centre>,
    #[serde(default)]
    pub windows: Vec<Window>,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HallImported {
    pub centres: usize,
    pub windows: usize,
}

/// A county's division code (6 digits) or a statistical code below it (9 digits for a township,
/// 12 for a village), whose first six digits are a county's.
fn statistical_division(code: &str) -> bool {
    matches!(code.len(), 6 | 9 | 12)
        && code.bytes().all(|b| b.is_ascii_digit())
        && onewindow_domain::identifiers::DivisionCode::parse(&code[..6]).is_ok()
}

/// What is wrong with `centre` given the levels of the centres it may name as parent; fields are
/// prefixed with `prefix` (e.g. `centres[3].`).
pub(crate) fn check_centre(
    centre: &Centre,
    levels: &HashMap<String, Level>,
    prefix: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    if centre.code.trim().is_empty() {
        errors.push(FieldError::new(
            field("code"),
            "give the centre a code, e.g. county-hall",
        ));
    }
    if centre.name.trim().is_empty() {
        errors.push(FieldError::new(field("name"), "give the centre its name"));
    }
    if centre.parent == centre.code && !centre.code.is_empty() {
        errors.push(FieldError::new(
            field("parent"),
            "a centre cannot be its own parent",
        ));
    }
    let parent = if centre.parent.trim().is_empty() {
        None
    } else {
        match levels.get(&centre.parent) {
            Some(level) => Some(*level),
            None => {
                errors.push(FieldError::new(
                    field("parent"),
                    format!("no centre with code {}", centre.parent),
                ));
                return errors;
            }
        }
    };
    if !onewindow_domain::hall::parent_level_fits(centre.level, parent) {
        errors.push(FieldError::new(
            field("parent"),
            match centre.level {
                Level::Village => "a village point belongs to a township's centre",
                Level::Township => "a township's centre belongs to a county centre",
                Level::County => "a county centre belongs to a county centre or to none",
            },
        ));
    }
    if !centre.division.is_empty() && !statistical_division(&centre.division) {
        errors.push(FieldError::new(
            field("division"),
            "write the division code of GB/T 2260: 6, 9 or 12 digits",
        ));
    }
    if let Err(reason) = OpeningHours::parse(&centre.opens, &centre.closes) {
        errors.push(FieldError::new(field("opens"), reason));
    }
    errors
}

/// What is wrong with `window` given the centres and departments that exist.
pub(crate) fn check_window(
    window: &Window,
    centres: &HashSet<&str>,
    departments: &HashSet<&str>,
    prefix: &str,
) -> Vec<FieldError> {
    use onewindow_domain::hall::WindowKind;
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    if !centres.contains(window.centre.as_str()) {
        errors.push(FieldError::new(
            field("centre"),
            format!("no centre with code {}", window.centre),
        ));
    }
    if window.code.trim().is_empty() {
        errors.push(FieldError::new(
            field("code"),
            "give the window a number or code",
        ));
    }
    for (i, d) in window.departments.iter().enumerate() {
        if !departments.contains(d.as_str()) {
            errors.push(FieldError::new(
                field(&format!("departments[{i}]")),
                format!("no department with code {d}"),
            ));
        }
    }
    if window.kind != WindowKind::Comprehensive && window.departments.is_empty() {
        errors.push(FieldError::new(
            field("departments"),
            "a departmental or independent window serves at least one department",
        ));
    }
    errors
}

/// Refuses an application at a centre that may not accept it (inside the filing's
/// transaction): an unknown centre, an item not pushed down to the centre's level, or a joint
/// application (`item` is `None`) below the county, where the lead window sits.
pub(crate) async fn check_filing_level(
    conn: &mut onewindow_store::Conn,
    centre: &str,
    item: Option<&onewindow_domain::catalogue::Item>,
) -> Result<(), AppError> {
    let Some(centre) = hall_rows::get_centre(&mut *conn, centre).await? else {
        return Err(AppError::invalid(
            "centre",
            format!("no service centre with code {centre}"),
        ));
    };
    let accepted = match item {
        Some(item) => onewindow_domain::hall::accepts_at(&item.levels, centre.level),
        None => centre.level == Level::County,
    };
    if accepted {
        return Ok(());
    }
    let levels = item.map_or_else(
        || "county".to_string(),
        |i| {
            i.levels
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    Err(AppError::invalid(
        "centre",
        format!(
            "{} is a {} centre and does not accept this application: it is accepted at {levels} centres",
            centre.code,
            centre.level.as_str()
        ),
    ))
}

impl Service {
    /// Writes a whole network (centres and windows) in one transaction, after checking every row
    /// against the rows of the import and those already kept; nothing is written when a row is
    /// wrong. Rows with a code already kept replace it.
    pub async fn import_hall(
        &self,
        actor: &Actor,
        import: HallImport,
    ) -> Result<HallImported, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let kept = self.centres().await?;
        let mut levels: HashMap<String, Level> =
            kept.iter().map(|c| (c.code.clone(), c.level)).collect();
        for c in &import.centres {
            levels.insert(c.code.clone(), c.level);
        }
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (i, c) in import.centres.iter().enumerate() {
            let prefix = format!("centres[{i}].");
            if !seen.insert(c.code.as_str()) {
                errors.push(FieldError::new(
                    format!("{prefix}code"),
                    format!("centre {} appears twice", c.code),
                ));
            }
            errors.extend(check_centre(c, &levels, &prefix));
        }
        let centre_codes: HashSet<&str> = levels.keys().map(String::as_str).collect();
        let departments: Vec<String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| d.code)
            .collect();
        let department_codes: HashSet<&str> = departments.iter().map(String::as_str).collect();
        for (i, w) in import.windows.iter().enumerate() {
            errors.extend(check_window(
                w,
                &centre_codes,
                &department_codes,
                &format!("windows[{i}]."),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let imported = HallImported {
            centres: import.centres.len(),
            windows: import.windows.len(),
        };
        let actor = actor.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    for c in &import.centres {
                        hall_rows::upsert_centre(&mut *conn, c).await?;
                    }
                    for w in &import.windows {
                        hall_rows::upsert_window(&mut *conn, w).await?;
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "hall.import",
                            "hall",
                            Outcome::Success,
                            format!("{} centres, {} windows", imported.centres, imported.windows),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(imported)
    }

    /// The whole network as an import reads it.
    pub async fn export_hall(&self) -> Result<HallImport, AppError> {
        Ok(HallImport {
            centres: self.centres().await?,
            windows: self.windows().await?,
        })
    }

    /// One centre by code, if kept.
    pub async fn centre(&self, code: &str) -> Result<Option<Centre>, AppError> {
        Ok(hall_rows::get_centre(self.store().readers(), code).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centre(code: &str, level: Level, parent: &str) -> Centre {
        Centre {
            code: code.into(),
            name: code.into(),
            level,
            parent: parent.into(),
            ..Centre::default()
        }
    }

    #[test]
    fn a_centre_hangs_under_the_level_above() {
        let levels: HashMap<String, Level> = [
            ("hall".to_string(), Level::County),
            ("town".to_string(), Level::Township),
        ]
        .into();
        assert!(check_centre(&centre("v", Level::Village, "town"), &levels, "").is_empty());
        assert!(check_centre(&centre("t", Level::Township, "hall"), &levels, "").is_empty());
        assert!(check_centre(&centre("s", Level::County, "hall"), &levels, "").is_empty());
        let wrong = check_centre(&centre("v", Level::Village, "hall"), &levels, "centres[0].");
        assert_eq!(wrong[0].field, "centres[0].parent");
        let missing = check_centre(&centre("v", Level::Village, "nowhere"), &levels, "");
        assert!(missing[0].reason.contains("nowhere"));
        let mut closed = centre("c", Level::County, "");
        closed.opens = "18:00".into();
        assert_eq!(check_centre(&closed, &levels, "")[0].field, "opens");
    }
}
