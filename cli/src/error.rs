//! What can go wrong, the message a person reads, and the exit code a script reads.

use std::process::ExitCode;

/// The exit codes, as `axiom --help` and docs/cli.md list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The API answered with an error, the network failed, or a local file could not be used.
    Failure = 1,
    /// Bad arguments or input (clap uses 2 for its own parse errors too).
    Usage = 2,
    /// No key, or a key that is malformed, invalid or revoked.
    Auth = 3,
    /// `axiom invoke`: the run ended other than `succeeded`.
    RunNotSucceeded = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Where the key of a request came from; the advice on a refused key depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `AXIOM_API_KEY`.
    Environment,
    /// `~/.axiom/credentials`.
    Stored,
    /// Typed or piped in at `axiom login`.
    Entered,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("not logged in: run `axiom login`, or set AXIOM_API_KEY")]
    NotLoggedIn,

    #[error("{}", malformed_key(*.0))]
    MalformedKey(KeySource),

    #[error("{}", refused_key(endpoint, *key_source))]
    KeyRefused { endpoint: String, key_source: KeySource },

    /// A 404: the API's message for an unknown id, or ours for a path that is not a route.
    #[error("{0}")]
    NotFound(String),

    /// Any other error answer: the API's `error.message`, and its `error.code` if it has one.
    #[error("{message} (HTTP {status})")]
    Api {
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// The stored key is only sent to the endpoint it was stored for (PRODUCT.md section 8).
    #[error(
        "the stored API key is for {stored}, so it is not sent to {requested}: run \
         `axiom login --endpoint {requested}`, or set AXIOM_API_KEY"
    )]
    OtherEndpoint { stored: String, requested: String },

    /// The browser sign-in was denied (or its approving key is gone).
    #[error(
        "the sign-in was denied in the Console (or the key that approved it has since been \
         revoked or has expired); nothing was stored: run `axiom login` to try again"
    )]
    SignInDenied,

    /// The browser sign-in ended without a key: the code expired, or the API does not know it.
    #[error("{0}")]
    SignInFailed(String),

    /// The request did not get an answer.
    #[error("cannot reach the Axiom API at {endpoint} ({request}): {cause}")]
    Network {
        endpoint: String,
        request: String,
        cause: String,
    },

    /// An answer that is not the API's JSON: probably not an Axiom endpoint.
    #[error("unexpected answer from {url}: {detail}")]
    UnexpectedAnswer { url: String, detail: String },

    #[error("{0}")]
    Usage(String),

    /// A local failure: the credentials file, an input file, the terminal.
    #[error("{0}")]
    Local(String),
}

fn malformed_key(source: KeySource) -> String {
    let key = match source {
        KeySource::Environment => "the API key in AXIOM_API_KEY",
        KeySource::Stored => "the stored API key",
        KeySource::Entered => "that",
    };
    format!("{key} is not an Axiom API key (64 lowercase hex characters); run `axiom login` again")
}

fn refused_key(endpoint: &str, source: KeySource) -> String {
    let advice = match source {
        KeySource::Environment => {
            "the API key in AXIOM_API_KEY is invalid or revoked; set a valid key, or unset \
             AXIOM_API_KEY and run `axiom login` again"
        }
        KeySource::Stored => "the stored API key is invalid or revoked; run `axiom login` again",
        KeySource::Entered => {
            "the API key is invalid or revoked, so it was not stored; check it and run `axiom login` again"
        }
    };
    format!("{endpoint} refused the key: {advice}")
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            Self::NotLoggedIn
            | Self::MalformedKey(_)
            | Self::KeyRefused { .. }
            | Self::OtherEndpoint { .. }
            | Self::SignInDenied => Exit::Auth,
            Self::Usage(_) => Exit::Usage,
            Self::NotFound(_)
            | Self::Api { .. }
            | Self::SignInFailed(_)
            | Self::Network { .. }
            | Self::UnexpectedAnswer { .. }
            | Self::Local(_) => Exit::Failure,
        }
    }

    /// The API's `error.code` (such as `authorization_pending`), when the API answered with one.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_keys_say_invalid_or_revoked_and_how_to_recover() {
        for source in [KeySource::Environment, KeySource::Stored, KeySource::Entered] {
            let error = CliError::KeyRefused {
                endpoint: "http://127.0.0.1:3000".into(),
                key_source: source,
            };
            let message = error.to_string();
            assert!(message.contains("invalid or revoked"), "{message}");
            assert!(message.contains("axiom login"), "{message}");
            assert!(message.contains("http://127.0.0.1:3000"), "{message}");
            assert_eq!(error.exit(), Exit::Auth);
        }
    }

    #[test]
    fn exit_codes_are_distinct_per_kind() {
        assert_eq!(CliError::NotLoggedIn.exit() as u8, 3);
        assert_eq!(CliError::Usage("x".into()).exit() as u8, 2);
        assert_eq!(CliError::NotFound("x".into()).exit() as u8, 1);
        assert_eq!(CliError::SignInDenied.exit() as u8, 3);
        assert_eq!(CliError::SignInFailed("x".into()).exit() as u8, 1);
        let other = CliError::OtherEndpoint {
            stored: "https://a.example".into(),
            requested: "https://b.example".into(),
        };
        assert_eq!(other.exit() as u8, 3);
        assert!(
            other
                .to_string()
                .contains("axiom login --endpoint https://b.example")
        );
        assert_eq!(Exit::RunNotSucceeded as u8, 4);
    }
}
