//! The domain: what keys, accounts, flows, executions and usage are, and the rules they obey.
//! Pure: no database, no HTTP; times come in as arguments (only [`timestamp::now`] reads the
//! clock, for callers that need the current time).

pub mod accounts;
pub mod audit;
pub mod device;
pub mod executions;
pub mod flows;
pub mod idempotency;
pub mod ids;
pub mod keys;
pub mod names;
pub mod pages;
pub mod quotas;
pub mod timestamp;
pub mod usage;
