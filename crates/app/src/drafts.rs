//! Applications saved before filing (暂存): an applicant (or agent) keeps the form and the files
//! uploaded so far and comes back to it; filing the draft turns its files into the case's. Drafts
//! expire after the county's number of days and are deleted with their files by a sweep.

use chrono::{Duration, NaiveDate};
use object_store::ObjectStoreExt;
use object_store::path::Path as StorePath;
use onewindow_domain::access::{Operation, Role};
use onewindow_domain::audit::Outcome;
use onewindow_store::audit as audit_rows;
use onewindow_store::catalogue as catalogue_rows;
use onewindow_store::drafts::{self as rows, DraftRow};
use onewindow_store::files::{self as file_rows, CaseFile};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::AppError;
use crate::files::{Upload, check_uploads};
use crate::service::{Service, SubmitCase, Submitted};

/// Where the county's number of days a draft is kept is stored.
const DAYS_STATE: &str = "policy:draft-days";
/// Days a draft is kept when the county has not said otherwise.
pub const DEFAULT_DRAFT_DAYS: u32 = 30;
/// The longest a county may keep drafts.
pub const MAX_DRAFT_DAYS: u32 = 365;

/// The form of an application as the applicant left it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub centre: String,
    /// Committable materials the applicant ticked to sign for (告知承诺).
    #[serde(default)]
    pub commitments: Vec<String>,
}

/// A saved application with its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub item_code: String,
    pub item_name: String,
    pub form: DraftForm,
    pub files: Vec<CaseFile>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub expires_on: NaiveDate,
}

/// What a sweep of expired drafts removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DraftSweep {
    pub drafts: usize,
    pub files: usize,
}

fn only_applicants(actor: &Actor) -> Result<(), AppError> {
    if actor.principal.has_role(Role::Applicant) || actor.principal.has_role(Role::Agent) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "drafts are the applicant's own: only applicants and agents keep them".into(),
        ))
    }
}

impl Service {
    /// Days a draft is kept from its last save.
    pub async fn draft_days(&self) -> Result<u32, AppError> {
        let stored = onewindow_store::monitor::state(self.store().readers(), DAYS_STATE).await?;
        Ok(stored
            .and_then(|s| s.parse().ok())
            .filter(|d| (1..=MAX_DRAFT_DAYS).contains(d))
            .unwrap_or(DEFAULT_DRAFT_DAYS))
    }

