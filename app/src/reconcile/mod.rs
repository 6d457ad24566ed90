//! Reconciliation results: each map's sample and full-diff runs, the
//! differences they found side by side, how they compare with the run
//! before, and the team's explanations. The server runs the comparisons
//! (it holds the connectors); this module stores and shows them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// One reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// The map.
    pub map_id: i64,
    /// `sample` or `full`.
    pub kind: String,
    /// `running`, `done`, `failed` or `cancelled`.
    pub status: String,
    /// Who or what started it.
    pub requested_by: String,
    /// Start (UTC).
    pub started_at: String,
    /// End (UTC), when over.
    pub finished_at: Option<String>,
    /// Records sampled per side (samples).
    pub sample_size: Option<i64>,
    /// The lag guard's pause, in seconds, before differing records are read again.
    pub recheck_secs: i64,
    /// Distinct records compared.
    pub records: i64,
    /// F&O records read so far.
    pub fo_read: i64,
    /// Dataverse records read so far.
    pub dataverse_read: i64,
    /// F&O records expected (progress), when known.
    pub fo_total: Option<i64>,
    /// Dataverse records expected (progress), when known.
    pub dataverse_total: Option<i64>,
    /// Records only in F&O.
    pub missing_in_dataverse: i64,
    /// Records only in Dataverse.
    pub missing_in_fo: i64,
    /// Records on both sides with a differing field.
    pub differing: i64,
    /// Differences that were gone when re-checked (sync lag, not drift).
    pub cleared_by_recheck: i64,
    /// Differences not in the previous run of this kind.
    pub new_differences: i64,
    /// Differences also in the previous run.
    pub persisting: i64,
    /// The previous run's differences now gone.
    pub fixed: i64,
    /// What failed.
    pub error: Option<String>,
}

impl Run {
    /// Records with any difference.
    pub fn drifting(&self) -> i64 {
        self.missing_in_dataverse + self.missing_in_fo + self.differing
    }

    /// Share of compared records with a difference (0.0–1.0).
    pub fn drift_rate(&self) -> f64 {
        if self.records == 0 {
            0.0
        } else {
            self.drifting() as f64 / self.records as f64
        }
    }

    /// Percent complete while running (full diffs), from the expected totals.
    pub fn progress(&self) -> Option<f64> {
        let total = self.fo_total? + self.dataverse_total?;
        (total > 0).then(|| {
            ((self.fo_read + self.dataverse_read) as f64 / total as f64 * 100.0).min(100.0)
        })
    }
}

/// The record key a reconciliation matches on: the map's one F&O and one
/// Dataverse integration key besides the company, or why there is none.
pub fn match_keys(map: &crate::maps::MapContent) -> Result<(String, String), String> {
    let keys = |list: &str, company: fn(&str) -> bool| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty() && !company(k))
            .map(str::to_string)
            .collect()
    };
    let fo = keys(&map.fo_keys, |k| k.eq_ignore_ascii_case("dataAreaId"));
    let dv = keys(&map.dataverse_keys, |k| {
        k.contains('.') || k.eq_ignore_ascii_case("company")
    });
    match (fo.as_slice(), dv.as_slice()) {
        ([fo], [dv]) => Ok((fo.clone(), dv.clone())),
        ([], _) | (_, []) => Err(format!(
            "'{}' has no integration key besides the company on {}; set it in the rule book.",
            map.name,
            if fo.is_empty() {
                "the F&O side"
            } else {
                "the Dataverse side"
            }
        )),
        _ => Err(format!(
            "'{}' has a composite integration key ({} ↔ {}); reconciliation matches records on one key besides the company, so this map cannot be reconciled yet.",
            map.name,
            fo.join(", "),
            dv.join(", ")
        )),
    }
}

/// A drift rate as people read it.
pub fn fmt_rate(rate: f64) -> String {
    let pct = rate * 100.0;
    if pct == 0.0 {
        "0 %".into()
    } else if pct < 0.1 {
        format!("{pct:.3} %")
    } else {
        format!("{pct:.2} %")
    }
}

