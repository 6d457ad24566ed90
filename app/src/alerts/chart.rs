//! A rule's series as a chart: its values per hour (the highest of the
//! hour's evaluations, so a spike is not averaged away), the threshold and
//! recovery lines — or, for a baseline rule, the threshold as it moved —
//! and the pending and firing periods shaded.

use super::rule::{RuleContent, Test};
use super::series::Run;
use super::state::State;
use crate::chart::{Chart, HOUR, Kind, Series, Shade, Span, Threshold};

/// Colour of the value line.
const VALUE: &str = "#1f77b4";
/// Colour of the threshold and of firing periods.
pub const FIRING: &str = "#d62728";
/// Colour of the recovery line.
const RECOVERY: &str = "#2ca02c";
/// Colour of pending periods.
pub const PENDING: &str = "#f28e2b";

/// The chart of one series of `rule` run over `(from, to)`, hourly.
pub fn of_run(
    rule: &RuleContent,
    name: &str,
    run: &Run,
    (from, to): (i64, i64),
    key: &str,
) -> Chart {
    let start = from.div_euclid(HOUR) * HOUR;
    let end = (to.div_euclid(HOUR) + 1) * HOUR;
    let span = Span {
        from: start,
        to: end,
        step: HOUR,
    };
    let n = span.buckets().len();
    let mut values: Vec<Option<f64>> = vec![None; n];
    let mut moving: Vec<Option<f64>> = vec![None; n];
    let max = |slot: &mut Option<f64>, v: f64| *slot = Some(slot.map_or(v, |s: f64| s.max(v)));
    for s in &run.steps {
        if let Some(i) = span.index(s.at - 1) {
            if let Some(v) = s.value {
                max(&mut values[i], v);
            }
            if let Some(t) = s.threshold {
                max(&mut moving[i], t);
            }
        }
    }
    let mut series = vec![Series {
        name: format!("{name}: {}", rule.watch.unit()),
        color: VALUE.into(),
        values,
    }];
    let mut thresholds = vec![];
    match rule.test {
        Test::Fixed {
            comparator,
            threshold,
            recovery,
        } => {
            thresholds.push(Threshold {
                value: threshold,
                label: format!(
                    "fires {} {}",
                    comparator.label().to_lowercase(),
                    super::fmt_number(threshold)
                ),
                color: FIRING.into(),
            });
            if let Some(r) = recovery {
                thresholds.push(Threshold {
                    value: r,
                    label: format!("resolves at {}", super::fmt_number(r)),
                    color: RECOVERY.into(),
                });
            }
        }
        Test::Baseline(_) => series.push(Series {
            name: "Threshold from the usual level".into(),
            color: FIRING.into(),
            values: moving,
        }),
    }
    let mut shades = shades_of(&run.periods(&[State::Pending]), "Pending", PENDING, to);
    shades.extend(shades_of(
        &run.periods(&[State::Firing, State::Recovering]),
        "Firing",
        FIRING,
        to,
    ));
    Chart {
        key: key.into(),
        title: format!("{} · {name}", rule.name),
        caption: format!(
            "{}, {}; the highest evaluation of each hour. Fires {}.",
            rule.watch.label(),
            rule.watch.window_words(),
            rule.test_words()
        ),
        unit: rule.watch.unit().into(),
        percent: false,
        kind: Kind::Lines,
        span,
        series,
        annotations: vec![],
        thresholds,
        shades,
    }
}

/// Periods as shades; an open one runs to `to`.
pub fn shades_of(periods: &[(i64, Option<i64>)], label: &str, color: &str, to: i64) -> Vec<Shade> {
    periods
        .iter()
        .map(|(a, b)| Shade {
            from: *a,
            to: b.unwrap_or(to),
            label: label.into(),
            color: color.into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::starter_set;
    use crate::alerts::series::{Point, Series as Points, run, times};

    #[test]
    fn the_chart_has_the_hourly_highest_the_lines_and_the_firing_period() {
        let rule = &starter_set()[0];
        let s = Points::new(vec![Point {
            at: 0,
            span: HOUR,
            a: 30.0,
            b: 0.0,
        }]);
        let r = run(
            rule,
            &s,
            &times(0, 3 * HOUR, rule.interval_secs),
            None,
            10 * HOUR,
            None,
        );
        let c = of_run(rule, "Customers V3", &r, (0, 3 * HOUR), "k");
        assert_eq!(c.span.buckets().len(), 4);
        assert_eq!(c.series[0].values[0], Some(30.0));
        assert_eq!(
            c.thresholds.iter().map(|t| t.value).collect::<Vec<_>>(),
            vec![10.0, 5.0]
        );
        let firing: Vec<_> = c.shades.iter().filter(|s| s.label == "Firing").collect();
        assert_eq!(firing.len(), 1);
        assert!(
            crate::chart::draw::draw(&c, crate::chart::draw::WIDE)
                .unwrap()
                .svg
                .contains("fires above 10")
        );
    }
}
