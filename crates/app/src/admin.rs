//! Keeping the catalogue and the hall (事项管理、大厅管理): items are edited as drafts, compared
//! with their published version, and published as a new version; a cancellation of a material or
//! an intermediary service is recorded with its date and reason; centres, windows and departments
//! are kept here too. Administrators only; every change is audited.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::access::Operation;
use onewindow_domain::audit::Outcome;
use onewindow_domain::catalogue::{Cancellation, Department, Item, PublishedItem};
use onewindow_domain::catalogue_diff::{Change, diff};
use onewindow_domain::validation::FieldError;
use onewindow_store::audit as audit_rows;
use onewindow_store::catalogue::{self as catalogue_rows, Published};
use onewindow_store::hall::{self as hall_rows, Draft};
pub use onewindow_store::hall::{Centre, Window};

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;
use crate::store_cache::StoreCache;

type HallFuture<'c> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), onewindow_store::StoreError>> + Send + 'c>,
>;

/// A draft beside what is published, and what publishing it would change.
#[derive(Debug, Clone)]
pub struct DraftView {
    pub item: Item,
    pub published: Option<PublishedItem>,
    /// True when a draft is stored; false when `item` is simply the published version.
    pub is_draft: bool,
    /// The published version the draft started from.
    pub base_version: Option<u32>,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub changes: Vec<Change>,
    /// What must be fixed before it can be published.
    pub problems: Vec<FieldError>,
}

/// A line of the list of drafts.
#[derive(Debug, Clone)]
pub struct DraftSummary {
    pub code: String,
    pub name: String,
    pub base_version: Option<u32>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    pub changes: usize,
}

fn view(draft: Option<Draft>, published: Option<PublishedItem>) -> Option<DraftView> {
    let (item, is_draft, base_version, updated_by, updated_at) = match draft {
        Some(d) => (
            d.item,
            true,
            d.base_version,
            Some(d.updated_by),
            Some(d.updated_at),
        ),
        None => {
            let p = published.as_ref()?;
            (p.item.clone(), false, Some(p.version), None, None)
        }
    };
    let changes = diff(published.as_ref().map(|p| &p.item), &item);
    let problems = item.validate();
    Some(DraftView {
        item,
        published,
        is_draft,
        base_version,
        updated_by,
        updated_at,
        changes,
        problems,
    })
}

fn check_cancellation(reason: &str, field: &str) -> Result<(), AppError> {
    if reason.trim().chars().count() < 2 {
        return Err(AppError::invalid(
            field,
            "say why it is cancelled (the reason is published with the figures)",
        ));
    }
    Ok(())
}

/// The centre directories read, by store; see [`Service::centre_directory`].
fn centre_directories() -> &'static StoreCache<Vec<Centre>> {
    static CACHE: OnceLock<StoreCache<Vec<Centre>>> = OnceLock::new();
    CACHE.get_or_init(|| StoreCache::new(Duration::from_secs(60)))
}

