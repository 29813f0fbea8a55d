//! `GET /v1/usage`: 30 days of the account's runs, from the per-day counters only.

use lambda_http::{Body, Request, Response, http::StatusCode};

use crate::{
    http::{self, Caller},
    store::Store,
    timestamp,
    usage::{self, format_date},
};

pub async fn usage(store: &Store, req: Request) -> Response<Body> {
    http::respond(
        async {
            let caller = Caller::of(&req)?;
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
        .await,
    )
}
