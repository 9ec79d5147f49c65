//! The web crate's integration suites, in one test binary (one link of the whole app instead of
//! one per suite): the JSON API on a real store, joint approval, investment projects, the
//! working-day calendar, and the pages in a real headless Chromium.

mod support;

mod api;
mod appointments;
mod bundles;
mod calendar;
mod delivery;
mod evaluation;
mod evaluation_browser;
mod hall_browser;
mod joint_browser;
mod licences;
mod licences_browser;
mod lists_browser;
mod market;
mod market_browser;
mod messages;
mod messages_browser;
mod monitor;
mod network;
mod projects;
mod projects_browser;
mod queue;
mod races;
mod tolerance;
mod tolerance_browser;
