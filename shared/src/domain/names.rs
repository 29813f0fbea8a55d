//! Names of keys and flows: trimmed, 1 to 64 characters, no control characters and none of the
//! invisible characters that spoof how text reads. Names need not be unique; ids are.

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
    #[error("name must not contain invisible direction or zero-width characters")]
    Invisible,
}

/// The invisible characters that make text read otherwise than it is stored: the bidi controls
/// (Arabic letter mark, left-to-right and right-to-left marks, embeddings, overrides and
/// isolates), the zero-width space and the byte order mark. The zero-width joiner and
/// non-joiner stay allowed: scripts and emoji sequences need them.
pub fn is_spoofing_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Trims the name and checks it: 1 to 64 characters, no control or spoofing characters.
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
    if trimmed.chars().any(is_spoofing_invisible) {
        return Err(InvalidName::Invisible);
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
        assert_eq!(validate_name("a\u{85}b"), Err(InvalidName::ControlCharacter));
    }

    #[test]
    fn spoofing_invisibles_are_refused_and_joiners_kept() {
        for c in [
            '\u{061C}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
            '\u{FEFF}',
        ] {
            assert_eq!(
                validate_name(&format!("ci{c}key")),
                Err(InvalidName::Invisible),
                "{c:?}"
            );
        }
        // A family emoji (joined with U+200D) and a Persian word with U+200C.
        for name in [
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
        ] {
            assert_eq!(validate_name(name).unwrap(), name);
        }
    }
}
