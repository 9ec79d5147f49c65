//! onewindow's pure rules. Nothing in this crate performs I/O, awaits, or knows a database:
//! every function here is a plain function over plain types, so that the store, the web and the
//! CLI are thin shells and every rule lives exactly once.

pub mod access;
pub mod action_fields;
pub mod appointment;
pub mod assessment;
pub mod audit;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod catalogue_diff;
pub mod circulation;
pub mod clock;
pub mod delivery;
pub mod disclosure;
pub mod evaluation;
pub mod figures;
pub mod hall;
pub mod holidays;
pub mod identifiers;
pub mod intermediary;
pub mod licence;
pub mod life_events;
pub mod login;
pub mod monitor;
pub mod notice;
pub mod progress;
pub mod project;
pub mod search;
pub mod service_object;
pub mod statistics;
pub mod tolerance;
pub mod validation;

pub use chrono::NaiveDate;
