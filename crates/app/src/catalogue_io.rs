//! Import and export of the catalogue as JSON and CSV.
//!
//! An import is checked whole before anything is written: every bad row is reported (row number,
//! field, reason) and then nothing is imported. Export followed by import gives back the same
//! catalogue, so the files can be edited by hand or in a spreadsheet and loaded again.

use std::collections::{BTreeSet, HashMap};

use onewindow_domain::catalogue::{
    Department, Fee, HallStatus, IntermediaryService, Item, ItemKind, Level, Material, RunMode,
};
use onewindow_store::StoreError;
use onewindow_store::catalogue::{self as catalogue_rows, Published};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::service::Service;

/// The file formats of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format a file name suggests.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
    }
}

/// The JSON document: departments and items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CatalogueDocument {
    #[serde(default)]
    pub departments: Vec<Department>,
    pub items: Vec<Item>,
}

/// One problem with one row of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based: the JSON item's position in `items`, or the CSV record number as a spreadsheet
    /// shows it (the header is row 1; a quoted field spanning lines is still one row).
    pub row: usize,
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}: {}", self.row, self.field, self.reason)
    }
}

/// Why an import was refused; nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid {format}: {reason}")]
    Unreadable {
        format: &'static str,
        reason: String,
    },
    #[error("{}; nothing was imported:\n{}", count_problems(.0), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    BadRows(Vec<RowError>),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::App(AppError::Store(e))
    }
}

/// "3 problem(s) in 2 bad row(s)": the headline of a refused import.
pub fn count_problems(problems: &[RowError]) -> String {
    let rows: BTreeSet<usize> = problems.iter().map(|p| p.row).collect();
    format!("{} problem(s) in {} bad row(s)", problems.len(), rows.len())
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub departments: usize,
    pub new_versions: usize,
    pub unchanged: usize,
}

const CSV_HEADER: [&str; 18] = [
    "code",
    "name",
    "kind",
    "department",
    "legal_basis",
    "statutory_days",
    "promised_days",
    "visits_required",
    "run_mode",
    "levels",
    "hall_allowed",
    "in_hall",
    "authorised",
    "fee_charged",
    "fee_description",
    "result_licence_type",
    "materials",
    "intermediary_services",
];

/// Columns a county's older files may lack: an absent one reads as its default (false).
const CSV_OPTIONAL: [&str; 4] = [
    "decision_without_proposal",
    "licence_valid_years",
    "commitment_text",
    "auto_approval",
];

/// Parses a catalogue file, collecting every problem instead of stopping at the first.
pub fn parse(format: Format, text: &str) -> Result<CatalogueDocument, ImportError> {
    match format {
        Format::Json => {
            let doc: CatalogueDocument =
                serde_json::from_str(text).map_err(|e| ImportError::Unreadable {
                    format: "JSON",
                    reason: e.to_string(),
                })?;
            let errors: Vec<RowError> = doc
                .items
                .iter()
                .enumerate()
                .flat_map(|(i, item)| {
                    item.validate().into_iter().map(move |e| RowError {
                        row: i + 1,
                        field: e.field,
                        reason: e.reason,
                    })
                })
                .collect();
            if errors.is_empty() {
                Ok(doc)
            } else {
                Err(ImportError::BadRows(errors))
            }
        }
        Format::Csv => parse_csv(text),
    }
}

fn parse_csv(text: &str) -> Result<CatalogueDocument, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::Unreadable {
        format: "CSV",
        reason: e.to_string(),
    })?;
    let position: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let missing: Vec<_> = CSV_HEADER
        .iter()
        .filter(|h| !position.contains_key(*h))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::BadRows(
            missing
                .into_iter()
                .map(|h| RowError {
                    row: 1,
                    field: (*h).to_string(),
                    reason: "column missing from the header".into(),
                })
                .collect(),
        ));
    }
    let position: HashMap<String, usize> = position
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row: line,
                    field: "-".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let mut row = CsvRow {
            record: &record,
            position: &position,
            line,
            errors: &mut errors,
        };
        if let Some(item) = row.item() {
            for e in item.validate() {
                row.errors.push(RowError {
                    row: line,
                    field: e.field,
                    reason: e.reason,
                });
            }
            items.push(item);
        }
    }
    if errors.is_empty() {
        Ok(CatalogueDocument {
            departments: Vec::new(),
            items,
        })
    } else {
        Err(ImportError::BadRows(errors))
    }
}

struct CsvRow<'a> {
    record: &'a csv::StringRecord,
    position: &'a HashMap<String, usize>,
    line: usize,
    errors: &'a mut Vec<RowError>,
}

