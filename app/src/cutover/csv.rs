//! A plan's tasks as CSV, for planning in a spreadsheet: the columns of
//! the bulk imports cutover tools use (ID, title, predecessor IDs, stage,
//! team, owner, planned duration, fixed start, type) and ours (backup
//! owner, rollback, the gate check in its one-line form, instructions). Times are in the environment's time
//! zone. An import is checked whole — every row, then the plan — before
//! anything is written, and replaces the plan's tasks.

use super::{Task, TaskKind, duration};
use crate::csv_cell::{Problems, record, restore};
use chrono_tz::Tz;

use super::CSV_COLUMNS as COLUMNS;

/// A header as compared: lower case, letters and digits only.
fn key(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The tasks as CSV, header first.
pub fn write(tasks: &[Task], tz: Tz) -> String {
    let mut out = record(COLUMNS.iter().copied());
    for t in tasks {
        let fixed = t
            .fixed_start
            .map(|f| crate::zone::write(f, tz))
            .unwrap_or_default();
        out.push_str(&record([
            t.id.as_str(),
            &t.title,
            &t.predecessors.join(" "),
            &t.stage,
            &t.team,
            &t.owner,
            &t.backup_owner,
            &duration::compact(t.minutes),
            &fixed,
            t.kind.label(),
            if t.rollback { "yes" } else { "" },
            &t.check.as_ref().map(|c| c.text()).unwrap_or_default(),
            &t.instructions,
        ]));
    }
    out
}

/// Reads tasks from CSV (header row first; only ID and Title are
/// required). Every problem is listed with its row, counting the header
/// as row 1 as a spreadsheet does.
pub fn read(text: &str, tz: Tz) -> Result<Vec<Task>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The CSV header row could not be read: {e}."))?
        .iter()
        .map(key)
        .collect();
    let known: Vec<String> = COLUMNS.iter().map(|c| key(c)).collect();
    if headers.iter().all(String::is_empty) {
        return Err(format!(
            "The CSV is empty. The first row names the columns: {}.",
            COLUMNS.join(", ")
        ));
    }
    let mut problems = Problems::default();
    let raw_headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default();
    for (h, raw) in headers.iter().zip(&raw_headers) {
        if !known.contains(h) {
            problems.push(format!(
                "Row 1: unknown column '{raw}'. The columns are: {}.",
                COLUMNS.join(", ")
            ));
        }
    }
    for required in ["ID", "Title"] {
        if !headers.contains(&key(required)) {
            problems.push(format!("Row 1: the column '{required}' is missing."));
        }
    }
    if let Err(e) = crate::csv_cell::refuse_duplicate_headers(&headers) {
        problems.push(format!("Row 1: {e}"));
    }
    problems.into_result((), "plan")?;
    let col = |row: &csv::StringRecord, name: &str| -> String {
        let k = key(name);
        headers
            .iter()
            .position(|h| *h == k)
            .and_then(|i| row.get(i))
            .map(restore)
            .unwrap_or("")
            .to_string()
    };
    let mut problems = Problems::default();
    let mut tasks = vec![];
    for (i, row) in reader.records().enumerate() {
        let n = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("Row {n}: {e}."));
                continue;
            }
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        if tasks.len() >= super::MAX_TASKS {
            problems.push(format!(
                "Row {n}: a plan holds at most {} tasks.",
                super::MAX_TASKS
            ));
            break;
        }
        match read_row(&row, &col, tz) {
            Ok(mut t) => match t.tidy() {
                Ok(()) => tasks.push(t),
                Err((_, m)) => problems.push(format!("Row {n}: {m}")),
            },
            Err(m) => problems.push(format!("Row {n}: {m}")),
        }
    }
    if tasks.is_empty() && problems.is_empty() {
        problems.push("The CSV has a header but no task.".into());
    }
    problems.into_result(tasks, "plan")
}

