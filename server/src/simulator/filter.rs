//! The `$filter` subset the simulator evaluates on its tables: comparisons
//! (`eq ne gt ge lt le`) of a column with a literal, joined by `and`, where
//! each `and` part may be a parenthesised `or` chain. That is what the
//! connectors send (keys, companies, modification times); anything else is
//! refused with a 400 that says so, rather than silently ignored.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cmp::Ordering;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Time(DateTime<Utc>),
}

/// `column op literal`.
#[derive(Debug, Clone, PartialEq)]
struct Cmp {
    column: String,
    op: Op,
    lit: Lit,
}

/// A parsed filter: every group must hold, and a group holds when any of
/// its comparisons does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    all: Vec<Vec<Cmp>>,
}

/// Splits `s` on `sep` where it is outside quotes and parentheses.
fn split_top(s: &str, sep: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ => {}
        }
        if !quoted && depth == 0 && s[i..].starts_with(sep) {
            parts.push(s[start..i].to_string());
            i += sep.len();
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push(s[start..].to_string());
    parts
}

/// Strips parentheses that wrap the whole of `s`.
fn unwrap_parens(mut s: &str) -> &str {
    loop {
        s = s.trim();
        if s.starts_with('(') && s.ends_with(')') && closes_at_end(s) {
            s = &s[1..s.len() - 1];
        } else {
            return s;
        }
    }
}

/// Whether the parenthesis opening `s` is the one closing it.
fn closes_at_end(s: &str) -> bool {
    let (mut depth, mut quoted) = (0i32, false);
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return i == s.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

fn literal(text: &str) -> Result<Lit, String> {
    let t = text.trim();
    // A quoted string, or an F&O enum literal `Namespace.Enum'Label'`.
    if let Some(q) = t.find('\'')
        && t.ends_with('\'')
        && t.len() > q + 1
    {
        let prefix = &t[..q];
        if prefix.is_empty() || prefix.chars().all(|c| c.is_alphanumeric() || c == '.') {
            return Ok(Lit::Str(t[q + 1..t.len() - 1].replace("''", "'")));
        }
    }
    // A GUID is written bare in OData v4 (`_parentid_value eq 5f0c…`).
    let is_guid = t.len() == 36
        && t.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if is_guid {
        return Ok(Lit::Str(t.to_string()));
    }
    match t {
        "true" => return Ok(Lit::Bool(true)),
        "false" => return Ok(Lit::Bool(false)),
        "null" => return Ok(Lit::Null),
        _ => {}
    }
    if let Ok(n) = t.parse::<f64>() {
        return Ok(Lit::Num(n));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Lit::Time(d.with_timezone(&Utc)));
    }
    Err(format!("'{t}' is not a literal this simulator understands"))
}

fn comparison(text: &str) -> Result<Cmp, String> {
    let t = unwrap_parens(text);
    let mut words = t.splitn(3, ' ');
    let (Some(column), Some(op), Some(rest)) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "the $filter clause '{t}' is not supported by this simulator (use: column eq|ne|gt|ge|lt|le literal)"
        ));
    };
    let op = match op {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        other => {
            return Err(format!(
                "the operator '{other}' in '{t}' is not supported by this simulator (eq, ne, gt, ge, lt, le)"
            ));
        }
    };
    if column.contains('(') {
        return Err(format!(
            "functions such as '{column}' are not supported by this simulator"
        ));
    }
    Ok(Cmp {
        column: column.to_string(),
        op,
        lit: literal(rest)?,
    })
}

