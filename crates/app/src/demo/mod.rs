//! Demo data for Ninghai county, so that a fresh installation shows the situation of the seed:
//! the catalogue, the joint-approval bundles, the accounts, the hall and generated cases. Only
//! `onewindow demo` (and `generate`, `bench`, the tests) call in here; the production modules do
//! not depend on this one.
//!
//! The catalogue, the bundles and the accounts are data files in `data/demo/`, built into the
//! binary (`onewindow demo` needs nothing else) and loaded through the paths a county's own data
//! takes: `catalogue import`, the bundle publication of the API, `user add`. So every demo start
//! on a fresh store exercises them.

use onewindow_store::cases as case_rows;
use onewindow_store::catalogue as catalogue_rows;

use crate::actor::Actor;
use crate::catalogue_io::ImportError;
use crate::error::AppError;
use crate::service::Service;

pub mod accounts;
pub mod bundles;
pub mod cases;
pub mod catalogue;
pub mod couriers;
pub mod evaluation;
pub mod hall;
pub mod licences;
pub mod market;
pub mod projects;

/// A refused import of the demo catalogue: the store's failure as it is, a bad file as invalid.
fn demo_catalogue_error(e: ImportError) -> AppError {
    match e {
        ImportError::App(e) => e,
        other => AppError::invalid("demo catalogue", other.to_string()),
    }
}

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
        let doc = catalogue::ninghai_catalogue().map_err(demo_catalogue_error)?;
        let mut loaded = DemoLoaded {
            departments: doc.departments.len(),
            items: doc.items.len(),
            cases: 0,
        };
        self.import_catalogue(&Actor::command_line("demo"), doc)
            .await
            .map_err(demo_catalogue_error)?;
        // The network after the catalogue: the departmental windows name its departments.
        self.seed_demo_hall().await?;
        if cases > 0 && !case_rows::any_case(self.store().readers()).await? {
            loaded.cases = self.generate_demo_cases(cases, 1).await?;
        }
        Ok(Some(loaded))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;

    use super::*;
    use crate::catalogue_io::{self, Format, ImportSummary};
    use crate::clock::ManualClock;

    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A service on a fresh store: a scratch PostgreSQL database when ONEWINDOW_TEST_POSTGRES
    /// names a server, else a SQLite data directory.
    async fn fresh_service() -> (Service, TempDir) {
        let dir =
            TempDir(std::env::temp_dir().join(format!("onewindow-demo-{}", uuid::Uuid::now_v7())));
        let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                    .await
                    .expect("PostgreSQL reachable for the test suite")
            }
            _ => onewindow_store::data_dir_url(&dir.0).expect("url"),
        };
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(day));
        (Service::new(store, Calendar::prc(), clock, "330226"), dir)
    }

    #[tokio::test]
    async fn the_embedded_demo_files_import_with_no_refused_row() {
        let (service, _dir) = fresh_service().await;
        let actor = Actor::command_line("demo");
        // The catalogue, as `onewindow catalogue import` takes a county's file.
        let doc = catalogue_io::parse(Format::Json, catalogue::NINGHAI_CATALOGUE_JSON)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((doc.departments.len(), doc.items.len()), (33, 1016));
        let summary = service
            .import_catalogue(&actor, doc)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            summary,
            ImportSummary {
                departments: 33,
                new_versions: 1016,
                unchanged: 0
            }
        );
        // What the store gives back is the file: exported and imported again, nothing changes.
        let exported = service.export_catalogue().await.expect("export");
        assert_eq!(exported.items.len(), 1016);
        let again = service
            .import_catalogue(&actor, exported)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((again.new_versions, again.unchanged), (0, 1016));
        // The demo start on a store that holds a catalogue leaves it alone.
        assert_eq!(service.seed_demo(0).await.expect("seed_demo"), None);
        // The bundles through the API's publication, the accounts through `user add`.
        assert_eq!(service.seed_demo_bundles().await.expect("bundles"), 19);
        assert_eq!(service.bundles().await.expect("bundles").len(), 19);
        // Clerks' posts name the hall's centres: the hall comes first.
        service.seed_demo_hall().await.expect("hall");
        let created = service.seed_demo_accounts().await.expect("accounts");
        assert_eq!(created.len(), 11);
        let users = service.users(&actor).await.expect("users");
        assert_eq!(users.len(), 11 + 8);
        // Once only.
        assert!(
            service
                .seed_demo_accounts()
                .await
                .expect("again")
                .is_empty()
        );
        assert_eq!(service.seed_demo_bundles().await.expect("again"), 0);
    }

    #[tokio::test]
    async fn a_demo_start_loads_the_whole_profile() {
        let (service, _dir) = fresh_service().await;
        let loaded = service.seed_demo(300).await.expect("demo").expect("loaded");
        assert_eq!(
            (loaded.departments, loaded.items, loaded.cases),
            (33, 1016, 300)
        );
        service.seed_demo_accounts().await.expect("accounts");
        assert_eq!(service.seed_demo_bundles().await.expect("bundles"), 19);
    }

    /// A citizen never holds an enterprise's licence case, nor an enterprise a household
    /// registration: every case the demo generates is filed by an applicant the item serves.
    #[tokio::test]
    async fn every_demo_case_is_filed_by_an_applicant_its_item_serves() {
        use onewindow_domain::service_object::ServiceObject;
        let (service, _dir) = fresh_service().await;
        service.seed_demo(0).await.expect("demo").expect("loaded");
        let items = catalogue_rows::all_items(service.store().readers())
            .await
            .expect("items");
        let by_code: std::collections::HashMap<&str, &onewindow_domain::catalogue::Item> = items
            .iter()
            .map(|i| (i.item.code.as_str(), &i.item))
            .collect();
        let own = super::accounts::demo_applicants().expect("applicants");
        let cases = cases::generate_cases(
            &items,
            &own,
            &service.calendar(),
            "330226",
            service.today(),
            120,
            3_000,
            1,
        );
        assert!(cases.len() > 2_900);
        let mut misfits = Vec::new();
        for (case, _) in &cases {
            let item = by_code[case.item_code.as_str()];
            if !ServiceObject::of(item).fits(case.applicant.kind) {
                misfits.push(format!(
                    "{} {:?} filed {}",
                    case.applicant.name, case.applicant.kind, item.name
                ));
            }
        }
        assert!(misfits.is_empty(), "{misfits:?}");
        // The demo's own applicants still have cases of their own.
        for applicant in &own {
            assert!(
                cases
                    .iter()
                    .any(|(c, _)| c.applicant.id_number == applicant.id_number),
                "{}",
                applicant.name
            );
        }
    }

    /// The demo's decided cases keep the county's reported actual speed-up (实际提速率): above
    /// 98 %, beside the promised 87.47 % of the catalogue: most cases are decided far inside
    /// the promise, as the seed reports.
    #[tokio::test]
    async fn the_demo_cases_are_decided_as_fast_as_the_county_reports() {
        use onewindow_domain::statistics::{CaseRecord, period_statistics};
        let (service, _dir) = fresh_service().await;
        service.seed_demo(0).await.expect("demo").expect("loaded");
        let items = catalogue_rows::all_items(service.store().readers())
            .await
            .expect("items");
        let statutory: std::collections::HashMap<&str, u32> = items
            .iter()
            .map(|i| (i.item.code.as_str(), i.item.statutory_days))
            .collect();
        let own = super::accounts::demo_applicants().expect("applicants");
        let today = service.today();
        let calendar = service.calendar();
        let cases = cases::generate_cases(&items, &own, &calendar, "330226", today, 120, 3_000, 1);
        let records: Vec<CaseRecord> = cases
            .iter()
            .map(|(case, _)| {
                CaseRecord::of(case, &calendar, today)
                    .expect("covered")
                    .with_statutory_days(statutory.get(case.item_code.as_str()).copied())
            })
            .collect();
        let figures = period_statistics(&records, today - chrono::Duration::days(200), today);
        let speed_up = figures.actual_speed_up.percent_hundredths();
        assert!(
            (9800..9950).contains(&speed_up),
            "actual speed-up {speed_up} hundredths of a percent"
        );
        // On time stays the rule, with the few late cases the demo keeps.
        assert!(figures.on_time.percent_hundredths() > 9500);
    }

    #[tokio::test]
    async fn the_demo_evaluation_is_the_countys_99_6_percent_satisfied() {
        let (service, _dir) = fresh_service().await;
        service.seed_demo(3000).await.expect("the demo");
        let written = service.seed_demo_evaluation().await.expect("seeded");
        assert!(written >= 2 * 250, "{written} visits");
        assert_eq!(service.seed_demo_evaluation().await.expect("again"), 0);
        // The demo runs on Monday 2 November 2026: October is a whole month.
        let october = |d| NaiveDate::from_ymd_opt(2026, 10, d).expect("date");
        let visits = service
            .satisfaction_by(october(1), october(31), |_| "county".into())
            .await
            .expect("satisfaction");
        let county = visits["county"];
        assert_eq!((county.numerator, county.denominator), (249, 250));
        assert_eq!(format!("{:.1}", county.percent()), "99.6");
        let (ratings, rectifications) = service
            .evaluation_records(october(1), october(31), None)
            .await
            .expect("ratings");
        let figures = crate::evaluation::evaluation_figures(
            &ratings,
            &rectifications,
            october(1),
            october(31),
        );
        assert_eq!(figures.bad, 1);
        assert!(
            figures.good_rate.percent() > 90.0,
            "{:?}",
            figures.good_rate
        );
    }
}
