//! The usual level of a series at a given hour, for rules that compare
//! with what is normal rather than with a fixed number: "more than 3 times
//! the usual errors for this hour", or "3 deviations above it". The usual
//! level is the mean of the same hour of day over the last 28 days, so a
//! nightly batch that always fails a few records does not fire every night,
//! while the same failures at noon do.

use serde::{Deserialize, Serialize};

/// Days of history the usual level is taken from.
pub const DAYS: i64 = 28;
/// Fewer past values than this and there is no usual level yet.
pub const MIN_SAMPLES: usize = 7;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// How a baseline rule sets its threshold from the usual level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "k")]
pub enum Baseline {
    /// `k` times the usual level.
    Times(f64),
    /// `k` standard deviations above the usual level.
    Deviations(f64),
}

/// The usual level of one hour: the mean and standard deviation of the
/// same hour of day over the last [`DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usual {
    /// The mean.
    pub mean: f64,
    /// The (population) standard deviation.
    pub stddev: f64,
    /// How many past hours it was taken from.
    pub samples: usize,
}

/// The usual level at the hour holding `at` (Unix seconds), from hourly
/// values `(hour start, value)`; hours missing from `history` count as 0
/// (no errors that hour). `None` with less than [`MIN_SAMPLES`] days of
/// history before `at`.
pub fn usual(history: &[(i64, f64)], at: i64, first_seen: i64) -> Option<Usual> {
    usual_by_hour(&history.iter().copied().collect(), at, first_seen)
}

/// [`usual`] from the values already keyed by hour start (a replay asks
/// for thousands of hours of one series).
pub fn usual_by_hour(
    by_hour: &std::collections::HashMap<i64, f64>,
    at: i64,
    first_seen: i64,
) -> Option<Usual> {
    let hour = at.div_euclid(HOUR) * HOUR;
    let values: Vec<f64> = (1..=DAYS)
        .map(|d| hour - d * DAY)
        .filter(|h| *h >= first_seen.div_euclid(HOUR) * HOUR)
        .map(|h| by_hour.get(&h).copied().unwrap_or(0.0))
        .collect();
    if values.len() < MIN_SAMPLES {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some(Usual {
        mean,
        stddev: var.sqrt(),
        samples: values.len(),
    })
}

impl Baseline {
    /// The threshold for an hour with usual level `u`. A floor of 1 keeps
    /// a usually silent hour from firing on its first single entry.
    pub fn threshold(self, u: &Usual) -> f64 {
        let t = match self {
            Baseline::Times(k) => u.mean * k,
            Baseline::Deviations(k) => u.mean + k * u.stddev,
        };
        t.max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 28 days of history: 2 errors an hour, 20 at 02:00 (a nightly batch).
    fn history(now: i64) -> Vec<(i64, f64)> {
        let start = now - DAYS * DAY;
        (0..DAYS * 24)
            .map(|h| {
                let t = start + h * HOUR;
                let at_two = t.rem_euclid(DAY) == 2 * HOUR;
                (t, if at_two { 20.0 } else { 2.0 })
            })
            .collect()
    }

    #[test]
    fn the_usual_level_is_the_same_hour_of_day_over_four_weeks() {
        let midnight = 1_796_083_200; // 2026-12-01T00:00:00Z
        let h = history(midnight);
        let night = usual(&h, midnight + 2 * HOUR + 600, 0).unwrap();
        assert_eq!((night.mean, night.samples), (20.0, 28));
        let noon = usual(&h, midnight + 12 * HOUR, 0).unwrap();
        assert_eq!(noon.mean, 2.0);
        // 25 errors fire at noon (above 3 x 2) but not at 02:00 (below 3 x 20).
        let rule = Baseline::Times(3.0);
        assert!(25.0 > rule.threshold(&noon));
        assert!(25.0 < rule.threshold(&night));
    }

    #[test]
    fn deviations_count_from_the_mean_and_quiet_hours_have_a_floor() {
        let u = Usual {
            mean: 10.0,
            stddev: 2.0,
            samples: 28,
        };
        assert_eq!(Baseline::Deviations(3.0).threshold(&u), 16.0);
        let quiet = Usual {
            mean: 0.0,
            stddev: 0.0,
            samples: 28,
        };
        assert_eq!(Baseline::Times(3.0).threshold(&quiet), 1.0);
    }

    #[test]
    fn too_little_history_gives_no_usual_level_and_gaps_count_as_zero() {
        let at = 1_796_083_200 + 12 * HOUR;
        // The series began 3 days ago.
        assert_eq!(usual(&[], at, at - 3 * DAY), None);
        // A week known, nothing recorded at that hour: usually 0.
        let u = usual(&[], at, at - 8 * DAY).unwrap();
        assert_eq!((u.mean, u.samples), (0.0, 8));
    }
}
