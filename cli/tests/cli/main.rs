//! The `axiom` binary against the local gateway (the real handlers on a fresh DynamoDB Local
//! table per test). Needs `AWS_ENDPOINT_URL_DYNAMODB`: run through `make test` or
//! `scripts/with-dynamodb-local cargo test -p axiom-cli`.

mod device;
mod endpoint;
mod escaping;
mod flows;
mod keys;
mod lifecycle;
mod lists;
mod login;
mod support;