impl CsvRow<'_> {
    fn text(&self, field: &str) -> String {
        self.position
            .get(field)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
            .to_string()
    }

    fn fail<T>(&mut self, field: &str, reason: impl Into<String>) -> Option<T> {
        self.errors.push(RowError {
            row: self.line,
            field: field.to_string(),
            reason: reason.into(),
        });
        None
    }

    fn number(&mut self, field: &str) -> Option<u32> {
        let text = self.text(field);
        match text.trim().parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => self.fail(
                field,
                format!("{text:?} is not a whole number of 0 or more"),
            ),
        }
    }

    /// An optional whole number: empty reads as none. `Some(None)` is "none given".
    fn optional_number(&mut self, field: &str) -> Option<Option<u32>> {
        let text = self.text(field);
        if text.trim().is_empty() {
            return Some(None);
        }
        match text.trim().parse::<u32>() {
            Ok(n) => Some(Some(n)),
            Err(_) => self.fail(
                field,
                format!("{text:?} is not a whole number of 0 or more"),
            ),
        }
    }

    fn flag(&mut self, field: &str) -> Option<bool> {
        match self.text(field).trim() {
            "true" | "1" | "yes" | "是" => Some(true),
            "false" | "0" | "no" | "否" | "" => Some(false),
            other => self.fail(field, format!("{other:?} is not true or false")),
        }
    }

    fn choice<T>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Option<T> {
        let text = self.text(field);
        match parse(text.trim()) {
            Some(v) => Some(v),
            None => self.fail(
                field,
                format!("{text:?} is not one of {}", allowed.join(", ")),
            ),
        }
    }

    fn json<T: serde::de::DeserializeOwned + Default>(&mut self, field: &str) -> Option<T> {
        let text = self.text(field);
        if text.trim().is_empty() {
            return Some(T::default());
        }
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => self.fail(field, format!("not a valid JSON list: {e}")),
        }
    }

    fn item(&mut self) -> Option<Item> {
        let kinds: Vec<_> = ItemKind::ALL.iter().map(|k| k.as_str()).collect();
        let modes: Vec<_> = RunMode::ALL.iter().map(|k| k.as_str()).collect();
        let kind = self.choice("kind", ItemKind::parse, &kinds);
        let run_mode = self.choice("run_mode", RunMode::parse, &modes);
        let statutory_days = self.number("statutory_days");
        let promised_days = self.number("promised_days");
        let visits_required = self.number("visits_required");
        let mut levels = Vec::new();
        for part in self
            .text("levels")
            .split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match Level::parse(part) {
                Some(l) => levels.push(l),
                None => {
                    self.fail::<()>(
                        "levels",
                        format!("{part:?} is not one of county, township, village"),
                    );
                }
            }
        }
        let allowed = self.flag("hall_allowed");
        let in_hall = self.flag("in_hall");
        let authorised = self.flag("authorised");
        let charged = self.flag("fee_charged");
        let materials: Option<Vec<Material>> = self.json("materials");
        let services: Option<Vec<IntermediaryService>> = self.json("intermediary_services");
        let result = self.text("result_licence_type");
        Some(Item {
            code: self.text("code").trim().to_string(),
            name: self.text("name").trim().to_string(),
            kind: kind?,
            department: self.text("department").trim().to_string(),
            legal_basis: self.text("legal_basis"),
            statutory_days: statutory_days?,
            promised_days: promised_days?,
            visits_required: visits_required?,
            run_mode: run_mode?,
            levels,
            hall: HallStatus {
                allowed: allowed?,
                in_hall: in_hall?,
                authorised: authorised?,
            },
            materials: materials?,
            intermediary_services: services?,
            fee: Fee {
                charged: charged?,
                description: self.text("fee_description"),
            },
            result_licence_type: (!result.trim().is_empty()).then(|| result.trim().to_string()),
            decision_without_proposal: self.flag("decision_without_proposal")?,
            licence_valid_years: self.optional_number("licence_valid_years")?,
            commitment_text: Some(self.text("commitment_text").trim().to_string())
                .filter(|t| !t.is_empty()),
            auto_approval: self.flag("auto_approval")?,
        })
    }
}

