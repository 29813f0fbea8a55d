//! Names of keys and flows: trimmed, 1 to 64 characters, no control characters. Names need
//! not be unique; ids are.

/// Longest name, in characters, after trimming.
pub const NAME_MAX_CHARS: usize = 64;

/// Why a name was refused; the message is shown to the user as is.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("name must not be empty")]
    Empty,
    #[error("name must be at most {NAME_MAX_CHARS} characters")]
    TooLong,
    #[error("name must not contain control characters")]
    ControlCharacter,
}

/// Trims the name and checks it: 1 to 64 characters, no control characters.
pub fn validate_name(name: &str) -> Result<String, InvalidName> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(InvalidName::Empty);
    }
    if trimmed.chars().count() > NAME_MAX_CHARS {
        return Err(InvalidName::TooLong);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidName::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  ci  ").unwrap(), "ci");
        assert_eq!(validate_name("   "), Err(InvalidName::Empty));
        assert_eq!(validate_name(""), Err(InvalidName::Empty));
        assert_eq!(validate_name(&"é".repeat(64)).unwrap().chars().count(), 64);
        assert_eq!(validate_name(&"x".repeat(65)), Err(InvalidName::TooLong));
        assert_eq!(validate_name("a\u{7}b"), Err(InvalidName::ControlCharacter));
        assert_eq!(validate_name("line\nbreak"), Err(InvalidName::ControlCharacter));
    }
}
