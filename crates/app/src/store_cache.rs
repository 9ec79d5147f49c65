//! A value read from a store and reused for a while, per store (by URL: tests and tools open
//! several stores in one process). A change made on this node forgets it at once; one made on
//! another node shows when the value is read again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::AppError;

pub(crate) struct StoreCache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry<T>>>,
}

/// A store's value as last read, and how many times this node changed what it is read from.
struct Entry<T> {
    read: Option<(Instant, Arc<T>)>,
    generation: u64,
}

impl<T> Default for Entry<T> {
    fn default() -> Self {
        Self {
            read: None,
            generation: 0,
        }
    }
}

impl<T> StoreCache<T> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of store `url`, read with `read` unless one younger than the time to live is
    /// kept. A read that a [`StoreCache::forget`] overtook is answered but not kept.
    pub(crate) async fn get_or_read<F, Fut>(&self, url: &str, read: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let mut generation = 0;
        if let Ok(entries) = self.entries.lock()
            && let Some(entry) = entries.get(url)
        {
            if let Some((at, value)) = &entry.read
                && at.elapsed() < self.ttl
            {
                return Ok(Arc::clone(value));
            }
            generation = entry.generation;
        }
        let value = Arc::new(read().await?);
        if let Ok(mut entries) = self.entries.lock() {
            let entry = entries.entry(url.to_string()).or_default();
            if entry.generation == generation {
                entry.read = Some((Instant::now(), Arc::clone(&value)));
            }
        }
        Ok(value)
    }

    /// Forgets the value of store `url` after this node changed what it is read from.
    pub(crate) fn forget(&self, url: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            let entry = entries.entry(url.to_string()).or_default();
            entry.generation += 1;
            entry.read = None;
        }
    }
}