/// Writes the catalogue in `format`.
pub fn render(format: Format, doc: &CatalogueDocument) -> Result<String, AppError> {
    match format {
        Format::Json => serde_json::to_string_pretty(doc)
            .map_err(|e| AppError::invalid("catalogue", e.to_string())),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let fail = |e: &dyn std::fmt::Display| AppError::invalid("catalogue", e.to_string());
            writer
                .write_record(CSV_HEADER.iter().chain(CSV_OPTIONAL.iter()))
                .map_err(|e| fail(&e))?;
            for item in &doc.items {
                let levels: Vec<_> = item.levels.iter().map(|l| l.as_str()).collect();
                let materials = serde_json::to_string(&item.materials).map_err(|e| fail(&e))?;
                let services =
                    serde_json::to_string(&item.intermediary_services).map_err(|e| fail(&e))?;
                writer
                    .write_record([
                        item.code.as_str(),
                        item.name.as_str(),
                        item.kind.as_str(),
                        item.department.as_str(),
                        item.legal_basis.as_str(),
                        &item.statutory_days.to_string(),
                        &item.promised_days.to_string(),
                        &item.visits_required.to_string(),
                        item.run_mode.as_str(),
                        &levels.join("|"),
                        &item.hall.allowed.to_string(),
                        &item.hall.in_hall.to_string(),
                        &item.hall.authorised.to_string(),
                        &item.fee.charged.to_string(),
                        item.fee.description.as_str(),
                        item.result_licence_type.as_deref().unwrap_or(""),
                        &materials,
                        &services,
                        &item.decision_without_proposal.to_string(),
                        &item
                            .licence_valid_years
                            .map(|y| y.to_string())
                            .unwrap_or_default(),
                        item.commitment_text.as_deref().unwrap_or(""),
                        &item.auto_approval.to_string(),
                    ])
                    .map_err(|e| fail(&e))?;
            }
            let bytes = writer.into_inner().map_err(|e| fail(&e))?;
            String::from_utf8(bytes).map_err(|e| fail(&e))
        }
    }
}

impl Service {
    /// The whole current catalogue.
    pub async fn export_catalogue(&self) -> Result<CatalogueDocument, AppError> {
        let readers = self.store().readers();
        Ok(CatalogueDocument {
            departments: catalogue_rows::list_departments(readers).await?,
            items: catalogue_rows::all_items(readers)
                .await?
                .into_iter()
                .map(|p| p.item)
                .collect(),
        })
    }

    /// Imports a parsed catalogue in one transaction: every item that differs from its current
    /// version becomes a new version; an unknown department or a duplicate code refuses the whole.
    pub async fn import_catalogue(
        &self,
        actor: &crate::accounts::Actor,
        doc: CatalogueDocument,
    ) -> Result<ImportSummary, ImportError> {
        if let onewindow_domain::access::Decision::Refuse(reason) = onewindow_domain::access::decide(
            &actor.principal,
            onewindow_domain::access::Operation::ManageCatalogue,
        ) {
            return Err(ImportError::App(AppError::Forbidden(reason)));
        }
        let at = self.now();
        let now = at.to_rfc3339();
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut known: BTreeSet<String> = catalogue_rows::list_departments(&mut *conn)
                        .await?
                        .into_iter()
                        .map(|d| d.code)
                        .collect();
                    known.extend(doc.departments.iter().map(|d| d.code.clone()));
                    let mut errors = Vec::new();
                    let mut seen = HashMap::new();
                    for (i, item) in doc.items.iter().enumerate() {
                        if !known.contains(&item.department) {
                            errors.push(RowError {
                                row: i + 1,
                                field: "department".into(),
                                reason: format!("no department with code {}", item.department),
                            });
                        }
                        if let Some(first) = seen.insert(item.code.clone(), i + 1) {
                            errors.push(RowError {
                                row: i + 1,
                                field: "code".into(),
                                reason: format!(
                                    "code {} already appears in row {first}",
                                    item.code
                                ),
                            });
                        }
                    }
                    if !errors.is_empty() {
                        return Err(ImportError::BadRows(errors));
                    }
                    let mut summary = ImportSummary {
                        departments: doc.departments.len(),
                        ..ImportSummary::default()
                    };
                    for d in &doc.departments {
                        catalogue_rows::upsert_department(&mut *conn, d).await?;
                    }
                    for item in &doc.items {
                        match catalogue_rows::publish_item(&mut *conn, item, &now).await? {
                            Published::NewVersion(_) => summary.new_versions += 1,
                            Published::Unchanged(_) => summary.unchanged += 1,
                        }
                    }
                    onewindow_store::audit::append(
                        &mut *conn,
                        actor.entry(
                            at,
                            "catalogue.import",
                            "catalogue",
                            onewindow_domain::audit::Outcome::Success,
                            format!(
                                "{} departments, {} new item versions, {} unchanged",
                                summary.departments, summary.new_versions, summary.unchanged
                            ),
                        ),
                    )
                    .await?;
                    Ok(summary)
                })
            })
            .await
    }
}
