//! The `ts` field's text: RFC 3339 in UTC. Written and read by hand for the
//! form every client sends (chrono's general formatter and parser are slow on
//! this per-message path), with chrono for everything else.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-11-25T14:03:07.123Z`: RFC 3339 in UTC with milliseconds.
pub fn format_ts(ts: DateTime<Utc>) -> String {
    match ts_bytes(ts) {
        Some(bytes) => bytes.iter().map(|&b| char::from(b)).collect(),
        None => ts.to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

/// Writes [`format_ts`]'s text without building a `String`.
pub fn write_ts(out: &mut impl std::io::Write, ts: DateTime<Utc>) -> std::io::Result<()> {
    match ts_bytes(ts) {
        Some(bytes) => out.write_all(&bytes),
        None => out.write_all(ts.to_rfc3339_opts(SecondsFormat::Millis, true).as_bytes()),
    }
}

/// The common case by hand (chrono's formatter is general and slow): years
/// 0 to 9999 and no leap second; `None` leaves the rest to chrono.
fn ts_bytes(ts: DateTime<Utc>) -> Option<[u8; 24]> {
    use chrono::{Datelike, Timelike};
    // On the naive value: each accessor of a `DateTime` converts it afresh.
    let ts = ts.naive_utc();
    let year = ts.year();
    let nanos = ts.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let digits = |out: &mut [u8], mut v: u32| {
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    let mut b = *b"0000-00-00T00:00:00.000Z";
    digits(&mut b[0..4], year as u32);
    digits(&mut b[5..7], ts.month());
    digits(&mut b[8..10], ts.day());
    digits(&mut b[11..13], ts.hour());
    digits(&mut b[14..16], ts.minute());
    digits(&mut b[17..19], ts.second());
    digits(&mut b[20..23], nanos / 1_000_000);
    Some(b)
}

/// Any RFC 3339 time, as UTC; `None` when it is not one.
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    parse_ts_fast(s).or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc)))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, the form every client sends, read by
/// hand; anything else (offsets, leap seconds, odd separators) is left to chrono.
fn parse_ts_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (&last, body) = b.split_last()?;
    if last != b'Z' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let nanos = match &body[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => number(digits)? * 10u32.pow(9 - digits.len() as u32),
        _ => return None,
    };
    let second = number(&b[17..19])?;
    if second >= 60 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(number(&b[11..13])?, number(&b[14..16])?, second, nanos)?;
    Some(DateTime::from_naive_utc_and_offset(date.and_time(time), Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap() + chrono::Duration::milliseconds(123)
    }

    #[test]
    fn timestamps_format_like_chrono() {
        let chrono_way = |ts: DateTime<Utc>| ts.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut ts = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 58).unwrap();
        for _ in 0..5_000 {
            assert_eq!(format_ts(ts), chrono_way(ts));
            let mut written = Vec::new();
            write_ts(&mut written, ts).unwrap();
            assert_eq!(written, chrono_way(ts).into_bytes());
            ts += chrono::Duration::milliseconds(fastrand::i64(1..400_000_000_000));
        }
        for ts in [
            DateTime::<Utc>::UNIX_EPOCH,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
            // A leap second: chrono's own text, whatever it is.
            Utc.from_utc_datetime(
                &chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                    .unwrap()
                    .and_hms_milli_opt(23, 59, 59, 1_500)
                    .unwrap(),
            ),
            at(),
        ] {
            assert_eq!(format_ts(ts), chrono_way(ts), "{ts:?}");
        }
    }

    #[test]
    fn fast_timestamps_agree_with_chrono() {
        let chrono_way = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
        let mut cases: Vec<String> = [
            "2026-11-25T14:03:07Z",
            "2026-11-25T14:03:07.1Z",
            "2026-11-25T14:03:07.123Z",
            "2026-11-25T14:03:07.123456789Z",
            "2026-11-25T14:03:07.1234567891Z",
            "2026-11-25T14:03:07.Z",
            "2026-11-25T14:03:60Z",
            "2016-12-31T23:59:60.5Z",
            "2026-02-29T14:03:07Z",
            "2024-02-29T14:03:07Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25t14:03:07z",
            "2026-11-25 14:03:07Z",
            "2026-11-25T14:03:07+01:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "+2026-11-25T14:03:07Z",
            "2026-11-2514:03:07Z",
            "２026-11-25T14:03:07Z",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut ts = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        for _ in 0..2_000 {
            cases.push(format_ts(ts));
            cases.push(ts.to_rfc3339_opts(SecondsFormat::Secs, true));
            cases.push(ts.to_rfc3339_opts(SecondsFormat::Nanos, true));
            ts += chrono::Duration::nanoseconds(fastrand::i64(1..2_000_000_000_000_000));
        }
        for case in cases {
            if let Some(fast) = parse_ts_fast(&case) {
                assert_eq!(Some(fast), chrono_way(&case), "{case}");
            }
            assert_eq!(parse_ts(&case), chrono_way(&case), "{case}");
        }
        assert!(parse_ts_fast("2026-11-25T14:03:07.123Z").is_some());
    }
}
