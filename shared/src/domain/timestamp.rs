//! Times as RFC 3339 UTC strings with whole seconds (`2026-11-26T10:49:18Z`). The fixed width
//! makes string order equal time order, which the conditional writes rely on.

use time::{Duration, OffsetDateTime, format_description::FormatItem, macros::format_description};

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .expect("a UTC time always formats")
}

/// The formatted time `d` before `t`.
pub fn format_before(t: OffsetDateTime, d: Duration) -> String {
    format(t - d)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The time of epoch milliseconds.
pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .expect("epoch milliseconds of this era are in range")
}

/// The formatted time of epoch milliseconds.
pub fn format_ms(ms: i64) -> String {
    format(from_ms(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_rfc3339_utc_whole_seconds() {
        assert_eq!(
            format(datetime!(2026-11-26 10:49:18.987 UTC)),
            "2026-11-26T10:49:18Z"
        );
        assert_eq!(
            format(datetime!(2026-11-26 12:49:18 +02:00)),
            "2026-11-26T10:49:18Z"
        );
    }

    #[test]
    fn string_order_is_time_order() {
        let a = format(datetime!(2026-01-02 03:04:05 UTC));
        let b = format_before(datetime!(2026-01-02 03:05:05 UTC), Duration::seconds(59));
        assert!(a < b);
    }
}
