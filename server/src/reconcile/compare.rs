//! Comparing one record's two sides through the map's field mappings, so
//! that only meaning counts, never representation:
//!
//! - text is trimmed, and an empty string is the same as no value;
//! - numbers are compared at two decimal places (the precision of a
//!   Dataverse money column), so trailing zeros, float artefacts and
//!   precision past the column's are not drift;
//! - moments are compared as UTC instants to the second, so offsets and
//!   milliseconds are not drift;
//! - enums go through the field's value map (F&O label → Dataverse option
//!   value), and booleans accept `Yes`/`No`, `true`/`false` and `1`/`0`;
//! - GUIDs and lookups ignore case and braces;
//! - a default-value transform fills an empty F&O value.
//!
//! Every value has one canonical text, so a record's digest (for the full
//! diff) is equal exactly when the field-by-field comparison finds nothing.

use app::maps::MapContent;
use app::rules::{FieldContent, Transform, ValueType};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::hash::Hasher as _;

/// Numbers are compared at this many decimal places.
const DECIMALS: i32 = 2;

/// What a map's records are compared on.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The F&O key field (the one integration key besides the company).
    pub fo_key: String,
    /// The Dataverse key column.
    pub dv_key: String,
    /// The mapped fields compared, without the key.
    pub fields: Vec<FieldContent>,
    /// For a company-specific map, how each side names a record's legal
    /// entity: the same key in two companies is two records.
    pub company: Option<CompanyKey>,
}

/// How a Dataverse row names its legal entity.
#[derive(Debug, Clone)]
pub struct CompanyKey {
    /// The lookup's value column (`_msdyn_company_value`).
    pub dv_column: String,
    /// `cdm_companyid` (lower case) to company code (upper case).
    pub codes: std::collections::HashMap<String, String>,
}

/// One field that differs between the sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    /// `FOField ↔ dataversecolumn`.
    pub field: String,
    /// The F&O value as served.
    pub fo: String,
    /// The Dataverse value as served.
    pub dv: String,
}

/// How a served value reads in a difference.
pub fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// The canonical text of `raw` as a `ty` value; `None` is "no value".
fn canonical(ty: ValueType, raw: Option<String>) -> Option<String> {
    let s = raw?;
    Some(match ty {
        ValueType::Text => s,
        ValueType::Number => match s.parse::<f64>() {
            Ok(n) => {
                let scale = 10f64.powi(DECIMALS);
                let r = (n * scale).round() / scale;
                // -0.00 and 0.00 are the same amount.
                format!("{:.*}", DECIMALS as usize, if r == 0.0 { 0.0 } else { r })
            }
            Err(_) => s,
        },
        ValueType::Date => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => t.with_timezone(&Utc).timestamp().to_string(),
            Err(_) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) => d
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp().to_string())
                    .unwrap_or(s),
                Err(_) => s,
            },
        },
        ValueType::Boolean => match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => "true".into(),
            "no" | "false" | "0" => "false".into(),
            _ => s,
        },
        ValueType::Enum | ValueType::Lookup => s.to_lowercase(),
        ValueType::Guid => s.trim_matches(|c| c == '{' || c == '}').to_lowercase(),
    })
}

impl Plan {
    /// The plan for `map` with its live field mappings; `Err` says why a
    /// map cannot be reconciled.
    pub fn new(map: &MapContent, fields: &[FieldContent]) -> Result<Plan, String> {
        let (fo_key, dv_key) = app::reconcile::match_keys(map)?;
        let fields: Vec<FieldContent> = fields
            .iter()
            .filter(|f| !f.fo_field.eq_ignore_ascii_case(&fo_key))
            .cloned()
            .collect();
        if fields.is_empty() {
            return Err(format!(
                "'{}' has no field mappings to compare besides its key; document them in the rule book",
                map.name
            ));
        }
        Ok(Plan {
            fo_key,
            dv_key,
            fields,
            company: None,
        })
    }

