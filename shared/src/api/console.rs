//! The Console's static pages, compiled into the binary and served on the public
//! `GET /console/{proxy+}` route. Every data call the pages make goes through the authorized API.

use lambda_http::{Body, Request, Response, http::StatusCode};

use super::{ApiError, http};

/// Path under `/console/`, content type, bytes. `executions/{id}` stands for every
/// `executions/<id>` (see [`page_name`]): one page shows any run, reading the id from its URL.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "api-keys",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/api-keys.html"),
    ),
    (
        "usage",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/usage.html"),
    ),
    (
        "flows",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/flows.html"),
    ),
    (
        "activity",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/activity.html"),
    ),
    (
        "device",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/device.html"),
    ),
    (
        "executions/{id}",
        "text/html; charset=utf-8",
        include_bytes!("../../../console/execution.html"),
    ),
    (
        "assets/console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../console/console.css"),
    ),
    (
        "assets/console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/console.js"),
    ),
    (
        "assets/api-keys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/api-keys.js"),
    ),
    (
        "assets/usage.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/usage.js"),
    ),
    (
        "assets/flows.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/flows.js"),
    ),
    (
        "assets/activity.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/activity.js"),
    ),
    (
        "assets/device.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/device.js"),
    ),
    (
        "assets/execution.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../console/execution.js"),
    ),
];

/// The `ASSETS` name a `/console/` path is served from: itself, or `executions/{id}` for
/// `executions/<id>` with an id of 1 to 128 letters, digits, `-` and `_` (execution ids are
/// UUIDs). Any other `executions/...`, such as one with a further `/`, answers 404.
fn page_name(path: &str) -> Option<&str> {
    match path.strip_prefix("executions/") {
        Some(id)
            if (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Some("executions/{id}")
        }
        Some(_) => None,
        None => Some(path),
    }
}

/// Only this origin's scripts, styles and API; nothing inline, nothing third-party.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /console/{proxy+}`
pub fn respond(req: &Request) -> Response<Body> {
    let path = http::path_param(req, "proxy").unwrap_or_default();
    let asset = page_name(path).and_then(|name| ASSETS.iter().find(|(asset, _, _)| *asset == name));
    let Some((_, content_type, bytes)) = asset else {
        return ApiError::NotFound("page not found").into_response();
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", *content_type)
        .header("content-security-policy", CONTENT_SECURITY_POLICY)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("cache-control", http::CACHE_CONTROL)
        .body(Body::Binary(bytes.to_vec()))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(path: &str) -> Option<&'static str> {
        let name = page_name(path)?;
        ASSETS
            .iter()
            .find(|(asset, _, _)| *asset == name)
            .map(|(asset, _, _)| *asset)
    }

    #[test]
    fn every_page_and_asset_is_served_by_its_own_path() {
        for page in ["api-keys", "usage", "flows", "activity", "device"] {
            assert_eq!(served(page), Some(page));
        }
        for (name, _, _) in ASSETS.iter().filter(|(name, _, _)| name.starts_with("assets/")) {
            assert_eq!(served(name), Some(*name));
        }
    }

    #[test]
    fn any_execution_id_serves_the_run_page() {
        for path in [
            "executions/01a21972-3932-7658-b0aa-da196eb8777b",
            "executions/x",
            "executions/A_b-9",
        ] {
            assert_eq!(served(path), Some("executions/{id}"), "{path}");
        }
        let long = format!("executions/{}", "a".repeat(129));
        for path in [
            "executions/",
            "executions",
            "executions/a/b",
            "executions/a.b",
            "executions/%2e%2e",
            "executions/{id}",
            long.as_str(),
            "nope",
            "assets/nope.js",
        ] {
            assert_eq!(served(path), None, "{path}");
        }
    }
}
