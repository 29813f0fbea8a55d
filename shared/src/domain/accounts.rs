//! Accounts: who owns keys, flows and runs, and the operator's `create-account` rules.

use serde::{Deserialize, Serialize};

/// An account, as `axiom-admin create-account` made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub email: String,
    pub tenant: String,
}

/// Why an email or tenant was refused; shown to the operator as is.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAccount {
    #[error("email must look like name@domain, without spaces, at most 254 characters")]
    Email,
    #[error("tenant must be 2 to 32 characters of a-z, 0-9 and '-', starting with a letter or digit")]
    Tenant,
}

/// Trims and lowercases the email and checks its rough shape (the mailbox is not verified).
pub fn normalize_email(email: &str) -> Result<String, InvalidAccount> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(InvalidAccount::Email)
    }
}

/// A tenant is a short name such as `acme`.
pub fn validate_tenant(tenant: &str) -> Result<String, InvalidAccount> {
    let valid = (2..=32).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !tenant.starts_with('-');
    if valid {
        Ok(tenant.to_owned())
    } else {
        Err(InvalidAccount::Tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email(" Dev@Acme.io ").unwrap(), "dev@acme.io");
        for bad in [
            "",
            "dev",
            "dev@",
            "@acme.io",
            "dev@acme",
            "a b@acme.io",
            "a@b@acme.io",
        ] {
            assert_eq!(normalize_email(bad), Err(InvalidAccount::Email), "{bad}");
        }
    }

    #[test]
    fn tenants_are_short_names() {
        assert_eq!(validate_tenant("acme").unwrap(), "acme");
        assert_eq!(validate_tenant("acme-2").unwrap(), "acme-2");
        for bad in ["", "a", "Acme", "-acme", "acme corp", &"a".repeat(33)] {
            assert_eq!(validate_tenant(bad), Err(InvalidAccount::Tenant), "{bad}");
        }
    }
}
