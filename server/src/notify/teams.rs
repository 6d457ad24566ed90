//! The body a Teams Workflows webhook ("when a Teams webhook request is
//! received", which replaces the retired Office 365 connectors) posts to a
//! channel: a `message` envelope with one Adaptive Card attachment. The card
//! stays at version 1.4, which Teams renders everywhere, and links out with
//! `Action.OpenUrl` (webhooks do not take `Action.Submit`).

use app::alerts::Message;
use app::alerts::channels::SweepMessage;
use app::alerts::state::Notice;
use serde_json::{Value, json};

/// The Adaptive Card version the card declares.
pub const CARD_VERSION: &str = "1.4";

/// The Workflows request body for `m`.
pub fn body(m: &Message) -> Value {
    body_many(std::slice::from_ref(m))
}

/// The Workflows request body for alerts grouped into one notification:
/// one card each, in one message.
pub fn body_many(ms: &[Message]) -> Value {
    let attachments: Vec<Value> = ms
        .iter()
        .map(|m| {
            json!({
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card(m),
            })
        })
        .collect();
    json!({ "type": "message", "attachments": attachments })
}

/// The Workflows request body for the daily sweep of an error queue.
pub fn sweep_body(s: &SweepMessage) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": s.title(), "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "FactSet", "facts": [
            {"title": "Entries", "value": s.entries.to_string()},
            {"title": "Open groups", "value": s.open_line()},
            {"title": "Top categories", "value": SweepMessage::top_line(&s.top_categories)},
            {"title": "Top maps", "value": SweepMessage::top_line(&s.top_maps)},
            {"title": "Since", "value": s.since},
        ]}),
    ];
    if !s.new_groups.is_empty() {
        body.push(
            json!({"type": "TextBlock", "text": "New groups", "weight": "Bolder", "wrap": true}),
        );
        let facts: Vec<Value> = s
            .new_groups
            .iter()
            .map(|(c, p, n)| json!({"title": format!("{n} × {c}"), "value": p}))
            .collect();
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": CARD_VERSION,
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open the error queue", "url": s.url}],
                "msteams": {"width": "full"},
            },
        }],
    })
}

/// Checks a Workflows request body as Teams would take it: a `message`
/// whose attachments are Adaptive Cards of version 1.4 or lower, each with
/// a body of elements that have their required fields, and only
/// `Action.OpenUrl` actions. Gives the number of cards, or what is wrong.
/// The simulator's receiver runs it on what it is sent.
pub fn check_envelope(b: &Value) -> Result<usize, String> {
    if b["type"] != "message" {
        return Err("the envelope's type must be \"message\"".into());
    }
    let attachments = b["attachments"].as_array().ok_or("no attachments list")?;
    if attachments.is_empty() {
        return Err("the attachments list is empty".into());
    }
    for (i, a) in attachments.iter().enumerate() {
        if a["contentType"] != "application/vnd.microsoft.card.adaptive" {
            return Err(format!(
                "attachment {i}: contentType is not application/vnd.microsoft.card.adaptive"
            ));
        }
        let card = &a["content"];
        if card["type"] != "AdaptiveCard" {
            return Err(format!("attachment {i}: content.type is not AdaptiveCard"));
        }
        let version: f64 = card["version"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .ok_or(format!("attachment {i}: no card version"))?;
        if version > 1.4 {
            return Err(format!(
                "attachment {i}: card version {version} is above 1.4"
            ));
        }
        let elements = card["body"]
            .as_array()
            .filter(|e| !e.is_empty())
            .ok_or(format!("attachment {i}: empty card body"))?;
        for e in elements {
            let ok = match e["type"].as_str() {
                Some("TextBlock") => e["text"].is_string(),
                Some("FactSet") => e["facts"].as_array().is_some_and(|f| {
                    !f.is_empty()
                        && f.iter()
                            .all(|f| f["title"].is_string() && f["value"].is_string())
                }),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "attachment {i}: an element Teams cannot render: {e}"
                ));
            }
        }
        for act in card["actions"].as_array().into_iter().flatten() {
            if act["type"] != "Action.OpenUrl" || !act["url"].is_string() {
                return Err(format!(
                    "attachment {i}: webhooks take only Action.OpenUrl with a url"
                ));
            }
        }
    }
    Ok(attachments.len())
}

