//! One file per group of checks. Each check is a function from what it needs to an `Outcome`
//! (plus, for the ones others depend on, the data they pass on).

pub mod auth;
pub mod config;
pub mod gateway;
pub mod key;
pub mod messages;
pub mod models;
pub mod network;
pub mod passthrough;
pub mod settings;
