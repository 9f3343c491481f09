//! China Standard Time. Day boundaries are local midnight (UTC+8), never UTC's.
//!
//! China has kept a fixed UTC+8 without daylight saving since 1991, so a fixed
//! offset is the exact zone for every date this system records.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Milliseconds since the Unix epoch; the only clock reading the domain accepts.
pub type UnixMillis = u64;

pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The local (CST) calendar date of an instant.
pub fn cst_date(ms: UnixMillis) -> NaiveDate {
    cst_datetime(ms).date_naive()
}

pub fn cst_datetime(ms: UnixMillis) -> DateTime<FixedOffset> {
    // Stamps come off the wire: clamp so that even the local (UTC+8) time of
    // the latest instant is representable, or chrono panics.
    let latest = DateTime::<Utc>::MAX_UTC.timestamp_millis() - i64::from(8 * 3600 * 1000);
    let utc = Utc
        .timestamp_millis_opt(ms.min(latest as u64) as i64)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    utc.with_timezone(&cst())
}

/// `2026-11-26 21:05` in CST, for people.
pub fn format_cst(ms: UnixMillis) -> String {
    cst_datetime(ms).format("%Y-%m-%d %H:%M").to_string()
}

/// A calendar date as people type it, `YYYY-MM-DD`; the error names `field`.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, crate::FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        crate::FieldError::new(
            field,
            format!("日期 {text:?} 不对,应为 年-月-日,如 2026-12-20"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_local_midnight() {
        // 2026-11-26T15:59:59.999Z is 23:59:59.999 in Beijing; one ms later it is the 27th.
        let before = 1_795_708_799_999;
        assert_eq!(cst_date(before).to_string(), "2026-11-26");
        assert_eq!(cst_date(before + 1).to_string(), "2026-11-27");
        assert_eq!(format_cst(before + 1), "2026-11-27 00:00");
    }
}
