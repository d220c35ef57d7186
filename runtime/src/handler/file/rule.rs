//! The rotation rule: when a file is due ([`Rotation`], the zone whose midnights end days, the
//! [`RotationClock`]) and how its backups are named and recognised.
//!
//! Pure arithmetic on times and names: it never touches the file system and never calls the clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When a [`RotatingFileHandler`](crate::RotatingFileHandler) starts a new file regardless of its
/// size.
///
/// Periods are UTC unless the builder says
/// [`local_time`](crate::handler::RotatingFileBuilder::local_time) (or names a
/// [`time_zone`](crate::handler::RotatingFileBuilder::time_zone)): `Daily` rotates at midnight,
/// `Weekly` at midnight starting Monday, `Hourly` at the top of every UTC hour (always UTC).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rotation {
    /// No time rotation (size rotation only, when
    /// [`max_bytes`](crate::handler::RotatingFileBuilder::max_bytes) is set).
    #[default]
    Never,
    /// A new file every UTC hour; backups are named `app.log.2026-11-24T19`.
    Hourly,
    /// A new file every day; backups are named `app.log.2026-11-24`.
    Daily,
    /// A new file every week, starting Monday; backups are named after the week's Monday,
    /// `app.log.2026-11-23`.
    Weekly,
}

/// The zone whose midnights end days and weeks.
#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Utc,
    System,
    Named(String),
}

/// The time source of time rotation. The default is [`WallClock`]; tests inject their own so
/// that they can cross a day without sleeping.
///
/// Any `Fn() -> SystemTime + Send + Sync` is a clock:
///
/// ```
/// use scoped_logger::RotatingFileHandler;
/// use scoped_logger::handler::Rotation;
/// use std::time::{Duration, UNIX_EPOCH};
/// # let dir = tempfile::tempdir().unwrap();
/// let fixed = || UNIX_EPOCH + Duration::from_secs(1_795_892_638);
/// let _handler = RotatingFileHandler::builder(dir.path().join("app.log"))
///     .rotate_every(Rotation::Daily)
///     .clock(fixed)
///     .open()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait RotationClock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync> RotationClock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The system's wall clock ([`SystemTime::now`]), the default of time rotation: the time of day
/// that periods end at, not the monotonic [`TaskClock`](crate::timing::TaskClock) that measures how
/// long a task took.
#[derive(Debug, Default, Clone, Copy)]
pub struct WallClock;

impl RotationClock for WallClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl Rotation {
    /// The period `time` falls in, counted from 1970 in this rotation's unit (0 for `Never`);
    /// days and weeks end at `zone`'s midnight (`None`: UTC).
    pub(crate) fn period_of(self, zone: Option<&jiff::tz::TimeZone>, time: SystemTime) -> u64 {
        match self {
            Rotation::Never => 0,
            Rotation::Hourly => secs_since_epoch(time) / 3600,
            Rotation::Daily => day_of(zone, time),
            // 1970-01-01 was a Thursday: weeks count from Monday 1969-12-29, day -3.
            Rotation::Weekly => (day_of(zone, time) + 3) / 7,
        }
    }

    /// The backup label of a period: `2026-11-24T19` (hourly), `2026-11-24` (the day, or the
    /// week's Monday).
    pub(crate) fn label_of(self, period: u64) -> String {
        let days_from = |start: jiff::civil::Date, days: u64| {
            i64::try_from(days)
                .ok()
                .and_then(|d| start.checked_add(jiff::Span::new().try_days(d).ok()?).ok())
                .unwrap_or(start)
                .to_string()
        };
        match self {
            Rotation::Hourly => {
                let start = UNIX_EPOCH + Duration::from_secs(period.saturating_mul(3600));
                humantime::format_rfc3339_seconds(start).to_string()[..13].to_owned()
            }
            Rotation::Weekly => {
                days_from(jiff::civil::date(1969, 12, 29), period.saturating_mul(7))
            }
            _ => days_from(jiff::civil::date(1970, 1, 1), period),
        }
    }
}

/// Days since 1970-01-01 in `zone` (`None`: UTC).
fn day_of(zone: Option<&jiff::tz::TimeZone>, time: SystemTime) -> u64 {
    let secs = secs_since_epoch(time);
    let Some(zone) = zone else {
        return secs / 86_400;
    };
    let days = i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|ts| zone.to_offset(ts).to_datetime(ts).date())
        .and_then(|date| date.since(jiff::civil::date(1970, 1, 1)).ok())
        .map_or(0, |span| span.get_days());
    u64::try_from(days).unwrap_or(0)
}

/// Size-rotated sources waiting for compression: `app.log.pending-<seconds>.<nanos>`.
pub(crate) const PENDING: &str = "pending-";

/// A name part that sorts in time order: 20 digits of seconds, 9 of nanoseconds.
pub(crate) fn secs_and_nanos(time: SystemTime) -> String {
    let d = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{:020}.{:09}", d.as_secs(), d.subsec_nanos())
}

fn secs_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2026-11-24`, `2026-11-24T19`, optionally followed by `.k`: the label and k (0 when absent).
pub(crate) fn parse_timed_suffix(suffix: &str) -> Option<(&str, u32)> {
    let (label, k) = match suffix.split_once('.') {
        Some((label, k)) => (label, k.parse().ok()?),
        None => (suffix, 0),
    };
    let b = label.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let date = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-';
    let ok = date
        && digits(8..10)
        && match b.len() {
            10 => true,
            13 => b[10] == b'T' && digits(11..13),
            _ => false,
        };
    ok.then_some((label, k))
}

#[cfg(test)]
mod tests {
    use super::parse_timed_suffix;

    #[test]
    fn timed_suffixes() {
        assert_eq!(parse_timed_suffix("2026-11-24"), Some(("2026-11-24", 0)));
        assert_eq!(
            parse_timed_suffix("2026-11-24T19.2"),
            Some(("2026-11-24T19", 2))
        );
        assert_eq!(parse_timed_suffix("1"), None);
        assert_eq!(parse_timed_suffix("2026-11-24.x"), None);
        assert_eq!(parse_timed_suffix("2026-11-24T1"), None);
        assert_eq!(parse_timed_suffix("gz"), None);
    }
}
