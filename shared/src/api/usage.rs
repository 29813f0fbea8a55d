//! `GET /v1/usage`: 30 days of the account's runs, from the per-day counters only.

use lambda_http::{Body, Request, Response, http::StatusCode};

use super::{ApiError, Caller, http};
use crate::{
    domain::{
        timestamp,
        usage::{self, format_date},
    },
    store::Store,
};

pub async fn usage(store: &Store, caller: &Caller, _: Request) -> Result<Response<Body>, ApiError> {
    let today = timestamp::now().date();
    let (first, last) = usage::window(today);
    let days = store
        .usage_days(
            &caller.account.account_id,
            &format_date(first),
            &format_date(last),
        )
        .await?;
    Ok(http::json(StatusCode::OK, &usage::summarize(today, &days)))
}
