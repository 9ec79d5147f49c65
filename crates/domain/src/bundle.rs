//! Joint-approval bundles in the catalogue, and the plan a bundle resolves to over the published
//! items: the union of materials asked once, the member tasks in order, and the figures
//! "before / after" the reform.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalogue::{MaterialForm, PublishedItem};
use crate::validation::FieldError;

/// The law's limit for joint handling (art. 42: 45 working days), when the catalogue promises none.
pub const JOINT_LIMIT_DAYS: u32 = 45;
/// The longest extension of a joint case (art. 42: 15 more working days).
pub const JOINT_MAX_EXTENSION_DAYS: u32 = 15;

/// A joint-approval bundle (联办事项, "one thing"): the items several departments decide for one
/// business or life event, accepted at one lead window and delivered once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bundle {
    /// E.g. `LB-MINSU`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// What the applicant wants, in their words ("I want to open a homestay").
    #[serde(default)]
    pub description: String,
    /// The department whose window accepts and delivers (牵头部门).
    pub lead_department: String,
    /// The window that accepts, as the hall names it (e.g. "公安窗口").
    #[serde(default)]
    pub lead_window: String,
    /// Promised working days for the whole case; 0 means the law's 45.
    #[serde(default)]
    pub promised_days: u32,
    pub members: Vec<BundleMember>,
}

/// One item of a bundle and where it stands in the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleMember {
    pub item_code: String,
    /// Member items that must be approved before this one starts (e.g. the licence it needs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// A denial of this member denies the whole bundle.
    #[serde(default)]
    pub essential: bool,
    /// How many reviewers must sign their opinion before the approver decides (会签).
    #[serde(default)]
    pub countersign: u32,
}

/// A bundle as published, with its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedBundle {
    pub version: u32,
    #[serde(flatten)]
    pub bundle: Bundle,
}

/// One material of the bundle's single form: asked once however many members need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleMaterial {
    /// Key inside the bundle, `B01`, `B02`, …
    pub key: String,
    pub name: String,
    pub form: MaterialForm,
    pub copies: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// The member items that need it, with the key it has in each.
    pub needed_by: Vec<MaterialUse>,
    /// A member whose result is this material: the applicant does not supply it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_by: Option<String>,
}

impl BundleMaterial {
    /// Whether the applicant hands it in (it is not issued inside the bundle).
    pub fn from_applicant(&self) -> bool {
        self.produced_by.is_none()
    }
}

/// Where a bundle material is used: an item and its own key for the material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialUse {
    pub item_code: String,
    pub material_key: String,
}

/// One member as a task of the internal circulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskSpec {
    /// The member's item code, which is also the task's key within the case.
    pub item_code: String,
    pub item_version: u32,
    pub item_name: String,
    pub department: String,
    pub promised_days: u32,
    pub after: Vec<String>,
    pub essential: bool,
    pub countersign: u32,
    /// The licence it issues, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_licence_type: Option<String>,
    /// Bundle material keys this member reads.
    pub materials: Vec<String>,
}

/// The figures of a bundle, before and after joint handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleFigures {
    /// Materials the members ask for one by one.
    pub materials_before: u32,
    /// Materials the applicant hands in once for the bundle.
    pub materials_after: u32,
    /// Department windows the applicant had to go to one by one.
    pub departments_before: u32,
    /// Windows visited with the bundle: the lead window only.
    pub departments_after: u32,
    /// Visits in person, summed over the members handled one by one.
    pub visits_before: u32,
    /// Visits in person with the bundle.
    pub visits_after: u32,
}

/// A bundle resolved over the published items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundlePlan {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub lead_department: String,
    pub lead_window: String,
    /// The case's limit in working days.
    pub limit_days: u32,
    pub materials: Vec<BundleMaterial>,
    /// Tasks in an order where every task comes after the ones it waits for.
    pub tasks: Vec<TaskSpec>,
    pub figures: BundleFigures,
}

impl BundlePlan {
    /// Keys of the materials the applicant must hand in.
    pub fn demanded_materials(&self) -> impl Iterator<Item = &BundleMaterial> {
        self.materials.iter().filter(|m| m.from_applicant())
    }
}

