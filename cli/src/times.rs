//! Durations and times on the command line (`--expires-in 30d`, `--overlap 1h`, `--expires-at
//! 2027-01-31T00:00:00Z`) and the RFC 3339 UTC times the API takes (PRODUCT.md sections 4, 12).
//! The value parsers check the ranges of the contract, so a bad value is a usage error (exit 2)
//! before any request.

use time::{Duration, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// How far ahead a key may expire.
const MAX_EXPIRY: Duration = Duration::days(366);
/// The longest overlap of a roll.
const MAX_OVERLAP: Duration = Duration::days(7);
const UNITS: &str = "units s, m, h, d and w, such as 90m, 12h, 30d or 1h30m";

/// The local clock, in UTC, to the second.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond")
}

/// `at` as the API writes times: `2026-11-26T10:49:18Z` (UTC, whole seconds).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond")
        .format(&Rfc3339)
        .expect("a time after year 0 formats as RFC 3339")
}

/// `90m`, `12h`, `30d`, `1h30m`: whole numbers, each with a unit (s, m, h, d, w); `0` alone
/// is no time at all.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: use whole numbers with {UNITS}");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let number: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = match rest[digits..].chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            Some('w') => 604_800,
            _ => return Err(bad()),
        };
        let part = number.checked_mul(unit).map(Duration::seconds);
        total = part.and_then(|part| total.checked_add(part)).ok_or_else(bad)?;
        rest = &rest[digits + 1..];
    }
    if text.is_empty() { Err(bad()) } else { Ok(total) }
}

/// `--expires-in`: the RFC 3339 time that far from now.
pub fn parse_expires_in(text: &str) -> Result<String, String> {
    let now = now();
    expiry(now + parse_duration(text)?, now)
}

/// `--expires-at`: an RFC 3339 time (any offset), as UTC.
pub fn parse_expires_at(text: &str) -> Result<String, String> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| format!("{text:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {error}"))?;
    expiry(at, now())
}

/// `at`, checked to be after `now` and at most 366 days ahead, as the API takes it.
fn expiry(at: OffsetDateTime, now: OffsetDateTime) -> Result<String, String> {
    if at <= now {
        Err("the key would expire at once: give a time in the future".into())
    } else if at > now + MAX_EXPIRY {
        Err(format!(
            "a key may expire at most 366 days ahead, not at {}",
            rfc3339(at)
        ))
    } else {
        Ok(rfc3339(at))
    }
}

/// `--overlap`: 0 to 7 days, in seconds.
pub fn parse_overlap(text: &str) -> Result<u64, String> {
    let overlap = parse_duration(text)?;
    if overlap > MAX_OVERLAP {
        return Err(format!("the overlap is at most 7 days (7d), not {text}"));
    }
    Ok(overlap.whole_seconds().unsigned_abs())
}

/// `1h`, `36h`, `7d`, `1h 30m`: a number of seconds as a person says it.
pub fn spoken(seconds: u64) -> String {
    let parts = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut rest = seconds;
    let mut words = Vec::new();
    for (size, unit) in parts {
        if rest >= size {
            words.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if words.is_empty() {
        "0s".to_owned()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_take_units_and_sums_of_them() {
        for (text, seconds) in [
            ("0", 0),
            ("45s", 45),
            ("90m", 5400),
            ("12h", 43_200),
            ("30d", 2_592_000),
            ("2w", 1_209_600),
            ("1h30m", 5400),
            ("0h", 0),
        ] {
            assert_eq!(parse_duration(text), Ok(Duration::seconds(seconds)), "{text}");
        }
        for bad in [
            "",
            "30",
            "d",
            "1.5h",
            "-1h",
            "1y",
            "h1",
            "1h30",
            " 1h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert!(
            parse_duration("9223372036854775807w").is_err(),
            "overflow is an error"
        );
    }

    #[test]
    fn expiries_are_in_the_future_and_at_most_366_days_ahead() {
        let now = datetime!(2026-11-26 10:49:18 UTC);
        assert_eq!(
            expiry(now + Duration::days(30), now),
            Ok("2026-12-26T10:49:18Z".into())
        );
        assert!(expiry(now + Duration::days(366), now).is_ok());
        assert!(expiry(now + Duration::days(367), now).is_err());
        assert!(expiry(now, now).is_err());
        assert!(expiry(now - Duration::hours(1), now).is_err());
        assert!(parse_expires_in("30d").unwrap().ends_with('Z'));
        assert!(parse_expires_in("0").is_err());
        assert!(parse_expires_in("400d").is_err());
    }

    #[test]
    fn expires_at_is_rfc_3339_turned_to_utc_whole_seconds() {
        let at = rfc3339(now() + Duration::days(2));
        assert_eq!(parse_expires_at(&at), Ok(at.clone()));
        let local = OffsetDateTime::parse(&at, &Rfc3339)
            .unwrap()
            .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        let text = local.format(&Rfc3339).unwrap();
        assert!(text.ends_with("+02:00"), "{text}");
        assert_eq!(parse_expires_at(&text), Ok(at));
        assert_eq!(
            rfc3339(datetime!(2026-11-26 10:49:18.75 +01:00)),
            "2026-11-26T09:49:18Z"
        );
        for bad in [
            "tomorrow",
            "2026-11-26",
            "2026-11-26 10:49:18Z",
            "2020-01-01T00:00:00Z",
        ] {
            assert!(parse_expires_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlaps_are_0_to_7_days() {
        assert_eq!(parse_overlap("0"), Ok(0));
        assert_eq!(parse_overlap("1h"), Ok(3600));
        assert_eq!(parse_overlap("7d"), Ok(604_800));
        assert!(parse_overlap("7d1s").is_err());
        assert!(parse_overlap("soon").is_err());
    }

    #[test]
    fn seconds_are_spoken_in_units() {
        assert_eq!(spoken(0), "0s");
        assert_eq!(spoken(3600), "1h");
        assert_eq!(spoken(5400), "1h 30m");
        assert_eq!(spoken(604_800), "7d");
        assert_eq!(spoken(90_061), "1d 1h 1m 1s");
    }
}
