//! Joint-approval bundles in the catalogue, and the plan a bundle resolves to over the published
//! items: the union of materials asked once, the member tasks in order, and the figures
//! "before / after" the reform.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalogue::{Material, MaterialCategory, MaterialForm, PublishedItem};
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
    /// The material's name in that item (it may differ from the bundle's name for it).
    #[serde(default)]
    pub name: String,
}

/// What an item's material is to the bundle's one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MaterialClass {
    /// Each item's own application form: the bundle has one form for all (一表申请).
    ApplicationForm,
    /// A catch-all clause ("其他材料") the reform cancelled: never asked in a bundle.
    CatchAll,
    Ordinary,
}

/// Whether a material is an item's application form (its name ends in 申请表 or 申请书).
pub fn is_application_form(name: &str) -> bool {
    let name = name.trim();
    name.ends_with("申请表") || name.ends_with("申请书")
}

/// Whether a material is a catch-all clause (兜底条款): recorded as one, or worded as one
/// ("其他材料", "其他相关材料", "法律、法规、规章规定的其他材料").
pub fn is_catch_all(material: &Material) -> bool {
    material.category == MaterialCategory::CatchAll
        || ["其他材料", "其他相关材料", "其它材料", "其它相关材料"]
            .iter()
            .any(|w| material.name.contains(w))
}

fn classify(material: &Material) -> MaterialClass {
    if is_catch_all(material) {
        MaterialClass::CatchAll
    } else if is_application_form(&material.name) {
        MaterialClass::ApplicationForm
    } else {
        MaterialClass::Ordinary
    }
}

/// Which names are the same document (e.g. `["营业执照", "营业执照或者其他主体资格证明文件"]`),
/// from the administrator's list of groups (`material_equivalents`), joined where they share a
/// name (a name in two groups makes them one), each mapped to the first name of its first group.
/// Materials with the same name are always the same document.
#[derive(Debug, Clone, Default)]
pub struct Equivalence {
    canonical: BTreeMap<String, String>,
}

impl Equivalence {
    pub fn new(groups: &[Vec<String>]) -> Self {
        // Union-find over the names, the representative being the name listed first.
        let mut names: Vec<String> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut parent: Vec<usize> = Vec::new();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for group in groups {
            let mut first: Option<usize> = None;
            for name in group {
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                let i = *index.entry(name.to_string()).or_insert_with(|| {
                    names.push(name.to_string());
                    parent.push(names.len() - 1);
                    names.len() - 1
                });
                match first {
                    None => first = Some(i),
                    Some(f) => {
                        let (a, b) = (find(&mut parent, f), find(&mut parent, i));
                        // The smaller index is the name listed earlier.
                        let (root, child) = if a <= b { (a, b) } else { (b, a) };
                        parent[child] = root;
                    }
                }
            }
        }
        let canonical = (0..names.len())
            .map(|i| {
                let root = find(&mut parent, i);
                (names[i].clone(), names[root].clone())
            })
            .collect();
        Self { canonical }
    }

    /// The name the bundle asks a material under.
    pub fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        let name = name.trim();
        self.canonical.get(name).map_or(name, String::as_str)
    }

    /// Whether two names are the same document.
    pub fn same(&self, a: &str, b: &str) -> bool {
        self.canonical(a) == self.canonical(b)
    }
}

/// The longest material name in the list of equivalent materials, in characters (a material's
/// name in the catalogue is a phrase; 200 leaves room for the longest statutory wording).
pub const EQUIVALENT_NAME_MAX_CHARS: usize = 200;

