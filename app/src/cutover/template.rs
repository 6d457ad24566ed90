//! The runbook guide's cutover weekend as a plan to start from: the freeze
//! on Friday 18:00, the final maps and initial sync on Saturday morning,
//! delta sync and test records on Saturday afternoon, the watched queue on
//! Sunday and the unfreeze on Monday 08:00, with its gates, sign-offs, the
//! point of no return and the way back before it. Owners are roles, to be
//! replaced by names.

use super::{PlanContent, Task, TaskKind};
use chrono::NaiveDate;
use chrono_tz::Tz;

/// Rollback criteria the template starts with.
const ROLLBACK_CRITERIA: &str =
    "Roll back (only before the point of no return) when any of these holds at a go/no-go:

- record counts still differ on a map after the initial sync was re-run once;
- a test record does not arrive on the other side within an hour, or arrives changed;
- open error groups on the weekend's maps keep growing after the dependency order was checked;
- the sign-off is no-go and the fix does not fit before Sunday 08:00.

Whoever signs the go/no-go decides; the project manager informs the business.";

/// One task of the template: (id, stage, title, kind, minutes, fixed start
/// as (day after Friday, hour), predecessors, owner, backup, team, rollback,
/// instructions).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    TaskKind,
    i64,
    Option<(i64, u32)>,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
);

const FRI: &str = "Friday: freeze";
const SAT_AM: &str = "Saturday morning: initial sync";
const SAT_PM: &str = "Saturday afternoon: live sync";
const SUN: &str = "Sunday: watch";
const MON: &str = "Monday: unfreeze";
const BACK: &str = "Rollback";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    ("F1", FRI, "Stop writes in Finance & Operations", TaskKind::Task, 30, Some((0, 18)), &[],
     "F&O lead", "Integration admin", "F&O", false,
     "Lock users out of the entities in scope, pause the batch jobs and integrations that write to them, and note the time the last write landed."),
    ("F2", FRI, "Stop writes in Dataverse", TaskKind::Task, 30, Some((0, 18)), &[],
     "Dataverse lead", "Integration admin", "Dataverse", false,
     "Turn off the flows, plug-ins and apps that write to the tables in scope; leave reads on."),
    ("F3", FRI, "Take the final snapshot of both sides", TaskKind::Task, 120, None, &["F1", "F2"],
     "Integration admin", "F&O lead", "Integration", false,
     "Export each table in scope on both sides and note the row counts; the rollback restores from this."),
    ("F4", FRI, "Last reconciliation is clean", TaskKind::Gate, 60, None, &["F3"],
     "Integration admin", "Dataverse lead", "Integration", false,
     "Run the reconciliation of every map in scope. The gate passes by itself when each map's last run found no drift and is younger than an hour."),
    ("F5", FRI, "Go / no-go for the weekend", TaskKind::Signoff, 15, None, &["F4"],
     "Project manager", "Business lead", "Management", false,
     "Record go, or no-go with the reason: no-go ends the freeze and the weekend moves."),
    ("S1", SAT_AM, "Deploy the final table maps to production", TaskKind::Task, 90, Some((1, 8)), &["F5"],
     "Integration admin", "Dataverse lead", "Integration", false,
     "Import the solution with the final maps, in dependency order (legal entities and reference data first)."),
    ("S2", SAT_AM, "Run the initial sync", TaskKind::Task, 180, None, &["S1"],
     "Integration admin", "F&O lead", "Integration", false,
     "Start each map with initial sync, parents before children; watch the error queue while it runs."),
    ("S3", SAT_AM, "Every map reports Running", TaskKind::Gate, 15, None, &["S2"],
     "Integration admin", "Dataverse lead", "Integration", false,
     "The gate passes by itself when F&O reports every map as Running."),
    ("S4", SAT_AM, "Record counts match on both sides", TaskKind::Gate, 60, None, &["S2"],
     "Integration admin", "F&O lead", "Integration", false,
     "The gate counts both sides itself when it starts, and again each minute until each map's counts match (within the agreed tolerance)."),
    ("D1", SAT_PM, "Turn on live (delta) sync", TaskKind::Task, 30, Some((1, 14)), &["S3", "S4"],
     "Integration admin", "Dataverse lead", "Integration", false,
     "Switch the maps from initial to live sync and confirm the queue stays quiet for ten minutes."),
    ("D2", SAT_PM, "Write test records in F&O", TaskKind::Task, 30, None, &["D1"],
     "F&O lead", "Business lead", "F&O", false,
     "Create and change one record per map in scope; note each key for the next gate."),
    ("D3", SAT_PM, "Write test records in Dataverse", TaskKind::Task, 30, None, &["D1"],
     "Dataverse lead", "Business lead", "Dataverse", false,
     "Create and change one record per bidirectional map; note each key for the next gate."),
    ("D4", SAT_PM, "Test records seen on both sides", TaskKind::Gate, 60, None, &["D2", "D3"],
     "Integration admin", "F&O lead", "Integration", false,
     "Give the key of a test record written at D2 or D3: the gate reads it on both sides through the map's field mappings until it arrives and matches."),
    ("D5", SAT_PM, "Go / no-go: stay on dual-write", TaskKind::Signoff, 15, None, &["D4"],
     "Project manager", "Business lead", "Management", false,
     "Go keeps production on dual-write; no-go starts the rollback. Check the rollback criteria first."),
    ("D6", SAT_PM, "Point of no return", TaskKind::NoReturn, 0, None, &["D5"],
     "Project manager", "Business lead", "Management", false,
     "After this the weekend only goes forward: problems are fixed in place."),
    ("M1", SUN, "Watch the error queue, team on call", TaskKind::Task, 600, Some((2, 8)), &["D6"],
     "Integration admin", "Dataverse lead", "Integration", false,
     "Triage new error groups as they come; fix the maps, not the records, where a rule is wrong."),
    ("M2", SUN, "Error queue under control", TaskKind::Gate, 30, None, &["M1"],
     "Integration admin", "F&O lead", "Integration", false,
     "The gate passes by itself when no error group is open and none appeared in the last hour."),
    ("U1", MON, "Go / no-go to unfreeze", TaskKind::Signoff, 30, Some((3, 7)), &["M2"],
     "Project manager", "Business lead", "Management", false,
     "Record go with the state of the queue and the counts, or no-go with what is left."),
    ("U2", MON, "Unfreeze: business operations resume", TaskKind::Milestone, 0, Some((3, 8)), &["U1"],
     "Business lead", "Project manager", "Business", false,
     "Let users back in on both sides and restart the batch jobs paused on Friday."),
    ("R1", BACK, "Stop dual-write on every map", TaskKind::Task, 30, None, &[],
     "Integration admin", "Dataverse lead", "Integration", true,
     "Stop the maps so nothing more is written across."),
    ("R2", BACK, "Restore both sides from Friday's snapshot", TaskKind::Task, 240, None, &["R1"],
     "Integration admin", "F&O lead", "Integration", true,
     "Restore the tables in scope from the snapshot taken at F3."),
    ("R3", BACK, "Counts match the snapshot", TaskKind::Gate, 60, None, &["R2"],
     "Integration admin", "Dataverse lead", "Integration", true,
     "Passes when each table's count equals the count noted with the snapshot."),
    ("R4", BACK, "Reopen the old integrations and unfreeze", TaskKind::Task, 60, None, &["R3"],
     "Project manager", "Business lead", "Management", true,
     "Turn the old integrations back on, let users in and tell the business the weekend moves."),
];

