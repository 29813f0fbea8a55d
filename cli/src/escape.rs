//! The one function that makes text from the API safe to print: [`escape`]. Every string the
//! API sends that the text output shows (names, ids, emails, messages, dates, statuses, the
//! run's output) and every error message goes through it before it is printed or measured for
//! a table, so no control character from the API reaches the terminal. `--json` prints the
//! API's own JSON text instead, where JSON's escaping already covers control characters.

use std::{borrow::Cow, fmt::Write};

/// True for a character the text output never prints as it is: the control characters
/// (Unicode category Cc: U+0000 to U+001F, U+007F to U+009F) and the invisible characters that
/// spoof text: the bidi controls, the zero-width space and the byte order mark (PRODUCT.md
/// section 11). The joiners U+200C and U+200D are not among them: languages and emoji need them.
pub fn is_escaped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with each character of [`is_escaped`] written visibly, the way JSON writes it:
/// `\b`, `\t`, `\n`, `\f` and `\r`, otherwise `\u` and four lowercase hex digits (`\u001b`,
/// `\u202e`). Everything else, backslashes included, is left as it is; text without such
/// characters comes back unchanged (and unallocated).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\u{8}' => escaped.push_str("\\b"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\u{C}' => escaped.push_str("\\f"),
            '\r' => escaped.push_str("\\r"),
            // Every escaped character is in the Basic Multilingual Plane: four digits suffice.
            c if is_escaped(c) => write!(escaped, "\\u{:04x}", u32::from(c)).expect("writing to a String"),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_visibly() {
        assert_eq!(escape("red\u{1b}[31m"), "red\\u001b[31m");
        assert_eq!(escape("two\nlines\r\n"), "two\\nlines\\r\\n");
        assert_eq!(escape("a\tb\u{8}\u{C}"), "a\\tb\\b\\f");
        assert_eq!(escape("bell\u{7}"), "bell\\u0007");
        assert_eq!(escape("\u{0}"), "\\u0000");
        assert_eq!(escape("del\u{7f}"), "del\\u007f");
        // C1 controls, such as the one-byte CSI and NEL.
        assert_eq!(
            escape("\u{9b}2J\u{85}\u{80}\u{9f}"),
            "\\u009b2J\\u0085\\u0080\\u009f"
        );
    }

    #[test]
    fn invisible_spoofing_characters_are_written_visibly() {
        assert_eq!(escape("gpj\u{202e}.exe"), "gpj\\u202e.exe");
        assert_eq!(
            escape("\u{61c}\u{200b}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}"),
            "\\u061c\\u200b\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d"
        );
        assert_eq!(
            escape("\u{2066}\u{2067}\u{2068}\u{2069}\u{feff}"),
            "\\u2066\\u2067\\u2068\\u2069\\ufeff"
        );
    }

    #[test]
    fn ordinary_text_joiners_and_emoji_are_left_alone() {
        for text in [
            "laptop",
            "",
            "café — naïve ünïcödé",
            "日本語のキー",
            "שלום مرحبا",
            // Woman technologist and rainbow flag: ZWJ sequences.
            "\u{1f469}\u{200d}\u{1f4bb} \u{1f3f3}\u{fe0f}\u{200d}\u{1f308}",
            // The zero-width non-joiner that Persian needs.
            "می\u{200c}خواهم",
            "C:\\tmp\\u001b is a backslash, not an escape",
            "a1b2c3d4…9f0e",
        ] {
            assert!(
                matches!(escape(text), Cow::Borrowed(same) if same == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nothing_escaped_survives_and_every_escape_is_visible() {
        let all = (0..=0x3000)
            .chain(0xfe00..=0xffff)
            .filter_map(char::from_u32)
            .collect::<String>();
        let escaped = escape(&all);
        assert!(!escaped.chars().any(is_escaped), "{escaped:?}");
        for c in all.chars() {
            let one = escape(c.encode_utf8(&mut [0; 4])).into_owned();
            if is_escaped(c) {
                assert!(
                    one.starts_with('\\') && one.is_ascii() && one.len() >= 2,
                    "{c:?} → {one}"
                );
            } else {
                assert_eq!(one, c.to_string());
            }
        }
    }

    #[test]
    fn the_escaped_set_is_cc_and_the_listed_invisible_characters() {
        let escaped: Vec<u32> = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|&c| is_escaped(c))
            .map(u32::from)
            .collect();
        let expected: Vec<u32> = (0x00..=0x1f)
            .chain(0x7f..=0x9f)
            .chain([0x61c, 0x200b, 0x200e, 0x200f])
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .chain([0xfeff])
            .collect();
        assert_eq!(escaped, expected);
    }

    #[test]
    fn escaped_text_reads_as_the_same_string_in_json() {
        // The escapes are JSON's, so an escaped string between quotes is JSON for the original.
        let text = "x\u{1b}[2J\u{7}\n\t\r\u{8}\u{C}\u{7f}\u{9b}\u{202e}\u{feff}\u{200d}y";
        let parsed: String = serde_json::from_str(&format!("\"{}\"", escape(text))).unwrap();
        assert_eq!(parsed, text);
    }
}