    /// Makes the legal entity part of each record's identity: F&O's
    /// `dataAreaId`, Dataverse's company lookup (`lookup`, e.g.
    /// `msdyn_company`) read through `codes` (`cdm_companies`).
    pub fn with_company(
        mut self,
        lookup: &str,
        codes: &std::collections::HashMap<String, String>,
    ) -> Plan {
        self.company = Some(CompanyKey {
            dv_column: format!("_{lookup}_value"),
            codes: codes
                .iter()
                .map(|(code, id)| (id.to_lowercase(), code.to_uppercase()))
                .collect(),
        });
        self
    }

    /// The F&O fields to read.
    pub fn fo_select(&self) -> Vec<String> {
        std::iter::once(self.fo_key.clone())
            .chain(self.fields.iter().map(|f| f.fo_field.clone()))
            .collect()
    }

    /// The Dataverse columns to read.
    pub fn dv_select(&self) -> Vec<String> {
        std::iter::once(self.dv_key.clone())
            .chain(self.company.iter().map(|c| c.dv_column.clone()))
            .chain(self.fields.iter().map(|f| f.dataverse_column.clone()))
            .collect()
    }

    /// The Dataverse columns that make a record's identity.
    pub fn dv_identity_select(&self) -> Vec<String> {
        std::iter::once(self.dv_key.clone())
            .chain(self.company.iter().map(|c| c.dv_column.clone()))
            .collect()
    }

    /// The key value inside an identity (after `COMPANY/`).
    pub fn key_part(&self, identity: &str) -> String {
        match &self.company {
            Some(_) => identity
                .split_once('/')
                .map(|(_, k)| k)
                .unwrap_or(identity)
                .to_string(),
            None => identity.to_string(),
        }
    }

    /// A record's identity from a key value: trimmed, upper case (both
    /// services compare keys without case).
    pub fn identity(key: &str) -> String {
        key.trim().to_uppercase()
    }

    /// The identity of an F&O row (`USMF/US-000001` for a
    /// company-specific map).
    pub fn fo_identity(&self, row: &Value) -> Option<String> {
        let key = Self::identity(&text_of(&row[&self.fo_key])?);
        Some(match &self.company {
            Some(_) => {
                let company = text_of(&row["dataAreaId"]).unwrap_or_default();
                format!("{}/{key}", company.to_uppercase())
            }
            None => key,
        })
    }

    /// The identity of a Dataverse row.
    pub fn dv_identity(&self, row: &Value) -> Option<String> {
        let key = Self::identity(&text_of(&row[&self.dv_key])?);
        Some(match &self.company {
            Some(c) => {
                let id = text_of(&row[&c.dv_column])
                    .unwrap_or_default()
                    .to_lowercase();
                let code = c.codes.get(&id).map(String::as_str).unwrap_or("?");
                format!("{code}/{key}")
            }
            None => key,
        })
    }

    /// Field `f`'s F&O value as Dataverse should hold it, canonical.
    fn fo_canonical(f: &FieldContent, row: &Value) -> Option<String> {
        let mut raw = text_of(&row[&f.fo_field]);
        if f.transform == Transform::ValueMap {
            raw = raw.map(|v| {
                f.value_map
                    .iter()
                    .find(|(from, _)| from.eq_ignore_ascii_case(&v))
                    .map(|(_, to)| to.clone())
                    // An unmapped value cannot equal anything Dataverse holds.
                    .unwrap_or_else(|| format!("\u{0}unmapped:{v}"))
            });
        }
        if f.transform == Transform::Default && raw.is_none() {
            raw = Some(f.default_value.clone()).filter(|d| !d.is_empty());
        }
        canonical(f.value_type, raw)
    }

    fn dv_canonical(f: &FieldContent, row: &Value) -> Option<String> {
        canonical(f.value_type, text_of(&row[&f.dataverse_column]))
    }