fn read_row(
    row: &csv::StringRecord,
    col: &impl Fn(&csv::StringRecord, &str) -> String,
    tz: Tz,
) -> Result<Task, String> {
    let id = col(row, "ID");
    let kind_text = col(row, "Type");
    let kind = TaskKind::parse_loose(&kind_text).ok_or_else(|| {
        format!(
            "Type '{kind_text}' of {id} is not one of: {}.",
            TaskKind::ALL
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let minutes =
        duration::parse(&col(row, "Planned duration")).map_err(|e| format!("{id}: {e}"))?;
    let fixed = col(row, "Fixed start");
    let fixed_start = if fixed.is_empty() {
        None
    } else {
        Some(crate::zone::read(&fixed, tz).map_err(|e| format!("Fixed start of {id}: {e}"))?)
    };
    let rollback_text = col(row, "Rollback");
    let rollback = match rollback_text.to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "0" | "n" => false,
        "yes" | "true" | "1" | "y" | "x" => true,
        other => {
            return Err(format!(
                "Rollback of {id} is '{other}': write yes for a rollback step, or leave it empty."
            ));
        }
    };
    let check_text = col(row, "Gate check");
    let check = if check_text.is_empty() {
        None
    } else {
        Some(
            super::gate::GateCheck::parse(&check_text)
                .map_err(|e| format!("Gate check of {id}: {e}"))?,
        )
    };
    let stage = col(row, "Stage");
    Ok(Task {
        title: col(row, "Title"),
        stage: if stage.is_empty() {
            "Tasks".into()
        } else {
            stage
        },
        instructions: col(row, "Instructions"),
        owner: col(row, "Owner"),
        backup_owner: col(row, "Backup owner"),
        team: col(row, "Team"),
        minutes,
        fixed_start,
        kind,
        predecessors: col(row, "Predecessor IDs")
            .split([',', ';', ' '])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        rollback,
        check,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekend() -> super::super::PlanContent {
        let tz = crate::zone::parse("Europe/Amsterdam").unwrap();
        let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        super::super::template::weekend("W", friday, tz).unwrap()
    }

    #[test]
    fn an_export_imports_back_unchanged() {
        let tz = crate::zone::parse("Europe/Amsterdam").unwrap();
        let plan = weekend();
        let text = write(&plan.tasks, tz);
        assert!(text.starts_with("ID,Title,Predecessor IDs,Stage,"));
        assert!(text.contains("2026-12-04 18:00"), "local times: {text}");
        assert_eq!(read(&text, tz).unwrap(), plan.tasks);
    }

    #[test]
    fn a_spreadsheet_file_with_loose_headers_and_values_reads() {
        let text = "\u{feff}id,TITLE,predecessor_ids,Planned Duration,type,fixed start\n\
                    A,Freeze,,30,task,2026-12-04 18:00\n\
                    B,Snapshot,A,2:00,Task,\n\
                    C,Go,\"A, B\",0,Point of no return,\n";
        let tasks = read(text, Tz::UTC).unwrap();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[1].minutes, 120);
        assert_eq!(tasks[2].predecessors, ["A", "B"]);
        assert_eq!(tasks[2].kind, TaskKind::NoReturn);
        assert_eq!(tasks[0].stage, "Tasks");
    }

    #[test]
    fn every_problem_is_listed_with_its_row_and_nothing_is_returned() {
        let text = "ID,Title,Planned duration,Type,Fixed start,Rollback,Colour\n\
                    A,Freeze,30,task,,,\n";
        let err = read(text, Tz::UTC).unwrap_err();
        assert!(err.contains("unknown column 'Colour'"), "{err}");
        let text = "ID,Title,Planned duration,Type,Fixed start,Rollback\n\
                    A,Freeze,half an hour,task,,\n\
                    B,Snapshot,30,chore,,\n\
                    C,Check,30,gate,Friday,\n\
                    D,Back,30,task,,maybe\n\
                    E f,Bad id,30,task,,\n\
                    F,,30,task,,\n\
                    G,Unfreeze,30,milestone,,\n";
        let err = read(text, Tz::UTC).unwrap_err();
        assert!(
            err.starts_with("7 problems found; nothing was imported."),
            "{err}"
        );
        for want in [
            "Row 2: A: 'half an hour' is not a duration",
            "Row 3: Type 'chore' of B is not one of",
            "Row 4: Fixed start of C: 'Friday' is not a date and time",
            "Row 5: Rollback of D is 'maybe'",
            "Row 6: 'E f' is not a task ID",
            "Row 7: Give the task a title",
            "Row 8: G is a milestone, which takes no time",
        ] {
            assert!(err.contains(want), "missing {want:?} in {err}");
        }
        let text = "ID,Title,Type,Gate check\n\
                    H,Counts,gate,sums: all\n\
                    I,Work,task,counts: all maps\n\
                    J,Counts,gate,counts: all maps; tolerance 0.5%\n";
        let err = read(text, Tz::UTC).unwrap_err();
        assert!(
            err.contains("Row 2: Gate check of H: 'sums: all' is not a gate check"),
            "{err}"
        );
        assert!(
            err.contains("Row 3: I is a task; only a gate checks itself"),
            "{err}"
        );
        assert!(!err.contains("Row 4"), "{err}");
        assert!(read("ID,Title\n", Tz::UTC).unwrap_err().contains("no task"));
        assert!(read("", Tz::UTC).unwrap_err().contains("empty"));
    }
}
