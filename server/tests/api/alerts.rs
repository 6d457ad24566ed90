//! Alerts over HTTP: rules written only by editors and checked whole, the
//! preview, channels for admins only (webhook URLs never shown whole), and
//! `/metrics` behind an API token.

use crate::api_tokens::create_token;
use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;

/// The errors-per-hour starter rule as the form posts it, with `changes`.
fn rule_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("env", "UAT"),
        ("form[name]", "Errors on Customers"),
        ("form[enabled]", "on"),
        ("form[watch]", "errors"),
        ("form[map]", ""),
        ("form[split]", "on"),
        ("form[comparator]", "above"),
        ("form[threshold]", "10"),
        ("form[recovery]", "5"),
        ("form[pending]", "0"),
        ("form[keep_firing]", "15"),
        ("form[interval]", "5"),
        ("form[window]", "60"),
        ("form[no_data]", "normal"),
        ("form[error]", "alert"),
        ("form[severity]", "warning"),
        ("form[runbook]", "Triage the **largest** group first."),
        ("comment", "from a test"),
    ];
    for (k, v) in changes {
        if let Some(f) = form.iter_mut().find(|(fk, _)| fk == k) {
            f.1 = v;
        } else {
            form.push((k, v));
        }
    }
    form
}

#[tokio::test]
async fn editors_write_rules_that_are_checked_whole_and_viewers_only_read_them() {
    let app = app_with_uat().await;
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app
        .post_form_with(&viewer, "/sfn/save_alert_rule", &rule_form(&[]))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form_with(&viewer, "/sfn/apply_alert_starter", &[("env", "UAT")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    for (change, says) in [
        (
            ("form[recovery]", "20"),
            "recovery threshold must be at or below the threshold",
        ),
        (
            ("form[window]", "1"),
            "shorter than the evaluation interval",
        ),
        (("form[map]", "999"), "no table map '999'"),
        (("form[watch]", "vibes"), "not one of the choices for watch"),
    ] {
        let res = app
            .post_form("/sfn/save_alert_rule", &rule_form(&[change]))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{change:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{change:?}: {body}");
    }
    let res = app.post_form("/sfn/save_alert_rule", &rule_form(&[])).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"alert_rule.create".to_string())
    );
    // A second save opened at revision 1 after someone saved revision 2.
    let edit = rule_form(&[
        ("rule_id", "1"),
        ("expected_revision", "1"),
        ("form[threshold]", "12"),
    ]);
    assert_eq!(
        app.post_form("/sfn/save_alert_rule", &edit).await.status(),
        StatusCode::OK
    );
    let res = app.post_form("/sfn/save_alert_rule", &edit).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Everyone signed in reads the rule page, its runbook rendered.
    let page = app
        .get_with(&viewer, "/alerts/rules/1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<strong>largest</strong>"),
        "the runbook note as Markdown"
    );
    assert!(page.contains("above 12 (resolves at 5)"));
    let diff = app
        .get_with(&viewer, "/alerts/rules/1/diff?from=1&to=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(diff.contains("above 10 (resolves at 5)") && diff.contains("above 12 (resolves at 5)"));
}

#[tokio::test]
async fn the_preview_replays_a_draft_and_says_why_a_bad_one_cannot_run() {
    let app = app_with_uat().await;
    assert_eq!(
        app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
            .await
            .status(),
        StatusCode::OK
    );
    let page = app
        .get("/alerts/rules/new?env=UAT&preview=7&form%5Bname%5D=x&form%5Bwatch%5D=errors&form%5Bcomparator%5D=above&form%5Bthreshold%5D=10&form%5Bpending%5D=0&form%5Bkeep_firing%5D=0&form%5Binterval%5D=5&form%5Bwindow%5D=60&form%5Bno_data%5D=normal&form%5Berror%5D=alert&form%5Bseverity%5D=info")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Preview: the last 7 days"), "{page}");
    assert!(
        page.contains("2,017 evaluations per series") || page.contains("evaluations per series")
    );
    let bad = app
        .get("/alerts/rules/new?env=UAT&preview=7&form%5Bname%5D=x&form%5Bwatch%5D=errors&form%5Bcomparator%5D=above&form%5Bthreshold%5D=10&form%5Brecovery%5D=50&form%5Bpending%5D=0&form%5Bkeep_firing%5D=0&form%5Binterval%5D=5&form%5Bwindow%5D=60&form%5Bno_data%5D=normal&form%5Berror%5D=alert&form%5Bseverity%5D=info")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("The recovery threshold must be at or below the threshold"));
}