impl Service {
    /// Every stored draft, newest first.
    pub async fn drafts(&self, actor: &Actor) -> Result<Vec<DraftSummary>, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let readers = self.store().readers();
        let mut out = Vec::new();
        for d in hall_rows::list_drafts(readers).await? {
            let published = catalogue_rows::get_item(readers, &d.item.code).await?;
            out.push(DraftSummary {
                code: d.item.code.clone(),
                name: d.item.name.clone(),
                base_version: d.base_version,
                changes: diff(published.as_ref().map(|p| &p.item), &d.item).len(),
                updated_by: d.updated_by,
                updated_at: d.updated_at,
            });
        }
        Ok(out)
    }

    /// The draft of an item, or its published version when nobody is editing it.
    pub async fn draft(&self, actor: &Actor, code: &str) -> Result<DraftView, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let readers = self.store().readers();
        let draft = hall_rows::get_draft(readers, code).await?;
        let published = catalogue_rows::get_item(readers, code).await?;
        view(draft, published).ok_or_else(|| AppError::not_found(format!("item {code}")))
    }

    /// Stores `item` as the draft of its code (a new code starts a new item). A draft may be
    /// incomplete; the rules are enforced when it is published.
    pub async fn save_draft(&self, actor: &Actor, item: Item) -> Result<DraftView, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let actor_for_view = actor;
        if item.code.trim().is_empty() {
            return Err(AppError::invalid("code", "an item needs a code"));
        }
        let actor = actor.clone();
        let now = self.now();
        let code = item.code.clone();
        let target = format!("item:{code}");
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let published = catalogue_rows::get_item(&mut *conn, &item.code).await?;
                    let existing = hall_rows::get_draft(&mut *conn, &item.code).await?;
                    let base_version = match &existing {
                        Some(d) => d.base_version,
                        None => published.as_ref().map(|p| p.version),
                    };
                    let changes = diff(published.as_ref().map(|p| &p.item), &item).len();
                    hall_rows::save_draft(
                        &mut *conn,
                        &Draft {
                            item,
                            base_version,
                            updated_by: actor.username().to_string(),
                            updated_at: now,
                        },
                    )
                    .await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "catalogue.draft",
                            target,
                            Outcome::Success,
                            format!("{changes} changes against the published version"),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.draft(actor_for_view, &code).await
    }

    /// Throws a draft away; the published version stays as it is.
    pub async fn discard_draft(&self, actor: &Actor, code: &str) -> Result<(), AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let actor = actor.clone();
        let code = code.to_string();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if !hall_rows::delete_draft(&mut *conn, &code).await? {
                        return Err(AppError::not_found(format!("draft of {code}")));
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "catalogue.discard",
                            format!("item:{code}"),
                            Outcome::Success,
                            "",
                        ),
                    )
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// Publishes a draft as the item's next version. Refused while the draft breaks a rule, and
    /// when the item was published by someone else since the draft began (version conflict).
    pub async fn publish_draft(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<PublishedItem, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let actor = actor.clone();
        let code = code.to_string();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let draft = hall_rows::get_draft(&mut *conn, &code)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("draft of {code}")))?;
                    let problems = draft.item.validate();
                    if !problems.is_empty() {
                        return Err(AppError::Invalid(problems));
                    }
                    let published = catalogue_rows::get_item(&mut *conn, &code).await?;
                    let current = published.as_ref().map(|p| p.version);
                    if current != draft.base_version {
                        return Err(AppError::VersionConflict {
                            expected: u64::from(draft.base_version.unwrap_or(0)),
                            current: u64::from(current.unwrap_or(0)),
                        });
                    }
                    let known = catalogue_rows::list_departments(&mut *conn).await?;
                    if !known.iter().any(|d| d.code == draft.item.department) {
                        return Err(AppError::invalid(
                            "department",
                            format!("no department with code {}", draft.item.department),
                        ));
                    }
                    let changes = diff(published.as_ref().map(|p| &p.item), &draft.item);
                    let version = match catalogue_rows::publish_item(
                        &mut *conn,
                        &draft.item,
                        &now.to_rfc3339(),
                    )
                    .await?
                    {
                        Published::NewVersion(v) | Published::Unchanged(v) => v,
                    };
                    hall_rows::delete_draft(&mut *conn, &code).await?;
                    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
                    let mut detail = format!("version {version}: {}", fields.join(", "));
                    if detail.chars().count() > 500 {
                        detail = detail.chars().take(497).collect::<String>() + "...";
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "catalogue.publish",
                            format!("item:{code}"),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    Ok(PublishedItem {
                        version,
                        item: draft.item,
                    })
                })
            })
            .await
    }

    /// Records in the draft that a material is no longer asked for (取消申请材料), with its date
    /// and reason; it takes effect when the draft is published.
    pub async fn cancel_material(
        &self,
        actor: &Actor,
        code: &str,
        material_key: &str,
        date: NaiveDate,
        reason: &str,
    ) -> Result<DraftView, AppError> {
        check_cancellation(reason, "reason")?;
        let mut item = self.draft(actor, code).await?.item;
        let material = item
            .materials
            .iter_mut()
            .find(|m| m.key == material_key)
            .ok_or_else(|| {
                AppError::invalid(
                    "material",
                    format!("the item has no material {material_key}"),
                )
            })?;
        material.cancelled = Some(Cancellation {
            date,
            reason: reason.trim().to_string(),
        });
        self.save_draft(actor, item).await
    }

    /// Records in the draft that an intermediary service is no longer required (取消前置中介).
    pub async fn cancel_intermediary(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        date: NaiveDate,
        reason: &str,
    ) -> Result<DraftView, AppError> {
        check_cancellation(reason, "reason")?;
        let mut item = self.draft(actor, code).await?.item;
        let service = item
            .intermediary_services
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                AppError::invalid(
                    "intermediary",
                    format!("the item has no intermediary service {name}"),
                )
            })?;
        service.cancelled = Some(Cancellation {
            date,
            reason: reason.trim().to_string(),
        });
        self.save_draft(actor, item).await
    }

    // ---- the hall ---------------------------------------------------------------------------

    /// The service centres; public (the portal shows where to go).
    pub async fn centres(&self) -> Result<Vec<Centre>, AppError> {
        Ok(hall_rows::list_centres(self.store().readers()).await?)
    }

    /// The service centres for naming a code on a page, read at most once a minute: the
    /// county's network is 400-odd centres and points, and every case page names one or two of
    /// them (reading them all took 2 ms of a case page's 3.6 ms in the store; issue 19). A
    /// change made on this node shows at once, one made on another node within a minute. Pages
    /// that edit or choose centres read [`Service::centres`].
    pub async fn centre_directory(&self) -> Result<Arc<Vec<Centre>>, AppError> {
        centre_directories()
            .get_or_read(self.store().url(), || self.centres())
            .await
    }

    /// Drops the cached [`Service::centre_directory`] after a change to the centres.
    pub(crate) fn forget_centre_directory(&self) {
        centre_directories().forget(self.store().url());
    }

    pub async fn windows(&self) -> Result<Vec<Window>, AppError> {
        Ok(hall_rows::list_windows(self.store().readers()).await?)
    }

    async fn audited_hall_change<F>(
        &self,
        actor: &Actor,
        action: &'static str,
        target: String,
        change: F,
    ) -> Result<(), AppError>
    where
        F: for<'c> FnOnce(&'c mut onewindow_store::Conn) -> HallFuture<'c> + Send + 'static,
    {
        self.require(actor, Operation::ManageCatalogue).await?;
        let actor = actor.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    change(&mut *conn).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(now, action, target, Outcome::Success, ""),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.forget_centre_directory();
        Ok(())
    }

    pub async fn save_centre(&self, actor: &Actor, centre: Centre) -> Result<(), AppError> {
        let levels = self
            .centres()
            .await?
            .into_iter()
            .map(|c| (c.code, c.level))
            .collect();
        let errors = crate::hall::check_centre(&centre, &levels, "");
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let target = format!("centre:{}", centre.code);
        self.audited_hall_change(actor, "hall.centre", target, move |conn| {
            Box::pin(async move { hall_rows::upsert_centre(conn, &centre).await })
        })
        .await
    }

    pub async fn save_window(&self, actor: &Actor, window: Window) -> Result<(), AppError> {
        let centres = self.centres().await?;
        let departments = self.departments().await?;
        let errors = crate::hall::check_window(
            &window,
            &centres.iter().map(|c| c.code.as_str()).collect(),
            &departments.iter().map(|d| d.code.as_str()).collect(),
            "",
        );
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let target = format!("window:{}/{}", window.centre, window.code);
        self.audited_hall_change(actor, "hall.window", target, move |conn| {
            Box::pin(async move { hall_rows::upsert_window(conn, &window).await })
        })
        .await
    }

    pub async fn save_department(
        &self,
        actor: &Actor,
        department: Department,
    ) -> Result<(), AppError> {
        let mut errors = Vec::new();
        if department.code.trim().is_empty() {
            errors.push(FieldError::new("code", "give the department a code"));
        }
        if department.name.trim().is_empty() {
            errors.push(FieldError::new("name", "give the department its name"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let target = format!("department:{}", department.code);
        self.audited_hall_change(actor, "catalogue.department", target, move |conn| {
            Box::pin(async move { catalogue_rows::upsert_department(conn, &department).await })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onewindow_domain::access::{Post, Principal, Role};
    use onewindow_domain::calendar::Calendar;

    use super::*;
    use crate::clock::ManualClock;

    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn service() -> (Service, TempDir) {
        let dir = std::env::temp_dir().join(format!("onewindow-admin-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let service = Service::new(
            store,
            Calendar::prc(),
            Arc::new(ManualClock::at_local_morning(day)),
            "330226",
        );
        service.seed_demo(0).await.expect("demo catalogue");
        (service, TempDir(dir))
    }

    fn admin() -> Actor {
        Actor::command_line("admin")
    }

    fn clerk() -> Actor {
        Actor::new(
            Principal {
                user_id: "u-clerk".into(),
                username: "clerk".into(),
                display_name: "clerk".into(),
                identity: None,
                posts: vec![Post::new(Role::Clerk).at_centre("county-hall")],
                may_reveal_personal_data: false,
            },
            "test",
        )
    }

    async fn some_item(service: &Service) -> PublishedItem {
        let items = onewindow_store::catalogue::all_items(service.store().readers())
            .await
            .expect("items");
        items
            .into_iter()
            .find(|p| p.item.materials.len() >= 2)
            .expect("an item with two materials")
    }

    #[tokio::test]
    async fn a_draft_shows_its_changes_and_publishing_makes_a_new_version() {
        let (service, _dir) = service().await;
        let published = some_item(&service).await;
        let code = published.item.code.clone();
        let view = service.draft(&admin(), &code).await.expect("view");
        assert!(!view.is_draft);
        assert!(view.changes.is_empty());

        let mut item = view.item.clone();
        item.promised_days = item.promised_days.saturating_sub(1);
        let view = service.save_draft(&admin(), item).await.expect("saved");
        assert!(view.is_draft);
        assert_eq!(view.changes.len(), 1);
        assert_eq!(view.changes[0].field, "promised_days");
        // Applicants still see the published version.
        assert_eq!(
            service.item(&code).await.expect("item").version,
            published.version
        );

        let key = view.item.materials[1].key.clone();
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let view = service
            .cancel_material(
                &admin(),
                &code,
                &key,
                day,
                "通过数据共享获取，不再要求申请人提供",
            )
            .await
            .expect("cancelled");
        assert!(
            view.changes
                .iter()
                .any(|c| c.field == format!("materials[{key}].cancelled.reason"))
        );

        let now = service
            .publish_draft(&admin(), &code)
            .await
            .expect("published");
        assert_eq!(now.version, published.version + 1);
        let read = service.item(&code).await.expect("item");
        assert_eq!(read.version, published.version + 1);
        assert!(read.item.materials[1].cancelled.is_some());
        assert!(service.drafts(&admin()).await.expect("drafts").is_empty());
        let trail = service.verify_audit_chain().await.expect("chain");
        assert!(trail.broken.is_none());
    }

    #[tokio::test]
    async fn a_draft_older_than_the_published_version_is_refused() {
        let (service, _dir) = service().await;
        let published = some_item(&service).await;
        let code = published.item.code.clone();
        let mut first = published.item.clone();
        first.promised_days += 1;
        service.save_draft(&admin(), first).await.expect("draft");
        // Someone publishes the item another way (an import) meanwhile.
        let mut other = published.item.clone();
        other.legal_basis.push_str("（修订）");
        let doc = crate::catalogue_io::CatalogueDocument {
            departments: Vec::new(),
            items: vec![other],
        };
        service
            .import_catalogue(&admin(), doc)
            .await
            .map_err(|e| e.to_string())
            .expect("imported");
        assert!(matches!(
            service.publish_draft(&admin(), &code).await,
            Err(AppError::VersionConflict { .. })
        ));
    }

    #[tokio::test]
    async fn a_draft_that_breaks_a_rule_is_not_published_and_only_administrators_edit() {
        let (service, _dir) = service().await;
        let published = some_item(&service).await;
        let mut item = published.item.clone();
        item.name = String::new();
        service
            .save_draft(&admin(), item)
            .await
            .expect("a draft may be incomplete");
        let Err(AppError::Invalid(errors)) =
            service.publish_draft(&admin(), &published.item.code).await
        else {
            panic!("refused");
        };
        assert!(errors.iter().any(|e| e.field == "name"));
        assert!(matches!(
            service.draft(&clerk(), &published.item.code).await,
            Err(AppError::Forbidden(_))
        ));
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert!(matches!(
            service
                .cancel_material(&admin(), &published.item.code, "M01", day, " ")
                .await,
            Err(AppError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn centres_and_windows_are_kept_and_checked() {
        let (service, _dir) = service().await;
        service.seed_demo(0).await.expect("demo");
        assert_eq!(service.centres().await.expect("centres").len(), 415);
        assert!(service.windows().await.expect("windows").len() > 65 + 18 * 2 + 393);
        let bad = Window {
            centre: "nowhere".into(),
            code: String::new(),
            name: "x".into(),
            departments: vec!["NOPE".into()],
            ..Window::default()
        };
        let Err(AppError::Invalid(errors)) = service.save_window(&admin(), bad).await else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["centre", "code", "departments[0]"]);
        assert!(matches!(
            service
                .save_centre(
                    &clerk(),
                    Centre {
                        code: "x".into(),
                        name: "x".into(),
                        name_en: "x".into(),
                        address: String::new(),
                        phone: String::new(),
                        ..Centre::default()
                    }
                )
                .await,
            Err(AppError::Forbidden(_))
        ));
    }
}
