//! The public case look-up (办件查询): anyone with a receipt number and the applicant's name
//! learns where the case stands and its dates, without a login. Each source address has a
//! budget of look-ups a minute, and each receipt number a budget of wrong names an hour, so that
//! receipts cannot be walked nor names guessed. The budgets are kept per node, in memory: a
//! county's few nodes multiply them by a small number, which the limits allow for.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use onewindow_domain::disclosure::{PublicStatus, names_the_applicant, public_status};
use onewindow_store::cases as case_rows;

use crate::error::AppError;
use crate::service::Service;

/// Look-ups one source address may make in [`SOURCE_WINDOW_SECONDS`].
pub const LOOKUPS_PER_SOURCE: usize = 10;
pub const SOURCE_WINDOW_SECONDS: i64 = 60;
/// Wrong names one receipt number may be asked with in [`NUMBER_WINDOW_SECONDS`].
pub const WRONG_NAMES_PER_NUMBER: usize = 5;
pub const NUMBER_WINDOW_SECONDS: i64 = 3600;

/// Keys past this many are pruned of expired entries on the next use.
const PRUNE_ABOVE: usize = 10_000;

/// A sliding-window budget per key: at most `max` events within `window` of now.
#[derive(Debug)]
pub struct Budget {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl Budget {
    pub fn new(max: usize, window_seconds: i64) -> Self {
        Self {
            max,
            window: Duration::seconds(window_seconds),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait before `key` may spend again, if its budget is spent at `now`.
    pub fn exhausted(&self, key: &str, now: DateTime<Utc>) -> Option<i64> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let times = seen.get(key)?;
        let live: Vec<&DateTime<Utc>> = times.iter().filter(|t| now - **t < self.window).collect();
        (live.len() >= self.max).then(|| {
            let oldest = live.iter().min().map_or(now, |t| **t);
            (oldest + self.window - now).num_seconds().max(1)
        })
    }

    /// Spends one of `key`'s budget at `now`.
    pub fn spend(&self, key: &str, now: DateTime<Utc>) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > PRUNE_ABOVE {
            let window = self.window;
            seen.retain(|_, times| times.iter().any(|t| now - *t < window));
        }
        let times = seen.entry(key.to_string()).or_default();
        times.retain(|t| now - *t < self.window);
        times.push(now);
    }
}

/// The budgets of the public look-up.
#[derive(Debug)]
pub struct LookupBudgets {
    by_source: Budget,
    wrong_names: Budget,
}

impl Default for LookupBudgets {
    fn default() -> Self {
        Self {
            by_source: Budget::new(LOOKUPS_PER_SOURCE, SOURCE_WINDOW_SECONDS),
            wrong_names: Budget::new(WRONG_NAMES_PER_NUMBER, NUMBER_WINDOW_SECONDS),
        }
    }
}

impl Service {
    /// The public status of the case with receipt `number`, if `name` is its applicant's.
    /// Not found, or the name does not match: one answer ("no case with this number and name"),
    /// so that the answer tells nothing of which was wrong. `source` is the caller's address.
    pub async fn look_up_case(
        &self,
        number: &str,
        name: &str,
        source: &str,
    ) -> Result<PublicStatus, AppError> {
        let number: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        let mut errors = Vec::new();
        if number.is_empty()
            || number.len() > 40
            || !number.chars().all(|c| c.is_ascii_alphanumeric())
        {
            errors.push(onewindow_domain::validation::FieldError::new(
                "number",
                "the receipt number (受理编号) as printed on the receipt: digits",
            ));
        }
        if name.trim().is_empty() {
            errors.push(onewindow_domain::validation::FieldError::new(
                "name",
                "the applicant's name as on the application",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let budgets = &self.inner.lookups;
        let now = self.now();
        let wait = budgets
            .by_source
            .exhausted(source, now)
            .or_else(|| budgets.wrong_names.exhausted(&number, now));
        if let Some(wait_seconds) = wait {
            return Err(AppError::RateLimited { wait_seconds });
        }
        budgets.by_source.spend(source, now);
        let not_found =
            || AppError::not_found("a case with this receipt number and applicant name");
        let Some(case) = case_rows::load(self.store().readers(), &number).await? else {
            return Err(not_found());
        };
        if case.number != number {
            // Looked up by id: the public asks by receipt number only.
            return Err(not_found());
        }
        if !names_the_applicant(&case, name) {
            budgets.wrong_names.spend(&number, now);
            return Err(not_found());
        }
        let due_on = case.due_on(&self.calendar())?;
        Ok(public_status(&case, due_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_once_spent_and_opens_again_as_the_window_slides() {
        let budget = Budget::new(3, 60);
        let t0 = DateTime::<Utc>::from_timestamp(1_796_342_400, 0).expect("a time");
        for i in 0..3 {
            assert_eq!(budget.exhausted("a", t0 + Duration::seconds(i)), None);
            budget.spend("a", t0 + Duration::seconds(i));
        }
        assert_eq!(budget.exhausted("a", t0 + Duration::seconds(10)), Some(50));
        assert_eq!(
            budget.exhausted("b", t0 + Duration::seconds(10)),
            None,
            "per key"
        );
        assert_eq!(budget.exhausted("a", t0 + Duration::seconds(60)), None);
    }
}
