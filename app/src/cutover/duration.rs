//! Task durations as people write them ("90", "90m", "1h30m", "1:30",
//! "2 h", "1d") and as the console writes them back.

/// Minutes from a duration as typed: bare minutes, `h`/`m`/`d` parts, or
/// `H:MM`. Errors say which forms are understood.
pub fn parse(text: &str) -> Result<i64, String> {
    let s: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let bad = || {
        format!(
            "'{}' is not a duration: write minutes (90), hours and minutes (1h30m) or H:MM (1:30).",
            text.trim()
        )
    };
    if s.is_empty() {
        return Ok(0);
    }
    if let Some((h, m)) = s.split_once(':') {
        let h: i64 = h.parse().map_err(|_| bad())?;
        let m: i64 = m.parse().map_err(|_| bad())?;
        if !(0..60).contains(&m) || h < 0 {
            return Err(bad());
        }
        return h
            .checked_mul(60)
            .and_then(|h| h.checked_add(m))
            .ok_or_else(bad);
    }
    if let Ok(n) = s.parse::<i64>() {
        return if n < 0 { Err(bad()) } else { Ok(n) };
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut last_unit = 0u8;
    let mut rest = s.as_str();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            number.push(c);
            rest = &rest[1..];
            continue;
        }
        // A unit word: d/day/days, h/hr/hrs/hour/hours, m/min/mins/minute/minutes.
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        rest = &rest[word.len()..];
        let (rank, factor) = match word.as_str() {
            "d" | "day" | "days" => (1, 1440),
            "h" | "hr" | "hrs" | "hour" | "hours" => (2, 60),
            "m" | "min" | "mins" | "minute" | "minutes" => (3, 1),
            _ => return Err(bad()),
        };
        if number.is_empty() || rank <= last_unit {
            return Err(bad());
        }
        last_unit = rank;
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        // "1h30": minutes after the hours, as people write it.
        if last_unit != 2 {
            return Err(bad());
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = total.checked_add(n).ok_or_else(bad)?;
    }
    Ok(total)
}

/// The compact form the CSV export and the edit form use: "45m", "2h",
/// "1h30m", "0".
pub fn compact(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, 0) => "0".into(),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// The readable form pages show: "45 min", "2 h", "1 h 30 min", "1 d 2 h".
pub fn words(minutes: i64) -> String {
    let sign = if minutes < 0 { "−" } else { "" };
    let m = minutes.abs();
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    let text = match (d, h, min) {
        (0, 0, 0) => "0 min".to_string(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, 0) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    };
    format!("{sign}{text}")
}

/// A span in seconds in words, rounded down to the minute.
pub fn span_words(seconds: i64) -> String {
    words(seconds / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_form_reads() {
        for (text, want) in [
            ("90", 90),
            (" 90m ", 90),
            ("1h30m", 90),
            ("1 h 30 min", 90),
            ("1:30", 90),
            ("2h", 120),
            ("2 hours", 120),
            ("1d", 1440),
            ("1d2h", 1560),
            ("0", 0),
            ("", 0),
            ("0:05", 5),
            ("1h30", 90),
        ] {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn nonsense_is_refused_with_the_forms_understood() {
        for text in [
            "-5",
            "1:75",
            "abc",
            "30m2h",
            "2x",
            "h",
            "1d30",
            "99999999999999999999d",
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains("is not a duration"), "{text}: {err}");
        }
    }

    #[test]
    fn written_back_reads_the_same() {
        for m in [0, 5, 60, 90, 1440, 1565] {
            assert_eq!(parse(&compact(m)), Ok(m));
        }
        assert_eq!(words(90), "1 h 30 min");
        assert_eq!(words(1560), "1 d 2 h");
        assert_eq!(words(-45), "−45 min");
    }
}
