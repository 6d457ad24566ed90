//! From stored points to a rule's value at a moment: sums over a sliding
//! window, rates, latest readings, minutes since an event, running levels —
//! and a rule run step by step over a series, which is both one live
//! evaluation (one step) and the editor's preview (thirty days of steps).
//!
//! Points come from the rollups (hourly error counts, minute or hourly
//! throughput) and from the stores' own events (a group first seen, a
//! count, a run). A window that covers part of a bucket takes the covered
//! part of its count, assuming the bucket's entries spread evenly; the
//! bucket still being filled ends at `now`, so the current hour counts
//! whole in a live evaluation.

use super::baseline;
use super::rule::{Aggregate, RuleContent, Test};
use super::state::{Instance, Notice, Reading, State, evaluate};
use serde::{Deserialize, Serialize};

/// One stored point: a bucket `[at, at + span)` (span 0: an event at
/// `at`) with a value `a` and, for rates, a denominator `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Start (Unix seconds).
    pub at: i64,
    /// Length in seconds; 0 for an event.
    pub span: i64,
    /// The value (a count, a reading, +1/−1 for a level).
    pub a: f64,
    /// The denominator of a rate.
    pub b: f64,
}

impl Point {
    /// An event or reading at `at`.
    pub fn event(at: i64, a: f64) -> Self {
        Point {
            at,
            span: 0,
            a,
            b: 0.0,
        }
    }
}

/// Which instance a series belongs to: a map, a collector, or the whole
/// environment (`map_id` `None`, empty `name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    /// The map, for a series per map.
    pub map_id: Option<i64>,
    /// The map's or collector's name; empty for the environment.
    pub name: String,
}

impl Key {
    /// The environment as a whole.
    pub fn whole() -> Self {
        Key {
            map_id: None,
            name: String::new(),
        }
    }
}

/// A series' points in time order, with running sums for fast windows.
#[derive(Debug, Clone, Default)]
pub struct Series {
    points: Vec<Point>,
    sum_a: Vec<f64>,
    sum_b: Vec<f64>,
}

impl Series {
    /// Sorts the points and prepares the running sums.
    pub fn new(mut points: Vec<Point>) -> Self {
        points.sort_by_key(|p| p.at);
        let mut sum_a = Vec::with_capacity(points.len() + 1);
        let mut sum_b = Vec::with_capacity(points.len() + 1);
        let (mut a, mut b) = (0.0, 0.0);
        sum_a.push(0.0);
        sum_b.push(0.0);
        for p in &points {
            a += p.a;
            b += p.b;
            sum_a.push(a);
            sum_b.push(b);
        }
        Series {
            points,
            sum_a,
            sum_b,
        }
    }

    /// The points.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The part of each bucket that falls in `(lo, hi]`, summed, as
    /// (Σa, Σb). A bucket ends at `now` at the latest.
    fn window_sums(&self, lo: i64, hi: i64, now: i64) -> (f64, f64) {
        let p = &self.points;
        let first = p.partition_point(|x| x.at + x.span.max(0) <= lo);
        let last = p.partition_point(|x| if x.span == 0 { x.at <= hi } else { x.at < hi });
        if first >= last {
            return (0.0, 0.0);
        }
        let mut a = self.sum_a[last] - self.sum_a[first];
        let mut b = self.sum_b[last] - self.sum_b[first];
        let mut edges = vec![first];
        if last - 1 != first {
            edges.push(last - 1);
        }
        for i in edges {
            let x = p[i];
            if x.span == 0 {
                continue;
            }
            let end = (x.at + x.span).min(now.max(x.at + 1));
            let covered = (end.min(hi) - x.at.max(lo)).max(0) as f64;
            let share = (covered / (end - x.at) as f64).min(1.0);
            a -= x.a * (1.0 - share);
            b -= x.b * (1.0 - share);
        }
        (a.max(0.0), b.max(0.0))
    }

    /// The latest point at or before `t`.
    fn latest(&self, t: i64) -> Option<&Point> {
        let i = self.points.partition_point(|x| x.at <= t);
        i.checked_sub(1).map(|i| &self.points[i])
    }