#[tokio::test]
async fn channels_are_for_admins_and_their_urls_are_never_shown_whole() {
    let app = app_with_uat().await;
    app.add_user("editor@example.com", "editor").await;
    let editor = app.sign_in("editor@example.com").await;
    let url = "https://prod-1.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=TOPSECRET";
    let form = [
        ("form[name]", "Ops"),
        ("form[kind]", "teams"),
        ("form[target]", url),
    ];
    assert_eq!(
        app.post_form_with(&editor, "/sfn/create_channel", &form)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let bad = [
        ("form[name]", "Ops"),
        ("form[kind]", "webhook"),
        ("form[target]", "http://example.com/x"),
    ];
    let res = app.post_form("/sfn/create_channel", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post_form("/sfn/create_channel", &form).await.status(),
        StatusCode::OK
    );
    let hook = [
        ("form[name]", "Hook"),
        ("form[kind]", "webhook"),
        ("form[target]", "https://hooks.example/x?token=TOPSECRET"),
    ];
    let res = app.post_form("/sfn/create_channel", &hook).await;
    let secret: Option<String> = res.json().await.unwrap();
    assert!(
        secret.unwrap().starts_with("whsec_"),
        "a webhook's secret, shown once"
    );
    let page = app.get("/alerts/channels").await.text().await.unwrap();
    assert!(page.contains("https://prod-1.westeurope.logic.azure.com/…"));
    assert!(!page.contains("TOPSECRET"), "the URL's secret never shows");
    assert!(
        !page.contains("whsec_"),
        "nor the signing secret, after creation"
    );
    assert_eq!(
        app.get_with(&editor, "/alerts/channels").await.status(),
        StatusCode::FORBIDDEN
    );
    // Its timing: admins only, each value checked and named.
    let page: serde_json::Value = app
        .post_form("/sfn/list_channels", &[])
        .await
        .json()
        .await
        .unwrap();
    let id = page["channels"][0]["id"].to_string();
    let timing = |wait: &'static str| {
        [
            ("channel_id", id.as_str()),
            ("form[group_wait]", wait),
            ("form[group_interval]", "1"),
            ("form[repeat]", "24"),
        ]
    };
    assert_eq!(
        app.post_form_with(&editor, "/sfn/set_channel_timing", &timing("0"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form("/sfn/set_channel_timing", &timing("3600"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("group wait in whole seconds, from 0 to 600")
    );
    assert_eq!(
        app.post_form("/sfn/set_channel_timing", &timing("0"))
            .await
            .status(),
        StatusCode::OK
    );
    let page = app.get("/alerts/channels").await.text().await.unwrap();
    assert!(page.contains("0 s, then every 1 min; repeats after 24 h; not when resolved"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"alert_channel.timing".to_string())
    );
}

#[tokio::test]
async fn metrics_need_a_token_and_speak_the_prometheus_text_format() {
    let app = app_with_uat().await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
            .await
            .status(),
        StatusCode::OK
    );
    let res = app
        .post_form("/sfn/apply_alert_starter", &[("env", "UAT")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{:?}",
        res.headers().get("location")
    );
    let token = create_token(&app, "prometheus").await;
    let res = new_client()
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    for line in [
        "# TYPE dwconsole_alert_instances gauge",
        "dwconsole_alert_instances{state=\"firing\"} 0",
        "dwconsole_alert_rules{enabled=\"true\"} 5",
        "# TYPE dwconsole_notification_attempts_total counter",
        "dwconsole_notifications_waiting 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}

#[tokio::test]
async fn an_email_channel_needs_a_relay_and_its_test_arrives_through_it() {
    // No relay configured: refused, naming what to set; nothing is saved.
    let app = app_with_uat().await;
    let email = |to| {
        [
            ("form[name]", "On call"),
            ("form[kind]", "email"),
            ("form[target]", to),
        ]
    };
    let form = email("oncall@example.com");
    let res = app.post_form("/sfn/create_channel", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("set smtp-host and smtp-from")
    );
    let page = app.get("/alerts/channels").await.text().await.unwrap();
    assert!(page.contains("Email is off"));
    assert!(page.contains("No channels yet."), "nothing was saved");

    // A relay (the simulator's mailbox, as a local SMTP sink).
    let mailbox = std::sync::Arc::<server::simulator::mailbox::Mailbox>::default();
    let (addr, _sink) =
        server::simulator::mailbox::serve(mailbox.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
    let app = spawn_app_with(|s| {
        s.smtp = Some(server::config::SmtpSettings {
            host: "127.0.0.1".into(),
            port: addr.port(),
            tls: server::config::SmtpTls::None,
            credentials: None,
            from: "Dual-write Console <dwconsole@example.com>".into(),
        })
    })
    .await;
    app.setup_admin().await;
    let bad = email("oncall@example.com, not an address");
    let res = app.post_form("/sfn/create_channel", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("'not an address' is not an email address")
    );
    let res = app.post_form("/sfn/create_channel", &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: serde_json::Value = app
        .post_form("/sfn/list_channels", &[])
        .await
        .json()
        .await
        .unwrap();
    let relay = format!("127.0.0.1:{} (unencrypted, on this machine)", addr.port());
    assert!(
        page["email_relay"].as_str().unwrap().contains(&relay),
        "{page}"
    );
    let channel = &page["channels"][0];
    assert_eq!(
        channel["target"], "oncall@example.com",
        "addresses are shown"
    );
    let id = channel["id"].to_string();
    let res = app
        .post_form("/sfn/test_channel", &[("channel_id", id.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The delivery task runs every 5 seconds.
    let mut waited = 0;
    while mailbox.received().is_empty() && waited < 150 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    let got = mailbox.received();
    assert_eq!(got.len(), 1, "the test email arrived");
    assert_eq!(got[0].to, ["oncall@example.com"]);
    assert!(
        got[0].subject.starts_with("Firing: Test notification"),
        "{}",
        got[0].subject
    );
    let page = app.get("/alerts/channels").await.text().await.unwrap();
    assert!(page.contains(&format!("Email goes out through {relay}")));
}

#[tokio::test]
async fn an_added_silence_is_named_back_and_a_link_cannot_name_another() {
    let app = app_with_uat().await;
    let res = app
        .post_form(
            "/sfn/create_silence",
            &[
                ("form[environment]", "UAT"),
                ("form[rule]", ""),
                ("form[map]", ""),
                ("form[severity]", "critical"),
                ("form[category]", ""),
                ("form[kind]", "weekly"),
                ("form[day]", "6"),
                ("form[time]", "22:00"),
                ("form[hours]", "4"),
                ("form[comment]", "F&O platform update"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id = location
        .strip_prefix("/alerts/silences?env=UAT&added=")
        .unwrap_or_else(|| panic!("{location}"));
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"silence-added\""), "{page}");
    assert!(page.contains(&format!("Silence #{id} added: ")), "{page}");
    assert!(page.contains("severity = critical"), "{page}");
    // An id that is not a live silence, or words, say nothing.
    for forged in [
        "/alerts/silences?env=UAT&added=999999",
        "/alerts/silences?env=UAT&added=Call%200100",
    ] {
        let page = app.get(forged).await.text().await.unwrap();
        assert!(!page.contains("silence-added"), "{forged}");
        assert!(!page.contains("Call 0100"), "{forged}");
    }
}
