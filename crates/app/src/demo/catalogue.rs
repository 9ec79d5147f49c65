//! The Ninghai demo catalogue: 33 departments and 1,016 items whose aggregates reproduce every
//! catalogue figure of the seed (`onewindow report catalogue` on a demo store; the formulas are in
//! `onewindow_domain::figures`).
//!
//! It is data: `data/demo/ninghai-catalogue.json`, in the JSON format of `onewindow catalogue
//! import` (the file a county writes for its own catalogue), built into the binary and loaded at
//! every demo start through that same import: [`catalogue_io::parse`], then
//! [`Service::import_catalogue`](crate::Service::import_catalogue). The items are real subjects
//! (食品经营许可, 不动产登记, …) split into the sub-items a Zhejiang catalogue lists (新办 / 变更 /
//! 延续 / 注销 / 补办, …), with the seed's counts dealt out over them (16 items outside the hall,
//! 151 immediate items, 77 cancelled certificates, …); the file was generated once by the Rust
//! code it replaces and is edited as data since.
//!
//! The tests below pin every figure, so an edit of the file that moves a figure fails there
//! rather than in a demo.

use crate::catalogue_io::{self, CatalogueDocument, Format, ImportError};

/// `data/demo/ninghai-catalogue.json` as built into the binary.
pub const NINGHAI_CATALOGUE_JSON: &str =
    include_str!("../../../../data/demo/ninghai-catalogue.json");

