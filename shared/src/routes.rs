//! The HTTP API's routes, as API Gateway routes them. `template.yaml` declares the same set and
//! `tests/template.rs` keeps the two equal; the local server routes with this table.

use std::collections::HashMap;

/// The function that serves a route (its folder under `functions/` and its binary name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    CreateKey,
    ListKeys,
    RevokeKey,
    Whoami,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateKey => "create-key",
            Self::ListKeys => "list-keys",
            Self::RevokeKey => "revoke-key",
            Self::Whoami => "whoami",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway's path template, with `{name}` parameters.
    pub path: &'static str,
    pub function: Function,
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
                (Some(t), Some(a)) if t.starts_with('{') && t.ends_with('}') && !a.is_empty() => {
                    parameters.insert(t[1..t.len() - 1].to_owned(), a.to_owned());
                }
                (Some(t), Some(a)) if t == a => {}
                _ => return None,
            }
        }
    }
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/v1/api-keys",
        function: Function::CreateKey,
    },
    Route {
        method: "GET",
        path: "/v1/api-keys",
        function: Function::ListKeys,
    },
    Route {
        method: "DELETE",
        path: "/v1/api-keys/{id}",
        function: Function::RevokeKey,
    },
    Route {
        method: "GET",
        path: "/v1/whoami",
        function: Function::Whoami,
    },
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
    fn unknown_paths_and_methods_do_not_match() {
        assert!(find("PUT", "/v1/api-keys").is_none());
        assert!(find("DELETE", "/v1/api-keys/").is_none());
        assert!(find("DELETE", "/v1/api-keys/a/b").is_none());
        assert!(find("GET", "/v1/whoami/x").is_none());
    }
}
