//! What the suites share: the app on a socket through the test kit, and a small WebDriver
//! client for the browser suites.

pub mod browser;
pub mod http;
