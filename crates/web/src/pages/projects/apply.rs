//! What the apply pages ask of a project: the results it already holds.

use super::*;

/// A material of an application the project's earlier approval issued: not asked again.
#[derive(Debug, Clone)]
pub struct ReusedPreview {
    pub material_key: String,
    pub text: String,
}

/// What the apply page shows of the project an application is filed under.
#[derive(Debug, Clone)]
pub struct ProjectForApply {
    pub code: String,
    pub owner_identity: String,
    pub owner_name: String,
    pub href: String,
    /// "Filed under the investment project …".
    pub label: String,
    pub reused: Vec<ReusedPreview>,
}

/// The project `code` as `session` may see it, and the materials of `item_code` the results of
/// its earlier approvals provide (the service decides again when the case is filed).
pub async fn project_for_apply(
    service: &Service,
    t: &Messages,
    session: &Authenticated,
    code: &str,
    item_code: &str,
) -> Result<ProjectForApply, AppError> {
    let view = service.project(&session.actor, code).await?;
    let project = &view.project;
    // A bundle (the joint completion acceptance) takes no earlier result as a material.
    let item = match service.item(item_code).await {
        Ok(item) => Some(item),
        Err(AppError::NotFound { .. }) if service.bundle(item_code).await.is_ok() => None,
        Err(e) => return Err(e),
    };
    let mut reused: Vec<ReusedPreview> = Vec::new();
    for (key, progress) in &project.progress {
        let StepProgress::Done { document, .. } = progress else {
            continue;
        };
        let Some(step) = project.step(key) else {
            continue;
        };
        let Some((_, done_code)) = view.items.iter().find(|(k, _)| k == key) else {
            continue;
        };
        let Ok(done_item) = service.item(done_code).await else {
            continue;
        };
        let Some(licence) = done_item.item.result_licence_type.filter(|l| !l.is_empty()) else {
            continue;
        };
        let Some(item) = &item else {
            continue;
        };
        for m in item.item.demanded_materials() {
            if m.name.contains(&licence) && !reused.iter().any(|r| r.material_key == m.key) {
                reused.push(ReusedPreview {
                    material_key: m.key.clone(),
                    text: t.fill(
                        "projects-reused",
                        &[
                            ("material", &m.name),
                            ("item", &step.item_name),
                            ("document", document),
                        ],
                    ),
                });
            }
        }
    }
    Ok(ProjectForApply {
        code: project.code.to_string(),
        owner_identity: project.owner_identity.clone(),
        owner_name: project.owner_name.clone(),
        href: project_href(project.code.as_str()),
        label: t.fill(
            "projects-apply-project",
            &[("name", &project.name), ("code", project.code.as_str())],
        ),
        reused,
    })
}
