//! China Standard Time: the day turns at local midnight, not UTC's.

use sanji_domain::time::{UnixMillis, cst_date, cst_datetime, format_cst};

/// Milliseconds of a UTC instant written as RFC 3339.
fn utc(text: &str) -> UnixMillis {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis() as UnixMillis
}

#[test]
fn the_cst_date_turns_at_local_midnight() {
    for (instant, date) in [
        ("2026-11-26T00:00:00Z", "2026-11-26"),
        ("2026-11-25T16:00:00Z", "2026-11-26"),
        ("2026-11-25T15:59:59.999Z", "2026-11-25"),
        ("2026-11-26T15:59:59.999Z", "2026-11-26"),
        ("2026-11-26T16:00:00Z", "2026-11-27"),
        ("2026-11-26T16:30:00Z", "2026-11-27"),
        // Month end.
        ("2026-01-31T15:59:59.999Z", "2026-01-31"),
        ("2026-01-31T16:00:00Z", "2026-02-01"),
        ("2026-02-28T16:00:00Z", "2026-03-01"),
        ("2028-02-28T16:00:00Z", "2028-02-29"),
        // Year end.
        ("2026-12-31T15:59:59.999Z", "2026-12-31"),
        ("2026-12-31T16:00:00Z", "2027-01-01"),
        ("2026-12-31T23:59:59Z", "2027-01-01"),
        // An instant given with its own offset.
        ("2027-01-01T00:00:00+08:00", "2027-01-01"),
        ("2026-12-31T23:59:59+08:00", "2026-12-31"),
        ("1970-01-01T00:00:00Z", "1970-01-01"),
    ] {
        assert_eq!(cst_date(utc(instant)).to_string(), date, "{instant}");
    }
}

#[test]
fn the_known_millisecond_values_agree() {
    assert_eq!(utc("2026-11-26T16:00:00Z"), 1_795_708_800_000);
    assert_eq!(utc("2026-01-31T16:00:00Z"), 1_769_875_200_000);
    assert_eq!(utc("2026-12-31T16:00:00Z"), 1_798_732_800_000);
}

#[test]
fn times_are_shown_in_beijing_time() {
    assert_eq!(format_cst(utc("2026-12-31T16:00:00Z")), "2027-01-01 00:00");
    assert_eq!(format_cst(utc("2026-11-26T13:05:59Z")), "2026-11-26 21:05");
    assert_eq!(
        cst_datetime(utc("2026-11-26T13:05:00Z")).to_rfc3339(),
        "2026-11-26T21:05:00+08:00"
    );
}

#[test]
fn absurd_instants_do_not_panic() {
    // Untrusted stamps reach these functions: they must clamp, not panic.
    let max = cst_date(u64::MAX);
    for ms in [
        u64::MAX,
        i64::MAX as u64 + 1,
        i64::MAX as u64,
        chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis() as u64,
    ] {
        assert_eq!(cst_date(ms), max, "{ms}");
        assert!(!format_cst(ms).is_empty());
    }
    // Far in the future, but clamped: later than any real record date.
    assert!(max > cst_date(utc("9999-12-31T23:59:59Z")));
    assert_eq!(cst_date(0).to_string(), "1970-01-01");
}