    /// The value at `t` over `window` seconds, as `aggregate` combines it.
    pub fn value_at(&self, aggregate: Aggregate, t: i64, window: i64, now: i64) -> Reading {
        match aggregate {
            // A count is whole: the share of a bucket rounds to the nearest.
            Aggregate::Sum => Reading::Value(self.window_sums(t - window, t, now).0.round()),
            Aggregate::Ratio => match self.window_sums(t - window, t, now) {
                (_, b) if b <= 0.0 => Reading::NoData,
                (a, b) => Reading::Value(round(a / b * 100.0)),
            },
            Aggregate::Last => match self.latest(t) {
                Some(p) if p.at > t - window => Reading::Value(p.a),
                _ => Reading::NoData,
            },
            Aggregate::Hold => self
                .latest(t)
                .map_or(Reading::NoData, |p| Reading::Value(p.a)),
            Aggregate::Since => self.latest(t).map_or(Reading::NoData, |p| {
                Reading::Value(((t - p.at) / 60) as f64)
            }),
            Aggregate::Level => {
                let i = self.points.partition_point(|x| x.at <= t);
                Reading::Value(self.sum_a[i])
            }
        }
    }

    /// Σa per whole hour, for the baseline's usual level.
    pub fn hourly(&self) -> Vec<(i64, f64)> {
        let mut out: Vec<(i64, f64)> = vec![];
        for p in &self.points {
            let h = p.at.div_euclid(3600) * 3600;
            match out.last_mut() {
                Some((last, v)) if *last == h => *v += p.a,
                _ => out.push((h, p.a)),
            }
        }
        out
    }
}

/// Rounds to two decimals, so a share of a bucket reads as people expect.
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One step of a rule on one series: the reading and the threshold it was
/// held against (a baseline rule's changes by the hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When (Unix seconds).
    pub at: i64,
    /// The value, if there was one.
    pub value: Option<f64>,
    /// The threshold then (`None` while a baseline has too little history).
    pub threshold: Option<f64>,
}

/// A rule run over one series: each step, each change of state and each
/// notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Every step.
    pub steps: Vec<Step>,
    /// (when, the state entered).
    pub changes: Vec<(i64, State)>,
    /// (when, what would have been sent).
    pub notices: Vec<(i64, Notice)>,
    /// Where the instance stands after the last step.
    pub last: Option<Instance>,
}

