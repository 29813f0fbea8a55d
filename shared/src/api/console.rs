//! The Console's static pages, compiled into the binary and served on the public
//! `GET /console/{proxy+}` route. Every data call the pages make goes through the authorized API.

use lambda_http::{Body, Request, Response, http::StatusCode};

use super::{ApiError, http};

/// Path under `/console/`, content type, bytes.
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
];

/// Only this origin's scripts, styles and API; nothing inline, nothing third-party.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /console/{proxy+}`
pub fn respond(req: &Request) -> Response<Body> {
    let path = http::path_param(req, "proxy").unwrap_or_default();
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == path) else {
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