impl Filter {
    /// Parses a `$filter` value; `Err` is the message for a 400.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut all = Vec::new();
        for part in split_top(unwrap_parens(text), " and ") {
            let group = split_top(unwrap_parens(&part), " or ")
                .iter()
                .map(|c| comparison(c))
                .collect::<Result<Vec<_>, _>>()?;
            all.push(group);
        }
        Ok(Filter { all })
    }

    /// Whether the filter has no clauses (everything passes).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Whether `row` passes.
    pub fn matches(&self, row: &Value) -> bool {
        self.all.iter().all(|g| g.iter().any(|c| c.holds(row)))
    }

    /// The values of `column` that an `or` chain of `column eq '…'`
    /// allows, when one `and` part is exactly such a chain (a lookup by
    /// keys); the caller still applies the whole filter.
    pub fn only_values(&self, column: &str) -> Option<Vec<String>> {
        self.all.iter().find_map(|g| {
            g.iter()
                .map(|c| match (&c.lit, c.op) {
                    (Lit::Str(s), Op::Eq) if c.column.eq_ignore_ascii_case(column) => {
                        Some(s.clone())
                    }
                    _ => None,
                })
                .collect()
        })
    }
}

impl Cmp {
    fn holds(&self, row: &Value) -> bool {
        let value = row.get(&self.column).unwrap_or(&Value::Null);
        let ord = match (&self.lit, value) {
            (Lit::Null, v) => {
                return match self.op {
                    Op::Eq => v.is_null(),
                    Op::Ne => !v.is_null(),
                    _ => false,
                };
            }
            (_, Value::Null) => return self.op == Op::Ne,
            // String comparisons are case-insensitive on both services.
            (Lit::Str(s), Value::String(v)) => v.to_lowercase().cmp(&s.to_lowercase()),
            (Lit::Num(n), Value::Number(v)) => v
                .as_f64()
                .and_then(|v| v.partial_cmp(n))
                .unwrap_or(Ordering::Less),
            (Lit::Bool(b), Value::Bool(v)) => v.cmp(b),
            (Lit::Time(t), Value::String(v)) => match DateTime::parse_from_rfc3339(v) {
                Ok(v) => v.with_timezone(&Utc).cmp(t),
                Err(_) => return false,
            },
            _ => return false,
        };
        match self.op {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_chains_companies_enums_and_times_are_understood() {
        let f = Filter::parse(
            "(CustomerAccount eq 'US-000001' or CustomerAccount eq 'US-000007') and dataAreaId eq 'USMF'",
        )
        .unwrap();
        assert_eq!(
            f.only_values("CustomerAccount").unwrap(),
            vec!["US-000001", "US-000007"]
        );
        let row = json!({"CustomerAccount": "us-000007", "dataAreaId": "usmf"});
        assert!(f.matches(&row), "case-insensitive strings");
        assert!(!f.matches(&json!({"CustomerAccount": "US-000002", "dataAreaId": "usmf"})));

        let e =
            Filter::parse("OnHoldStatus eq Microsoft.Dynamics.DataEntities.CustVendorBlocked'No'")
                .unwrap();
        assert!(e.matches(&json!({"OnHoldStatus": "No"})));
        let t = Filter::parse("modifiedon gt 2026-11-01T00:00:00Z").unwrap();
        assert!(t.matches(&json!({"modifiedon": "2026-11-01T01:00:00+00:30"})));
        assert!(!t.matches(&json!({"modifiedon": "2026-10-31T23:59:59Z"})));
        let g =
            Filter::parse("_msdyn_company_value eq 29814937-2F57-45f8-a9b5-86e0b0341b75").unwrap();
        assert!(
            g.matches(&json!({"_msdyn_company_value": "29814937-2f57-45f8-a9b5-86e0b0341b75"}))
        );
        let q = Filter::parse("name eq 'O''Brien'").unwrap();
        assert!(q.matches(&json!({"name": "O'Brien"})));
        assert!(q.only_values("accountnumber").is_none());
        let or = Filter::parse("(name eq 'a') or (name eq 'b')").unwrap();
        assert!(or.matches(&json!({"name": "b"})), "{or:?}");
    }

    #[test]
    fn what_is_not_understood_is_named() {
        let e = Filter::parse("contains(name,'x')").unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = Filter::parse("Amount has 5").unwrap_err();
        assert!(e.contains("'has'"), "{e}");
        let e = Filter::parse("name eq Bob").unwrap_err();
        assert!(e.contains("'Bob'"), "{e}");
    }
}
