//! The Axiom back end's library: every function binary, the local server and the admin tool
//! are thin wiring around this crate.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod executions;
pub mod flows;
pub mod http;
pub mod keys;
pub mod lambda;
pub mod logging;
pub mod names;
pub mod routes;
pub mod runner;
pub mod store;
pub mod table;
pub mod timestamp;
pub mod usage;
