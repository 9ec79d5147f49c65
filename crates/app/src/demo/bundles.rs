//! The Ninghai demo's joint-approval bundles: the homestay of the seed (five departments, the
//! public security window leads), real estate registration (housing, tax and registry in one
//! window), the seed's sixteen industries with joint standards, and the joint completion
//! acceptance of construction projects.
//!
//! They are data: `data/demo/bundles.json`, a list of bundles each written as the body of
//! `PUT /api/v1/catalogue/bundles/{code}`, built into the binary and published at the demo's
//! first start through the same [`Service::publish_bundle`] as the API. Members name the items
//! of the demo catalogue by code.
//!
//! Before them, the list of equivalent materials (材料等同清单), `data/demo/material-equivalents.json`
//! written as the body of `PUT /api/v1/catalogue/material-equivalents`: the homestay's members
//! ask the business licence as 营业执照 and as 营业执照或者其他主体资格证明文件, and the floor
//! plan as 经营场所平面布局图 and as 场所平面布置图; with the list, LB-MINSU asks each once.

use onewindow_domain::bundle::Bundle;
use onewindow_store::bundles as bundle_rows;

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// `data/demo/bundles.json` as built into the binary.
pub const BUNDLES_JSON: &str = include_str!("../../../../data/demo/bundles.json");

/// `data/demo/material-equivalents.json` as built into the binary.
pub const MATERIAL_EQUIVALENTS_JSON: &str =
    include_str!("../../../../data/demo/material-equivalents.json");

/// The shape of `data/demo/material-equivalents.json`, the API's body.
#[derive(Debug, serde::Deserialize)]
struct EquivalentsFile {
    groups: Vec<Vec<String>>,
}

/// The demo's list of equivalent materials, group by group.
pub fn ninghai_material_equivalents() -> Result<Vec<Vec<String>>, AppError> {
    serde_json::from_str::<EquivalentsFile>(MATERIAL_EQUIVALENTS_JSON)
        .map(|f| f.groups)
        .map_err(|e| {
            AppError::Internal(format!(
                "the demo list of equivalent materials built into this binary \
                 (data/demo/material-equivalents.json) is not valid: {e}"
            ))
        })
}

/// The demo bundles, read as the API reads a bundle.
pub fn ninghai_bundles() -> Result<Vec<Bundle>, AppError> {
    serde_json::from_str(BUNDLES_JSON).map_err(|e| {
        AppError::Internal(format!(
            "the demo bundles built into this binary (data/demo/bundles.json) are not valid: {e}"
        ))
    })
}

impl Service {
    /// Saves the demo's list of equivalent materials, publishes the demo bundles and creates
    /// the joint staff accounts, once: a store that already has bundles is left as it is (its
    /// list too, which its administrator may have changed). Returns the number of bundles
    /// published. Every member must be an item of the store's catalogue (the demo catalogue's
    /// codes), or publishing refuses the bundle.
    pub async fn seed_demo_bundles(&self) -> Result<usize, AppError> {
        if !bundle_rows::list(self.store().readers()).await?.is_empty() {
            return Ok(0);
        }
        let actor = Actor::command_line("demo");
        self.save_material_equivalents(&actor, ninghai_material_equivalents()?)
            .await?;
        let bundles = ninghai_bundles()?;
        let count = bundles.len();
        for bundle in bundles {
            self.publish_bundle(&actor, bundle).await?;
        }
        self.create_demo_accounts(&actor, super::accounts::demo_joint_staff()?)
            .await?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn nineteen_bundles_with_distinct_codes_over_demo_items() {
        let bundles = ninghai_bundles().expect("the demo bundles parse");
        assert_eq!(bundles.len(), 19);
        let codes: HashSet<_> = bundles.iter().map(|b| b.code.as_str()).collect();
        assert_eq!(codes.len(), bundles.len());
        let catalogue = super::super::catalogue::ninghai_catalogue().expect("catalogue parses");
        let items: HashSet<_> = catalogue.items.iter().map(|i| i.code.as_str()).collect();
        let departments: HashSet<_> = catalogue
            .departments
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        for bundle in &bundles {
            assert!(
                departments.contains(bundle.lead_department.as_str()),
                "{}",
                bundle.code
            );
            for member in &bundle.members {
                assert!(
                    items.contains(member.item_code.as_str()),
                    "{}: {}",
                    bundle.code,
                    member.item_code
                );
            }
        }
        // The homestay of the seed: five departments, the public security window leads.
        let homestay = bundles
            .iter()
            .find(|b| b.code == "LB-MINSU")
            .expect("LB-MINSU");
        assert_eq!(homestay.members.len(), 5);
        assert_eq!(homestay.lead_department, "GAJ");
    }

    #[test]
    fn the_demo_list_of_equivalent_materials_is_valid() {
        let groups = ninghai_material_equivalents().expect("the demo list parses");
        assert_eq!(groups.len(), 2);
        assert!(onewindow_domain::bundle::check_equivalent_groups(&groups).is_empty());
    }

    /// After the demo's seeds, the homestay asks the business licence and the floor plan once
    /// each, though its members name them two ways (B02 and B18, B03 and B08 without the list).
    #[tokio::test]
    async fn the_homestay_asks_the_business_licence_and_the_floor_plan_once() {
        let dir = std::env::temp_dir().join(format!("onewindow-demo-eq-{}", uuid::Uuid::now_v7()));
        let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                    .await
                    .expect("PostgreSQL reachable for the test suite")
            }
            _ => onewindow_store::data_dir_url(&dir).expect("url"),
        };
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let service = Service::new(
            store,
            onewindow_domain::calendar::Calendar::prc(),
            std::sync::Arc::new(crate::clock::ManualClock::at_local_morning(day)),
            "330226",
        );
        service.seed_demo(0).await.expect("catalogue");
        assert_eq!(service.seed_demo_bundles().await.expect("bundles"), 19);

        let view = service.bundle("LB-MINSU").await.expect("LB-MINSU");
        let asked = |name: &str| {
            view.plan
                .materials
                .iter()
                .filter(|m| m.needed_by.iter().any(|u| u.name == name))
                .map(|m| m.key.clone())
                .collect::<Vec<_>>()
        };
        let licence = asked("营业执照");
        assert_eq!(licence.len(), 1, "营业执照 asked once");
        assert_eq!(licence, asked("营业执照或者其他主体资格证明文件"));
        let plan = asked("经营场所平面布局图");
        assert_eq!(plan.len(), 1, "the floor plan asked once");
        assert_eq!(plan, asked("场所平面布置图"));
        let names: Vec<&str> = view
            .plan
            .materials
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names.iter().filter(|n| n.contains("营业执照")).count(), 1);
        assert!(names.contains(&"营业执照"));
        assert_eq!(names.iter().filter(|n| n.contains("平面")).count(), 1);
        // Four members needed the licence; it is one material that stands for all four.
        let licence = view
            .plan
            .materials
            .iter()
            .find(|m| m.name == "营业执照")
            .expect("营业执照");
        assert_eq!(licence.needed_by.len(), 4);
        // The list shown beside the bundles is the one the plans used.
        assert_eq!(
            service.material_equivalents().await.expect("list"),
            ninghai_material_equivalents().expect("list")
        );
        service.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
