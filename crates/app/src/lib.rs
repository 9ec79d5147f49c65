//! onewindow's use cases. The web, the CLI and the background jobs are thin shells around the
//! [`Service`] here; authorisation, audit and transactions live in this crate, the rules in the
//! domain crate.

pub mod accounts;
pub mod actor;
pub mod admin;
pub mod appointments;
pub mod assessment;
pub mod bundles;
pub mod calendar;
pub mod case_policy;
pub mod case_sync;
pub mod catalogue_io;
pub mod clock;
pub mod decisions;
pub mod delivery;
pub mod demo;
pub mod drafts;
pub mod equivalents;
pub mod error;
pub mod evaluation;
pub mod files;
pub mod hall;
pub mod jobs;
pub mod licences;
pub mod lookup;
pub mod mail;
pub mod mail_config;
pub mod market;
pub mod messages;
pub mod monitor;
pub mod monthly_report;
pub mod nats;
pub mod portal;
pub mod projects;
pub mod queue;
pub mod queue_report;
pub mod s3;
pub mod service;
pub mod statistics;
mod store_cache;
pub mod tolerance;
pub mod workbench;

pub use clock::{Clock, ManualClock, ShiftedClock, SystemClock};
pub use error::AppError;
pub use onewindow_store::catalogue::ItemFilter;
pub use service::{Actor, Service};
