//! One alert instance's state machine: Normal → Pending → Firing →
//! Recovering → Normal, plus `NoData` and Error, driven by one reading per
//! evaluation. [`evaluate`] is one step; [`replay`] runs a rule over a
//! stored series (the editor's preview). The state is plain data, so a
//! server that stores it after each step and restarts neither loses an
//! alert nor sends one twice.

use super::{Condition, Missing};
use serde::{Deserialize, Serialize};

/// Where an alert instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The condition holds no breach.
    Normal,
    /// Breaching, for less than the pending period.
    Pending,
    /// Breaching for the pending period or longer: notified.
    Firing,
    /// Recovered while firing, for less than keep-firing-for.
    Recovering,
    /// No value to evaluate (and the rule alerts on that).
    NoData,
    /// The value could not be read (and the rule alerts on that).
    Error,
}

/// What one evaluation read.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// The value over the rule's window.
    Value(f64),
    /// Nothing in the window (e.g. no counts yet).
    NoData,
    /// Reading failed, with why.
    Error(String),
}

str_enum!(State {
    Normal => "normal", "Normal";
    Pending => "pending", "Pending";
    Firing => "firing", "Firing";
    Recovering => "recovering", "Recovering";
    NoData => "no_data", "No data";
    Error => "error", "Error";
});

/// A notification a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The alert started firing.
    Firing,
    /// A firing (or `NoData`, Error) alert resolved.
    Resolved,
    /// The rule has no data to evaluate.
    NoData,
    /// The rule's value could not be read.
    Error,
}

str_enum!(Notice {
    Firing => "firing", "Firing";
    Resolved => "resolved", "Resolved";
    NoData => "no_data", "No data";
    Error => "error", "Cannot evaluate";
});

/// An instance's stored state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Where it stands.
    pub state: State,
    /// When it entered that state (Unix seconds).
    pub since: i64,
    /// When it started firing, kept through Recovering (Unix seconds).
    pub fired_at: Option<i64>,
    /// The last value read.
    pub value: Option<f64>,
}

impl Instance {
    /// A new instance: Normal from `at`.
    pub fn new(at: i64) -> Self {
        Instance {
            state: State::Normal,
            since: at,
            fired_at: None,
            value: None,
        }
    }

    fn to(&self, state: State, at: i64) -> Self {
        Instance {
            state,
            since: if state == self.state { self.since } else { at },
            ..self.clone()
        }
    }
}

/// Evaluates one reading at `at` (Unix seconds): the instance's next state
/// and the notices to send (most often none; leaving `NoData` for a breach
/// resolves the `NoData` notice before anything else).
pub fn evaluate(
    c: &Condition,
    prev: &Instance,
    at: i64,
    reading: &Reading,
) -> (Instance, Vec<Notice>) {
    let (missing, notice, state) = match reading {
        Reading::Value(v) => return on_value(c, prev, at, *v),
        Reading::NoData => (c.no_data, Notice::NoData, State::NoData),
        Reading::Error(_) => (c.error, Notice::Error, State::Error),
    };
    match missing {
        Missing::Keep => (prev.clone(), vec![]),
        // A healthy value: at the recovery threshold, which never breaches.
        Missing::Normal => on_value(c, prev, at, c.recovery.unwrap_or(c.threshold)),
        Missing::Alert if prev.state == state => (prev.clone(), vec![]),
        Missing::Alert => {
            let mut next = prev.to(state, at);
            next.value = None;
            (next, vec![notice])
        }
    }
}

