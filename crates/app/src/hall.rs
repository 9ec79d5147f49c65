//! The network (三级联动网络): centres by level under their parents, windows by kind, kept one by
//! one in the pages or imported as a whole (JSON, the format `GET /api/v1/hall` returns).

use std::collections::{HashMap, HashSet};

use onewindow_domain::access::Operation;
use onewindow_domain::audit::Outcome;
use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::{OpeningHours, WindowKind};
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

/// One row of a centres CSV file (the columns of a centre; missing ones take their defaults).
#[derive(Debug, Deserialize)]
struct CentreCsvRow {
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
}

/// One row of a windows CSV file; `departments` and `items` list codes separated by `;`.
#[derive(Debug, Deserialize)]
struct WindowCsvRow {
    centre: String,
    code: String,
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    items: String,
}

/// A CSV record as a row, with the line it starts on (blank and quoted lines counted).
fn read_row<T: serde::de::DeserializeOwned>(
    record: Result<csv::StringRecord, csv::Error>,
    headers: &csv::StringRecord,
) -> (u64, Result<T, csv::Error>) {
    match record {
        Ok(record) => (
            record.position().map_or(0, csv::Position::line),
            record.deserialize(Some(headers)),
        ),
        Err(e) => (e.position().map_or(0, csv::Position::line), Err(e)),
    }
}

fn codes(list: &str) -> Vec<String> {
    list.split([';', '|', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl HallImport {
    /// The network from two CSV files, each with a header row: centres (`code, name, name_en,
    /// level, parent, division, opens, closes, address, phone`) and windows (`centre, code,
    /// name, kind, departments, items`, codes separated by `;`). A row that cannot be read is
    /// named by its file and line (`centres_csv` "line 3: …"); the import then checks the rest
    /// as for JSON.
    pub fn from_csv(centres: &str, windows: &str) -> Result<HallImport, AppError> {
        let mut errors = Vec::new();
        let mut document = HallImport {
            centres: Vec::new(),
            windows: Vec::new(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(centres.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().cloned().unwrap_or_default();
        for record in reader.records() {
            let (line, row) = read_row::<CentreCsvRow>(record, &headers);
            match row {
                Ok(row) => {
                    let level = if row.level.is_empty() {
                        Some(Level::County)
                    } else {
                        Level::parse(&row.level)
                    };
                    let Some(level) = level else {
                        errors.push(FieldError::new(
                            "centres_csv",
                            format!("line {line}: level is county, township or village"),
                        ));
                        continue;
                    };
                    let standard = Centre::default();
                    document.centres.push(Centre {
                        code: row.code,
                        name: row.name,
                        name_en: row.name_en,
                        address: row.address,
                        phone: row.phone,
                        level,
                        parent: row.parent,
                        division: row.division,
                        opens: if row.opens.is_empty() {
                            standard.opens
                        } else {
                            row.opens
                        },
                        closes: if row.closes.is_empty() {
                            standard.closes
                        } else {
                            row.closes
                        },
                    });
                }
                Err(e) => errors.push(FieldError::new("centres_csv", format!("line {line}: {e}"))),
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(windows.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().cloned().unwrap_or_default();
        for record in reader.records() {
            let (line, row) = read_row::<WindowCsvRow>(record, &headers);
            match row {
                Ok(row) => {
                    let kind = if row.kind.is_empty() {
                        Some(WindowKind::Comprehensive)
                    } else {
                        WindowKind::parse(&row.kind)
                    };
                    let Some(kind) = kind else {
                        errors.push(FieldError::new(
                            "windows_csv",
                            format!(
                                "line {line}: kind is comprehensive, departmental or independent"
                            ),
                        ));
                        continue;
                    };
                    document.windows.push(Window {
                        centre: row.centre,
                        code: row.code,
                        name: row.name,
                        departments: codes(&row.departments),
                        kind,
                        items: codes(&row.items),
                    });
                }
                Err(e) => errors.push(FieldError::new("windows_csv", format!("line {line}: {e}"))),
            }
        }
        if document.centres.is_empty() && document.windows.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "centres_csv",
                "no rows: give the centres, the windows, or both",
            ));
        }
        if errors.is_empty() {
            Ok(document)
        } else {
            Err(AppError::Invalid(errors))
        }
    }
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
        self.forget_centre_directory();
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

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn the_network_reads_from_two_csv_files_and_a_bad_line_is_named() {
        let centres = "\u{feff}code,name,level,parent,division,opens,closes\n\
            township-x,某镇便民服务中心,township,county-hall,330226100,08:30,16:30\n\
            village-x,某村代办点,village,township-x,330226100201,,\n";
        let windows = "centre,code,name,kind,departments\n\
            township-x,01,便民窗口 01,,\n\
            township-x,02,市场监管窗口,departmental,SCJGJ;RSJ\n";
        let document = HallImport::from_csv(centres, windows).expect("read");
        assert_eq!(document.centres.len(), 2);
        assert_eq!(document.centres[1].level, Level::Village);
        assert_eq!(
            document.centres[1].opens, "08:30",
            "an empty column takes its default"
        );
        assert_eq!(document.windows[0].kind, WindowKind::Comprehensive);
        assert_eq!(document.windows[1].departments, ["SCJGJ", "RSJ"]);

        let bad = "code,name,level\n\"a\",\"两行\n的名称\",county\nx,某地,province\n";
        let Err(AppError::Invalid(errors)) = HallImport::from_csv(bad, "") else {
            panic!("a level that is none is refused");
        };
        assert_eq!(errors[0].field, "centres_csv");
        assert!(
            errors[0].reason.starts_with("line 4:"),
            "a quoted field's own line counts: {errors:?}"
        );
        assert!(HallImport::from_csv("", "").is_err(), "nothing to import");
    }
}