    /// The fields that differ between an F&O row and a Dataverse row.
    pub fn compare(&self, fo: &Value, dv: &Value) -> Vec<FieldDiff> {
        self.fields
            .iter()
            .filter(|f| Self::fo_canonical(f, fo) != Self::dv_canonical(f, dv))
            .map(|f| FieldDiff {
                field: f.label(),
                fo: shown(&fo[&f.fo_field]),
                dv: shown(&dv[&f.dataverse_column]),
            })
            .collect()
    }

    fn digest(parts: impl Iterator<Item = Option<String>>) -> u64 {
        // FNV-1a: fast, stable across builds and runs (digests are
        // compared only within one run, but stability helps debugging).
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        for p in parts {
            match p {
                Some(s) => {
                    h.write(&[1]);
                    h.write(s.as_bytes());
                }
                None => h.write(&[0]),
            }
            h.write(&[0xff]);
        }
        h.finish()
    }

    /// An F&O row's compared fields, canonical, in plan order (what its
    /// digest covers).
    pub fn fo_values(&self, row: &Value) -> Vec<Option<String>> {
        self.fields
            .iter()
            .map(|f| Self::fo_canonical(f, row))
            .collect()
    }

    /// A Dataverse row's compared fields, canonical, in plan order.
    pub fn dv_values(&self, row: &Value) -> Vec<Option<String>> {
        self.fields
            .iter()
            .map(|f| Self::dv_canonical(f, row))
            .collect()
    }

    /// The digest of an F&O row's compared fields, canonical.
    pub fn fo_digest(&self, row: &Value) -> u64 {
        Self::digest(self.fields.iter().map(|f| Self::fo_canonical(f, row)))
    }

    /// The digest of a Dataverse row's compared fields, canonical.
    pub fn dv_digest(&self, row: &Value) -> u64 {
        Self::digest(self.fields.iter().map(|f| Self::dv_canonical(f, row)))
    }
}

