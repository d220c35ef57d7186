//! The time as the text formats write it: RFC 3339 with milliseconds, in UTC
//! ([`write_time`](super::write_time)) or in the system's local time zone ([`write_local_time`]).
//!
//! Records come many per second, so the calendar part is computed once per second per thread
//! and reused; the cache is keyed by the UTC second, so a change of offset (a DST switch, a new
//! `TZ`) shows from the next second on. Local time comes from `jiff`, which reads the zone
//! database itself: no call to libc's `localtime`, which is not safe beside `setenv` in other
//! threads.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH:MM:SS` and `+HH:MM`, for the UTC second it was computed for.
#[derive(Clone, Copy)]
struct LocalSecond {
    utc_second: i64,
    civil: [u8; 19],
    offset: [u8; 6],
}

thread_local! {
    static LOCAL: Cell<Option<LocalSecond>> = const { Cell::new(None) };
}

/// Appends `time` in the system's local time zone, RFC 3339 with milliseconds and the offset:
/// `2026-11-24T20:03:58.123+01:00`. A time the zone database cannot place (before year -9999
/// or after 9999) is written in UTC, as [`write_time`](super::write_time) does.
pub fn write_local_time(time: SystemTime, out: &mut Vec<u8>) {
    write_zoned(time, out, jiff::tz::TimeZone::system);
}

/// [`write_local_time`] in the zone `zone` gives (asked once per second and thread).
fn write_zoned(time: SystemTime, out: &mut Vec<u8>, zone: impl FnOnce() -> jiff::tz::TimeZone) {
    // Before 1970 (only a hand-built record): the epoch, as the UTC writer does.
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since.as_secs() as i64;
    let millis = since.subsec_millis();
    let cached = LOCAL.try_with(Cell::get).ok().flatten();
    let local = match cached {
        Some(c) if c.utc_second == second => c,
        _ => match compute(second, &zone()) {
            Some(c) => {
                let _ = LOCAL.try_with(|cell| cell.set(Some(c)));
                c
            }
            None => return super::write_time(UNIX_EPOCH + since, out),
        },
    };
    out.extend_from_slice(&local.civil);
    out.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
    ]);
    out.extend_from_slice(&local.offset);
}

#[cold]
fn compute(second: i64, zone: &jiff::tz::TimeZone) -> Option<LocalSecond> {
    let ts = jiff::Timestamp::from_second(second).ok()?;
    let offset = zone.to_offset(ts);
    let dt = offset.to_datetime(ts);
    let year = dt.year();
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut civil = [0u8; 19];
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut v = value;
        for i in (0..digits).rev() {
            civil[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, dt.month() as u32, 2);
    put(8, dt.day() as u32, 2);
    put(11, dt.hour() as u32, 2);
    put(14, dt.minute() as u32, 2);
    put(17, dt.second() as u32, 2);
    civil[4] = b'-';
    civil[7] = b'-';
    civil[10] = b'T';
    civil[13] = b':';
    civil[16] = b':';
    let secs = offset.seconds();
    let minutes = secs.unsigned_abs() / 60;
    let offset = [
        if secs < 0 { b'-' } else { b'+' },
        b'0' + (minutes / 600) as u8,
        b'0' + (minutes / 60 % 10) as u8,
        b':',
        b'0' + (minutes % 60 / 10) as u8,
        b'0' + (minutes % 10) as u8,
    ];
    Some(LocalSecond {
        utc_second: second,
        civil,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use jiff::tz::TimeZone;

    fn write(ms: u64, zone: &TimeZone) -> String {
        let mut out = Vec::new();
        super::write_zoned(UNIX_EPOCH + Duration::from_millis(ms), &mut out, || {
            zone.clone()
        });
        String::from_utf8(out).unwrap()
    }

    /// Checked against jiff's own formatting of the same instant, in the system zone and in
    /// zones with a DST change, a half-hour offset and a negative one, across seconds and days,
    /// jumping back and forth (the cache is per thread, keyed by the UTC second: each zone
    /// starts on a second the previous one did not end on).
    #[test]
    fn cached_local_time_matches_jiff() {
        let zones = [
            TimeZone::system(),
            TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap(),
            TimeZone::posix("IST-5:30").unwrap(),
            TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap(),
        ];
        // 2026-03-29 00:59:59.5 UTC is one second before Europe's spring change.
        let change = 1_774_745_999_500u64;
        for (z, zone) in zones.iter().enumerate() {
            let base = 1_795_892_638_123u64 + z as u64 * 86_400_000 + 1;
            let mut times: Vec<u64> = (0..1_500u64).map(|i| base + i * 7).collect();
            times.extend([change, change + 1_000, change - 1_000, base, 0]);
            for ms in times {
                let ts = jiff::Timestamp::from_millisecond(ms as i64).unwrap();
                let want = ts
                    .to_zoned_datetime(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
                    .to_string();
                assert_eq!(write(ms, zone), want, "{ms} in zone {z}");
            }
        }
    }

    #[test]
    fn the_system_zone_here_writes_the_offset() {
        let mut out = Vec::new();
        super::write_local_time(
            UNIX_EPOCH + Duration::from_millis(1_795_892_638_123),
            &mut out,
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), "2026-11-28T19:03:58.123+00:00".len(), "{text}");
        assert!(text.contains(".123"), "{text}");
    }
}
