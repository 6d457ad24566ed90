//! Times in an environment's time zone: plans are kept in UTC and shown,
//! entered and exported in the zone where the weekend happens, named on
//! every page. Daylight-saving changes are the tz database's (a cutover
//! weekend can span one).

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike,
};
use chrono_tz::Tz;

/// The zone of an IANA name ("Europe/Amsterdam", "UTC"), or a message
/// saying what is expected.
pub fn parse(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!(
            "'{}' is not a time zone: use an IANA name such as Europe/Amsterdam, America/Chicago or UTC.",
            name.trim()
        )
    })
}

/// The zone of a stored name; UTC for anything unreadable (the name was
/// checked when stored, so that means a tz database without it).
pub fn zone(name: &str) -> Tz {
    parse(name).unwrap_or(Tz::UTC)
}

fn local(secs: i64, tz: Tz) -> Option<DateTime<Tz>> {
    DateTime::from_timestamp(secs, 0).map(|d| d.with_timezone(&tz))
}

/// "Fri 4 Dec 18:00", as pages show a time.
pub fn show(secs: i64, tz: Tz) -> String {
    local(secs, tz)
        .map(|d| d.format("%a %-d %b %H:%M").to_string())
        .unwrap_or_default()
}

/// "Fri 18:00", for chart axes and lists within one weekend.
pub fn short(secs: i64, tz: Tz) -> String {
    local(secs, tz)
        .map(|d| d.format("%a %H:%M").to_string())
        .unwrap_or_default()
}

/// "18:00:05", the time of a page's data.
pub fn clock(secs: i64, tz: Tz) -> String {
    local(secs, tz)
        .map(|d| d.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// "2026-12-04 18:00", as the CSV export writes a time.
pub fn write(secs: i64, tz: Tz) -> String {
    local(secs, tz)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// "2026-12-04T18:00", a `datetime-local` input's value.
pub fn input(secs: i64, tz: Tz) -> String {
    local(secs, tz)
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A local time as typed ("2026-12-04 18:00", "2026-12-04T18:00", with
/// or without seconds) to Unix seconds. A time that the clocks skip is
/// refused; one that happens twice (clocks going back) is the first.
pub fn read(text: &str, tz: Tz) -> Result<i64, String> {
    let t = text.trim();
    let naive = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .ok_or_else(|| {
        format!("'{t}' is not a date and time: write it as 2026-12-04 18:00 ({tz} time).")
    })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => Ok(d.timestamp()),
        LocalResult::None => Err(format!(
            "{t} does not exist in {tz}: the clocks skip it. Pick a time an hour later."
        )),
    }
}

/// Unix seconds of `date` at `hour:minute` local time plus `days`; for
/// the template's Friday 18:00 → Monday 08:00.
pub fn at(date: NaiveDate, days: i64, hour: u32, minute: u32, tz: Tz) -> Result<i64, String> {
    let day = date + Duration::days(days);
    let naive = day
        .and_hms_opt(hour, minute, 0)
        .ok_or_else(|| "That is not a time of day.".to_string())?;
    read(&naive.format("%Y-%m-%d %H:%M").to_string(), tz)
}

/// The date of the next Friday after `now` in the zone (today when today
/// is a Friday before 18:00).
pub fn next_friday(now: i64, tz: Tz) -> NaiveDate {
    let today = local(now, tz).map(|d| d.date_naive()).unwrap_or_default();
    let ahead = (4 + 7 - today.weekday().num_days_from_monday() as i64) % 7;
    let friday = today + Duration::days(ahead);
    let late = local(now, tz).is_some_and(|d| d.hour() >= 18);
    if ahead == 0 && late {
        friday + Duration::days(7)
    } else {
        friday
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_show_in_the_zone() {
        let tz = parse("Europe/Amsterdam").unwrap();
        let t = read("2026-12-04 18:00", tz).unwrap();
        // 18:00 in Amsterdam in December is 17:00 UTC.
        assert_eq!(write(t, Tz::UTC), "2026-12-04 17:00");
        assert_eq!(show(t, tz), "Fri 4 Dec 18:00");
        assert_eq!(input(t, tz), "2026-12-04T18:00");
        assert_eq!(read("2026-12-04T18:00", tz), Ok(t));
    }

    #[test]
    fn bad_zones_and_skipped_times_are_named() {
        assert!(parse("Mars/Olympus").unwrap_err().contains("IANA name"));
        let tz = parse("Europe/Amsterdam").unwrap();
        assert!(
            read("2027-03-28 02:30", tz)
                .unwrap_err()
                .contains("clocks skip")
        );
        assert!(
            read("Friday 6pm", tz)
                .unwrap_err()
                .contains("2026-12-04 18:00")
        );
    }

    #[test]
    fn the_next_friday_is_found_from_any_day() {
        let tz = Tz::UTC;
        let wed = read("2026-12-02 10:00", tz).unwrap();
        assert_eq!(next_friday(wed, tz).to_string(), "2026-12-04");
        let fri_noon = read("2026-12-04 12:00", tz).unwrap();
        assert_eq!(next_friday(fri_noon, tz).to_string(), "2026-12-04");
        let fri_night = read("2026-12-04 19:00", tz).unwrap();
        assert_eq!(next_friday(fri_night, tz).to_string(), "2026-12-11");
        let sat = read("2026-12-05 10:00", tz).unwrap();
        assert_eq!(next_friday(sat, tz).to_string(), "2026-12-11");
    }
}