impl Run {
    /// The periods spent in `states`: (from, to), `to` `None` while it
    /// still holds at the end.
    pub fn periods(&self, states: &[State]) -> Vec<(i64, Option<i64>)> {
        let mut out: Vec<(i64, Option<i64>)> = vec![];
        for (at, s) in &self.changes {
            let open = out.last().is_some_and(|p| p.1.is_none());
            match (states.contains(s), open) {
                (true, false) => out.push((*at, None)),
                (false, true) => {
                    if let Some(p) = out.last_mut() {
                        p.1 = Some(*at);
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The first moment a baseline may use: history starts with the series.
fn first_seen(series: &Series) -> i64 {
    series.points.first().map_or(i64::MAX, |p| p.at)
}

/// Runs `rule` over `series` at each of `times` (ascending), from `start`
/// (a stored instance, or Normal). `now` ends the bucket still filling.
/// With `failure` set, every step reads as that error (the data could not
/// be read).
pub fn run(
    rule: &RuleContent,
    series: &Series,
    times: &[i64],
    start: Option<Instance>,
    now: i64,
    failure: Option<&str>,
) -> Run {
    let aggregate = rule.watch.aggregate();
    let hourly =
        matches!(rule.test, Test::Baseline(_)).then(|| (series.hourly(), first_seen(series)));
    run_with(rule, times, start, failure, hourly, |t| {
        series.value_at(aggregate, t, rule.window_secs, now)
    })
}

/// Runs `rule` over several series read as one: at each step the worst of
/// their values (the highest for a rule that fires above, the lowest for
/// one that fires below); no data only when none has any.
pub fn run_worst(
    rule: &RuleContent,
    all: &[Series],
    times: &[i64],
    start: Option<Instance>,
    now: i64,
    failure: Option<&str>,
) -> Run {
    let aggregate = rule.watch.aggregate();
    let below = matches!(
        rule.test,
        Test::Fixed {
            comparator: super::Comparator::Below,
            ..
        }
    );
    run_with(rule, times, start, failure, None, |t| {
        let values =
            all.iter()
                .filter_map(|s| match s.value_at(aggregate, t, rule.window_secs, now) {
                    Reading::Value(v) => Some(v),
                    _ => None,
                });
        let worst = if below {
            values.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))))
        } else {
            values.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        };
        worst.map_or(Reading::NoData, Reading::Value)
    })
}

fn run_with(
    rule: &RuleContent,
    times: &[i64],
    start: Option<Instance>,
    failure: Option<&str>,
    hourly: Option<(Vec<(i64, f64)>, i64)>,
    reading_at: impl Fn(i64) -> Reading,
) -> Run {
    let mut out = Run::default();
    // A baseline's hours keyed once, and its threshold worked out once per
    // hour: every step in an hour compares with the same usual level.
    let hourly = hourly.map(|(h, first)| {
        (
            h.into_iter().collect::<std::collections::HashMap<_, _>>(),
            first,
        )
    });
    let mut cached: Option<(i64, Option<f64>)> = None;
    let mut at_state = match (start, times.first()) {
        (Some(s), _) => s,
        (None, Some(t)) => Instance::new(*t),
        (None, None) => return out,
    };
    for &t in times {
        let threshold = match (&rule.test, &hourly) {
            // The window ending at t covers the hour before it.
            (Test::Baseline(b), Some((h, first))) => {
                let hour = (t - 1).div_euclid(3600);
                match cached {
                    Some((at, v)) if at == hour => v,
                    _ => {
                        let v = baseline::usual_by_hour(h, t - 1, *first).map(|u| b.threshold(&u));
                        cached = Some((hour, v));
                        v
                    }
                }
            }
            (Test::Fixed { threshold, .. }, _) => Some(*threshold),
            _ => None,
        };
        let reading = match failure {
            Some(why) => Reading::Error(why.to_string()),
            None if threshold.is_none() => Reading::NoData,
            None => reading_at(t),
        };
        let condition = rule.condition(threshold);
        let (next, notices) = evaluate(&condition, &at_state, t, &reading);
        out.steps.push(Step {
            at: t,
            value: match reading {
                Reading::Value(v) => Some(v),
                _ => None,
            },
            threshold,
        });
        if next.state != at_state.state {
            out.changes.push((t, next.state));
        }
        out.notices.extend(notices.into_iter().map(|n| (t, n)));
        at_state = next;
    }
    out.last = Some(at_state);
    out
}

/// The evaluation times of a replay over `(from, to]`: every interval,
/// aligned to it, so the preview's steps fall where live ones would, and
/// `to` itself, so the replay ends with what a live evaluation sees now.
pub fn times(from: i64, to: i64, interval: i64) -> Vec<i64> {
    let interval = interval.max(60);
    let first = from.div_euclid(interval) * interval + interval;
    let mut out: Vec<i64> = (0..)
        .map(|i| first + i * interval)
        .take_while(|t| *t <= to)
        .collect();
    if out.last().is_some_and(|l| *l < to) {
        out.push(to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::starter_set;

    const H: i64 = 3600;

    fn hour(at: i64, n: f64) -> Point {
        Point {
            at,
            span: H,
            a: n,
            b: 0.0,
        }
    }

    #[test]
    fn a_window_takes_the_covered_share_of_each_bucket_and_the_filling_one_whole() {
        let s = Series::new(vec![hour(0, 60.0), hour(H, 30.0)]);
        // Past, at 1:30: half of hour 0 and half of hour 1.
        assert_eq!(
            s.value_at(Aggregate::Sum, H + H / 2, H, 10 * H),
            Reading::Value(45.0)
        );
        // Live at 1:30: hour 1 is still filling, so its 30 count whole.
        assert_eq!(
            s.value_at(Aggregate::Sum, H + H / 2, H, H + H / 2),
            Reading::Value(60.0)
        );
        // At the hour: exactly hour 0.
        assert_eq!(
            s.value_at(Aggregate::Sum, H, H, 10 * H),
            Reading::Value(60.0)
        );
        // Nothing in the window is zero, not missing.
        assert_eq!(
            s.value_at(Aggregate::Sum, 9 * H, H, 10 * H),
            Reading::Value(0.0)
        );
    }

    #[test]
    fn rates_latest_readings_silence_and_levels() {
        let rate = Series::new(vec![Point {
            at: 0,
            span: 60,
            a: 5.0,
            b: 50.0,
        }]);
        assert_eq!(
            rate.value_at(Aggregate::Ratio, 60, 60, 600),
            Reading::Value(10.0)
        );
        assert_eq!(
            rate.value_at(Aggregate::Ratio, 600, 60, 600),
            Reading::NoData
        );
        let counts = Series::new(vec![Point::event(100, 3.0), Point::event(200, 0.0)]);
        assert_eq!(
            counts.value_at(Aggregate::Last, 150, 100, 0),
            Reading::Value(3.0)
        );
        assert_eq!(
            counts.value_at(Aggregate::Last, 250, 100, 0),
            Reading::Value(0.0)
        );
        assert_eq!(
            counts.value_at(Aggregate::Last, 400, 100, 0),
            Reading::NoData
        );
        assert_eq!(
            counts.value_at(Aggregate::Hold, 4000, 100, 0),
            Reading::Value(0.0)
        );
        assert_eq!(
            counts.value_at(Aggregate::Since, 200 + 900, 60, 0),
            Reading::Value(15.0)
        );
        assert_eq!(
            counts.value_at(Aggregate::Since, 50, 60, 0),
            Reading::NoData
        );
        let open = Series::new(vec![
            Point::event(10, 1.0),
            Point::event(20, 1.0),
            Point::event(30, -1.0),
        ]);
        assert_eq!(
            open.value_at(Aggregate::Level, 25, 0, 0),
            Reading::Value(2.0)
        );
        assert_eq!(
            open.value_at(Aggregate::Level, 35, 0, 0),
            Reading::Value(1.0)
        );
    }

    #[test]
    fn the_starter_errors_rule_fires_on_a_busy_hour_and_resolves_with_keep_firing_for() {
        let rule = &starter_set()[0];
        let s = Series::new(vec![
            hour(0, 2.0),
            hour(H, 30.0),
            hour(2 * H, 0.0),
            hour(3 * H, 0.0),
        ]);
        let ts = times(0, 4 * H, rule.interval_secs);
        let r = run(rule, &s, &ts, None, 10 * H, None);
        let fired = r.notices.iter().find(|n| n.1 == Notice::Firing).unwrap().0;
        let resolved = r
            .notices
            .iter()
            .find(|n| n.1 == Notice::Resolved)
            .unwrap()
            .0;
        // 30 in hour 1: past 10 once a third of it is in the window (plus
        // hour 0's share), at 1:20.
        assert_eq!(fired, H + 20 * 60);
        // Below 5 when under a sixth of hour 1 is left (2:50), then 15
        // minutes of keep-firing-for.
        assert_eq!(resolved, 2 * H + 50 * 60 + 15 * 60);
        assert_eq!(
            r.periods(&[State::Firing, State::Recovering]),
            vec![(fired, Some(resolved))]
        );
        assert_eq!(r.last.unwrap().state, State::Normal);
    }

    #[test]
    fn a_baseline_rule_waits_for_history_then_fires_on_an_unusual_hour() {
        let mut rule = starter_set()[0].clone();
        rule.test = Test::Baseline(crate::alerts::baseline::Baseline::Times(3.0));
        rule.keep_firing_secs = 0;
        let day = 24 * H;
        // 10 days of 4 entries at noon, then 20 at noon on day 10.
        let mut points: Vec<Point> = (0..10).map(|d| hour(d * day + 12 * H, 4.0)).collect();
        points.push(hour(10 * day + 12 * H, 20.0));
        let s = Series::new(points);
        let early = run(&rule, &s, &[3 * day + 13 * H], None, 11 * day, None);
        assert_eq!(
            early.steps[0].threshold, None,
            "under 7 days: no usual level yet"
        );
        let r = run(
            &rule,
            &s,
            &times(10 * day, 11 * day, 3600),
            None,
            11 * day,
            None,
        );
        assert_eq!(
            r.steps
                .iter()
                .find(|s| s.at == 10 * day + 13 * H)
                .unwrap()
                .threshold,
            Some(12.0)
        );
        assert_eq!(
            r.notices.iter().filter(|n| n.1 == Notice::Firing).count(),
            1
        );
    }

    #[test]
    fn a_failed_read_goes_to_error_and_evaluation_times_align_to_the_interval() {
        let rule = &starter_set()[0];
        let r = run(
            rule,
            &Series::default(),
            &[600],
            None,
            600,
            Some("database is locked"),
        );
        assert_eq!(r.last.unwrap().state, State::Error);
        assert_eq!(times(290, 1000, 300), vec![300, 600, 900, 1000]);
        assert_eq!(times(290, 900, 300), vec![300, 600, 900]);
    }
}
