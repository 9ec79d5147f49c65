//! Queries of the applicant portal's catalogue pages: browsing by life event and the overview the
//! home page shows (headline figures, items per department and per life event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use onewindow_domain::catalogue::{Department, PublishedItem};
use onewindow_domain::figures::{CatalogueFigures, catalogue_figures};
use onewindow_domain::life_events::LifeEvent;
use onewindow_store::catalogue::{self as catalogue_rows, ItemFilter};

use crate::service::Page;
use crate::store_cache::StoreCache;
use crate::{AppError, Service};

/// How long the overview is reused before it is computed again: the figures read every item, and
/// the catalogue changes a few times a year, so a home page may show them a minute late.
const OVERVIEW_TTL: Duration = Duration::from_secs(60);

/// What the portal's home page shows of the catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueOverview {
    pub figures: CatalogueFigures,
    /// Every department with its number of current items, in code order.
    pub departments: Vec<(Department, u64)>,
    /// Every life event with its number of current items, in [`LifeEvent::ALL`] order.
    pub life_events: Vec<(LifeEvent, u64)>,
}

/// Stores (by URL) whose items have been indexed under the current search rule in this process.
fn indexed_stores() -> &'static Mutex<std::collections::HashSet<String>> {
    static INDEXED: OnceLock<Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    INDEXED.get_or_init(Default::default)
}

/// The overviews computed, by store; see [`Service::catalogue_overview`].
fn overviews() -> &'static StoreCache<CatalogueOverview> {
    static CACHE: OnceLock<StoreCache<CatalogueOverview>> = OnceLock::new();
    CACHE.get_or_init(|| StoreCache::new(OVERVIEW_TTL))
}

impl Service {
    /// A page of the catalogue: the filters of [`Service::items`] and, if given, one life event.
    pub async fn browse_items(
        &self,
        mut filter: ItemFilter,
        life_event: Option<LifeEvent>,
    ) -> Result<Page<PublishedItem>, AppError> {
        self.ensure_search_index().await?;
        let limit = filter.limit.clamp(1, 200);
        filter.limit = limit + 1;
        let mut items =
            catalogue_rows::list_items_in(self.store().readers(), &filter, life_event).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| i.item.code.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The headline figures and the counts by department and life event, computed at most once a
    /// minute per store.
    pub async fn catalogue_overview(&self) -> Result<Arc<CatalogueOverview>, AppError> {
        overviews()
            .get_or_read(self.store().url(), || self.read_catalogue_overview())
            .await
    }

    async fn read_catalogue_overview(&self) -> Result<CatalogueOverview, AppError> {
        self.ensure_search_index().await?;
        let readers = self.store().readers();
        let items: Vec<_> = catalogue_rows::all_items(readers)
            .await?
            .into_iter()
            .map(|p| p.item)
            .collect();
        let counts: HashMap<String, u64> = catalogue_rows::count_by_department(readers)
            .await?
            .into_iter()
            .collect();
        let departments = catalogue_rows::list_departments(readers)
            .await?
            .into_iter()
            .map(|d| {
                let n = counts.get(&d.code).copied().unwrap_or(0);
                (d, n)
            })
            .collect();
        Ok(CatalogueOverview {
            figures: catalogue_figures(&items),
            departments,
            life_events: catalogue_rows::count_by_life_event(readers).await?,
        })
    }

    /// Indexes again the items published under an older search rule (see
    /// `onewindow_store::catalogue::reindex_search`); returns how many it changed. Cheap when
    /// there is nothing to do: call it at start.
    pub async fn reindex_catalogue_search(&self) -> Result<u64, AppError> {
        let changed = self
            .store()
            .write(|conn| {
                Box::pin(async move {
                    Ok::<_, AppError>(catalogue_rows::reindex_search(&mut *conn).await?)
                })
            })
            .await?;
        if changed > 0 {
            tracing::info!(changed, "catalogue search indexed again");
        }
        Ok(changed)
    }

    /// Runs [`Service::reindex_catalogue_search`] once per store and process, before the first
    /// catalogue search, so that a store filled before pinyin search finds by pinyin too.
    async fn ensure_search_index(&self) -> Result<(), AppError> {
        let url = self.store().url();
        if indexed_stores().lock().is_ok_and(|done| done.contains(url)) {
            return Ok(());
        }
        self.reindex_catalogue_search().await?;
        if let Ok(mut done) = indexed_stores().lock() {
            done.insert(url.to_string());
        }
        Ok(())
    }
}