/// Checks the administrator's list of equivalent materials (材料等同清单) before it is stored,
/// every problem at once: each name non-empty once trimmed, at most
/// [`EQUIVALENT_NAME_MAX_CHARS`] characters, no control character; at least two names in a group
/// (a group of one says nothing); no name twice in a group. A name may stand in two groups: that
/// joins them, as [`Equivalence::new`] says.
pub fn check_equivalent_groups(groups: &[Vec<String>]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (j, name) in group.iter().enumerate() {
            let field = format!("groups[{i}][{j}]");
            let name = name.trim();
            if name.is_empty() {
                errors.push(FieldError::new(field, "must not be empty"));
                continue;
            }
            if let Some(problem) =
                crate::validation::text_problem(name, EQUIVALENT_NAME_MAX_CHARS, false)
            {
                errors.push(FieldError::new(field, problem));
                continue;
            }
            if !seen.insert(name) {
                errors.push(FieldError::new(
                    field,
                    format!("{name} is already in this group"),
                ));
            }
        }
        if group.iter().filter(|n| !n.trim().is_empty()).count() < 2 {
            errors.push(FieldError::new(
                format!("groups[{i}]"),
                "a group names at least two materials",
            ));
        }
    }
    errors
}

/// The groups as they are stored: names trimmed, nothing else changed (the order of the groups
/// and of the names in them decides which name a bundle asks, see [`Equivalence::new`]).
pub fn normalise_equivalent_groups(groups: Vec<Vec<String>>) -> Vec<Vec<String>> {
    groups
        .into_iter()
        .map(|g| g.into_iter().map(|n| n.trim().to_string()).collect())
        .collect()
}

/// The list as an administrator types it: one group per line, names separated by "、" or ";"
/// (full or half width). Blank lines are skipped; each group keeps its line number (from 1) so
/// that a form can say which line is wrong. Empty names between two separators are kept, for the
/// check to name them.
pub fn parse_equivalent_lines(text: &str) -> Vec<(usize, Vec<String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let names = line
                .trim()
                .trim_end_matches(['、', ';', '；'])
                .split(['、', ';', '；'])
                .map(|n| n.trim().to_string())
                .collect();
            (i + 1, names)
        })
        .collect()
}

