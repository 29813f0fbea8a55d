//! Who is calling, as the authorizer decided: the only source of account and tenant. The
//! authorizer writes it as its response's context and API Gateway hands that context to the
//! route's handler, so one serde type serves both sides.

use lambda_http::{Request, RequestExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ApiError;
use crate::domain::{
    accounts::Account,
    audit::Actor,
    keys::{Credential, UseOrigin},
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    #[serde(flatten)]
    pub account: Account,
    pub key_id: String,
}

impl Caller {
    /// The caller of an authorized request, from the authorizer's context. A handler reached
    /// without it is a deployment fault, never the client's.
    pub fn of(req: &Request) -> Result<Self, ApiError> {
        let fields = req
            .request_context_ref()
            .and_then(|context| context.authorizer())
            .map(|authorizer| authorizer.fields.clone().into_iter().collect::<Map<_, _>>());
        fields
            .and_then(|fields| serde_json::from_value(Value::Object(fields)).ok())
            .ok_or_else(|| {
                tracing::error!("request reached a handler without the authorizer's context");
                ApiError::Internal
            })
    }

    /// The caller as the actor of a change (for its audit event), with the request's origin.
    pub fn actor(&self, req: &Request) -> Actor {
        let (ip, user_agent) = super::http::origin(req);
        let origin = UseOrigin::new(ip, user_agent);
        Actor {
            key_id: Some(self.key_id.clone()),
            source_ip: origin.ip,
            user_agent: origin.user_agent,
        }
    }

    /// The authorizer's response context that [`Caller::of`] reads back.
    pub fn context(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(context)) => context,
            _ => unreachable!("a struct of strings serializes to an object"),
        }
    }
}

impl From<&Credential> for Caller {
    fn from(credential: &Credential) -> Self {
        Self {
            account: Account {
                account_id: credential.account_id.clone(),
                email: credential.email.clone(),
                tenant: credential.tenant.clone(),
            },
            key_id: credential.key_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    #[test]
    fn context_has_the_four_fields() {
        let caller = Caller {
            account: Account {
                account_id: "a".into(),
                email: "e@x.io".into(),
                tenant: "acme".into(),
            },
            key_id: "k".into(),
        };
        let context = caller.context();
        assert_eq!(context.len(), 4);
        assert_eq!(context["tenant"], "acme");
        assert_eq!(
            serde_json::from_value::<Caller>(Value::Object(context)).unwrap(),
            caller
        );
    }

    #[test]
    fn caller_is_missing_without_authorizer_context() {
        let request = lambda_http::http::Request::builder().body(Body::Empty).unwrap();
        assert_eq!(Caller::of(&request), Err(ApiError::Internal));
    }
}