fn on_value(c: &Condition, prev: &Instance, at: i64, v: f64) -> (Instance, Vec<Notice>) {
    let mut notices = vec![];
    let mut prev = prev.clone();
    if matches!(prev.state, State::NoData | State::Error) && prev.fired_at.is_some() {
        // It fired before the data went missing: a value that has not
        // recovered means it still fires (no "resolved" in between), a
        // healthy one resolves it.
        if c.recovers(v) {
            notices.push(Notice::Resolved);
            let next = Instance {
                state: State::Normal,
                since: at,
                fired_at: None,
                value: Some(v),
            };
            return (next, notices);
        }
        let next = Instance {
            value: Some(v),
            ..prev.to(State::Firing, at)
        };
        return (next, notices);
    }
    if matches!(prev.state, State::NoData | State::Error) {
        // A value again: the missing-data alert resolves, then the value
        // is judged as from Normal.
        notices.push(Notice::Resolved);
        prev = Instance {
            state: State::Normal,
            since: at,
            fired_at: None,
            value: None,
        };
    }
    let mut next = match prev.state {
        State::Normal | State::NoData | State::Error if c.breaches(v) => {
            if c.pending_secs == 0 {
                notices.push(Notice::Firing);
                Instance {
                    fired_at: Some(at),
                    ..prev.to(State::Firing, at)
                }
            } else {
                prev.to(State::Pending, at)
            }
        }
        State::Normal | State::NoData | State::Error => prev.to(State::Normal, at),
        State::Pending if c.breaches(v) => {
            if at - prev.since >= c.pending_secs {
                notices.push(Notice::Firing);
                Instance {
                    fired_at: Some(at),
                    ..prev.to(State::Firing, at)
                }
            } else {
                prev.clone()
            }
        }
        State::Pending => prev.to(State::Normal, at),
        State::Firing if c.recovers(v) => {
            if c.keep_firing_secs == 0 {
                notices.push(Notice::Resolved);
                Instance {
                    fired_at: None,
                    ..prev.to(State::Normal, at)
                }
            } else {
                prev.to(State::Recovering, at)
            }
        }
        State::Firing => prev.clone(),
        State::Recovering if c.recovers(v) => {
            if at - prev.since >= c.keep_firing_secs {
                notices.push(Notice::Resolved);
                Instance {
                    fired_at: None,
                    ..prev.to(State::Normal, at)
                }
            } else {
                prev.clone()
            }
        }
        // Breaching again while recovering: still the same alert, so no
        // second notification.
        State::Recovering => prev.to(State::Firing, at),
    };
    next.value = Some(v);
    (next, notices)
}

/// A rule replayed over a series: every change of state and every notice,
/// in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// (when, the state entered, the value then).
    pub changes: Vec<(i64, State, Option<f64>)>,
    /// (when, what would have been sent).
    pub notices: Vec<(i64, Notice)>,
}

impl Replay {
    /// The periods the rule would have fired: (from, to), `to` being
    /// `None` while it still fires at the end of the series.
    pub fn firing_periods(&self) -> Vec<(i64, Option<i64>)> {
        let mut out: Vec<(i64, Option<i64>)> = vec![];
        for (at, n) in &self.notices {
            match n {
                Notice::Firing => out.push((*at, None)),
                Notice::Resolved => {
                    if let Some(last) = out.last_mut().filter(|p| p.1.is_none()) {
                        last.1 = Some(*at);
                    }
                }
                Notice::NoData | Notice::Error => {}
            }
        }
        out
    }
}

