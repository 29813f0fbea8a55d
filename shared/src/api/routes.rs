//! The HTTP API's routes, as API Gateway routes them. `template.yaml` declares the same set and
//! `tests/template.rs` keeps the two equal; the local server routes with this table.

use std::collections::HashMap;

/// The function that serves a route (its folder under `functions/` and its binary name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    CreateKey,
    ListKeys,
    RevokeKey,
    RollKey,
    Whoami,
    Flows,
    Invoke,
    Executions,
    Usage,
    Audit,
    Device,
    Console,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateKey => "create-key",
            Self::ListKeys => "list-keys",
            Self::RevokeKey => "revoke-key",
            Self::RollKey => "roll-key",
            Self::Whoami => "whoami",
            Self::Flows => "flows",
            Self::Invoke => "invoke",
            Self::Executions => "executions",
            Self::Usage => "usage",
            Self::Audit => "audit",
            Self::Device => "device",
            Self::Console => "console",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway's path template, with `{name}` parameters.
    pub path: &'static str,
    pub function: Function,
    /// Public routes skip the authorizer: the Console's static assets, and the device flow's
    /// grant and token routes (the CLI has no key yet).
    pub public: bool,
}

impl Route {
    /// API Gateway's route key, such as `GET /v1/api-keys`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path parameters when `path` matches this route's template.
    fn parameters(&self, path: &str) -> Option<HashMap<String, String>> {
        let mut template = self.path.split('/');
        let mut actual = path.split('/');
        let mut parameters = HashMap::new();
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return Some(parameters),
                // A greedy `{name+}` takes the rest of the path.
                (Some(t), Some(a)) if t.starts_with('{') && t.ends_with("+}") && !a.is_empty() => {
                    let rest: Vec<&str> = std::iter::once(a).chain(actual.by_ref()).collect();
                    parameters.insert(t[1..t.len() - 2].to_owned(), rest.join("/"));
                    return template.next().is_none().then_some(parameters);
                }
                (Some(t), Some(a)) if t.starts_with('{') && t.ends_with('}') && !a.is_empty() => {
                    parameters.insert(t[1..t.len() - 1].to_owned(), a.to_owned());
                }
                (Some(t), Some(a)) if t == a => {}
                _ => return None,
            }
        }
    }
}

/// A route without the authorizer.
const fn public(method: &'static str, path: &'static str, function: Function) -> Route {
    Route {
        method,
        path,
        function,
        public: true,
    }
}

const fn api(method: &'static str, path: &'static str, function: Function) -> Route {
    Route {
        method,
        path,
        function,
        public: false,
    }
}

pub const ROUTES: &[Route] = &[
    api("POST", "/v1/api-keys", Function::CreateKey),
    api("GET", "/v1/api-keys", Function::ListKeys),
    api("DELETE", "/v1/api-keys/{id}", Function::RevokeKey),
    api("POST", "/v1/api-keys/{id}/roll", Function::RollKey),
    api("GET", "/v1/whoami", Function::Whoami),
    api("POST", "/v1/flows", Function::Flows),
    api("GET", "/v1/flows", Function::Flows),
    api("POST", "/invocations/v1/flows/invoke", Function::Invoke),
    api("GET", "/invocations/v1/executions", Function::Executions),
    api("GET", "/invocations/v1/executions/{id}", Function::Executions),
    api(
        "POST",
        "/invocations/v1/executions/{id}/cancel",
        Function::Executions,
    ),
    api(
        "POST",
        "/invocations/v1/executions/{id}/resume",
        Function::Executions,
    ),
    api("GET", "/v1/usage", Function::Usage),
    api("GET", "/v1/audit-events", Function::Audit),
    public("POST", "/v1/auth/device", Function::Device),
    api("POST", "/v1/auth/device/approve", Function::Device),
    public("POST", "/v1/auth/device/token", Function::Device),
    public("GET", "/console/{proxy+}", Function::Console),
];

/// The route for a request, with its path parameters; `None` is API Gateway's 404.
pub fn find(method: &str, path: &str) -> Option<(&'static Route, HashMap<String, String>)> {
    ROUTES.iter().find_map(|route| {
        if route.method != method {
            return None;
        }
        route.parameters(path).map(|parameters| (route, parameters))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_static_and_parameterised_paths() {
        let (route, params) = find("GET", "/v1/api-keys").unwrap();
        assert_eq!(route.function, Function::ListKeys);
        assert!(params.is_empty());
        let (route, params) = find("DELETE", "/v1/api-keys/abc").unwrap();
        assert_eq!(route.function, Function::RevokeKey);
        assert_eq!(params["id"], "abc");
    }

    #[test]
    fn greedy_parameters_take_the_rest_of_the_path() {
        let (route, params) = find("GET", "/console/assets/app.js").unwrap();
        assert_eq!(route.function, Function::Console);
        assert!(route.public);
        assert_eq!(params["proxy"], "assets/app.js");
        assert_eq!(find("GET", "/console/usage").unwrap().1["proxy"], "usage");
    }

    #[test]
    fn unknown_paths_and_methods_do_not_match() {
        assert!(find("PUT", "/v1/api-keys").is_none());
        assert!(find("DELETE", "/v1/api-keys/").is_none());
        assert!(find("DELETE", "/v1/api-keys/a/b").is_none());
        assert!(find("GET", "/v1/whoami/x").is_none());
        assert!(find("GET", "/console").is_none());
        assert!(find("GET", "/console/").is_none());
    }
}
