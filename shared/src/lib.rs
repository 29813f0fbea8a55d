//! The Axiom back end's library: every function binary, the local server and the admin tool
//! are thin wiring around this crate. Its modules are layers, and imports point down only:
//!
//! - [`api`]: the HTTP layer (routes, one handler per route, the authorizer, errors → HTTP);
//! - [`runner`]: carrying runs on (inline, from the trigger, the sweep) and the run rules;
//! - [`store`]: the only module that talks to DynamoDB or names an attribute;
//! - [`domain`]: keys, accounts, flows, executions, usage, ids; pure, no SDK, no HTTP.
//!
//! [`lambda`] holds the entry points that `functions/*/src/main.rs` call.

pub mod api;
pub mod domain;
pub mod lambda;
pub mod logging;
pub mod runner;
pub mod store;