/// One difference found by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Difference {
    /// Id.
    pub id: i64,
    /// The record's key.
    pub record_key: String,
    /// `missing_in_dataverse`, `missing_in_fo` or `field`.
    pub kind: String,
    /// The field, for `field`.
    pub field: String,
    /// The F&O value.
    pub fo_value: String,
    /// The Dataverse value.
    pub dataverse_value: String,
    /// `new`, `persisting` or `fixed` against the previous run.
    pub change: String,
    /// Who explained it.
    pub explained_by: Option<String>,
    /// When.
    pub explained_at: Option<String>,
    /// The explanation.
    pub explanation: Option<String>,
}

/// A difference kind as people read it.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "missing_in_dataverse" => "Missing in Dataverse",
        "missing_in_fo" => "Missing in F&O",
        "field" => "Field differs",
        other => other,
    }
}

/// A map's reconciliation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Records sampled per side by the daily sample.
    pub sample_size: i64,
    /// Days between scheduled full diffs; 0 runs them on demand only.
    pub full_every_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sample_size: 100,
            full_every_days: 0,
        }
    }
}

/// Checks settings from a form; `Err` names the field.
pub fn validate_settings(sample_size: &str, full_every_days: &str) -> Result<Settings, String> {
    let sample_size: i64 = sample_size
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            format!(
                "Sample size: '{}' is not a whole number from 1 to 10,000.",
                sample_size.trim()
            )
        })?;
    let full_every_days: i64 = full_every_days
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=365).contains(n))
        .ok_or_else(|| {
            format!(
                "Full diff every: '{}' is not a number of days from 0 (on demand only) to 365.",
                full_every_days.trim()
            )
        })?;
    Ok(Settings {
        sample_size,
        full_every_days,
    })
}

/// A map's reconciliation page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcilePage {
    /// The map.
    pub map_id: i64,
    /// Its name.
    pub map_name: String,
    /// Its environment.
    pub environment: String,
    /// The latest runs, newest first (up to 30).
    pub runs: Vec<Run>,
    /// The shown run (the one asked for, else the latest finished).
    pub shown: Option<Run>,
    /// The shown run's differences (fixed ones last).
    pub differences: Vec<Difference>,
    /// Whether more differences exist than are listed.
    pub more_differences: i64,
    /// The map's settings.
    pub settings: Settings,
    /// Why the map cannot be reconciled, if it cannot (no keys, no fields,
    /// no connection).
    pub blocked: Option<String>,
    /// Whether the caller may run, cancel and explain.
    pub can_edit: bool,
}

/// Why an environment cannot be reconciled, if it cannot.
#[cfg(feature = "ssr")]
pub type BlockedFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// How the server starts a run for the app (it holds the connectors).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Control {
    /// Why `environment` cannot be reconciled, if it cannot.
    pub blocked: std::sync::Arc<BlockedFn>,
    /// Starts a run (map id, `full`, who) in the background; gives its id.
    #[allow(clippy::type_complexity)]
    pub start: std::sync::Arc<
        dyn Fn(
                i64,
                bool,
                String,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<i64, crate::error::AppError>> + Send>,
            > + Send
            + Sync,
    >,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_with_the_field_named() {
        assert_eq!(
            validate_settings(" 250 ", "7"),
            Ok(Settings {
                sample_size: 250,
                full_every_days: 7
            })
        );
        assert!(
            validate_settings("0", "0")
                .unwrap_err()
                .starts_with("Sample size")
        );
        assert!(
            validate_settings("100", "-1")
                .unwrap_err()
                .starts_with("Full diff every")
        );
        assert!(
            validate_settings("lots", "0")
                .unwrap_err()
                .contains("'lots'")
        );
    }

    #[test]
    fn records_match_on_one_key_besides_the_company() {
        let set = crate::maps::starter::starter_set();
        let by = |name: &str| set.iter().find(|m| m.name == name).unwrap();
        assert_eq!(
            match_keys(by("Customers V3")),
            Ok(("CustomerAccount".into(), "accountnumber".into()))
        );
        let e = match_keys(by("Sales invoice headers V2")).unwrap_err();
        assert!(
            e.contains("composite integration key (LedgerVoucher, InvoiceDate, InvoiceNumber"),
            "{e}"
        );
        let e = match_keys(by("Worker")).unwrap_err();
        assert!(e.contains("no integration key besides the company"), "{e}");
    }

    #[test]
    fn rates_read_well() {
        assert_eq!(fmt_rate(0.0), "0 %");
        assert_eq!(fmt_rate(0.0005), "0.050 %");
        assert_eq!(fmt_rate(0.0123), "1.23 %");
    }
}