/// The demo catalogue, parsed as `onewindow catalogue import` parses a county's JSON file.
pub fn ninghai_catalogue() -> Result<CatalogueDocument, ImportError> {
    catalogue_io::parse(Format::Json, NINGHAI_CATALOGUE_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_domain::catalogue::{Department, Item, Level, MaterialCategory, RunMode};
    use onewindow_domain::figures::{Figure, catalogue_figures};
    use onewindow_domain::identifiers::UnifiedSocialCreditCode;
    use std::collections::HashSet;

    fn ninghai_items() -> Vec<Item> {
        ninghai_catalogue()
            .expect("the demo catalogue parses")
            .items
    }

    fn ninghai_departments() -> Vec<Department> {
        ninghai_catalogue()
            .expect("the demo catalogue parses")
            .departments
    }

    fn assert_figure(f: &Figure, numerator: u64, denominator: u64, percent: &str) {
        assert_eq!(
            (
                f.ratio.numerator,
                f.ratio.denominator,
                f.percent_2dp.as_str()
            ),
            (numerator, denominator, percent),
            "{}",
            f.key
        );
    }

    #[test]
    fn figures_reproduce_the_seed_table() {
        let items = ninghai_items();
        let f = catalogue_figures(&items);
        assert_eq!(f.total_items, 1016);
        assert_figure(&f.in_hall, 1000, 1000, "100.00");
        assert_figure(&f.authorised, 987, 1000, "98.70");
        assert_figure(&f.at_most_once, 864, 1016, "85.04");
        let modes: Vec<_> = f
            .by_run_mode
            .iter()
            .map(|r| {
                (
                    r.run_mode,
                    r.figure.ratio.numerator,
                    r.figure.ratio.denominator,
                    r.figure.percent_2dp.as_str(),
                )
            })
            .collect();
        assert_eq!(
            modes,
            vec![
                (RunMode::Immediate, 151, 864, "17.48"),
                (RunMode::WindowExpress, 346, 864, "40.05"),
                (RunMode::OnlinePrereview, 354, 864, "40.97"),
                (RunMode::OnlineExpress, 6, 864, "0.69"),
                (RunMode::OnlineOnline, 7, 864, "0.81"),
            ]
        );
        let speed = &f.promised_speed_up;
        assert_eq!(speed.figure.percent_2dp, "87.47");
        assert_eq!(
            speed.figure.ratio.numerator,
            speed.statutory_days - speed.promised_days
        );
        assert_figure(&f.intermediary_services_cancelled, 29, 158, "18.35");
        assert_figure(&f.certificate_materials_cancelled, 77, 159, "48.43");
        assert_figure(&f.catch_all_clauses_cancelled, 32, 55, "58.18");
    }

    #[test]
    fn every_item_validates_and_keeps_the_time_limit_rules() {
        for item in ninghai_items() {
            assert!(
                item.validate().is_empty(),
                "{}: {:?}",
                item.name,
                item.validate()
            );
            assert!(
                (1..=6).contains(&item.materials.len()),
                "{} has {} materials",
                item.name,
                item.materials.len()
            );
            if item.run_mode == RunMode::Immediate && item.is_at_most_once() {
                assert_eq!(item.promised_days, 0, "{}", item.name);
            }
            if item.statutory_days > 0 {
                assert!(item.promised_days <= item.statutory_days, "{}", item.name);
            }
            if item.run_mode != RunMode::Immediate {
                assert!(item.promised_days > 0, "{}", item.name);
            }
            assert!(item.legal_basis.starts_with('《'), "{}", item.name);
            assert!(
                !item.name.chars().any(|c| c.is_ascii_digit()),
                "{}",
                item.name
            );
        }
    }

    #[test]
    fn codes_and_names_are_unique() {
        let items = ninghai_items();
        let codes: HashSet<_> = items.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes.len(), items.len());
        assert!(items.iter().all(|i| i.code.len() == 31));
        let names: HashSet<_> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names.len(), items.len());
    }

    #[test]
    fn thirty_three_departments_each_deciding_items() {
        let departments = ninghai_departments();
        assert_eq!(departments.len(), 33);
        let codes: HashSet<_> = departments.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes.len(), 33);
        let items = ninghai_items();
        for item in &items {
            assert!(
                codes.contains(item.department.as_str()),
                "{}",
                item.department
            );
        }
        let used: HashSet<_> = items.iter().map(|i| i.department.as_str()).collect();
        assert_eq!(used, codes);
    }

    #[test]
    fn pushed_down_to_118_townships_and_49_villages() {
        let items = ninghai_items();
        let has = |i: &Item, l: Level| i.levels.contains(&l);
        assert!(items.iter().all(|i| has(i, Level::County)));
        assert_eq!(
            items.iter().filter(|i| has(i, Level::Township)).count(),
            118
        );
        assert_eq!(items.iter().filter(|i| has(i, Level::Village)).count(), 49);
        assert!(
            items
                .iter()
                .filter(|i| has(i, Level::Village))
                .all(|i| has(i, Level::Township))
        );
        // An item that cannot be in the county hall is not pushed down either.
        assert!(
            items
                .iter()
                .filter(|i| !i.hall.allowed)
                .all(|i| i.levels == [Level::County])
        );
    }

    #[test]
    fn cancellations_are_dated_2016_as_the_county_reports_with_a_reason() {
        let items = ninghai_items();
        let material_cancellations = items
            .iter()
            .flat_map(|i| i.materials.iter())
            .filter_map(|m| m.cancelled.as_ref());
        let service_cancellations = items
            .iter()
            .flat_map(|i| i.intermediary_services.iter())
            .filter_map(|s| s.cancelled.as_ref());
        let all: Vec<_> = material_cancellations
            .chain(service_cancellations)
            .collect();
        assert_eq!(all.len(), 77 + 32 + 29);
        for c in all {
            assert_eq!(chrono::Datelike::year(&c.date), 2016);
            assert!(!c.reason.is_empty());
        }
        // Only certificates and catch-all clauses were cancelled, never ordinary materials.
        assert!(
            items
                .iter()
                .flat_map(|i| i.materials.iter())
                .filter(|m| m.category == MaterialCategory::Ordinary)
                .all(|m| m.cancelled.is_none())
        );
    }

    #[test]
    fn item_codes_begin_with_a_valid_credit_code() {
        for item in ninghai_items() {
            assert!(
                UnifiedSocialCreditCode::parse(&item.code[..18]).is_ok(),
                "{}: {}",
                item.name,
                item.code
            );
        }
    }

    #[test]
    fn the_file_is_written_as_catalogue_io_render_writes_it() {
        // Pretty-printed UTF-8 (no \u escapes) by the function behind `catalogue export`, so
        // that a diff of the file reads as the catalogue's change. (An export of a store lists
        // the items by code; the file keeps them by department and subject.)
        let doc = ninghai_catalogue().expect("the demo catalogue parses");
        let rendered = catalogue_io::render(Format::Json, &doc).expect("renders");
        assert_eq!(NINGHAI_CATALOGUE_JSON, format!("{rendered}\n"));
    }
}
