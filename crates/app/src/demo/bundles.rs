//! The Ninghai demo's joint-approval bundles: the homestay of the seed (five departments, the
//! public security window leads), real estate registration (housing, tax and registry in one
//! window), the seed's sixteen industries with joint standards, and the joint completion
//! acceptance of construction projects.
//!
//! They are data: `data/demo/bundles.json`, a list of bundles each written as the body of
//! `PUT /api/v1/catalogue/bundles/{code}`, built into the binary and published at the demo's
//! first start through the same [`Service::publish_bundle`] as the API. Members name the items
//! of the demo catalogue by code.

use onewindow_domain::bundle::Bundle;
use onewindow_store::bundles as bundle_rows;

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// `data/demo/bundles.json` as built into the binary.
pub const BUNDLES_JSON: &str = include_str!("../../../../data/demo/bundles.json");

/// The demo bundles, read as the API reads a bundle.
pub fn ninghai_bundles() -> Result<Vec<Bundle>, AppError> {
    serde_json::from_str(BUNDLES_JSON).map_err(|e| {
        AppError::Internal(format!(
            "the demo bundles built into this binary (data/demo/bundles.json) are not valid: {e}"
        ))
    })
}

impl Service {
    /// Publishes the demo bundles and creates the joint staff accounts, once: a store that
    /// already has bundles is left as it is. Returns the number of bundles published. Every
    /// member must be an item of the store's catalogue (the demo catalogue's codes), or
    /// publishing refuses the bundle.
    pub async fn seed_demo_bundles(&self) -> Result<usize, AppError> {
        if !bundle_rows::list(self.store().readers()).await?.is_empty() {
            return Ok(0);
        }
        let actor = Actor::command_line("demo");
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
}