impl Bundle {
    /// Checks the bundle on its own: every violation at once.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.code.trim().is_empty() || self.code.chars().any(char::is_whitespace) {
            errors.push(FieldError::new(
                "code",
                "must not be empty or contain spaces",
            ));
        }
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        if self.lead_department.trim().is_empty() {
            errors.push(FieldError::new("lead_department", "must not be empty"));
        }
        if self.promised_days > JOINT_LIMIT_DAYS {
            errors.push(FieldError::new(
                "promised_days",
                format!("a joint case takes at most {JOINT_LIMIT_DAYS} working days by law"),
            ));
        }
        if self.members.len() < 2 {
            errors.push(FieldError::new(
                "members",
                "a bundle joins at least two items",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, m) in self.members.iter().enumerate() {
            if !seen.insert(m.item_code.as_str()) {
                errors.push(FieldError::new(
                    format!("members[{i}].item_code"),
                    format!("{} is already a member", m.item_code),
                ));
            }
        }
        let codes: BTreeSet<&str> = self.members.iter().map(|m| m.item_code.as_str()).collect();
        for (i, m) in self.members.iter().enumerate() {
            for before in &m.after {
                if before == &m.item_code {
                    errors.push(FieldError::new(
                        format!("members[{i}].after"),
                        "a member cannot wait for itself",
                    ));
                } else if !codes.contains(before.as_str()) {
                    errors.push(FieldError::new(
                        format!("members[{i}].after"),
                        format!("{before} is not a member of this bundle"),
                    ));
                }
            }
        }
        if errors.is_empty() && topological_order(&self.members).is_none() {
            errors.push(FieldError::new(
                "members",
                "the order between members goes round in a circle",
            ));
        }
        errors
    }

    /// The plan over the published `items` (which must hold every member).
    pub fn resolve(
        &self,
        version: u32,
        items: &[PublishedItem],
    ) -> Result<BundlePlan, Vec<FieldError>> {
        let mut errors = self.validate();
        let by_code: BTreeMap<&str, &PublishedItem> =
            items.iter().map(|i| (i.item.code.as_str(), i)).collect();
        for (i, m) in self.members.iter().enumerate() {
            if !by_code.contains_key(m.item_code.as_str()) {
                errors.push(FieldError::new(
                    format!("members[{i}].item_code"),
                    format!("no published item {}", m.item_code),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(order) = topological_order(&self.members) else {
            return Err(vec![FieldError::new("members", "circular order")]);
        };
        if !order.iter().any(|m| {
            by_code
                .get(m.item_code.as_str())
                .is_some_and(|i| i.item.department == self.lead_department)
        }) {
            return Err(vec![FieldError::new(
                "lead_department",
                format!(
                    "the lead department {} decides none of the members",
                    self.lead_department
                ),
            )]);
        }
        let ancestors = ancestors(&self.members);

        // Materials are the same document when they have the same name; the first member in the
        // order that asks for it gives its form and sample.
        let mut materials: Vec<BundleMaterial> = Vec::new();
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        let mut tasks = Vec::new();
        let mut figures = BundleFigures {
            materials_before: 0,
            materials_after: 0,
            departments_before: 0,
            departments_after: 1,
            visits_before: 0,
            visits_after: 1,
        };
        let mut departments = BTreeSet::new();
        for member in &order {
            let item = by_code[member.item_code.as_str()];
            departments.insert(item.item.department.as_str());
            figures.visits_before += item.item.visits_required.max(1);
            let mut keys = Vec::new();
            for material in item.item.demanded_materials() {
                figures.materials_before += 1;
                let name = material.name.trim().to_string();
                let index = *by_name.entry(name.clone()).or_insert_with(|| {
                    materials.push(BundleMaterial {
                        key: String::new(),
                        name: name.clone(),
                        form: material.form,
                        copies: material.copies,
                        sample: material.sample.clone(),
                        needed_by: Vec::new(),
                        produced_by: None,
                    });
                    materials.len() - 1
                });
                materials[index].needed_by.push(MaterialUse {
                    item_code: item.item.code.clone(),
                    material_key: material.key.clone(),
                });
                // A licence an earlier member issues is passed on inside the bundle.
                if materials[index].produced_by.is_none() {
                    materials[index].produced_by = ancestors[member.item_code.as_str()]
                        .iter()
                        .find(|a| {
                            by_code[*a]
                                .item
                                .result_licence_type
                                .as_deref()
                                .is_some_and(|t| !t.is_empty() && name.contains(t))
                        })
                        .map(|a| (*a).to_string());
                }
                keys.push(index);
            }
            tasks.push((member, item, keys));
        }
        for (i, m) in materials.iter_mut().enumerate() {
            m.key = format!("B{:02}", i + 1);
        }
        figures.departments_before = u32::try_from(departments.len()).unwrap_or(u32::MAX);
        figures.materials_after =
            u32::try_from(materials.iter().filter(|m| m.from_applicant()).count())
                .unwrap_or(u32::MAX);
        let tasks = tasks
            .into_iter()
            .map(|(member, item, keys)| TaskSpec {
                item_code: item.item.code.clone(),
                item_version: item.version,
                item_name: item.item.name.clone(),
                department: item.item.department.clone(),
                promised_days: item.item.promised_days,
                after: member.after.clone(),
                essential: member.essential,
                countersign: member.countersign,
                result_licence_type: item.item.result_licence_type.clone(),
                materials: keys.into_iter().map(|k| materials[k].key.clone()).collect(),
            })
            .collect();
        Ok(BundlePlan {
            code: self.code.clone(),
            version,
            name: self.name.clone(),
            lead_department: self.lead_department.clone(),
            lead_window: self.lead_window.clone(),
            limit_days: if self.promised_days == 0 {
                JOINT_LIMIT_DAYS
            } else {
                self.promised_days
            },
            materials,
            tasks,
            figures,
        })
    }
}

/// The members in an order where each comes after the ones it waits for (stable: ties keep the
/// bundle's order), or `None` when the order is circular.
fn topological_order(members: &[BundleMember]) -> Option<Vec<&BundleMember>> {
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::with_capacity(members.len());
    while order.len() < members.len() {
        let next = members.iter().find(|m| {
            !placed.contains(m.item_code.as_str())
                && m.after.iter().all(|a| placed.contains(a.as_str()))
        })?;
        placed.insert(next.item_code.as_str());
        order.push(next);
    }
    Some(order)
}

/// For each member, every member it waits for directly or through others.
fn ancestors(members: &[BundleMember]) -> BTreeMap<&str, Vec<&str>> {
    let direct: BTreeMap<&str, Vec<&str>> = members
        .iter()
        .map(|m| {
            (
                m.item_code.as_str(),
                m.after.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    members
        .iter()
        .map(|m| {
            let mut seen: Vec<&str> = Vec::new();
            let mut stack: Vec<&str> = direct[m.item_code.as_str()].clone();
            while let Some(a) = stack.pop() {
                if !seen.contains(&a) && a != m.item_code {
                    seen.push(a);
                    if let Some(more) = direct.get(a) {
                        stack.extend(more.iter().copied());
                    }
                }
            }
            (m.item_code.as_str(), seen)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalogue::tests::sample_item;
    use crate::catalogue::{Material, MaterialCategory, MaterialSource};

    fn material(key: &str, name: &str) -> Material {
        Material {
            key: key.into(),
            name: name.into(),
            form: MaterialForm::Copy,
            copies: 1,
            source: MaterialSource::Applicant,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
        }
    }

    fn item(code: &str, department: &str, licence: &str, materials: &[&str]) -> PublishedItem {
        let mut item = sample_item();
        item.code = code.into();
        item.name = format!("{code} 许可");
        item.department = department.into();
        item.visits_required = 2;
        item.result_licence_type = Some(licence.into());
        item.materials = materials
            .iter()
            .enumerate()
            .map(|(i, n)| material(&format!("M{:02}", i + 1), n))
            .collect();
        PublishedItem { version: 1, item }
    }

    /// A restaurant: the business licence first, then food and fire in parallel.
    pub fn restaurant() -> (Bundle, Vec<PublishedItem>) {
        let items = vec![
            item(
                "SC-REG",
                "SCJGJ",
                "营业执照",
                &["设立登记申请书", "身份证明"],
            ),
            item(
                "SC-FOOD",
                "SCJGJ",
                "食品经营许可证",
                &["食品经营许可申请书", "营业执照", "场所平面图"],
            ),
            item(
                "XF-CHECK",
                "XFJY",
                "消防安全检查合格证",
                &["消防检查申请书", "营业执照", "场所平面图", "身份证明"],
            ),
        ];
        let bundle = Bundle {
            code: "LB-CANYIN".into(),
            name: "开办餐饮店".into(),
            name_en: "Open a restaurant".into(),
            description: String::new(),
            lead_department: "SCJGJ".into(),
            lead_window: "市场监管窗口".into(),
            promised_days: 0,
            members: vec![
                BundleMember {
                    item_code: "SC-REG".into(),
                    after: vec![],
                    essential: true,
                    countersign: 0,
                },
                BundleMember {
                    item_code: "SC-FOOD".into(),
                    after: vec!["SC-REG".into()],
                    essential: false,
                    countersign: 0,
                },
                BundleMember {
                    item_code: "XF-CHECK".into(),
                    after: vec!["SC-REG".into()],
                    essential: false,
                    countersign: 2,
                },
            ],
        };
        (bundle, items)
    }

    #[test]
    fn materials_are_asked_once_and_licences_issued_inside_are_not_asked_at_all() {
        let (bundle, items) = restaurant();
        let plan = bundle.resolve(3, &items).expect("a sound bundle");
        let names: Vec<(&str, bool)> = plan
            .materials
            .iter()
            .map(|m| (m.name.as_str(), m.from_applicant()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("设立登记申请书", true),
                ("身份证明", true),
                ("食品经营许可申请书", true),
                ("营业执照", false),
                ("场所平面图", true),
                ("消防检查申请书", true),
            ]
        );
        let licence = &plan.materials[3];
        assert_eq!(licence.produced_by.as_deref(), Some("SC-REG"));
        assert_eq!(licence.needed_by.len(), 2);
        assert_eq!(
            plan.figures,
            BundleFigures {
                materials_before: 9,
                materials_after: 5,
                departments_before: 2,
                departments_after: 1,
                visits_before: 6,
                visits_after: 1,
            }
        );
        assert_eq!(plan.limit_days, JOINT_LIMIT_DAYS);
        assert_eq!(plan.tasks[2].materials, vec!["B06", "B04", "B05", "B02"]);
        assert_eq!(plan.version, 3);
    }

    #[test]
    fn a_licence_from_a_member_that_does_not_come_first_is_still_asked_for() {
        let (mut bundle, items) = restaurant();
        for m in &mut bundle.members {
            m.after.clear();
        }
        let plan = bundle.resolve(1, &items).expect("a sound bundle");
        assert!(plan.materials.iter().all(BundleMaterial::from_applicant));
    }

    #[test]
    fn every_problem_of_a_bundle_is_named() {
        let (mut bundle, items) = restaurant();
        bundle.promised_days = 60;
        bundle.members[1].after = vec!["NOPE".into()];
        bundle.members.push(bundle.members[0].clone());
        let fields: Vec<String> = bundle
            .resolve(1, &items)
            .expect_err("broken")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["promised_days", "members[3].item_code", "members[1].after"]
        );
    }

    #[test]
    fn a_circular_order_is_refused() {
        let (mut bundle, items) = restaurant();
        bundle.members[0].after = vec!["XF-CHECK".into()];
        let errors = bundle.resolve(1, &items).expect_err("circular");
        assert_eq!(errors[0].field, "members");
    }

    #[test]
    fn the_lead_must_decide_a_member_and_members_must_be_published() {
        let (mut bundle, items) = restaurant();
        bundle.lead_department = "GAJ".into();
        assert_eq!(
            bundle.resolve(1, &items).expect_err("no lead")[0].field,
            "lead_department"
        );
        let (bundle, mut items) = restaurant();
        items.pop();
        assert_eq!(
            bundle.resolve(1, &items).expect_err("missing")[0].field,
            "members[2].item_code"
        );
    }
}
