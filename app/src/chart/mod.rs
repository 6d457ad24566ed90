//! Charts shared by every page that draws one (trends, the weekly review,
//! alert rules): the data a chart holds — a range in buckets, series,
//! marks, threshold lines and shaded periods — and, in [`draw`], the SVG
//! drawing with plotters and the component that shows it.

pub mod draw;

use serde::{Deserialize, Serialize};

/// Seconds in an hour and a day.
pub const HOUR: i64 = 3_600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// A resolved range: `[from, to)` in Unix seconds, read in `step`-second
/// buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Start, inclusive.
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// Bucket length: an hour up to 8 days, a day beyond, so a chart has
    /// at most a few hundred bars.
    pub step: i64,
}

impl Span {
    /// The bucket starts, oldest first.
    pub fn buckets(&self) -> Vec<i64> {
        (0..(self.to - self.from) / self.step)
            .map(|i| self.from + i * self.step)
            .collect()
    }

    /// The index of the bucket holding `t`, if it is in range.
    pub fn index(&self, t: i64) -> Option<usize> {
        (t >= self.from && t < self.to).then(|| ((t - self.from) / self.step) as usize)
    }
}

/// The bucket length for a range of `seconds`.
pub fn step_for(seconds: i64) -> i64 {
    if seconds <= 8 * DAY { HOUR } else { DAY }
}

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Bars, the series stacked.
    Stacked,
    /// Bars side by side.
    Grouped,
    /// Lines with a dot per value.
    Lines,
}

/// One series of a chart: a value per bucket, `None` where there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Colour, `#rrggbb`.
    pub color: String,
    /// Values, one per bucket.
    pub values: Vec<Option<f64>>,
}

/// A mark on the time axis: a map's state changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// When, Unix seconds.
    pub at: i64,
    /// What, e.g. "Customers V3 → paused".
    pub label: String,
}

/// A chart's data, title and units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// Stable key, used in ids and CSV file names.
    pub key: String,
    /// Title.
    pub title: String,
    /// What it shows, in a sentence.
    pub caption: String,
    /// The y axis label with its unit.
    pub unit: String,
    /// Values are percentages.
    pub percent: bool,
    /// How to draw it.
    pub kind: Kind,
    /// The range.
    pub span: Span,
    /// Series.
    pub series: Vec<Series>,
    /// State changes in the range.
    pub annotations: Vec<Annotation>,
    /// Horizontal lines: the thresholds of alert rules that watch it.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// Shaded periods: when those rules were pending or firing.
    #[serde(default)]
    pub shades: Vec<Shade>,
}

impl Chart {
    /// Whether any series has a value.
    pub fn is_empty(&self) -> bool {
        self.series
            .iter()
            .all(|s| s.values.iter().all(Option::is_none))
    }
}

/// A bucket start as text: `2026-11-26 14:00` for hours, `2026-11-26`
/// for days (UTC).
pub fn fmt_bucket(t: i64, step: i64) -> String {
    let Some(d) = chrono::DateTime::from_timestamp(t, 0) else {
        return t.to_string();
    };
    if step < DAY {
        d.format("%Y-%m-%d %H:%M").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// A value for reading: counts grouped, percentages with two decimals.
pub fn fmt_value(v: f64, percent: bool) -> String {
    if percent {
        format!("{v:.2} %")
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        crate::components::fmt_count(v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Colours for maps and other open-ended series, in order.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// A horizontal line at a value: an alert rule's threshold or recovery
/// level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The value.
    pub value: f64,
    /// What it is, drawn by the line ("fires above 10").
    pub label: String,
    /// Colour, `#rrggbb`.
    pub color: String,
}

/// A shaded stretch of the time axis: a period an alert was pending or
/// firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shade {
    /// Start, Unix seconds.
    pub from: i64,
    /// End, Unix seconds.
    pub to: i64,
    /// What it is, for the list under the chart.
    pub label: String,
    /// Colour, `#rrggbb` (drawn light).
    pub color: String,
}
