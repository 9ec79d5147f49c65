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
    // The service's rule: the project's licences and accepted reports the item asks for.
    let reused = service
        .reusable_materials(&session.actor, code, item_code)
        .await?
        .into_iter()
        .map(|r| ReusedPreview {
            text: t.fill(
                "projects-reused",
                &[
                    ("material", &r.name),
                    ("item", &r.issued_by),
                    ("document", &r.document),
                ],
            ),
            material_key: r.key,
        })
        .collect();
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