    /// Sets how many days a draft is kept (1–365). Administrators; audited.
    pub async fn set_draft_days(&self, actor: &Actor, days: u32) -> Result<u32, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        if !(1..=MAX_DRAFT_DAYS).contains(&days) {
            return Err(AppError::invalid(
                "draft_days",
                format!("a draft is kept 1 to {MAX_DRAFT_DAYS} days"),
            ));
        }
        let now = self.now();
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    onewindow_store::monitor::set_state(&mut *conn, DAYS_STATE, &days.to_string())
                        .await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "drafts.settings",
                            "drafts",
                            Outcome::Success,
                            format!("kept {days} days"),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(days)
                })
            })
            .await
    }

    /// Saves an application for later (暂存): a new draft, or the actor's draft `draft_id`.
    /// `uploads` replace the draft's files of their materials.
    pub async fn save_application_draft(
        &self,
        actor: &Actor,
        draft_id: Option<&str>,
        item_code: &str,
        form: DraftForm,
        uploads: Vec<Upload>,
    ) -> Result<Draft, AppError> {
        only_applicants(actor)?;
        let item = catalogue_rows::get_item(self.store().readers(), item_code)
            .await?
            .ok_or_else(|| {
                AppError::invalid("item_code", format!("no item with code {item_code}"))
            })?;
        let keys: Vec<String> = item
            .item
            .demanded_materials()
            .map(|m| m.key.clone())
            .collect();
        check_uploads(&uploads, &keys)?;
        let owner = actor.principal.user_id.clone();
        if let Some(id) = draft_id {
            match rows::get(self.store().readers(), id).await? {
                Some(d) if d.owner == owner && d.item_code == item_code => {}
                _ => return Err(AppError::not_found(format!("draft {id}"))),
            }
        }
        let days = self.draft_days().await?;
        let stored = self.put_uploads(actor, uploads).await?;
        let now = self.now();
        let today = crate::clock::local_date(now);
        let id = draft_id
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let body = serde_json::to_string(&form)
            .map_err(|e| AppError::Internal(format!("a draft's form: {e}")))?;
        let row = DraftRow {
            id: id.clone(),
            owner,
            item_code: item.item.code.clone(),
            item_name: item.item.name.clone(),
            form: body,
            created_at: now,
            updated_at: now,
            expires_on: today + Duration::days(i64::from(days)),
        };
        let actor_owned = actor.clone();
        let files = stored.clone();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    rows::upsert(&mut *conn, &row).await?;
                    let mut orphans = Vec::new();
                    for mut file in files {
                        orphans.extend(
                            rows::delete_files_of(&mut *conn, &row.id, &file.material_key).await?,
                        );
                        file.case_id = rows::files_key(&row.id);
                        file_rows::insert(&mut *conn, &file).await?;
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor_owned.entry(
                            now,
                            "draft.save",
                            format!("draft:{}", row.id),
                            Outcome::Success,
                            format!("item {}", row.item_code),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(orphans)
                })
            })
            .await;
        match result {
            Ok(orphans) => {
                self.remove_keys(&orphans).await;
                self.application_draft(actor, &id).await
            }
            Err(e) => {
                self.remove_objects(&stored).await;
                Err(e)
            }
        }
    }

    /// One of the actor's drafts with its files; another's is not found.
    pub async fn application_draft(&self, actor: &Actor, id: &str) -> Result<Draft, AppError> {
        let row = rows::get(self.store().readers(), id)
            .await?
            .filter(|d| d.owner == actor.principal.user_id && d.expires_on >= self.today())
            .ok_or_else(|| AppError::not_found(format!("draft {id}")))?;
        let files = file_rows::of_case(self.store().readers(), &rows::files_key(id)).await?;
        draft_of(row, files)
    }

    /// The actor's drafts, the latest saved first (without their files).
    pub async fn application_drafts(&self, actor: &Actor) -> Result<Vec<Draft>, AppError> {
        rows::of_owner(
            self.store().readers(),
            &actor.principal.user_id,
            self.today(),
        )
        .await?
        .into_iter()
        .map(|row| draft_of(row, Vec::new()))
        .collect()
    }

    /// Deletes one of the actor's drafts and its files.
    pub async fn delete_application_draft(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        self.application_draft(actor, id).await?;
        let id = id.to_string();
        let actor_owned = actor.clone();
        let now = self.now();
        let orphans = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let orphans = rows::delete(&mut *conn, &id).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor_owned.entry(
                            now,
                            "draft.delete",
                            format!("draft:{id}"),
                            Outcome::Success,
                            String::new(),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(orphans)
                })
            })
            .await?;
        self.remove_keys(&orphans).await;
        Ok(())
    }

    /// Files the actor's draft `draft_id` with `request` (its materials added to the draft's
    /// files) and `uploads`: the draft's files become the case's, in the filing's transaction,
    /// and the draft is gone.
    pub async fn submit_application_draft(
        &self,
        actor: &Actor,
        draft_id: &str,
        mut request: SubmitCase,
        idempotency_key: Option<String>,
        uploads: Vec<Upload>,
    ) -> Result<Submitted, AppError> {
        let draft = self.application_draft(actor, draft_id).await?;
        if draft.item_code != request.item_code {
            return Err(AppError::invalid(
                "item_code",
                "the draft was saved for another item",
            ));
        }
        // A new upload replaces the draft's file of the same material.
        let kept: Vec<CaseFile> = draft
            .files
            .into_iter()
            .filter(|f| !uploads.iter().any(|u| u.material_key == f.material_key))
            .map(|mut f| {
                f.id = uuid::Uuid::now_v7().to_string();
                f
            })
            .collect();
        for file in &kept {
            if !request.materials.contains(&file.material_key) {
                request.materials.push(file.material_key.clone());
            }
        }
        for upload in &uploads {
            if !request.materials.contains(&upload.material_key) {
                request.materials.push(upload.material_key.clone());
            }
        }
        let keys: Vec<String> = request.materials.clone();
        check_uploads(&uploads, &keys)?;
        let stored = self.put_uploads(actor, uploads).await?;
        let mut files = stored.clone();
        files.extend(kept);
        let result = self
            .submit_case_with(actor, request, idempotency_key, files, None)
            .await;
        if result.is_err() || result.as_ref().is_ok_and(|s| s.replayed) {
            self.remove_objects(&stored).await;
            return result;
        }
        // The case names the draft's bytes now: removing the draft removes only its rows.
        let id = draft_id.to_string();
        let orphans = self
            .store()
            .write(move |conn| {
                Box::pin(async move { Ok::<_, AppError>(rows::delete(&mut *conn, &id).await?) })
            })
            .await;
        match orphans {
            Ok(orphans) => self.remove_keys(&orphans).await,
            Err(e) => {
                tracing::warn!(error = %e, draft = %draft_id, "a filed draft was not removed: the sweep will")
            }
        }
        result
    }

    /// Deletes the drafts expired before today with their files. One node at a time is enough;
    /// two at once delete nothing twice.
    pub async fn sweep_application_drafts(&self) -> Result<DraftSweep, AppError> {
        let today = self.today();
        let mut sweep = DraftSweep::default();
        for row in rows::expired(self.store().readers(), today, 500).await? {
            let id = row.id.clone();
            let orphans = self
                .store()
                .write(move |conn| {
                    Box::pin(async move { Ok::<_, AppError>(rows::delete(&mut *conn, &id).await?) })
                })
                .await?;
            sweep.drafts += 1;
            sweep.files += orphans.len();
            self.remove_keys(&orphans).await;
        }
        Ok(sweep)
    }

    async fn remove_keys(&self, keys: &[String]) {
        if let Some(store) = self.file_store() {
            for key in keys {
                if let Err(e) = store.delete(&StorePath::from(key.as_str())).await {
                    tracing::warn!(error = %e, key = %key, "cannot remove a draft's file");
                }
            }
        }
    }
}

fn draft_of(row: DraftRow, files: Vec<CaseFile>) -> Result<Draft, AppError> {
    let form: DraftForm = serde_json::from_str(&row.form)
        .map_err(|e| onewindow_store::StoreError::corrupt(row.id.as_str(), e))?;
    Ok(Draft {
        id: row.id,
        item_code: row.item_code,
        item_name: row.item_name,
        form,
        files,
        updated_at: row.updated_at,
        expires_on: row.expires_on,
    })
}
