//! Demo data for Ninghai county, so that a fresh installation shows the situation of the seed.

pub mod bundles;
pub mod catalogue;