/// FNV-1a, 64-bit.
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::rules::FieldDirection;
    use serde_json::json;

    fn field(fo: &str, dv: &str, ty: ValueType) -> FieldContent {
        FieldContent {
            fo_field: fo.into(),
            dataverse_column: dv.into(),
            direction: FieldDirection::Both,
            value_type: ty,
            transform: Transform::None,
            default_value: String::new(),
            value_map: vec![],
        }
    }

    fn plan(fields: Vec<FieldContent>) -> Plan {
        Plan {
            fo_key: "CustomerAccount".into(),
            dv_key: "accountnumber".into(),
            fields,
            company: None,
        }
    }

    #[test]
    fn representation_is_not_drift() {
        let mut status = field("OnHoldStatus", "msdyn_onholdstatus", ValueType::Enum);
        status.transform = Transform::ValueMap;
        status.value_map = vec![
            ("No".into(), "192350000".into()),
            ("All".into(), "192350002".into()),
        ];
        let p = plan(vec![
            field("Name", "name", ValueType::Text),
            field("CreditLimit", "creditlimit", ValueType::Number),
            field("Reviewed", "msdyn_reviewed", ValueType::Date),
            field("Blocked", "msdyn_blocked", ValueType::Boolean),
            field("Owner", "ownerid", ValueType::Guid),
            field("Note", "description", ValueType::Text),
            status,
        ]);
        let fo = json!({
            "Name": " Contoso ", "CreditLimit": 1500.5, "Reviewed": "2026-03-14T09:30:00.123Z",
            "Blocked": "No", "Owner": "{ABCDEF00-0000-0000-0000-000000000001}", "Note": "",
            "OnHoldStatus": "No",
        });
        let dv = json!({
            "name": "Contoso", "creditlimit": 1500.5000003, "msdyn_reviewed": "2026-03-14T10:30:00+01:00",
            "msdyn_blocked": false, "ownerid": "abcdef00-0000-0000-0000-000000000001", "description": null,
            "msdyn_onholdstatus": 192350000,
        });
        assert_eq!(p.compare(&fo, &dv), vec![]);
        assert_eq!(
            p.fo_digest(&fo),
            p.dv_digest(&dv),
            "equal digests exactly when nothing differs"
        );
        let mut string_amount = dv.clone();
        string_amount["creditlimit"] = json!("1500.50");
        assert_eq!(p.compare(&fo, &string_amount), vec![]);
    }

    #[test]
    fn real_differences_are_named_with_both_values() {
        let mut status = field("OnHoldStatus", "msdyn_onholdstatus", ValueType::Enum);
        status.transform = Transform::ValueMap;
        status.value_map = vec![
            ("No".into(), "192350000".into()),
            ("All".into(), "192350002".into()),
        ];
        let mut group = field("CustomerGroupId", "msdyn_customergroupid", ValueType::Text);
        group.transform = Transform::Default;
        group.default_value = "10".into();
        let p = plan(vec![
            field("Name", "name", ValueType::Text),
            field("CreditLimit", "creditlimit", ValueType::Number),
            status,
            group,
        ]);
        let fo = json!({"Name": "Contoso", "CreditLimit": 100, "OnHoldStatus": "No", "CustomerGroupId": ""});
        let dv = json!({"name": "Contoso Ltd", "creditlimit": 100.4, "msdyn_onholdstatus": 192350002, "msdyn_customergroupid": "10"});
        let diffs = p.compare(&fo, &dv);
        assert_eq!(
            diffs,
            vec![
                FieldDiff {
                    field: "Name ↔ name".into(),
                    fo: "Contoso".into(),
                    dv: "Contoso Ltd".into()
                },
                FieldDiff {
                    field: "CreditLimit ↔ creditlimit".into(),
                    fo: "100".into(),
                    dv: "100.4".into()
                },
                FieldDiff {
                    field: "OnHoldStatus ↔ msdyn_onholdstatus".into(),
                    fo: "No".into(),
                    dv: "192350002".into()
                },
            ],
            "the default fills the empty group"
        );
        assert_ne!(p.fo_digest(&fo), p.dv_digest(&dv));
        // A value the map does not know differs from anything.
        let odd = json!({"Name": "Contoso", "CreditLimit": 100, "OnHoldStatus": "Invoice", "CustomerGroupId": "10"});
        let dv_ok = json!({"name": "Contoso", "creditlimit": 100, "msdyn_onholdstatus": 192350000, "msdyn_customergroupid": "10"});
        assert_eq!(p.compare(&odd, &dv_ok).len(), 1);
    }

    #[test]
    fn keys_come_from_the_rule_book_without_the_company() {
        let map = app::maps::starter::starter_set().remove(0);
        let fields = vec![
            field("CustomerAccount", "accountnumber", ValueType::Text),
            field("OrganizationName", "name", ValueType::Text),
        ];
        let p = Plan::new(&map, &fields).unwrap();
        assert_eq!(
            (p.fo_key.as_str(), p.dv_key.as_str()),
            ("CustomerAccount", "accountnumber")
        );
        assert_eq!(p.fields.len(), 1, "the key is not compared as a field");
        assert_eq!(p.dv_select(), vec!["accountnumber", "name"]);
        let e = Plan::new(&map, &fields[..1]).unwrap_err();
        assert!(e.contains("no field mappings to compare"), "{e}");
        assert_eq!(
            p.fo_identity(&json!({"CustomerAccount": " us-0001 "}))
                .as_deref(),
            Some("US-0001")
        );
        // With the company: the same key in two legal entities is two records.
        let codes = std::collections::HashMap::from([("USMF".to_string(), "ABC-1".to_string())]);
        let p = p.with_company("msdyn_company", &codes);
        assert_eq!(
            p.fo_identity(&json!({"CustomerAccount": "us-0001", "dataAreaId": "usmf"}))
                .as_deref(),
            Some("USMF/US-0001")
        );
        assert_eq!(
            p.dv_identity(&json!({"accountnumber": "US-0001", "_msdyn_company_value": "abc-1"}))
                .as_deref(),
            Some("USMF/US-0001")
        );
        assert_eq!(p.key_part("USMF/US-0001"), "US-0001");
        assert_eq!(
            p.dv_select(),
            vec!["accountnumber", "_msdyn_company_value", "name"]
        );
    }
}
