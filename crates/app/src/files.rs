//! Files handed in with a case (材料附件): uploaded with an online application or a supplement,
//! checked (size, and type from the bytes themselves), kept in the file store, described by a
//! row written in the same transaction as the case change they belong to, and read back only by
//! those who may read the case (each reading is audited: materials are personal data).

use std::sync::Arc;

use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use onewindow_domain::access::{self, CaseOperation};
use onewindow_domain::audit::Outcome;
use onewindow_domain::case::CaseCommand;
use onewindow_domain::validation::FieldError;
use onewindow_store::cases as case_rows;
use onewindow_store::catalogue as catalogue_rows;
use onewindow_store::files as file_rows;
pub use onewindow_store::files::CaseFile;
use sha2::{Digest, Sha256};

use crate::actor::Actor;
use crate::case_policy::facts;
use crate::error::AppError;
use crate::service::{Service, SubmitCase, Submitted};

/// The largest file accepted: a scanned multi-page document, not a video.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most files in one application or supplement.
pub const MAX_FILES: usize = 30;

/// A file as it arrives from a form.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The key of the item's material it is (`M01`).
    pub material_key: String,
    /// The name on the uploader's machine; shown, never used as a path.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The type of a file, from its first bytes: PDF, JPEG or PNG. Anything else is refused, whatever
/// its name or the type the browser claims.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A file name safe to show and to send back in `Content-Disposition`: no path, no control
/// characters, at most 120 characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_string()
    } else {
        cleaned.trim().to_string()
    }
}