/// The Adaptive Card itself.
pub fn card(m: &Message) -> Value {
    // Teams' named colours: red while firing, green once resolved.
    let color = match m.notice {
        Notice::Firing | Notice::Error => "Attention",
        Notice::NoData => "Warning",
        Notice::Resolved => "Good",
    };
    let mut facts = vec![
        json!({"title": "Environment", "value": m.environment}),
        json!({"title": "Value", "value": m.value_line()}),
        json!({"title": "Since", "value": m.since}),
        json!({"title": "Severity", "value": format!("{:?}", m.severity).to_lowercase()}),
    ];
    if let Some(map) = &m.map {
        facts.insert(1, json!({"title": "Map", "value": map}));
    }
    let mut body = vec![
        json!({"type": "TextBlock", "text": m.title(), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true}),
        json!({"type": "FactSet", "facts": facts}),
    ];
    if !m.runbook.trim().is_empty() && m.notice != Notice::Resolved {
        body.push(
            json!({"type": "TextBlock", "text": "What to do", "weight": "Bolder", "wrap": true}),
        );
        body.push(json!({"type": "TextBlock", "text": m.runbook, "wrap": true}));
    }
    json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open in the console", "url": m.url}],
        "msteams": {"width": "full"},
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use app::alerts::{Comparator, Condition, Missing, Severity};

    pub(crate) fn message(notice: Notice) -> Message {
        Message {
            notice,
            rule: "More than 10 errors per hour".into(),
            severity: Severity::Warning,
            environment: "UAT".into(),
            map: Some("Customers V3".into()),
            value: Some(14.0),
            unit: "entries per hour".into(),
            condition: Condition {
                comparator: Comparator::Above,
                threshold: 10.0,
                recovery: Some(5.0),
                pending_secs: 0,
                keep_firing_secs: 0,
                interval_secs: 60,
                window_secs: 3600,
                no_data: Missing::Keep,
                error: Missing::Keep,
            },
            since: "2026-12-01T06:00:00.000Z".into(),
            runbook: "Open the error queue, filter by the map, and check the newest group.".into(),
            url: "https://console.example/alerts/7".into(),
        }
    }

    /// The elements this card uses, and the fields each one requires in
    /// the Adaptive Card schema.
    fn check_element(e: &Value) {
        match e["type"].as_str() {
            Some("TextBlock") => assert!(e["text"].is_string(), "TextBlock needs text: {e}"),
            Some("FactSet") => {
                let facts = e["facts"].as_array().expect("FactSet needs facts");
                assert!(!facts.is_empty());
                for f in facts {
                    assert!(f["title"].is_string() && f["value"].is_string(), "{f}");
                }
            }
            other => panic!("an element Teams may not render: {other:?}"),
        }
    }

    #[test]
    fn the_workflows_envelope_carries_one_adaptive_card_teams_renders() {
        for notice in [Notice::Firing, Notice::Resolved] {
            let b = body(&message(notice));
            assert_eq!(b["type"], "message", "Workflows needs type message");
            let attachments = b["attachments"].as_array().unwrap();
            assert_eq!(attachments.len(), 1);
            assert_eq!(
                attachments[0]["contentType"],
                "application/vnd.microsoft.card.adaptive"
            );
            let card = &attachments[0]["content"];
            assert_eq!(card["type"], "AdaptiveCard");
            let version: f64 = card["version"].as_str().unwrap().parse().unwrap();
            assert!(version <= 1.4, "Teams renders up to 1.5; we keep to 1.4");
            let elements = card["body"].as_array().unwrap();
            assert!(!elements.is_empty());
            elements.iter().for_each(check_element);
            for a in card["actions"].as_array().unwrap() {
                assert_eq!(
                    a["type"], "Action.OpenUrl",
                    "webhooks take no Action.Submit"
                );
                assert!(a["url"].as_str().unwrap().starts_with("https://"));
            }
        }
    }

    #[test]
    fn grouped_alerts_travel_as_one_message_the_check_accepts_and_bad_ones_are_refused() {
        let b = body_many(&[message(Notice::Firing), message(Notice::Resolved)]);
        assert_eq!(check_envelope(&b), Ok(2));
        let mut wrong = b.clone();
        wrong["attachments"][0]["content"]["version"] = "1.6".into();
        assert!(check_envelope(&wrong).unwrap_err().contains("above 1.4"));
        let mut wrong = b;
        wrong["type"] = "card".into();
        assert!(check_envelope(&wrong).is_err());
        assert!(check_envelope(&serde_json::json!({"text": "hi"})).is_err());
    }

    #[test]
    fn the_daily_sweep_is_a_card_teams_renders() {
        let sweep = app::alerts::channels::SweepMessage {
            environment: "UAT".into(),
            since: "2026-11-30T07:30:00.000Z".into(),
            entries: 42,
            new_groups: vec![("Plug-in threw".into(), "Customer <n> is on hold".into(), 12)],
            top_categories: vec![("Plug-in threw".into(), 30), ("Other".into(), 12)],
            top_maps: vec![("Customers V3".into(), 40)],
            open_now: 9,
            open_before: 7,
            url: "https://console.example/errors?env=UAT".into(),
        };
        let b = sweep_body(&sweep);
        assert_eq!(check_envelope(&b), Ok(1));
        let text = b.to_string();
        assert!(text.contains("Error queue, last 24 h · UAT: 42 entries, 1 new groups"));
        assert!(text.contains("9 open groups, 2 more than the day before (7)"));
        assert!(text.contains("Customers V3: 40"));
    }

    #[test]
    fn firing_and_resolved_cards_say_what_happened() {
        let firing = card(&message(Notice::Firing));
        let text = firing.to_string();
        assert_eq!(firing["body"][0]["color"], "Attention");
        assert!(text.contains("Firing: More than 10 errors per hour · UAT · Customers V3"));
        assert!(text.contains("14 entries per hour (fires above 10), resolves at 5"));
        assert!(text.contains("Open the error queue"), "the runbook note");
        let resolved = card(&message(Notice::Resolved));
        assert_eq!(resolved["body"][0]["color"], "Good");
        assert!(resolved.to_string().contains("Resolved: "));
        assert!(!resolved.to_string().contains("What to do"));
    }
}
