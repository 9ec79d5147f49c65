//! The materials of a case: demanded, handed in, reused, uploaded.

use super::*;

/// A file handed in for a material, as a link.
#[derive(Debug, Clone)]
pub struct FileLink {
    pub href: String,
    pub name: String,
    pub size: String,
    pub is_image: bool,
    pub is_pdf: bool,
}

/// One material of a case: what the item asks, whether the case has it, its files.
#[derive(Debug, Clone)]
pub struct MaterialRow {
    pub key: String,
    pub name: String,
    /// "原件 1 份".
    pub form: String,
    /// The case cannot be accepted without it.
    pub required: bool,
    pub provided: bool,
    pub files: Vec<FileLink>,
    /// A joint case's material issued inside the bundle: by which member ("issued inside …").
    pub note: Option<String>,
    /// A material taken from the applicant's licence (已调取): the public check of its state now.
    pub verify_href: Option<String>,
    /// How far it may be missing at acceptance, when not essential: "容缺", "可承诺", "免交".
    pub tag: Option<&'static str>,
}

impl MaterialRow {
    pub fn missing(&self) -> bool {
        self.required && !self.provided
    }
}

/// The materials of a case: every material of its item (cancelled ones left out), plus any key
/// the case demands that the current item version no longer lists. `file_route` is the path the
/// files are read at (`/window/files`).
pub fn material_rows(
    t: &Messages,
    case: &Case,
    item: Option<&PublishedItem>,
    files: &[CaseFile],
    file_route: &str,
) -> Vec<MaterialRow> {
    let taken = |key: &str| case.taken_licences.iter().find(|l| l.key == key);
    let links = |key: &str| -> Vec<FileLink> {
        files
            .iter()
            .filter(|f| f.material_key == key)
            .map(|f| FileLink {
                href: format!("{file_route}/{}", f.id),
                name: f.file_name.clone(),
                size: file_size(f.size),
                is_image: f.content_type.starts_with("image/"),
                is_pdf: f.content_type == "application/pdf",
            })
            .collect()
    };
    // A joint case has the bundle's one form: each material once, whoever needs it.
    if let Some(circulation) = &case.circulation {
        return circulation
            .materials
            .iter()
            .map(|m| MaterialRow {
                key: m.key.clone(),
                name: m.name.clone(),
                form: t.fill(
                    "window-material-form",
                    &[
                        ("form", t.get(material_form_key(m.form))),
                        ("n", &m.copies.to_string()),
                    ],
                ),
                required: case.required_materials.contains(&m.key),
                provided: case.provided_materials.contains(&m.key),
                files: links(&m.key),
                verify_href: None,
                tag: None,
                note: m.produced_by.as_ref().map(|code| {
                    let name = circulation
                        .task(code)
                        .map_or_else(|| code.clone(), |t| t.spec.item_name.clone());
                    t.fill1("common-bundle-produced-by", "item", name)
                }),
            })
            .collect();
    }
    let mut rows: Vec<MaterialRow> = item
        .map(|i| {
            i.item
                .materials
                .iter()
                .filter(|m| m.cancelled.is_none() || case.required_materials.contains(&m.key))
                .map(|m| MaterialRow {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    form: t.fill(
                        "window-material-form",
                        &[
                            ("form", t.get(material_form_key(m.form))),
                            ("n", &m.copies.to_string()),
                        ],
                    ),
                    // A signed commitment stands in for it (告知承诺).
                    required: case.required_materials.contains(&m.key)
                        && !case.commitments.iter().any(|c| c.key == m.key),
                    provided: case.provided_materials.contains(&m.key),
                    files: links(&m.key),
                    tag: necessity_tag(m.necessity),
                    // Signed for, promised, taken from an earlier approval of the case's
                    // investment project, or from the applicant's licence as it stood at filing.
                    note: tolerance_note(t, case, &m.key).or_else(|| {
                        case.reused_materials
                            .iter()
                            .find(|r| r.key == m.key)
                            .map(|r| {
                                t.fill(
                                    "window-material-reused",
                                    &[("item", &r.issued_by), ("document", &r.document)],
                                )
                            })
                            .or_else(|| taken(&m.key).map(|l| taken_licence_text(t, l)))
                    }),
                    verify_href: taken(&m.key).map(|l| verify_href(&l.licence_id)),
                })
                .collect()
        })
        .unwrap_or_default();
    for key in &case.required_materials {
        if !rows.iter().any(|r| &r.key == key) {
            rows.push(MaterialRow {
                key: key.clone(),
                name: key.clone(),
                form: String::new(),
                required: true,
                provided: case.provided_materials.contains(key),
                files: links(key),
                tag: None,
                note: taken(key).map(|l| taken_licence_text(t, l)),
                verify_href: taken(key).map(|l| verify_href(&l.licence_id)),
            });
        }
    }
    rows
}

/// The tag of a material that is not essential.
fn necessity_tag(necessity: onewindow_domain::catalogue::Necessity) -> Option<&'static str> {
    use onewindow_domain::catalogue::Necessity;
    match necessity {
        Necessity::Essential => None,
        Necessity::Tolerable => Some("tolerance-tag-tolerable"),
        Necessity::Committable => Some("tolerance-tag-committable"),
        Necessity::Exempt => Some("tolerance-tag-exempt"),
    }
}

/// What a commitment or a promise says about a material not (yet) handed in.
fn tolerance_note(t: &Messages, case: &Case, key: &str) -> Option<String> {
    if let Some(c) = case.commitments.iter().find(|c| c.key == key) {
        return Some(t.fill1("tolerance-material-committed", "date", t.date(&c.signed_on)));
    }
    let p = case.promises.iter().find(|p| p.key == key)?;
    if p.kept_on.is_some() {
        return None;
    }
    Some(match p.broken_on {
        Some(on) => t.fill(
            "tolerance-material-broken",
            &[("by", &t.date(&p.due_on)), ("on", &t.date(&on))],
        ),
        None => t.fill1("tolerance-material-promised", "by", t.date(&p.due_on)),
    })
}

/// "已调取电子证照 …": the licence a material was taken from and its state at filing.
pub(crate) fn taken_licence_text(t: &Messages, l: &onewindow_domain::case::TakenLicence) -> String {
    let until = l.valid_until.map_or_else(
        || t.get("window-material-taken-no-limit").to_string(),
        |d| t.fill1("window-material-taken-until", "date", t.date(&d)),
    );
    t.fill(
        "window-material-taken",
        &[
            ("type", &l.licence_type),
            ("number", &l.number),
            ("issuer", &l.issuer_name),
            (
                "state",
                t.get(&format!("licences-state-{}", l.state_at_filing)),
            ),
            ("until", &until),
        ],
    )
}

pub(crate) fn verify_href(licence_id: &str) -> String {
    format!(
        "/verify?id={}",
        crate::pages::encode_query_value(licence_id)
    )
}

pub(super) fn file_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