/// Checks every upload against the item's material keys and the limits, naming the field
/// (`files[i]`) of each problem.
pub(crate) fn check_uploads(uploads: &[Upload], material_keys: &[String]) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if uploads.len() > MAX_FILES {
        errors.push(FieldError::new(
            "files",
            format!("at most {MAX_FILES} files at once"),
        ));
    }
    for (i, upload) in uploads.iter().enumerate() {
        let field = format!("files[{i}]");
        if !material_keys.iter().any(|k| k == &upload.material_key) {
            errors.push(FieldError::new(
                format!("{field}.material_key"),
                format!("the item has no material {}", upload.material_key),
            ));
        }
        if upload.bytes.is_empty() {
            errors.push(FieldError::new(&field, "the file is empty"));
        } else if upload.bytes.len() > MAX_FILE_BYTES {
            errors.push(FieldError::new(
                &field,
                format!(
                    "the file is {} KB; at most {} KB",
                    upload.bytes.len() / 1024,
                    MAX_FILE_BYTES / 1024
                ),
            ));
        } else if sniff_content_type(&upload.bytes).is_none() {
            errors.push(FieldError::new(
                &field,
                "only PDF, JPEG or PNG files are accepted",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

impl Service {
    pub(crate) fn files_or_refuse(&self) -> Result<Arc<dyn ObjectStore>, AppError> {
        self.file_store()
            .cloned()
            .ok_or_else(|| AppError::Internal("no file store is configured for uploads".into()))
    }

    /// Puts the uploads into the file store and describes them; the caller records the rows in
    /// its transaction, or removes the objects if that fails.
    pub(crate) async fn put_uploads(
        &self,
        actor: &Actor,
        uploads: Vec<Upload>,
    ) -> Result<Vec<CaseFile>, AppError> {
        let files = self.files_or_refuse()?;
        let now = self.now();
        let mut stored = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let id = uuid::Uuid::now_v7().to_string();
            let storage_key = format!("uploads/{}/{id}", now.format("%Y/%m/%d"));
            let sha256: String = Sha256::digest(&upload.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let content_type = sniff_content_type(&upload.bytes)
                .unwrap_or("application/octet-stream")
                .to_string();
            let size = upload.bytes.len() as u64;
            let put = files
                .put(
                    &StorePath::from(storage_key.as_str()),
                    PutPayload::from(upload.bytes),
                )
                .await;
            let record = CaseFile {
                id,
                case_id: String::new(),
                material_key: upload.material_key,
                file_name: clean_file_name(&upload.file_name),
                content_type,
                size,
                sha256,
                storage_key,
                uploaded_by: actor.username().to_string(),
                uploaded_at: now,
            };
            if let Err(e) = put {
                self.remove_objects(&stored).await;
                return Err(AppError::Internal(format!("cannot store an upload: {e}")));
            }
            stored.push(record);
        }
        Ok(stored)
    }

    /// Best effort: objects whose rows were never written are garbage, not data.
    pub(crate) async fn remove_objects(&self, files: &[CaseFile]) {
        if let Some(store) = self.file_store() {
            for file in files {
                if let Err(e) = store
                    .delete(&StorePath::from(file.storage_key.as_str()))
                    .await
                {
                    tracing::warn!(error = %e, key = %file.storage_key, "cannot remove an orphaned upload");
                }
            }
        }
    }

    /// Files an application (for an item or a bundle) with its uploaded materials, in one
    /// transaction: the materials the uploads are become the materials handed in.
    pub async fn submit_case_with_files(
        &self,
        actor: &Actor,
        request: SubmitCase,
        idempotency_key: Option<String>,
        uploads: Vec<Upload>,
    ) -> Result<Submitted, AppError> {
        self.submit_with_uploads(actor, request, idempotency_key, uploads, None)
            .await
    }

    /// Files an application for an item under an investment project's code with its uploaded
    /// materials, in one transaction (see [`Service::submit_case_in_project`]).
    pub async fn submit_case_in_project_with_files(
        &self,
        actor: &Actor,
        request: SubmitCase,
        project_code: &str,
        idempotency_key: Option<String>,
        uploads: Vec<Upload>,
    ) -> Result<Submitted, AppError> {
        self.submit_with_uploads(
            actor,
            request,
            idempotency_key,
            uploads,
            Some(project_code.trim().to_string()),
        )
        .await
    }

    async fn submit_with_uploads(
        &self,
        actor: &Actor,
        mut request: SubmitCase,
        idempotency_key: Option<String>,
        uploads: Vec<Upload>,
        project_code: Option<String>,
    ) -> Result<Submitted, AppError> {
        // An item's materials, or a bundle's one form.
        let keys: Vec<String> =
            match catalogue_rows::get_item(self.store().readers(), &request.item_code).await? {
                Some(item) => item
                    .item
                    .demanded_materials()
                    .map(|m| m.key.clone())
                    .collect(),
                None => match self.bundle(&request.item_code).await {
                    Ok(view) => view
                        .plan
                        .demanded_materials()
                        .map(|m| m.key.clone())
                        .collect(),
                    Err(AppError::NotFound { .. }) => {
                        return Err(AppError::invalid(
                            "item_code",
                            format!("no item or bundle with code {}", request.item_code),
                        ));
                    }
                    Err(e) => return Err(e),
                },
            };
        check_uploads(&uploads, &keys)?;
        for upload in &uploads {
            if !request.materials.contains(&upload.material_key) {
                request.materials.push(upload.material_key.clone());
            }
        }
        let stored = self.put_uploads(actor, uploads).await?;
        let result = self
            .submit_case_with(
                actor,
                request,
                idempotency_key,
                stored.clone(),
                project_code,
            )
            .await;
        if result.is_err() || result.as_ref().is_ok_and(|s| s.replayed) {
            self.remove_objects(&stored).await;
        }
        result
    }

    /// Hands in missing materials as files: the supplement (补正) answering a one-time notice or a
    /// department's request, in one transaction with its files.
    pub async fn supplement_with_files(
        &self,
        actor: &Actor,
        case_ref: &str,
        expected_version: u64,
        uploads: Vec<Upload>,
    ) -> Result<onewindow_domain::case::Case, AppError> {
        let case = case_rows::load(self.store().readers(), case_ref)
            .await?
            .filter(|c| {
                access::decide_case(&actor.principal, CaseOperation::Read, &facts(c)).is_allowed()
            })
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        if uploads.is_empty() {
            return Err(AppError::invalid("files", "choose at least one file"));
        }
        check_uploads(&uploads, &case.required_materials)?;
        let mut materials: Vec<String> = uploads.iter().map(|u| u.material_key.clone()).collect();
        materials.sort();
        materials.dedup();
        let stored = self.put_uploads(actor, uploads).await?;
        let result = self
            .execute_inner(
                actor,
                &case.id,
                expected_version,
                CaseCommand::ProvideSupplement { materials },
                stored.clone(),
            )
            .await;
        if result.is_err() {
            self.remove_objects(&stored).await;
        }
        result
    }

    /// The files of a case the actor may read.
    pub async fn case_files(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<Vec<CaseFile>, AppError> {
        let case = case_rows::load(self.store().readers(), case_ref)
            .await?
            .filter(|c| {
                access::decide_case(&actor.principal, CaseOperation::Read, &facts(c)).is_allowed()
            })
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        Ok(file_rows::of_case(self.store().readers(), &case.id).await?)
    }

    /// One file's description and bytes, for someone who may read its case. Audited.
    pub async fn open_case_file(
        &self,
        actor: &Actor,
        file_id: &str,
    ) -> Result<(CaseFile, Vec<u8>), AppError> {
        let readers = self.store().readers();
        let not_found = || AppError::not_found(format!("file {file_id}"));
        let file = file_rows::get(readers, file_id)
            .await?
            .ok_or_else(not_found)?;
        let case = case_rows::load(readers, &file.case_id)
            .await?
            .ok_or_else(not_found)?;
        if !access::decide_case(&actor.principal, CaseOperation::Read, &facts(&case)).is_allowed() {
            return Err(not_found());
        }
        let store = self.files_or_refuse()?;
        let bytes = store
            .get(&StorePath::from(file.storage_key.as_str()))
            .await
            .map_err(|e| match e {
                // Its row is there but the object is not (deleted in the bucket or the
                // directory, a restore without the files): the reader gets what a missing file
                // is, the operators an error in the log, on disk and on S3 alike.
                object_store::Error::NotFound { .. } => {
                    tracing::error!(file = %file_id, key = %file.storage_key, error = %e, "a file's object is missing from the file store");
                    AppError::not_found(format!("the stored content of file {file_id}"))
                }
                e => AppError::Internal(format!("cannot read file {file_id}: {e}")),
            })?
            .bytes()
            .await
            .map_err(|e| AppError::Internal(format!("cannot read file {file_id}: {e}")))?
            .to_vec();
        self.audit_alone(actor.entry(
            self.now(),
            "case.file_read",
            format!("case:{}", case.number),
            Outcome::Success,
            format!("{} {}", file.material_key, file.id),
        ))
        .await?;
        Ok((file, bytes))
    }
}

/// A local directory as the file store (the embedded default): `DATA/files`.
pub fn local_file_store(dir: &std::path::Path) -> Result<Arc<dyn ObjectStore>, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        AppError::Internal(format!(
            "cannot create the file directory {}: {e}",
            dir.display()
        ))
    })?;
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(|e| {
        AppError::Internal(format!(
            "cannot open the file directory {}: {e}",
            dir.display()
        ))
    })?;
    Ok(Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n..."),
            Some("application/pdf")
        );
        assert_eq!(
            sniff_content_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff_content_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(
            sniff_content_type(b"MZ\x90\x00 an exe named scan.pdf"),
            None
        );
        assert_eq!(sniff_content_type(b""), None);
    }

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(clean_file_name("C:\\Users\\lin\\身份证.jpg"), "身份证.jpg");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b\n.pdf"), "ab.pdf");
        assert_eq!(clean_file_name("   "), "file");
    }

    #[test]
    fn uploads_are_checked_and_every_problem_named() {
        let keys = vec!["M01".to_string()];
        let ok = Upload {
            material_key: "M01".into(),
            file_name: "a.pdf".into(),
            bytes: b"%PDF-1.4".to_vec(),
        };
        assert!(check_uploads(std::slice::from_ref(&ok), &keys).is_ok());
        let wrong_key = Upload {
            material_key: "M09".into(),
            ..ok.clone()
        };
        let not_a_document = Upload {
            bytes: b"hello".to_vec(),
            ..ok.clone()
        };
        let too_big = Upload {
            bytes: {
                let mut b = b"%PDF-".to_vec();
                b.resize(MAX_FILE_BYTES + 1, 0);
                b
            },
            ..ok
        };
        let Err(AppError::Invalid(errors)) =
            check_uploads(&[wrong_key, not_a_document, too_big], &keys)
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["files[0].material_key", "files[1]", "files[2]"]);
    }
}
