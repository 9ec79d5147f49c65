//! Demo data for Ninghai county, so that a fresh installation shows the situation of the seed:
//! the catalogue, the joint-approval bundles, the accounts, the hall and generated cases. Only
//! `onewindow demo` (and `generate`, `bench`, the tests) call in here; the production modules do
//! not depend on this one.

use onewindow_store::cases as case_rows;
use onewindow_store::catalogue as catalogue_rows;

use crate::accounts::Actor;
use crate::error::AppError;
use crate::service::Service;

pub mod accounts;
pub mod bundles;
pub mod cases;
pub mod catalogue;
pub mod hall;

/// What the demo profile put into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLoaded {
    pub departments: usize,
    pub items: usize,
    pub cases: usize,
}

impl Service {
    /// Loads the Ninghai demo catalogue and `cases` demo cases into an empty store; does nothing
    /// to a store that already holds a catalogue. Returns what it loaded, if anything.
    pub async fn seed_demo(&self, cases: usize) -> Result<Option<DemoLoaded>, AppError> {
        if !catalogue_rows::all_items(self.store().readers())
            .await?
            .is_empty()
        {
            return Ok(None);
        }
        let doc = crate::catalogue_io::CatalogueDocument {
            departments: catalogue::ninghai_departments(),
            items: catalogue::ninghai_items(),
        };
        let mut loaded = DemoLoaded {
            departments: doc.departments.len(),
            items: doc.items.len(),
            cases: 0,
        };
        self.import_catalogue(&Actor::command_line("demo"), doc)
            .await
            .map_err(|e| match e {
                crate::catalogue_io::ImportError::App(e) => e,
                other => AppError::invalid("demo catalogue", other.to_string()),
            })?;
        if cases > 0 && !case_rows::any_case(self.store().readers()).await? {
            loaded.cases = self.generate_demo_cases(cases, 1).await?;
        }
        Ok(Some(loaded))
    }
}
