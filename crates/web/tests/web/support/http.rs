//! The whole app on a fresh store for the HTTP-level suites, through the one test kit
//! (`onewindow-testkit`): SQLite in a temporary data directory, or with
//! `ONEWINDOW_TEST_POSTGRES=postgres://…` a fresh PostgreSQL database; every account logged in
//! with a year-long API token.

// Each suite that includes this file uses a part of it.
#![allow(dead_code)]

use chrono::NaiveDate;
use onewindow_app::catalogue_io::CatalogueDocument;
pub use onewindow_testkit::{TestAccount, TestApp, account};

/// Starts the app with `catalogue` and `accounts`, the clock at 09:00 China time on `today`.
pub async fn spawn(
    label: &str,
    catalogue: CatalogueDocument,
    accounts: Vec<TestAccount>,
    today: NaiveDate,
) -> TestApp {
    onewindow_testkit::Builder::new(label, today)
        .catalogue(catalogue)
        .accounts(accounts)
        .serve(onewindow_web::app)
        .await
}
