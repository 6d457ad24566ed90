//! Cutover plans over HTTP: the template applied in the environment's time
//! zone, the schedule on the page, CSV out and in (checked whole), task
//! edits with their revision guard, the history's diff, roles and audit.

use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;

/// An admin's app with "Prod" in Amsterdam and a plan made from the
/// template; gives the app and the plan's id.
async fn app_with_plan() -> (TestApp, i64) {
    let app = app_with_uat().await;
    let res = app
        .post_form(
            "/sfn/save_environment",
            &[
                ("name", "Prod"),
                ("fo_url", ""),
                ("dataverse_url", ""),
                ("legal_entities", "USMF"),
                ("time_zone", "Europe/Amsterdam"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_form(
            "/sfn/create_cutover_plan",
            &[
                ("env", "Prod"),
                ("name", "Go-live weekend"),
                ("friday", "2026-12-04"),
                ("start", "template"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let plans = list(&app).await;
    let id = plans["plans"][0]["id"].as_i64().expect("plan id");
    (app, id)
}

/// Makes the template plan "Weekend" in UAT (UTC, the only plan there);
/// gives its id.
async fn uat_weekend(app: &TestApp) -> i64 {
    let res = app
        .post_form(
            "/sfn/create_cutover_plan",
            &[
                ("env", "UAT"),
                ("name", "Weekend"),
                ("friday", "2026-12-04"),
                ("start", "template"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let plans: serde_json::Value = app
        .post_form("/sfn/list_cutover_plans", &[("env", "UAT")])
        .await
        .json()
        .await
        .unwrap();
    plans["plans"][0]["id"].as_i64().expect("plan id")
}

async fn list(app: &TestApp) -> serde_json::Value {
    let res = app
        .post_form("/sfn/list_cutover_plans", &[("env", "Prod")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn page(app: &TestApp, id: i64) -> serde_json::Value {
    let res = app
        .post_form("/sfn/cutover_plan_page", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_template_schedules_the_weekend_in_the_environments_time_zone() {
    let (app, id) = app_with_plan().await;
    let plans = list(&app).await;
    assert_eq!(plans["time_zone"], "Europe/Amsterdam");
    let line = &plans["plans"][0];
    assert_eq!(line["window"], "Fri 4 Dec 18:00 → Mon 7 Dec 08:00");
    assert_eq!(line["planned_end"], "Mon 7 Dec 08:00");
    assert_eq!(line["over"], false);

    let p = page(&app, id).await;
    assert_eq!(p["time_zone"], "Europe/Amsterdam");
    assert_eq!(
        p["rollback_words"],
        "Rolling back from the point of no return (Sat 5 Dec 16:15) takes 6 h 30 min and ends Sat 5 Dec 22:45."
    );
    assert_eq!(
        p["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        p["warnings"]
    );

    // The page itself, as a browser without JavaScript gets it.
    let html = app
        .get(&format!("/cutover/plans/{id}"))
        .await
        .text()
        .await
        .unwrap();
    for want in [
        "Go-live weekend",
        "times in Europe/Amsterdam",
        "Critical path",
        "Point of no return",
        "Record counts match on both sides",
        "Roll back (only before the point of no return)",
    ] {
        assert!(html.contains(want), "the plan page lacks {want:?}");
    }

    // A bad zone is refused by name and nothing changes.
    let res = app
        .post_form(
            "/sfn/save_environment",
            &[
                ("name", "Other"),
                ("fo_url", ""),
                ("dataverse_url", ""),
                ("legal_entities", ""),
                ("time_zone", "CET+1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("IANA name"));
}

#[tokio::test]
async fn a_csv_round_trips_and_a_broken_one_changes_nothing() {
    let (app, id) = app_with_plan().await;
    let res = app.get(&format!("/export/cutover/{id}.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("cutover-Go-live-weekend.csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.contains("F1,Stop writes in Finance & Operations,,Friday: freeze,F&O,F&O lead,Integration admin,30m,2026-12-04 18:00,Task,,"), "{csv}");

    // F1 after F5 closes a circle: refused, naming it; the plan keeps revision 1.
    let cyclic = csv.replacen(
        "F1,Stop writes in Finance & Operations,,",
        "F1,Stop writes in Finance & Operations,F5,",
        1,
    );
    let res = app
        .post_form(
            "/sfn/import_cutover_csv",
            &[
                ("plan", &id.to_string()),
                ("revision", "1"),
                ("csv", &cyclic),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("go round in a circle: F1 (Stop writes in Finance & Operations) → F3"),
        "{body}"
    );
    assert_eq!(page(&app, id).await["plan"]["revision"], 1);

    // The initial sync takes 6 h instead of 3: live sync misses 14:00.
    let longer = csv.replacen(
        "S2,Run the initial sync,S1,Saturday morning: initial sync,Integration,Integration admin,F&O lead,3h,",
        "S2,Run the initial sync,S1,Saturday morning: initial sync,Integration,Integration admin,F&O lead,6h,",
        1,
    );
    assert_ne!(longer, csv);
    let res = app
        .post_form(
            "/sfn/import_cutover_csv",
            &[
                ("plan", &id.to_string()),
                ("revision", "1"),
                ("csv", &longer),
                ("comment", "Measured in rehearsal 2"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let p = page(&app, id).await;
    assert_eq!(p["plan"]["revision"], 2);
    let warnings = p["warnings"].to_string();
    assert!(
        warnings.contains("D1 (Turn on live (delta) sync) is fixed to start Sat 5 Dec 14:00 but its predecessors end 2 h 30 min later"),
        "{warnings}"
    );

    // The history's diff says what changed.
    let res = app
        .post_form(
            "/sfn/cutover_plan_diff",
            &[("id", &id.to_string()), ("from", "1"), ("to", "2")],
        )
        .await;
    let diff: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        diff["changes"],
        serde_json::json!(["S2 (Run the initial sync): duration \"3 h\" → \"6 h\"."])
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"cutover_plan.create".to_string()));
    assert!(actions.contains(&"cutover_plan.update".to_string()));
}

#[tokio::test]
async fn tasks_are_edited_with_a_revision_guard_and_only_by_editors() {
    let (app, id) = app_with_plan().await;
    let plan = id.to_string();
    let task = |revision: &'static str, original: &'static str, new_id: &'static str| {
        vec![
            ("form[plan]", plan.clone()),
            ("form[revision]", revision.to_string()),
            ("form[original]", original.to_string()),
            ("form[id]", new_id.to_string()),
            ("form[title]", "Tell the service desk".to_string()),
            ("form[stage]", "Friday: freeze".to_string()),
            ("form[kind]", "task".to_string()),
            ("form[duration]", "20m".to_string()),
            ("form[fixed_start]", "2026-12-04T17:00".to_string()),
            ("form[predecessors]", "".to_string()),
            ("form[owner]", "Service desk lead".to_string()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/sfn/save_cutover_task", &form).await
        }
    };
    let res = post(task("1", "", "F0")).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let p = page(&app, id).await;
    let first = &p["stages"][0]["rows"][0];
    assert_eq!(first["task"]["id"], "F1");
    let added = p["stages"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task"]["id"] == "F0")
        .expect("F0 listed");
    // Before the freeze, at its fixed start.
    assert_eq!(added["start"], "Fri 4 Dec 17:00");

    // A form opened on revision 1 cannot overwrite revision 2.
    let res = post(task("1", "F0", "F0")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Renaming a task renames it where it is a predecessor.
    let res = post(task("2", "F1", "F1a")).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let p = page(&app, id).await;
    let f3 = p["stages"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task"]["id"] == "F3")
        .unwrap();
    assert_eq!(f3["task"]["predecessors"], serde_json::json!(["F1a", "F2"]));

    // A task others follow cannot go; a free one can.
    let res = app
        .post_form(
            "/sfn/delete_cutover_task",
            &[("plan", &plan), ("revision", "3"), ("task", "F2")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("F3 follows F2"));
    let res = app
        .post_form(
            "/sfn/delete_cutover_task",
            &[("plan", &plan), ("revision", "3"), ("task", "F0")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Viewers read plans but write nothing.
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app.get_with(&viewer, &format!("/cutover/plans/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_form_with(
            &viewer,
            "/sfn/create_cutover_plan",
            &[
                ("env", "Prod"),
                ("name", "Mine"),
                ("friday", "2026-12-11"),
                ("start", "empty"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .get_with(&viewer, &format!("/cutover/plans/{id}/edit"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn status(app: &TestApp, run: &str) -> serde_json::Value {
    let res = app.post_form("/sfn/cutover_status", &[("id", run)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn act(
    app: &TestApp,
    run: &str,
    task: &str,
    action: &str,
    comment: &str,
) -> reqwest::Response {
    app.post_form(
        "/sfn/act_on_cutover_task",
        &[
            ("run", run),
            ("task", task),
            ("action", action),
            ("comment", comment),
        ],
    )
    .await
}

#[tokio::test]
async fn a_rehearsal_is_worked_and_its_status_page_says_where_it_stands() {
    let (app, _) = app_with_plan().await;
    // A plan in UAT (UTC), rehearsed from three hours ago: the freeze tasks
    // should be done by now, so the rehearsal starts behind.
    let plan = uat_weekend(&app).await.to_string();
    let three_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post_form(
            "/sfn/start_cutover_run",
            &[
                ("plan", &plan),
                ("kind", "rehearsal"),
                ("starts_at", &three_hours_ago),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let p = page(&app, plan.parse().unwrap()).await;
    let run = p["runs"][0]["id"].as_i64().expect("a run").to_string();
    assert_eq!(p["runs"][0]["name"], "Rehearsal 1");
    let s = status(&app, &run).await["summary"].clone();
    assert_eq!(s["stage"], "Friday: freeze");
    assert_eq!(s["done"], 0);
    assert_eq!(s["total"], 19);
    assert!(
        s["schedule"].as_str().unwrap().starts_with("Behind by 3 h"),
        "{}",
        s["schedule"]
    );
    assert!(s["gantt_svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(s["next"][0]["id"], "F1");

    for t in ["F1", "F2", "F3"] {
        let res = act(&app, &run, t, "complete", "").await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }
    // F4 checks itself as it starts: UAT has no map yet, so it fails,
    // and says why.
    let res = act(&app, &run, "F4", "start", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let s = status(&app, &run).await["summary"].clone();
    let f4 = s["gates"][0].clone();
    assert_eq!(f4["id"], "F4");
    assert_eq!(
        (f4["light"].as_str(), f4["words"].as_str()),
        (Some("fail"), Some("Failing"))
    );
    assert!(
        f4["check"]
            .as_str()
            .unwrap()
            .starts_with("The last reconciliation of every synced map"),
        "{f4}"
    );
    let findings = f4["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["subject"] == "UAT" && f["detail"] == "has no synced map to check"),
        "{f4}"
    );
    assert!(
        f4["checked"].as_str().unwrap().starts_with("Checked "),
        "{f4}"
    );
    // Checked again on demand: still failing, kept as one finding.
    let res = app
        .post_form("/sfn/check_cutover_gate", &[("run", &run), ("task", "F4")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // A person may pass it anyway, with the evidence: an override, never
    // shown as a pass.
    let res = act(&app, &run, "F4", "complete", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = act(
        &app,
        &run,
        "F4",
        "complete",
        "Drift 0 on all six maps, run 14:02",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A gate that is not running is not checked on demand.
    let res = app
        .post_form("/sfn/check_cutover_gate", &[("run", &run), ("task", "F4")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = act(
        &app,
        &run,
        "F5",
        "fail",
        "No-go: the service desk is not staffed",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s = status(&app, &run).await["summary"].clone();
    assert_eq!(s["done"], 4);
    let gates = s["gates"].as_array().unwrap();
    assert_eq!(gates[0]["id"], "F4");
    assert_eq!(gates[0]["words"], "Overridden");
    assert_eq!(gates[0]["light"], "override");
    assert!(
        gates[0]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("Drift 0 on all six maps, run 14:02 — admin@example.com"),
        "{}",
        gates[0]["evidence"]
    );
    assert_eq!(gates[1]["words"], "No-go");
    assert_eq!(
        s["failed"],
        serde_json::json!(["F5 (Go / no-go for the weekend)"])
    );
    assert_eq!(
        s["blocked"],
        serde_json::json!(["S1 (Deploy the final table maps to production)"])
    );

    // The overview shows the run first.
    let html = app.get("/?env=UAT").await.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"overview-cutover\""),
        "no cutover on the overview"
    );
    assert!(html.contains("Rehearsal 1 · Weekend"));

    // Viewers read the status page and act on nothing.
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app
        .get_with(&viewer, &format!("/cutover/runs/{run}/status"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Friday: freeze"));
    let res = app
        .post_form_with(
            &viewer,
            "/sfn/act_on_cutover_task",
            &[
                ("run", &run),
                ("task", "F5"),
                ("action", "skip"),
                ("comment", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Ended, it stands still and refuses changes.
    let res = app
        .post_form(
            "/sfn/end_cutover_run",
            &[
                ("run", &run),
                ("outcome", "abandoned"),
                ("comment", "Moved a week"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = act(&app, &run, "F5", "skip", "late").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let actions = app.audit_actions().await;
    for a in [
        "cutover_run.start",
        "cutover_run.complete",
        "cutover_run.override",
        "cutover_run.fail",
        "cutover_run.end.abandoned",
    ] {
        assert!(actions.contains(&a.to_string()), "no {a} in {actions:?}");
    }
}

#[tokio::test]
async fn after_a_run_its_report_and_csv_compare_runs_and_the_plan_takes_its_durations() {
    let (app, plan) = app_with_plan().await;
    let start = |starts_at: String| {
        let app = &app;
        async move {
            let res = app
                .post_form(
                    "/sfn/start_cutover_run",
                    &[
                        ("plan", plan.to_string().as_str()),
                        ("kind", "rehearsal"),
                        ("starts_at", starts_at.as_str()),
                    ],
                )
                .await;
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "{}",
                res.text().await.unwrap()
            );
            page(app, plan).await["runs"][0]["id"]
                .as_i64()
                .unwrap()
                .to_string()
        }
    };
    // Prod is in Amsterdam: "three hours ago" there.
    let ago = |h: i64| {
        app::zone::input(
            chrono::Utc::now().timestamp() - h * 3600,
            app::zone::zone("Europe/Amsterdam"),
        )
    };
    let run = start(ago(3)).await;
    // F1 done without a start counts its planned 30 minutes; F2 started
    // and done at once takes no time (or a minute, across a second's
    // turn), about 30 less than planned.
    assert_eq!(
        act(&app, &run, "F1", "complete", "").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &run, "F2", "start", "").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &run, "F2", "complete", "Dataverse quiet at 18:04")
            .await
            .status(),
        StatusCode::OK
    );

    let res = app
        .post_form("/sfn/cutover_run_report", &[("id", &run)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: serde_json::Value = res.json().await.unwrap();
    let friday = &r["stages"][0][1];
    assert_eq!(friday[0]["id"], "F1");
    assert_eq!(friday[0]["actual"], "30 min");
    assert_eq!(friday[0]["over"], "0 min");
    let f2 = (friday[1]["actual"].as_str(), friday[1]["over"].as_str());
    assert!(
        f2 == (Some("0 min"), Some("−30 min")) || f2 == (Some("1 min"), Some("−29 min")),
        "{f2:?}"
    );
    assert!(
        friday[1]["comment"]
            .as_str()
            .unwrap()
            .starts_with("Dataverse quiet at 18:04 — admin@example.com"),
        "{}",
        friday[1]
    );
    assert_eq!(
        r["facts"][0],
        serde_json::json!(["Outcome", "Still going on"])
    );
    assert_eq!(r["time_zone"], "Europe/Amsterdam");
    // The plan should take F2's minute (F1 took what it planned).
    assert_eq!(
        r["changes"],
        serde_json::json!([{"id": "F2", "title": "Stop writes in Dataverse", "from": "30 min", "to": "1 min"}])
    );

    // The CSV: every task, minutes as numbers; anyone signed in; a bad
    // name is not found.
    let res = app.get(&format!("/export/cutover/runs/{run}.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 19 + 4,
        "the header, 19 forward tasks and 4 rollback steps: {csv}"
    );
    let f2 = csv.lines().find(|l| l.starts_with("F2,")).unwrap();
    assert!(f2.contains(",Done,") && f2.contains(",30,"), "{f2}");
    assert!(f2.contains(",0,-30,") || f2.contains(",1,-29,"), "{f2}");
    assert!(
        f2.contains(",Dataverse quiet at 18:04,admin@example.com,"),
        "{f2}"
    );
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app
        .get_with(&viewer, &format!("/export/cutover/runs/{run}.csv"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/export/cutover/runs/report.csv").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get("/export/cutover/runs/999999.csv").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A second rehearsal compared with the first.
    let run2 = start(ago(3)).await;
    assert_ne!(run, run2);
    let res = app
        .post_form(
            "/sfn/cutover_run_comparison",
            &[("id", run2.as_str()), ("with", run.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: serde_json::Value = res.json().await.unwrap();
    assert_eq!(c["a"][1], "Rehearsal 1");
    assert_eq!(c["b"][1], "Rehearsal 2");
    assert_eq!(
        c["verdict"],
        "0 tasks took at least 5 min longer in Rehearsal 2 than in Rehearsal 1, 0 tasks at least 5 min shorter."
    );
    let res = app
        .post_form(
            "/sfn/cutover_run_comparison",
            &[("id", run2.as_str()), ("with", run2.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Taking the durations: editors only, against the revision shown, once.
    let revision = page(&app, plan).await["plan"]["revision"].as_i64().unwrap();
    let adopt = |client: Option<&reqwest::Client>, rev: i64| {
        let (app, run) = (&app, run.clone());
        let client = client.cloned();
        async move {
            let form = [
                ("run", run.as_str()),
                ("revision", &rev.to_string()),
                ("comment", ""),
            ];
            match client {
                Some(c) => {
                    app.post_form_with(&c, "/sfn/adopt_cutover_durations", &form)
                        .await
                }
                None => app.post_form("/sfn/adopt_cutover_durations", &form).await,
            }
            .status()
        }
    };
    assert_eq!(adopt(Some(&viewer), revision).await, StatusCode::FORBIDDEN);
    assert_eq!(adopt(None, revision - 1).await, StatusCode::CONFLICT);
    assert_eq!(adopt(None, revision).await, StatusCode::OK);
    let p = page(&app, plan).await;
    assert_eq!(p["plan"]["revision"], revision + 1);
    let f2 = p["plan"]["content"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "F2")
        .unwrap()
        .clone();
    assert_eq!(f2["minutes"], 1);
    assert_eq!(adopt(None, revision + 1).await, StatusCode::CONFLICT);
    let history: serde_json::Value = app
        .post_form("/sfn/cutover_plan_history", &[("id", &plan.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        history
            .to_string()
            .contains("Durations from Rehearsal 1: F2 30m → 1m"),
        "{history}"
    );
}

async fn plan_editor(app: &TestApp, plan: &str) -> serde_json::Value {
    let res = app
        .post_form("/sfn/cutover_plan_editor", &[("id", plan)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Saves the plan's settings as the editor `e` shows them, with these
/// alert rules silenced (the form's empty value first, as the page sends).
async fn save_silences(
    app: &TestApp,
    e: &serde_json::Value,
    plan: &str,
    chosen: &[&str],
    revision: i64,
) -> reqwest::Response {
    let revision = revision.to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("form[id]", plan),
        ("form[revision]", &revision),
        ("form[name]", "Weekend"),
        ("form[starts_at]", e["starts_at"].as_str().unwrap()),
        ("form[ends_at]", e["ends_at"].as_str().unwrap()),
        ("form[rollback_criteria]", ""),
        ("form[silence_rules][]", ""),
        ("form[comment]", ""),
    ];
    form.extend(chosen.iter().map(|c| ("form[silence_rules][]", *c)));
    app.post_form("/sfn/save_cutover_plan", &form).await
}

async fn uat_silences(app: &TestApp) -> serde_json::Value {
    app.post_form("/sfn/list_silences", &[("env", "UAT")])
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_runs_freeze_silences_the_chosen_alert_rules_until_it_ends() {
    let (app, _) = app_with_plan().await;
    let res = app
        .post_form("/sfn/apply_alert_starter", &[("env", "UAT")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let plan = uat_weekend(&app).await.to_string();
    let e = plan_editor(&app, &plan).await;
    let rules = e["alert_rules"].as_array().unwrap().clone();
    assert!(rules.len() >= 2, "{e}");
    assert!(rules.iter().all(|r| r[1] == false), "none chosen yet: {e}");
    let rule = rules[0][0].as_str().unwrap().to_string();
    let revision = e["revision"].as_i64().unwrap();
    // A rule the environment does not have is refused by name.
    let res = save_silences(&app, &e, &plan, &["No such rule"], revision).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("UAT has no alert rule named 'No such rule'."),
        "{text}"
    );
    let res = save_silences(&app, &e, &plan, &[&rule, &rule.to_uppercase()], revision).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let e = plan_editor(&app, &plan).await;
    let chosen: Vec<&str> = e["alert_rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[1] == true)
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(chosen, vec![rule.as_str()], "chosen once, by its own name");

    // A rehearsal from an hour ago: its freeze (48 h) silences the rule.
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post_form(
            "/sfn/start_cutover_run",
            &[
                ("plan", plan.as_str()),
                ("kind", "rehearsal"),
                ("starts_at", an_hour_ago.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let run = page(&app, plan.parse().unwrap()).await["runs"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let s = uat_silences(&app).await;
    let live: Vec<&serde_json::Value> = s["live"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["silence"]["comment"]
                .as_str()
                .unwrap()
                .starts_with("Freeze of Rehearsal 1 · Weekend")
        })
        .collect();
    assert_eq!(live.len(), 1, "{s}");
    assert_eq!(live[0]["active_now"], true, "{s}");
    assert!(live[0]["describe"].as_str().unwrap().contains(&rule), "{s}");
    let p: serde_json::Value = app
        .post_form("/sfn/cutover_run_page", &[("id", &run)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["silenced"], serde_json::json!([rule]));

    // Ended early, the run ends its silences.
    let res = app
        .post_form(
            "/sfn/end_cutover_run",
            &[
                ("run", run.as_str()),
                ("outcome", "abandoned"),
                ("comment", "Rehearsal stopped at the snapshot"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s = uat_silences(&app).await;
    assert!(
        !s["live"].to_string().contains("Freeze of Rehearsal 1"),
        "{s}"
    );
    assert!(
        s["ended"].to_string().contains("Freeze of Rehearsal 1"),
        "{s}"
    );
    let actions = app.audit_actions().await;
    for a in ["alert_silence.create", "alert_silence.expire"] {
        assert!(actions.contains(&a.to_string()), "no {a} in {actions:?}");
    }
}

#[tokio::test]
async fn the_trend_charts_shade_a_runs_freeze_and_mark_its_milestones() {
    let app = app_with_uat().await;
    let plan = uat_weekend(&app).await;
    let before = app
        .get("/trends/errors?env=UAT&range=7d")
        .await
        .text()
        .await
        .unwrap();
    assert!(!before.contains("Cutover freeze"), "no run, no freeze");
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post_form(
            "/sfn/start_cutover_run",
            &[
                ("plan", plan.to_string().as_str()),
                ("kind", "rehearsal"),
                ("starts_at", two_hours_ago.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let run = page(&app, plan).await["runs"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // Worked up to the point of no return.
    for t in [
        "F1", "F2", "F3", "F4", "F5", "S1", "S2", "S3", "S4", "D1", "D2", "D3", "D4", "D5", "D6",
    ] {
        let res = act(&app, &run, t, "complete", "Checked").await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{t}: {}",
            res.text().await.unwrap()
        );
    }
    for page in ["errors", "throughput", "drift"] {
        let html = app
            .get(&format!("/trends/{page}?env=UAT&range=7d"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Cutover freeze: Rehearsal 1 · Weekend"),
            "{page}: no freeze in the legend"
        );
        assert!(
            html.contains("Rehearsal 1: D6 (Point of no return)"),
            "{page}: no milestone under the charts"
        );
    }
    // A range before the run has neither.
    let html = app
        .get("/trends/errors?env=UAT&range=custom&from=2026-01-01&to=2026-01-31")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("errors-by-category"), "the charts are drawn");
    assert!(!html.contains("Cutover freeze"), "a January range");
}