/// What the template's gates check by themselves, in the one-line form:
/// the maps the environment has ("all maps"), except the test record,
/// which names the starter set's first map and takes its key at the gate.
const CHECKS: &[(&str, &str)] = &[
    ("F4", "reconciliation: all maps; drift 0; fresh 1h"),
    ("S3", "running: all maps; fresh 15m"),
    ("S4", "counts: all maps; tolerance 0; fresh 30m"),
    ("D4", "test record: Customers V3; fresh 5m"),
    ("M2", "queue: all maps; open 0; quiet 1h; fresh 15m"),
];

/// The template as a plan named `name`, its freeze from `friday` 18:00 to
/// the Monday after at 08:00 in `tz`.
pub fn weekend(name: &str, friday: NaiveDate, tz: Tz) -> Result<PlanContent, String> {
    let starts_at = crate::zone::at(friday, 0, 18, 0, tz)?;
    let ends_at = crate::zone::at(friday, 3, 8, 0, tz)?;
    let mut tasks = Vec::with_capacity(ROWS.len());
    for &(id, stage, title, kind, minutes, fixed, preds, owner, backup, team, rollback, how) in ROWS
    {
        let fixed_start = match fixed {
            Some((days, hour)) => Some(crate::zone::at(friday, days, hour, 0, tz)?),
            None => None,
        };
        tasks.push(Task {
            id: id.into(),
            title: title.into(),
            stage: stage.into(),
            instructions: how.into(),
            owner: owner.into(),
            backup_owner: backup.into(),
            team: team.into(),
            minutes,
            fixed_start,
            kind,
            predecessors: preds.iter().map(|p| p.to_string()).collect(),
            rollback,
            check: CHECKS
                .iter()
                .find(|(t, _)| *t == id)
                .map(|(_, c)| super::gate::GateCheck::parse(c))
                .transpose()?,
        });
    }
    Ok(PlanContent {
        name: name.into(),
        starts_at,
        ends_at,
        rollback_criteria: ROLLBACK_CRITERIA.into(),
        silence_rules: vec![],
        tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::super::schedule;
    use super::*;

    #[test]
    fn the_weekend_is_a_valid_plan_that_ends_at_monday_eight() {
        let tz = crate::zone::parse("Europe/Amsterdam").unwrap();
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let mut plan = weekend("Go-live weekend", friday, tz).unwrap();
        plan.check().unwrap();
        let s = schedule::plan(&plan).unwrap();
        assert_eq!(crate::zone::show(s.end, tz), "Mon 7 Dec 08:00");
        assert_eq!(s.end, plan.ends_at);
        // Every fixed start can be made, so every step waits for its day.
        assert!(s.slots.iter().all(|x| x.fixed_missed == 0));
        // Rolling back from the point of no return ends well before Monday.
        let from = s.rollback_from.unwrap();
        assert_eq!(crate::zone::show(from, tz), "Sat 5 Dec 16:15");
        assert!(s.rollback_end.unwrap() < plan.ends_at);
        assert_eq!(plan.stages().len(), 6);
        // Every gate but the restore's checks itself.
        let manual: Vec<&str> = plan
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Gate && t.check.is_none())
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(manual, ["R3"]);
    }
}