/// Replays a rule over readings in time order, from Normal.
pub fn replay(c: &Condition, readings: &[(i64, Reading)]) -> Replay {
    let mut out = Replay::default();
    let Some((first, _)) = readings.first() else {
        return out;
    };
    let mut at_state = Instance::new(*first);
    for (at, r) in readings {
        let (next, notices) = evaluate(c, &at_state, *at, r);
        if next.state != at_state.state {
            out.changes.push((*at, next.state, next.value));
        }
        out.notices.extend(notices.into_iter().map(|n| (*at, n)));
        at_state = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Comparator;

    /// More than 10 errors an hour fires after 2 minutes; it resolves below
    /// 5, after 5 minutes of being there.
    fn errors_per_hour() -> Condition {
        Condition {
            comparator: Comparator::Above,
            threshold: 10.0,
            recovery: Some(5.0),
            pending_secs: 120,
            keep_firing_secs: 300,
            interval_secs: 60,
            window_secs: 3600,
            no_data: Missing::Alert,
            error: Missing::Keep,
        }
    }

    fn values(vs: &[(i64, f64)]) -> Vec<(i64, Reading)> {
        vs.iter().map(|(t, v)| (*t, Reading::Value(*v))).collect()
    }

    #[test]
    fn pending_firing_recovering_normal_with_the_recovery_threshold_and_keep_firing_for() {
        let c = errors_per_hour();
        let r = replay(
            &c,
            &values(&[
                (0, 12.0),   // pending
                (60, 12.0),  // still pending: 60 s < 120 s
                (120, 15.0), // fires
                (180, 8.0),  // below the threshold, above recovery: fires on
                (240, 4.0),  // recovering
                (300, 11.0), // breaching again: firing, no second notice
                (360, 3.0),  // recovering again
                (600, 2.0),  // 240 s < 300 s: still recovering
                (660, 2.0),  // resolves
            ]),
        );
        assert_eq!(
            r.notices,
            vec![(120, Notice::Firing), (660, Notice::Resolved)]
        );
        let states: Vec<State> = r.changes.iter().map(|c| c.1).collect();
        assert_eq!(
            states,
            vec![
                State::Pending,
                State::Firing,
                State::Recovering,
                State::Firing,
                State::Recovering,
                State::Normal
            ]
        );
        assert_eq!(r.firing_periods(), vec![(120, Some(660))]);
    }

    #[test]
    fn a_breach_shorter_than_the_pending_period_notifies_nobody() {
        let c = errors_per_hour();
        let r = replay(&c, &values(&[(0, 20.0), (60, 20.0), (120, 3.0)]));
        assert!(r.notices.is_empty());
        assert_eq!(r.changes.last().map(|c| c.1), Some(State::Normal));
    }

    #[test]
    fn no_data_alerts_once_and_resolves_when_values_return() {
        let c = errors_per_hour();
        let mut readings = values(&[(0, 1.0)]);
        readings.push((60, Reading::NoData));
        readings.push((120, Reading::NoData));
        readings.push((180, Reading::Value(1.0)));
        let r = replay(&c, &readings);
        assert_eq!(
            r.notices,
            vec![(60, Notice::NoData), (180, Notice::Resolved)]
        );
        // Kept and Normal leave a firing alert alone, or let it recover.
        let keep = Condition {
            no_data: Missing::Keep,
            pending_secs: 0,
            keep_firing_secs: 0,
            ..errors_per_hour()
        };
        let (firing, n) = evaluate(&keep, &Instance::new(0), 0, &Reading::Value(50.0));
        assert_eq!((firing.state, n), (State::Firing, vec![Notice::Firing]));
        let (kept, n) = evaluate(&keep, &firing, 60, &Reading::NoData);
        assert_eq!((kept.state, n), (State::Firing, vec![]));
        let normal = Condition {
            no_data: Missing::Normal,
            ..keep
        };
        let (resolved, n) = evaluate(&normal, &firing, 60, &Reading::NoData);
        assert_eq!((resolved.state, n), (State::Normal, vec![Notice::Resolved]));
    }

    #[test]
    fn a_firing_alert_that_loses_its_data_and_gets_a_breaching_value_back_still_fires() {
        let c = Condition {
            pending_secs: 0,
            keep_firing_secs: 0,
            ..errors_per_hour()
        };
        let readings = vec![
            (0, Reading::Value(20.0)),
            (60, Reading::NoData),
            (120, Reading::Value(30.0)),
            (180, Reading::Value(1.0)),
        ];
        let r = replay(&c, &readings);
        assert_eq!(
            r.notices,
            vec![
                (0, Notice::Firing),
                (60, Notice::NoData),
                (180, Notice::Resolved)
            ],
            "no resolved-then-firing while it never recovered"
        );
        assert_eq!(r.firing_periods(), vec![(0, Some(180))]);
    }

    #[test]
    fn a_restart_mid_alert_neither_loses_nor_repeats_it() {
        let c = errors_per_hour();
        let mut i = Instance::new(0);
        let mut sent = vec![];
        for (at, v) in [(0, 20.0), (120, 20.0)] {
            let (next, n) = evaluate(&c, &i, at, &Reading::Value(v));
            sent.extend(n);
            i = next;
        }
        assert_eq!(sent, vec![Notice::Firing]);
        // Stored and read back, as after a restart.
        let stored = serde_json::to_string(&i).unwrap();
        let mut i: Instance = serde_json::from_str(&stored).unwrap();
        for (at, v) in [(180, 20.0), (240, 1.0), (540, 1.0)] {
            let (next, n) = evaluate(&c, &i, at, &Reading::Value(v));
            sent.extend(n);
            i = next;
        }
        assert_eq!(sent, vec![Notice::Firing, Notice::Resolved]);
        assert_eq!(i.state, State::Normal);
    }

    #[test]
    fn below_rules_fire_on_a_drop() {
        let c = Condition {
            comparator: Comparator::Below,
            threshold: 100.0,
            recovery: Some(150.0),
            pending_secs: 0,
            keep_firing_secs: 0,
            ..errors_per_hour()
        };
        let r = replay(
            &c,
            &values(&[(0, 200.0), (60, 50.0), (120, 120.0), (180, 160.0)]),
        );
        assert_eq!(
            r.notices,
            vec![(60, Notice::Firing), (180, Notice::Resolved)]
        );
    }

    #[test]
    fn bad_conditions_are_refused_with_the_reason() {
        let wrong_side = Condition {
            recovery: Some(12.0),
            ..errors_per_hour()
        };
        assert_eq!(wrong_side.check().unwrap_err().0, "recovery");
        let short_window = Condition {
            window_secs: 30,
            interval_secs: 60,
            ..errors_per_hour()
        };
        let (field, message) = short_window.check().unwrap_err();
        assert_eq!(field, "window");
        assert!(
            message.contains("shorter than the evaluation interval"),
            "{message}"
        );
        assert_eq!(errors_per_hour().check(), Ok(()));
    }
}