/// The list written back as lines, the way [`parse_equivalent_lines`] reads them.
pub fn equivalent_lines(groups: &[Vec<String>]) -> String {
    groups
        .iter()
        .map(|g| g.join("、"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One entry of a bundle's merged material list, before keys are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedMaterial {
    pub name: String,
    /// Whether it is the bundle's one application form.
    pub application_form: bool,
    /// Form, copies and sample of the first item's material it stands for.
    pub form: MaterialForm,
    pub copies: u32,
    pub sample: Option<String>,
    /// Every item material it stands for, in the items' order.
    pub stands_for: Vec<MaterialUse>,
}

/// The merged material list of a bundle (pure rule): `materials` are the demanded materials of
/// the members in their order, each with its item code. Materials with the same name or
/// equivalent names are one entry; every item's application form is one form, named after the
/// bundle (一表申请); catch-all clauses are dropped, never asked. Every other material is in
/// exactly one entry.
pub fn merge_materials(
    bundle_name: &str,
    materials: &[(&str, &Material)],
    equivalence: &Equivalence,
) -> Vec<MergedMaterial> {
    let mut merged: Vec<MergedMaterial> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let form_name = format!("{}联办申请表", bundle_name.trim());
    for (item_code, material) in materials {
        let class = classify(material);
        let name = match class {
            MaterialClass::CatchAll => continue,
            MaterialClass::ApplicationForm => form_name.clone(),
            MaterialClass::Ordinary => equivalence.canonical(&material.name).to_string(),
        };
        let index = *by_name.entry(name.clone()).or_insert_with(|| {
            merged.push(MergedMaterial {
                name,
                application_form: class == MaterialClass::ApplicationForm,
                form: material.form,
                copies: material.copies,
                sample: material.sample.clone(),
                stands_for: Vec::new(),
            });
            merged.len() - 1
        });
        merged[index].stands_for.push(MaterialUse {
            item_code: (*item_code).to_string(),
            material_key: material.key.clone(),
            name: material.name.trim().to_string(),
        });
    }
    merged
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

    /// The plan over the published `items` (which must hold every member), with no names
    /// made equivalent beyond equal names.
    pub fn resolve(
        &self,
        version: u32,
        items: &[PublishedItem],
    ) -> Result<BundlePlan, Vec<FieldError>> {
        self.resolve_with(version, items, &Equivalence::default())
    }

    /// The plan over the published `items`, materials merged by the catalogue's list of
    /// equivalent materials.
    pub fn resolve_with(
        &self,
        version: u32,
        items: &[PublishedItem],
        equivalence: &Equivalence,
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

        // Materials are the same document when they have the same name or names the
        // administrator made equivalent; one application form; no catch-all clause.
        let mut figures = BundleFigures {
            materials_before: 0,
            materials_after: 0,
            departments_before: 0,
            departments_after: 1,
            visits_before: 0,
            visits_after: 1,
        };
        let mut departments = BTreeSet::new();
        let mut asked: Vec<(&str, &Material)> = Vec::new();
        for member in &order {
            let item = by_code[member.item_code.as_str()];
            departments.insert(item.item.department.as_str());
            figures.visits_before += item.item.visits_required.max(1);
            for material in item.item.demanded_materials() {
                figures.materials_before += 1;
                asked.push((item.item.code.as_str(), material));
            }
        }
        let merged = merge_materials(&self.name, &asked, equivalence);
        let materials: Vec<BundleMaterial> = merged
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                // A licence an earlier member issues is passed on inside the bundle.
                let produced_by = if m.application_form {
                    None
                } else {
                    m.stands_for.iter().find_map(|u| {
                        ancestors[u.item_code.as_str()]
                            .iter()
                            .find(|a| {
                                by_code[**a]
                                    .item
                                    .result_licence_type
                                    .as_deref()
                                    .is_some_and(|t| {
                                        !t.is_empty() && (u.name.contains(t) || m.name.contains(t))
                                    })
                            })
                            .map(|a| (*a).to_string())
                    })
                };
                BundleMaterial {
                    key: format!("B{:02}", i + 1),
                    name: m.name,
                    form: m.form,
                    copies: m.copies,
                    sample: m.sample,
                    needed_by: m.stands_for,
                    produced_by,
                }
            })
            .collect();
        let key_of: BTreeMap<(&str, &str), String> = materials
            .iter()
            .flat_map(|m| {
                m.needed_by.iter().map(move |u| {
                    (
                        (u.item_code.as_str(), u.material_key.as_str()),
                        m.key.clone(),
                    )
                })
            })
            .collect();
        let tasks: Vec<(&&BundleMember, &PublishedItem, Vec<String>)> = order
            .iter()
            .map(|member| {
                let item = by_code[member.item_code.as_str()];
                let mut keys: Vec<String> = Vec::new();
                for material in item.item.demanded_materials() {
                    if let Some(k) = key_of.get(&(item.item.code.as_str(), material.key.as_str()))
                        && !keys.contains(k)
                    {
                        keys.push(k.clone());
                    }
                }
                (member, item, keys)
            })
            .collect();
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
                // 受理 → 审查 → 决定 inside a joint case too: a department's approver decides on
                // at least one reviewer's signed opinion (会签), unless the county lets the member
                // item be decided on the spot.
                countersign: member
                    .countersign
                    .max(u32::from(!item.item.decision_without_proposal)),
                result_licence_type: item.item.result_licence_type.clone(),
                materials: keys,
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
            licence_type: None,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
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
    fn every_task_is_decided_on_a_review_opinion_unless_its_item_is_decided_on_the_spot() {
        let (bundle, mut items) = restaurant();
        let plan = bundle.resolve(3, &items).expect("a sound bundle");
        let signs: Vec<u32> = plan.tasks.iter().map(|t| t.countersign).collect();
        // At least one reviewer's opinion; a member asking two keeps two.
        assert_eq!(signs, vec![1, 1, 2]);
        items[0].item.run_mode = crate::catalogue::RunMode::Immediate;
        items[0].item.promised_days = 0;
        items[0].item.decision_without_proposal = true;
        let plan = bundle.resolve(3, &items).expect("a sound bundle");
        assert_eq!(plan.tasks[0].countersign, 0, "decided on the spot");
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
        // The three members' application forms are the bundle's one form (一表申请).
        assert_eq!(
            names,
            vec![
                ("开办餐饮店联办申请表", true),
                ("身份证明", true),
                ("营业执照", false),
                ("场所平面图", true),
            ]
        );
        let licence = &plan.materials[2];
        assert_eq!(licence.produced_by.as_deref(), Some("SC-REG"));
        assert_eq!(licence.needed_by.len(), 2);
        assert_eq!(plan.materials[0].needed_by.len(), 3);
        assert_eq!(
            plan.figures,
            BundleFigures {
                materials_before: 9,
                materials_after: 3,
                departments_before: 2,
                departments_after: 1,
                visits_before: 6,
                visits_after: 1,
            }
        );
        assert_eq!(plan.limit_days, JOINT_LIMIT_DAYS);
        assert_eq!(plan.tasks[2].materials, vec!["B01", "B03", "B04", "B02"]);
        assert_eq!(plan.version, 3);
    }

    #[test]
    fn equivalent_names_are_one_material_and_catch_all_clauses_are_never_asked() {
        let (bundle, mut items) = restaurant();
        items[1].item.materials[2].name = "经营场所平面布局图".into();
        items[2]
            .item
            .materials
            .push(material("M05", "法律、法规、规章规定的其他材料"));
        items[2]
            .item
            .materials
            .push(material("M06", "其他相关材料"));
        let plain = bundle.resolve(1, &items).expect("sound");
        assert!(
            plain
                .materials
                .iter()
                .any(|m| m.name == "经营场所平面布局图")
        );
        assert!(plain.materials.iter().any(|m| m.name == "场所平面图"));
        assert!(!plain.materials.iter().any(|m| m.name.contains("其他")));
        let equivalence = Equivalence::new(&[vec![
            "场所平面图".to_string(),
            "经营场所平面布局图".to_string(),
        ]]);
        let plan = bundle.resolve_with(1, &items, &equivalence).expect("sound");
        let plans: Vec<&BundleMaterial> = plan
            .materials
            .iter()
            .filter(|m| m.name.contains("平面"))
            .collect();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].name, "场所平面图");
        let stands_for: Vec<(&str, &str)> = plans[0]
            .needed_by
            .iter()
            .map(|u| (u.item_code.as_str(), u.name.as_str()))
            .collect();
        assert_eq!(
            stands_for,
            vec![
                ("SC-FOOD", "经营场所平面布局图"),
                ("XF-CHECK", "场所平面图")
            ]
        );
        assert!(!plan.materials.iter().any(|m| m.name.contains("其他")));
        // XF-CHECK reads the one plan, not a catch-all.
        assert_eq!(plan.tasks[2].materials.len(), 4);
    }

    #[test]
    fn groups_that_share_a_name_are_one_group_named_by_the_first() {
        let e = Equivalence::new(&[
            vec!["A".into(), "B".into()],
            vec!["C".into(), "D".into()],
            vec!["D".into(), "B".into()],
        ]);
        for n in ["A", "B", "C", "D"] {
            assert_eq!(e.canonical(n), "A");
        }
        assert_eq!(e.canonical(" E "), "E");
        assert!(!e.same("A", "E"));
    }

    #[test]
    fn a_list_of_equivalent_materials_is_checked_name_by_name() {
        let groups = vec![
            vec![
                "营业执照".to_string(),
                " 营业执照或者其他主体资格证明文件 ".to_string(),
            ],
            vec!["场所平面图".to_string()],
            vec!["A".to_string(), "".to_string(), "A".to_string()],
            vec!["x".repeat(201), "B\u{0}".to_string(), "C".to_string()],
        ];
        let fields: Vec<(String, String)> = check_equivalent_groups(&groups)
            .into_iter()
            .map(|e| (e.field, e.reason))
            .collect();
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "groups[1]",
                "groups[2][1]",
                "groups[2][2]",
                "groups[3][0]",
                "groups[3][1]",
            ]
        );
        assert!(fields[0].1.contains("at least two"));
        assert!(fields[3].1.starts_with("at most 200 characters"));
        assert!(fields[4].1.contains("control characters"));
        assert!(check_equivalent_groups(&groups[..1]).is_empty());
        assert_eq!(
            normalise_equivalent_groups(groups[..1].to_vec())[0][1],
            "营业执照或者其他主体资格证明文件"
        );
    }

    #[test]
    fn the_typed_list_is_one_group_per_line_and_reads_back_the_same() {
        let parsed = parse_equivalent_lines(
            "营业执照、营业执照或者其他主体资格证明文件\n\n 场所平面图；经营场所平面布局图;场所平面布置图、\n",
        );
        assert_eq!(
            parsed,
            vec![
                (
                    1,
                    vec![
                        "营业执照".to_string(),
                        "营业执照或者其他主体资格证明文件".to_string()
                    ]
                ),
                (
                    3,
                    vec![
                        "场所平面图".to_string(),
                        "经营场所平面布局图".to_string(),
                        "场所平面布置图".to_string()
                    ]
                ),
            ]
        );
        let groups: Vec<Vec<String>> = parsed.into_iter().map(|(_, g)| g).collect();
        let again: Vec<Vec<String>> = parse_equivalent_lines(&equivalent_lines(&groups))
            .into_iter()
            .map(|(_, g)| g)
            .collect();
        assert_eq!(again, groups);
        assert_eq!(parse_equivalent_lines("A、、B")[0].1, vec!["A", "", "B"]);
    }

    mod merge {
        use super::*;
        use proptest::prelude::*;

        const NAMES: [&str; 8] = [
            "营业执照",
            "营业执照或者其他主体资格证明文件",
            "经营场所平面布局图",
            "场所平面布置图",
            "身份证明",
            "卫生许可申请表",
            "消防检查申请书",
            "其他相关材料",
        ];

        proptest! {
            #[test]
            fn no_material_is_lost_and_no_two_entries_are_the_same_document(
                asked in proptest::collection::vec((0usize..4, 0usize..NAMES.len(), any::<bool>()), 0..24),
                groups in proptest::collection::vec(proptest::collection::vec(0usize..NAMES.len(), 0..4), 0..4),
            ) {
                let materials: Vec<(String, Material)> = asked
                    .iter()
                    .enumerate()
                    .map(|(i, (item, name, catch_all))| {
                        let mut m = material(&format!("M{i:02}"), NAMES[*name]);
                        if *catch_all && *name == 0 {
                            m.category = MaterialCategory::CatchAll;
                        }
                        (format!("I{item}"), m)
                    })
                    .collect();
                let refs: Vec<(&str, &Material)> =
                    materials.iter().map(|(c, m)| (c.as_str(), m)).collect();
                let groups: Vec<Vec<String>> = groups
                    .iter()
                    .map(|g| g.iter().map(|i| NAMES[*i].to_string()).collect())
                    .collect();
                let equivalence = Equivalence::new(&groups);
                let merged = merge_materials("开办民宿", &refs, &equivalence);
                // Every material but a catch-all is in exactly one entry; no catch-all is.
                for (code, m) in &refs {
                    let count = merged
                        .iter()
                        .flat_map(|e| &e.stands_for)
                        .filter(|u| u.item_code == *code && u.material_key == m.key)
                        .count();
                    prop_assert_eq!(count, usize::from(!is_catch_all(m)));
                }
                // No two entries are the same document, and one application form at most.
                for (i, a) in merged.iter().enumerate() {
                    prop_assert!(!a.stands_for.is_empty());
                    for b in &merged[i + 1..] {
                        prop_assert!(!equivalence.same(&a.name, &b.name));
                        prop_assert!(!(a.application_form && b.application_form));
                    }
                    for u in &a.stands_for {
                        prop_assert_eq!(
                            is_application_form(&u.name),
                            a.application_form,
                        );
                        if !a.application_form {
                            prop_assert!(equivalence.same(&u.name, &a.name));
                        }
                    }
                }
            }
        }
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
