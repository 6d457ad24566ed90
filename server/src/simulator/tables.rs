//! The simulated business tables: one per synced starter map, holding the
//! same records on both sides through the map's columns, as dual-write
//! would have synced them — plus what goes wrong in real tenants.
//!
//! - **Churn**: a table holds `records` rows at the epoch and, when
//!   configured, gains one every `grow_every` and updates each row every
//!   1–30 `update_every` periods. The side that does not own the table
//!   shows every change `lag` late, as dual-write's near-real-time sync
//!   does, so a row changed a moment ago differs for a moment.
//! - **Drift**: each row draws at most one injected difference: missing on
//!   one side, a changed text, an enum that maps to the wrong option, or
//!   a representation-only difference (a float artefact in a money column,
//!   a moment written with another UTC offset) that a reconciliation must
//!   not report. [`injected`] lists them for tests.
//!
//! Rows are computed from the seed and the row index, never stored, so a
//! million-row table costs nothing until it is read.

use super::data::{guid, mix};
use super::filter::Filter;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// How a column's values are made and how each side writes them.
#[derive(Debug)]
pub enum Kind {
    /// Text from a template: `{key}` the row key, `{n}` a number from the
    /// row, `{v}` how many times the row was updated.
    Text(&'static str),
    /// The same text on both sides, one of these.
    Pick(&'static [&'static str]),
    /// An enum: F&O writes the label, Dataverse the option value.
    Choice(&'static [(&'static str, i64)]),
    /// Money with two decimals; it changes with every update.
    Money,
    /// A moment, in UTC.
    Moment,
}

/// A mapped column: its F&O field and Dataverse column.
#[derive(Debug)]
pub struct Column {
    /// F&O data-entity field.
    pub fo: &'static str,
    /// Dataverse column.
    pub dv: &'static str,
    /// Values.
    pub kind: Kind,
}

/// Which side owns a table's records (the other side lags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Finance and Operations.
    Fo,
    /// Dataverse.
    Dataverse,
}

/// One simulated table and its names on both sides.
#[derive(Debug)]
pub struct TableDef {
    /// The F&O data entity (`CustCustomerV3Entity`).
    pub fo_entity: &'static str,
    /// Its public entity name.
    pub fo_public: &'static str,
    /// Its OData entity set (public collection name).
    pub fo_set: &'static str,
    /// The F&O key field.
    pub fo_key: &'static str,
    /// The Dataverse table's logical name.
    pub dv_table: &'static str,
    /// Its Web API entity set.
    pub dv_set: &'static str,
    /// Its primary id column.
    pub dv_id: &'static str,
    /// The Dataverse column holding the key.
    pub dv_key: &'static str,
    /// The Dataverse lookup to the row's company (`cdm_company`).
    pub dv_company: &'static str,
    /// Keys are this prefix and a six-digit number.
    pub prefix: &'static str,
    /// Who owns the records.
    pub owner: Owner,
    /// The F&O entity category in metadata.
    pub category: &'static str,
    /// Mixed into the seed, so tables differ.
    pub salt: u64,
    /// The mapped columns besides the key.
    pub columns: &'static [Column],
}

const ON_HOLD: &[(&str, i64)] = &[
    ("No", 192_350_000),
    ("Invoice", 192_350_001),
    ("All", 192_350_002),
];
const QUOTE_STATUS: &[(&str, i64)] = &[("Created", 1), ("Sent", 2), ("Confirmed", 3), ("Lost", 4)];
const FIRST: &[&str] = &[
    "Aino", "Ben", "Chidi", "Dana", "Emil", "Farah", "Goran", "Hana",
];
const LAST: &[&str] = &[
    "Virtanen", "Okafor", "Schmidt", "Rossi", "Nakamura", "Silva",
];

/// The tables, one per synced starter map.
pub const TABLES: &[TableDef] = &[
    TableDef {
        fo_entity: "CustCustomerV3Entity",
        fo_public: "CustomerV3",
        fo_set: "CustomersV3",
        fo_key: "CustomerAccount",
        dv_table: "account",
        dv_set: "accounts",
        dv_id: "accountid",
        dv_key: "accountnumber",
        dv_company: "msdyn_company",
        prefix: "US-",
        owner: Owner::Fo,
        category: "Master",
        salt: 0x11,
        columns: &[
            Column {
                fo: "OrganizationName",
                dv: "name",
                kind: Kind::Text("Customer {key}"),
            },
            Column {
                fo: "CustomerGroupId",
                dv: "msdyn_customergroupid",
                kind: Kind::Pick(&["10", "30", "80"]),
            },
            Column {
                fo: "OnHoldStatus",
                dv: "msdyn_onholdstatus",
                kind: Kind::Choice(ON_HOLD),
            },
            Column {
                fo: "CreditLimit",
                dv: "creditlimit",
                kind: Kind::Money,
            },
            Column {
                fo: "CreditReviewDateTime",
                dv: "msdyn_creditreviewdatetime",
                kind: Kind::Moment,
            },
            Column {
                fo: "PaymentTerms",
                dv: "msdyn_paymentterm",
                kind: Kind::Pick(&["Net30", "Net10", "Net45"]),
            },
            Column {
                fo: "SalesCurrencyCode",
                dv: "msdyn_salescurrencycode",
                kind: Kind::Pick(&["USD", "EUR"]),
            },
            Column {
                fo: "PartyType",
                dv: "msdyn_partytype",
                kind: Kind::Pick(&["Organization"]),
            },
        ],
    },
    TableDef {
        fo_entity: "smmContactPersonCDSV2Entity",
        fo_public: "CDSContactPersonV2",
        fo_set: "CDSContactPersonsV2",
        fo_key: "ContactPersonId",
        dv_table: "contact",
        dv_set: "contacts",
        dv_id: "contactid",
        dv_key: "msdyn_contactpersonid",
        dv_company: "msdyn_company",
        prefix: "CP-",
        owner: Owner::Dataverse,
        category: "Master",
        salt: 0x22,
        columns: &[
            Column {
                fo: "FirstName",
                dv: "firstname",
                kind: Kind::Pick(FIRST),
            },
            Column {
                fo: "LastName",
                dv: "lastname",
                kind: Kind::Pick(LAST),
            },
            Column {
                fo: "PrimaryPhone",
                dv: "telephone1",
                kind: Kind::Text("+1 425 555 {n}{v}"),
            },
        ],
    },
    TableDef {
        fo_entity: "EcoResReleasedProductV2Entity",
        fo_public: "ReleasedProductV2",
        fo_set: "ReleasedProductsV2",
        fo_key: "ItemNumber",
        dv_table: "msdyn_sharedproductdetail",
        dv_set: "msdyn_sharedproductdetails",
        dv_id: "msdyn_sharedproductdetailid",
        dv_key: "msdyn_itemnumber",
        dv_company: "msdyn_companyid",
        prefix: "P-",
        owner: Owner::Fo,
        category: "Master",
        salt: 0x33,
        columns: &[
            Column {
                fo: "SearchName",
                dv: "msdyn_searchname",
                kind: Kind::Text("PRODUCT {n}"),
            },
            Column {
                fo: "SalesPrice",
                dv: "msdyn_salesprice",
                kind: Kind::Money,
            },
        ],
    },
    TableDef {
        fo_entity: "SalesInvoiceHeaderV2Entity",
        fo_public: "SalesInvoiceHeaderV2",
        fo_set: "SalesInvoiceHeadersV2",
        fo_key: "InvoiceNumber",
        dv_table: "invoice",
        dv_set: "invoices",
        dv_id: "invoiceid",
        dv_key: "msdyn_invoicenumber",
        dv_company: "msdyn_company",
        prefix: "CIV-",
        owner: Owner::Fo,
        category: "Document",
        salt: 0x44,
        columns: &[
            Column {
                fo: "InvoiceCustomerAccountNumber",
                dv: "msdyn_invoiceaccount",
                kind: Kind::Text("US-0{n}0"),
            },
            Column {
                fo: "TotalInvoiceAmount",
                dv: "totalamount",
                kind: Kind::Money,
            },
            Column {
                fo: "InvoiceDate",
                dv: "msdyn_invoicedate",
                kind: Kind::Moment,
            },
        ],
    },
    TableDef {
        fo_entity: "PaymentTermEntity",
        fo_public: "PaymentTerm",
        fo_set: "PaymentTerms",
        fo_key: "Name",
        dv_table: "msdyn_paymentterm",
        dv_set: "msdyn_paymentterms",
        dv_id: "msdyn_paymenttermid",
        dv_key: "msdyn_name",
        dv_company: "msdyn_company",
        prefix: "PT-",
        owner: Owner::Fo,
        category: "Reference",
        salt: 0x55,
        columns: &[Column {
            fo: "Description",
            dv: "msdyn_description",
            kind: Kind::Text("Net {n} days"),
        }],
    },
    TableDef {
        fo_entity: "SalesQuotationHeaderCDSEntity",
        fo_public: "CDSSalesQuotationHeader",
        fo_set: "CDSSalesQuotationHeaders",
        fo_key: "SalesQuotationNumber",
        dv_table: "quote",
        dv_set: "quotes",
        dv_id: "quoteid",
        dv_key: "quotenumber",
        dv_company: "msdyn_company",
        prefix: "QUO-",
        owner: Owner::Dataverse,
        category: "Document",
        salt: 0x66,
        columns: &[
            Column {
                fo: "QuotationName",
                dv: "name",
                kind: Kind::Text("Quote {key}"),
            },
            Column {
                fo: "QuotationStatus",
                dv: "statuscode",
                kind: Kind::Choice(QUOTE_STATUS),
            },
            Column {
                fo: "TotalAmount",
                dv: "totalamount",
                kind: Kind::Money,
            },
        ],
    },
];

/// Injected drift, as shares of rows (0.0–1.0) per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Drift {
    /// Rows only in F&O.
    pub missing_dataverse: f64,
    /// Rows only in Dataverse.
    pub missing_fo: f64,
    /// Rows whose first text column differs in Dataverse.
    pub changed: f64,
    /// Rows whose enum holds another option in Dataverse.
    pub enum_mismatch: f64,
    /// Rows whose money differs only by a float artefact (not drift).
    pub precision: f64,
    /// Rows whose moment is written with another UTC offset (not drift).
    pub time_zone: f64,
}

/// One kind of injected difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriftKind {
    /// Only in F&O.
    MissingDataverse,
    /// Only in Dataverse.
    MissingFo,
    /// A text column differs.
    Changed,
    /// An enum maps to another option.
    EnumMismatch,
    /// Money differs below its precision: representation, not drift.
    Precision,
    /// The same moment with another offset: representation, not drift.
    TimeZone,
}

impl DriftKind {
    /// Whether a reconciliation should report it.
    pub fn is_real(self) -> bool {
        !matches!(self, DriftKind::Precision | DriftKind::TimeZone)
    }
}

/// What one table holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TableConfig {
    /// Rows at the epoch.
    pub records: u64,
    /// After the epoch, a new row this often.
    pub grow_every: Option<Duration>,
    /// Each row is updated every 1–30 of these.
    pub update_every: Option<Duration>,
    /// Injected differences.
    pub drift: Drift,
}

impl TableConfig {
    /// `records` rows, no churn, no drift.
    pub fn fixed(records: u64) -> Self {
        TableConfig {
            records,
            grow_every: None,
            update_every: None,
            drift: Drift::default(),
        }
    }
}

/// The default tables: plausible sizes, no churn, and Customers V3
/// drifting in every way.
pub fn default_tables() -> HashMap<String, TableConfig> {
    let sizes = [
        ("CustomersV3", 12_480),
        ("CDSContactPersonsV2", 31_200),
        ("ReleasedProductsV2", 8_450),
        ("SalesInvoiceHeadersV2", 182_000),
        ("PaymentTerms", 24),
        ("CDSSalesQuotationHeaders", 3_100),
    ];
    sizes
        .into_iter()
        .map(|(set, n)| {
            let mut c = TableConfig::fixed(n);
            if set == "CustomersV3" {
                c.drift = Drift {
                    missing_dataverse: 0.0008,
                    missing_fo: 0.0004,
                    changed: 0.001,
                    enum_mismatch: 0.0006,
                    precision: 0.002,
                    time_zone: 0.002,
                };
            }
            (set.to_string(), c)
        })
        .collect()
}

/// The field mappings of the table with F&O entity `fo_entity` and
/// Dataverse table `dv_table`, as the rule book would document them: the
/// key, then every column (enums with their value maps). Empty when the
/// simulator has no such table.
pub fn field_mappings(fo_entity: &str, dv_table: &str) -> Vec<app::rules::FieldContent> {
    use app::rules::{FieldContent, FieldDirection, Transform, ValueType};
    let Some(t) = TABLES.iter().find(|t| {
        t.fo_entity.eq_ignore_ascii_case(fo_entity) && t.dv_table.eq_ignore_ascii_case(dv_table)
    }) else {
        return vec![];
    };
    let direction = match t.owner {
        Owner::Fo => FieldDirection::FoToDataverse,
        Owner::Dataverse => FieldDirection::DataverseToFo,
    };
    let field = |fo: &str, dv: &str, value_type, value_map: Vec<(String, String)>| FieldContent {
        fo_field: fo.into(),
        dataverse_column: dv.into(),
        direction,
        value_type,
        transform: if value_map.is_empty() {
            Transform::None
        } else {
            Transform::ValueMap
        },
        default_value: String::new(),
        value_map,
    };
    std::iter::once(field(t.fo_key, t.dv_key, ValueType::Text, vec![]))
        .chain(t.columns.iter().map(|c| {
            match &c.kind {
                Kind::Text(_) | Kind::Pick(_) => field(c.fo, c.dv, ValueType::Text, vec![]),
                Kind::Money => field(c.fo, c.dv, ValueType::Number, vec![]),
                Kind::Moment => field(c.fo, c.dv, ValueType::Date, vec![]),
                Kind::Choice(options) => field(
                    c.fo,
                    c.dv,
                    ValueType::Enum,
                    options
                        .iter()
                        .map(|(l, v)| (l.to_string(), v.to_string()))
                        .collect(),
                ),
            }
        }))
        .collect()
}

/// Turns on churn as the demo runs it: new rows every few minutes to
/// hours per table, and every row updated every 1–30 days.
pub fn with_churn(mut tables: HashMap<String, TableConfig>) -> HashMap<String, TableConfig> {
    for (set, c) in tables.iter_mut() {
        let minutes = match set.as_str() {
            "SalesInvoiceHeadersV2" => 10,
            "CDSContactPersonsV2" => 30,
            "CustomersV3" | "CDSSalesQuotationHeaders" => 60,
            "ReleasedProductsV2" => 240,
            _ => continue,
        };
        c.grow_every = Some(Duration::from_secs(minutes * 60));
        c.update_every = Some(Duration::from_secs(86_400));
    }
    tables
}

fn known_sets() -> String {
    TABLES
        .iter()
        .map(|t| t.fo_set)
        .collect::<Vec<_>>()
        .join(", ")
}

fn table_def(set: &str) -> Result<&'static TableDef, String> {
    TABLES
        .iter()
        .find(|t| t.fo_set.eq_ignore_ascii_case(set.trim()))
        .ok_or_else(|| {
            format!(
                "'{}' is not a simulated table; the tables are {}",
                set.trim(),
                known_sets()
            )
        })
}

/// Keeps only the tables `spec` names, with its sizes:
/// `CustomersV3=100000,PaymentTerms=24`.
pub fn set_records(tables: &mut HashMap<String, TableConfig>, spec: &str) -> Result<(), String> {
    let mut chosen = HashMap::new();
    for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let (set, n) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' is not SET=RECORDS"))?;
        let def = table_def(set)?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("'{}' in '{part}' is not a number of records", n.trim()))?;
        let mut c = tables
            .get(def.fo_set)
            .cloned()
            .unwrap_or_else(|| TableConfig::fixed(n));
        c.records = n;
        chosen.insert(def.fo_set.to_string(), c);
    }
    *tables = chosen;
    Ok(())
}

/// Sets one table's drift: `CustomersV3:changed=0.01,missing_dataverse=0.002`.
/// Kinds left out keep their rates.
pub fn set_drift(tables: &mut HashMap<String, TableConfig>, spec: &str) -> Result<(), String> {
    let (set, rates) = spec
        .split_once(':')
        .ok_or_else(|| format!("'{spec}' is not SET:KIND=SHARE,…"))?;
    let def = table_def(set)?;
    let c = tables
        .get_mut(def.fo_set)
        .ok_or_else(|| format!("the table {} is not served (see --records)", def.fo_set))?;
    for part in rates.split(',').filter(|p| !p.trim().is_empty()) {
        let (kind, share) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' is not KIND=SHARE"))?;
        let share: f64 = share
            .trim()
            .parse()
            .ok()
            .filter(|v| (0.0..=1.0).contains(v))
            .ok_or_else(|| {
                format!(
                    "'{}' in '{part}' is not a share between 0 and 1",
                    share.trim()
                )
            })?;
        let slot = match kind.trim() {
            "missing_dataverse" => &mut c.drift.missing_dataverse,
            "missing_fo" => &mut c.drift.missing_fo,
            "changed" => &mut c.drift.changed,
            "enum_mismatch" => &mut c.drift.enum_mismatch,
            "precision" => &mut c.drift.precision,
            "time_zone" => &mut c.drift.time_zone,
            other => {
                return Err(format!(
                    "'{other}' is not a kind of drift; the kinds are missing_dataverse, missing_fo, changed, enum_mismatch, precision, time_zone"
                ));
            }
        };
        *slot = share;
    }
    let d = c.drift;
    if d.missing_dataverse + d.missing_fo + d.changed + d.enum_mismatch + d.precision + d.time_zone
        > 1.0
    {
        return Err(format!(
            "the drift shares of {} add up to more than 1",
            def.fo_set
        ));
    }
    Ok(())
}

/// One table as configured in one simulator.
pub struct Table<'a> {
    /// Its names and columns.
    pub def: &'static TableDef,
    cfg: &'a TableConfig,
    seed: u64,
    epoch: DateTime<Utc>,
    lag: chrono::Duration,
}

/// The companies rows belong to; every fifth row is in the second.
const COMPANIES: [&str; 2] = ["usmf", "demf"];
/// The company an F&O request without `cross-company=true` sees.
const DEFAULT_COMPANY: &str = "usmf";

impl<'a> Table<'a> {
    /// The table whose F&O entity set or Dataverse entity set is `set`
    /// (case-insensitive), if `config` serves it.
    pub fn find(config: &'a super::SimConfig, set: &str) -> Option<Table<'a>> {
        Self::find_where(config, |t| {
            t.fo_set.eq_ignore_ascii_case(set) || t.dv_set.eq_ignore_ascii_case(set)
        })
    }

    /// The table whose F&O entity set is `set`, if `config` serves it.
    pub fn fo(config: &'a super::SimConfig, set: &str) -> Option<Table<'a>> {
        Self::find_where(config, |t| t.fo_set.eq_ignore_ascii_case(set))
    }

    /// The table whose Dataverse entity set is `set`, if `config` serves it.
    pub fn dv(config: &'a super::SimConfig, set: &str) -> Option<Table<'a>> {
        Self::find_where(config, |t| t.dv_set.eq_ignore_ascii_case(set))
    }

    fn find_where(
        config: &'a super::SimConfig,
        which: impl Fn(&TableDef) -> bool,
    ) -> Option<Table<'a>> {
        let def = TABLES.iter().find(|t| which(t))?;
        let cfg = config.tables.get(def.fo_set)?;
        Some(Table {
            def,
            cfg,
            seed: config.seed ^ def.salt.wrapping_mul(0x0100_0000_01b3),
            epoch: config.epoch,
            lag: chrono::Duration::from_std(config.lag).unwrap_or_default(),
        })
    }

    fn r(&self, i: u64, salt: u64) -> u64 {
        mix(self.seed ^ salt, i)
    }

    /// The injected difference of row `i`, if any (only kinds the table
    /// has a column for).
    pub fn drift(&self, i: u64) -> Option<DriftKind> {
        let d = self.cfg.drift;
        let x = (self.r(i, 0xD1F7) % 1_000_000) as f64 / 1_000_000.0;
        let has = |f: fn(&Kind) -> bool| self.def.columns.iter().any(|c| f(&c.kind));
        let mut edge = 0.0;
        for (rate, kind, ok) in [
            (d.missing_dataverse, DriftKind::MissingDataverse, true),
            (d.missing_fo, DriftKind::MissingFo, true),
            (
                d.changed,
                DriftKind::Changed,
                has(|k| matches!(k, Kind::Text(_))),
            ),
            (
                d.enum_mismatch,
                DriftKind::EnumMismatch,
                has(|k| matches!(k, Kind::Choice(_))),
            ),
            (
                d.precision,
                DriftKind::Precision,
                has(|k| matches!(k, Kind::Money)),
            ),
            (
                d.time_zone,
                DriftKind::TimeZone,
                has(|k| matches!(k, Kind::Moment)),
            ),
        ] {
            edge += rate;
            if x < edge {
                return ok.then_some(kind);
            }
        }
        None
    }

    /// Rows created by `t`.
    pub fn records_at(&self, t: DateTime<Utc>) -> u64 {
        let grown = match self.cfg.grow_every {
            Some(every) if t > self.epoch => {
                let every = every.as_millis().max(1) as i64;
                ((t - self.epoch).num_milliseconds() / every) as u64
            }
            _ => 0,
        };
        self.cfg.records + grown
    }

    /// When row `i` was created.
    fn created(&self, i: u64) -> DateTime<Utc> {
        if i < self.cfg.records {
            self.epoch - chrono::Duration::minutes((self.cfg.records - i) as i64)
        } else {
            let every = self
                .cfg
                .grow_every
                .map(|d| d.as_millis() as i64)
                .unwrap_or(60_000);
            self.epoch + chrono::Duration::milliseconds(every * (i - self.cfg.records + 1) as i64)
        }
    }

    /// How often row `i` had been updated by `t`, and when it last changed.
    fn version(&self, i: u64, t: DateTime<Utc>) -> (u64, DateTime<Utc>) {
        let created = self.created(i);
        let Some(every) = self.cfg.update_every else {
            return (0, created);
        };
        let period = every.as_millis().max(1) as i64 * (1 + (self.r(i, 0xA11) % 30) as i64);
        let phase = (self.r(i, 0xB22) % period as u64) as i64;
        let since = (t - self.epoch).num_milliseconds() + phase;
        if since < period {
            return (0, created);
        }
        let n = since / period;
        let at = self.epoch + chrono::Duration::milliseconds(n * period - phase);
        if at <= created {
            (0, created)
        } else {
            (n as u64, at)
        }
    }

    /// The moment each side sees: the owner now, the other `lag` late.
    fn seen_at(&self, fo: bool, now: DateTime<Utc>) -> DateTime<Utc> {
        let owner = (self.def.owner == Owner::Fo) == fo;
        if owner { now } else { now - self.lag }
    }

    /// Whether row `i` exists in F&O at `now`.
    pub fn fo_exists(&self, i: u64, now: DateTime<Utc>) -> bool {
        i < self.records_at(self.seen_at(true, now)) && self.drift(i) != Some(DriftKind::MissingFo)
    }

    /// Whether row `i` exists in Dataverse at `now`.
    pub fn dv_exists(&self, i: u64, now: DateTime<Utc>) -> bool {
        i < self.records_at(self.seen_at(false, now))
            && self.drift(i) != Some(DriftKind::MissingDataverse)
    }

    /// Row `i`'s key.
    pub fn key(&self, i: u64) -> String {
        format!("{}{:06}", self.def.prefix, i + 1)
    }

    /// The row index of `key`, if it is one of this table's keys.
    pub fn index_of(&self, key: &str) -> Option<u64> {
        let p = self.def.prefix.len();
        if key.len() <= p || !key[..p].eq_ignore_ascii_case(self.def.prefix) {
            return None;
        }
        key[p..]
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| n - 1)
    }

    fn company(&self, i: u64) -> &'static str {
        COMPANIES[usize::from(i % 5 == 4)]
    }

    /// The value of column `c` (number `k`) of row `i` at version `v`.
    fn value(&self, k: usize, c: &Column, i: u64, v: u64, fo: bool) -> Value {
        let drift = if fo { None } else { self.drift(i) };
        let first_of =
            |f: fn(&Kind) -> bool| self.def.columns.iter().position(|c| f(&c.kind)) == Some(k);
        let r = self.r(i, 0xC0 + k as u64);
        match &c.kind {
            Kind::Text(t) => {
                let s = t
                    .replace("{key}", &self.key(i))
                    .replace("{n}", &format!("{:02}", r % 90 + 10))
                    .replace("{v}", &v.to_string());
                if drift == Some(DriftKind::Changed) && first_of(|k| matches!(k, Kind::Text(_))) {
                    json!(format!("{s} (edited in Dataverse)"))
                } else {
                    json!(s)
                }
            }
            Kind::Pick(options) => json!(options[(r % options.len() as u64) as usize]),
            Kind::Choice(options) => {
                let mut n = ((r + v) % options.len() as u64) as usize;
                if fo {
                    return json!(options[n].0);
                }
                if drift == Some(DriftKind::EnumMismatch)
                    && first_of(|k| matches!(k, Kind::Choice(_)))
                {
                    n = (n + 1) % options.len();
                }
                json!(options[n].1)
            }
            Kind::Money => {
                let cents = 10_000 + r % 5_000_000 + v * 2_500;
                let amount = cents as f64 / 100.0;
                if drift == Some(DriftKind::Precision) && first_of(|k| matches!(k, Kind::Money)) {
                    // A float artefact far below the column's precision.
                    json!(amount + 0.000_000_3)
                } else {
                    json!(amount)
                }
            }
            Kind::Moment => {
                let at = self.epoch - chrono::Duration::minutes((r % 525_600) as i64);
                if drift == Some(DriftKind::TimeZone) && first_of(|k| matches!(k, Kind::Moment)) {
                    let cet = FixedOffset::east_opt(3600).expect("a valid offset");
                    json!(
                        at.with_timezone(&cet)
                            .to_rfc3339_opts(SecondsFormat::Secs, false)
                    )
                } else {
                    json!(at.to_rfc3339_opts(SecondsFormat::Secs, true))
                }
            }
        }
    }

    /// Row `i` as F&O serves it at `now`.
    pub fn fo_row(&self, i: u64, now: DateTime<Utc>) -> Value {
        let (v, _) = self.version(i, self.seen_at(true, now));
        let mut row = Map::new();
        row.insert(
            "@odata.etag".into(),
            json!(format!("W/\"JzEsNTYzNzE0NDU3Nyc={i}.{v}\"")),
        );
        row.insert("dataAreaId".into(), json!(self.company(i)));
        row.insert(self.def.fo_key.into(), json!(self.key(i)));
        for (k, c) in self.def.columns.iter().enumerate() {
            row.insert(c.fo.into(), self.value(k, c, i, v, true));
        }
        Value::Object(row)
    }

    /// Row `i` as Dataverse serves it at `now`.
    pub fn dv_row(&self, i: u64, now: DateTime<Utc>) -> Value {
        let (v, modified) = self.version(i, self.seen_at(false, now));
        let mut row = Map::new();
        row.insert(
            "@odata.etag".into(),
            json!(format!("W/\"{}\"", 1_000_000 + i * 31 + v)),
        );
        row.insert(self.def.dv_id.into(), json!(guid(self.seed, i, 3)));
        row.insert(self.def.dv_key.into(), json!(self.key(i)));
        let company = usize::from(i % 5 == 4) as u64;
        row.insert(
            format!("_{}_value", self.def.dv_company),
            json!(company_id(company)),
        );
        for (k, c) in self.def.columns.iter().enumerate() {
            row.insert(c.dv.into(), self.value(k, c, i, v, false));
        }
        let stamp = |t: DateTime<Utc>| json!(t.to_rfc3339_opts(SecondsFormat::Secs, true));
        row.insert("createdon".into(), stamp(self.created(i)));
        row.insert("modifiedon".into(), stamp(modified));
        Value::Object(row)
    }

    /// The row indexes from `from` that a query can match: the keys it
    /// names, else all.
    fn candidates(
        &self,
        filter: &Filter,
        key: &str,
        from: u64,
        now: DateTime<Utc>,
    ) -> Box<dyn Iterator<Item = u64>> {
        let n = self.records_at(now);
        match filter.only_values(key) {
            Some(keys) => {
                let mut ids: Vec<u64> = keys
                    .iter()
                    .filter_map(|k| self.index_of(k))
                    .filter(|i| *i < n && *i >= from)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Box::new(ids.into_iter())
            }
            None => Box::new(from..n),
        }
    }
}

/// The query options both services share.
struct Query {
    filter: Filter,
    select: Option<Vec<String>>,
    top: Option<u64>,
    count: bool,
}

fn query(
    q: &HashMap<String, String>,
    columns: &[&str],
    key: &str,
    type_name: &str,
) -> Result<Query, String> {
    let filter = match q.get("$filter") {
        Some(f) => Filter::parse(f)?,
        None => Filter::default(),
    };
    let select = match q.get("$select") {
        Some(s) => {
            let cols: Vec<String> = s
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if let Some(bad) = cols
                .iter()
                .find(|c| !columns.iter().any(|k| k.eq_ignore_ascii_case(c)))
            {
                return Err(format!(
                    "Could not find a property named '{bad}' on type '{type_name}'."
                ));
            }
            Some(cols)
        }
        None => None,
    };
    if let Some(o) = q.get("$orderby") {
        let col = o.split_whitespace().next().unwrap_or("");
        if !col.eq_ignore_ascii_case(key) {
            return Err(format!(
                "The $orderby '{o}' is not supported by this simulator (order by {key})."
            ));
        }
    }
    let top = match q.get("$top") {
        Some(t) => Some(
            t.parse::<u64>()
                .map_err(|_| format!("The $top value '{t}' is not a number."))?,
        ),
        None => None,
    };
    Ok(Query {
        filter,
        select,
        top,
        count: q.get("$count").is_some_and(|v| v == "true"),
    })
}

fn project(row: Value, select: &Option<Vec<String>>, always: &[&str]) -> Value {
    let Some(cols) = select else {
        return row;
    };
    let Value::Object(mut all) = row else {
        return row;
    };
    let mut out = Map::new();
    for c in always
        .iter()
        .copied()
        .chain(cols.iter().map(String::as_str))
    {
        if let Some(v) = all.remove(c) {
            out.insert(c.to_string(), v);
        }
    }
    Value::Object(out)
}

/// The next-page link: the query as received with `name=value` replaced.
pub fn next_link(url: &str, raw_query: &str, name: &str, value: u64) -> String {
    let encoded = format!("%24{}=", &name[1..]);
    let plain = format!("{name}=");
    let mut parts: Vec<&str> = raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&plain) && !p.starts_with(&encoded))
        .collect();
    let token = format!("{name}={value}");
    parts.push(&token);
    format!("{url}?{}", parts.join("&"))
}

impl Table<'_> {
    fn fo_columns(&self) -> Vec<&'static str> {
        let mut cols = vec!["dataAreaId", self.def.fo_key];
        cols.extend(self.def.columns.iter().map(|c| c.fo));
        cols
    }

    fn dv_columns(&self) -> Vec<&'static str> {
        let lookup: &'static str = match self.def.dv_company {
            "msdyn_companyid" => "_msdyn_companyid_value",
            _ => "_msdyn_company_value",
        };
        let mut cols = vec![
            self.def.dv_id,
            self.def.dv_key,
            lookup,
            "createdon",
            "modifiedon",
        ];
        cols.extend(self.def.columns.iter().map(|c| c.dv));
        cols
    }

    /// The F&O rows matching a query at `now`, in key order, after the
    /// first `skip`, lazily. Without a `$filter`, skipped rows are never
    /// built, so paging a large table stays linear.
    fn fo_matches<'q>(
        &'q self,
        q: &'q Query,
        companies: Option<&'q [String]>,
        skip: u64,
        now: DateTime<Utc>,
    ) -> Box<dyn Iterator<Item = Value> + 'q> {
        let indexes = self.fo_indexes(q, companies, now);
        if q.filter.is_empty() {
            Box::new(
                indexes
                    .skip(skip as usize)
                    .map(move |i| self.fo_row(i, now)),
            )
        } else {
            Box::new(
                indexes
                    .map(move |i| self.fo_row(i, now))
                    .filter(move |row| q.filter.matches(row))
                    .skip(skip as usize),
            )
        }
    }

    /// The F&O rows in scope a query can match, by index.
    fn fo_indexes<'q>(
        &'q self,
        q: &Query,
        companies: Option<&'q [String]>,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = u64> + 'q {
        self.candidates(&q.filter, self.def.fo_key, 0, now)
            .filter(move |i| self.fo_exists(*i, now))
            .filter(move |i| companies.is_none_or(|c| c.iter().any(|c| c == self.company(*i))))
    }

    fn fo_scope(&self, q: &HashMap<String, String>) -> Option<Vec<String>> {
        // Without cross-company=true F&O answers for the default company.
        (q.get("cross-company").map(|v| v.to_ascii_lowercase()) != Some("true".into()))
            .then(|| vec![DEFAULT_COMPANY.to_string()])
    }

    /// A page of the F&O entity set: `$skip`/`$top`, server-driven paging
    /// of 10,000 rows, `$count=true`. `Err` is the message for a 400.
    pub fn fo_page(
        &self,
        q: &HashMap<String, String>,
        url: &str,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, String> {
        let query = query(
            q,
            &self.fo_columns(),
            self.def.fo_key,
            &format!("Microsoft.Dynamics.DataEntities.{}", self.def.fo_public),
        )?;
        let skip = match q.get("$skip") {
            Some(s) => s
                .parse::<u64>()
                .map_err(|_| format!("The $skip value '{s}' is not a number."))?,
            None => 0,
        };
        let scope = self.fo_scope(q);
        let take = query.top.unwrap_or(u64::MAX).min(FO_PAGE);
        let mut rows = self.fo_matches(&query, scope.as_deref(), skip, now);
        let value: Vec<Value> = rows
            .by_ref()
            .take(take as usize)
            .map(|r| project(r, &query.select, &["@odata.etag"]))
            .collect();
        let more = query.top.is_none() && rows.next().is_some();
        let mut body = json!({ "@odata.context": format!("{}/$metadata#{}", url.rsplit_once('/').map(|(a, _)| a).unwrap_or(url), self.def.fo_set), "value": value });
        if query.count {
            body["@odata.count"] = json!(self.fo_total(&query, scope.as_deref(), now));
        }
        if more {
            body["@odata.nextLink"] = json!(next_link(url, raw, "$skip", skip + take));
        }
        Ok(body)
    }

    /// F&O `/$count`: the rows matching `$filter` in scope.
    pub fn fo_count(&self, q: &HashMap<String, String>, now: DateTime<Utc>) -> Result<u64, String> {
        let query = query(q, &self.fo_columns(), self.def.fo_key, self.def.fo_public)?;
        let scope = self.fo_scope(q);
        Ok(self.fo_total(&query, scope.as_deref(), now))
    }

    fn fo_total(&self, q: &Query, companies: Option<&[String]>, now: DateTime<Utc>) -> u64 {
        if q.filter.is_empty() {
            self.fo_indexes(q, companies, now).count() as u64
        } else {
            self.fo_matches(q, companies, 0, now).count() as u64
        }
    }

    /// The Dataverse rows matching a query from row index `from`, with
    /// their indexes, lazily.
    fn dv_matches<'q>(
        &'q self,
        q: &'q Query,
        from: u64,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = (u64, Value)> + 'q {
        self.candidates(&q.filter, self.def.dv_key, from, now)
            .filter(move |i| self.dv_exists(*i, now))
            .map(move |i| (i, self.dv_row(i, now)))
            .filter(move |(_, row)| q.filter.matches(row))
    }

    /// A page of the Dataverse entity set: `Prefer: odata.maxpagesize`
    /// paging with a `$skiptoken`, `$top` when not paging, and `$count`
    /// capped at 5,000 with the documented annotations.
    pub fn dv_page(
        &self,
        q: &HashMap<String, String>,
        page_size: Option<u64>,
        url: &str,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, String> {
        let query = query(
            q,
            &self.dv_columns(),
            self.def.dv_key,
            &format!("Microsoft.Dynamics.CRM.{}", self.def.dv_table),
        )?;
        let from = match q.get("$skiptoken") {
            Some(s) => s
                .parse::<u64>()
                .map_err(|_| format!("The $skiptoken '{s}' is not valid."))?,
            None => 0,
        };
        // $top is ignored when a page size is preferred, as documented.
        let (take, paging) = match (page_size, query.top) {
            (Some(n), _) => (n, true),
            (None, Some(top)) => (top.min(5000), false),
            (None, None) => (5000, true),
        };
        let mut rows = self.dv_matches(&query, from, now);
        let value: Vec<Value> = rows
            .by_ref()
            .take(take as usize)
            .map(|(_, r)| project(r, &query.select, &["@odata.etag", self.def.dv_id]))
            .collect();
        let next = if paging {
            rows.next().map(|(i, _)| i)
        } else {
            None
        };
        let mut body = json!({ "@odata.context": format!("{}/$metadata#{}", url.rsplit_once('/').map(|(a, _)| a).unwrap_or(url), self.def.dv_set), "value": value });
        if query.count {
            let n = self.dv_matches(&query, 0, now).take(5001).count() as u64;
            body["@odata.count"] = json!(n.min(5000));
            body["@Microsoft.Dynamics.CRM.totalrecordcount"] = json!(n.min(5000));
            body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] = json!(n > 5000);
        }
        if let Some(i) = next {
            body["@odata.nextLink"] = json!(next_link(url, raw, "$skiptoken", i));
        }
        Ok(body)
    }

    /// Dataverse `/$count`: at most 5,000, as documented.
    pub fn dv_count(&self, now: DateTime<Utc>) -> u64 {
        (0..self.records_at(now))
            .filter(|i| self.dv_exists(*i, now))
            .take(5000)
            .count() as u64
    }
}

/// F&O pages hold at most this many rows (server-driven paging).
const FO_PAGE: u64 = 10_000;

/// The `cdm_companyid` of company number `n` (0: USMF, 1: DEMF).
fn company_id(n: u64) -> String {
    guid(0xC0, n, 9)
}

/// Dataverse `cdm_companies`: the legal entities dual-write knows.
pub fn companies(url: &str) -> Value {
    let value: Vec<Value> = COMPANIES
        .iter()
        .enumerate()
        .map(|(n, code)| {
            json!({
                "@odata.etag": format!("W/\"{}\"", 900 + n),
                "cdm_companyid": company_id(n as u64),
                "cdm_companycode": code.to_uppercase(),
                "cdm_name": format!("Contoso {}", code.to_uppercase()),
            })
        })
        .collect();
    json!({ "@odata.context": format!("{url}/$metadata#cdm_companies"), "value": value })
}

/// F&O `/Metadata/DataEntities`: the served tables' entities, with
/// `$filter` and `$select`.
pub fn data_entities(
    config: &super::SimConfig,
    q: &HashMap<String, String>,
    url: &str,
) -> Result<Value, String> {
    let filter = match q.get("$filter") {
        Some(f) => Filter::parse(f)?,
        None => Filter::default(),
    };
    let select = q.get("$select").map(|s| {
        s.split(',')
            .map(|c| c.trim().to_string())
            .collect::<Vec<_>>()
    });
    let value: Vec<Value> = TABLES
        .iter()
        .filter(|t| config.tables.contains_key(t.fo_set))
        .map(|t| {
            json!({
                "Name": t.fo_entity,
                "PublicEntityName": t.fo_public,
                "PublicCollectionName": t.fo_set,
                "LabelId": format!("@DualWrite:{}", t.fo_public),
                "DataServiceEnabled": true,
                "DataManagementEnabled": true,
                "EntityCategory": t.category,
                "IsReadOnly": false,
            })
        })
        .filter(|row| filter.matches(row))
        .map(|row| project(row, &select, &[]))
        .collect();
    Ok(json!({ "@odata.context": format!("{url}/$metadata#DataEntities"), "value": value }))
}

/// Dataverse `EntityDefinitions(LogicalName='…')`, or `None` for a table
/// the simulator does not serve.
pub fn entity_definition(config: &super::SimConfig, logical: &str, url: &str) -> Option<Value> {
    let t = TABLES.iter().find(|t| {
        t.dv_table.eq_ignore_ascii_case(logical) && config.tables.contains_key(t.fo_set)
    })?;
    Some(json!({
        "@odata.context": format!("{url}/$metadata#EntityDefinitions(LogicalName,EntitySetName,PrimaryIdAttribute)/$entity"),
        "LogicalName": t.dv_table,
        "EntitySetName": t.dv_set,
        "PrimaryIdAttribute": t.dv_id,
        "MetadataId": guid(0xE7, t.salt, 5),
    }))
}

/// Every injected difference of the table with F&O entity set `fo_set`
/// among the rows created by `now`: (key, kind), in key order.
pub fn injected(
    config: &super::SimConfig,
    fo_set: &str,
    now: DateTime<Utc>,
) -> Vec<(String, DriftKind)> {
    let Some(t) = Table::find(config, fo_set) else {
        return vec![];
    };
    (0..t.records_at(now))
        .filter_map(|i| t.drift(i).map(|k| (t.key(i), k)))
        .collect()
}

/// The rows of the table with F&O entity set `fo_set` at `now`: (F&O
/// across companies, Dataverse).
pub fn side_counts(config: &super::SimConfig, fo_set: &str, now: DateTime<Utc>) -> (u64, u64) {
    let Some(t) = Table::find(config, fo_set) else {
        return (0, 0);
    };
    let n = t.records_at(now);
    (
        (0..n).filter(|i| t.fo_exists(*i, now)).count() as u64,
        (0..n).filter(|i| t.dv_exists(*i, now)).count() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::SimConfig;

    fn config() -> SimConfig {
        SimConfig::default()
    }

    #[test]
    fn drift_kinds_land_on_the_columns_they_name_and_nowhere_else() {
        let c = config();
        let t = Table::find(&c, "CustomersV3").unwrap();
        let now = Utc::now();
        let kinds = injected(&c, "CustomersV3", now);
        for kind in [
            DriftKind::MissingDataverse,
            DriftKind::MissingFo,
            DriftKind::Changed,
            DriftKind::EnumMismatch,
            DriftKind::Precision,
            DriftKind::TimeZone,
        ] {
            assert!(
                kinds.iter().any(|(_, k)| *k == kind),
                "{kind:?} is injected"
            );
        }
        let (key, _) = kinds
            .iter()
            .find(|(_, k)| *k == DriftKind::Changed)
            .unwrap();
        let i = t.index_of(key).unwrap();
        let (fo, dv) = (t.fo_row(i, now), t.dv_row(i, now));
        assert_eq!(
            format!(
                "{} (edited in Dataverse)",
                fo["OrganizationName"].as_str().unwrap()
            ),
            dv["name"]
        );
        assert_eq!(fo["CreditLimit"], dv["creditlimit"]);

        let (key, _) = kinds
            .iter()
            .find(|(_, k)| *k == DriftKind::TimeZone)
            .unwrap();
        let i = t.index_of(key).unwrap();
        let (fo, dv) = (t.fo_row(i, now), t.dv_row(i, now));
        let at = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        assert_ne!(fo["CreditReviewDateTime"], dv["msdyn_creditreviewdatetime"]);
        assert_eq!(
            at(&fo["CreditReviewDateTime"]),
            at(&dv["msdyn_creditreviewdatetime"])
        );

        // A clean row: the same values, enum label against option value.
        let clean = (0..100).find(|i| t.drift(*i).is_none()).unwrap();
        let (fo, dv) = (t.fo_row(clean, now), t.dv_row(clean, now));
        assert_eq!(fo["OrganizationName"], dv["name"]);
        let label = fo["OnHoldStatus"].as_str().unwrap();
        let value = ON_HOLD.iter().find(|(l, _)| *l == label).unwrap().1;
        assert_eq!(dv["msdyn_onholdstatus"], value);
        assert!(
            !t.dv_exists(
                t.index_of(
                    &kinds
                        .iter()
                        .find(|(_, k)| *k == DriftKind::MissingDataverse)
                        .unwrap()
                        .0
                )
                .unwrap(),
                now
            )
        );
    }

    #[test]
    fn churn_adds_rows_and_the_lagging_side_catches_up() {
        let epoch = Utc::now() - chrono::Duration::hours(1);
        let mut c = SimConfig {
            epoch,
            lag: std::time::Duration::from_secs(30),
            ..config()
        };
        c.tables.insert(
            "CustomersV3".into(),
            TableConfig {
                records: 10,
                grow_every: Some(std::time::Duration::from_secs(60)),
                update_every: Some(std::time::Duration::from_secs(60)),
                drift: Drift::default(),
            },
        );
        let t = Table::find(&c, "CustomersV3").unwrap();
        let now = epoch + chrono::Duration::seconds(60 * 5 + 10);
        assert_eq!(t.records_at(now), 15);
        assert!(
            t.fo_exists(14, now),
            "F&O owns customers: the new row is there"
        );
        assert!(!t.dv_exists(14, now), "Dataverse has not seen it yet");
        assert!(t.dv_exists(14, now + chrono::Duration::seconds(30)));
        // Updates move money and the version; Dataverse follows later.
        let later = epoch + chrono::Duration::days(3);
        let changed = (0..10)
            .find(|i| t.fo_row(*i, later)["CreditLimit"] != t.fo_row(*i, epoch)["CreditLimit"]);
        assert!(changed.is_some(), "rows are updated over time");
    }

    #[test]
    fn table_and_drift_settings_are_checked_and_named() {
        let mut t = default_tables();
        set_records(&mut t, "CustomersV3=100, PaymentTerms=24").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t["CustomersV3"].records, 100);
        assert!(t["CustomersV3"].drift.changed > 0.0, "other settings stay");
        set_drift(&mut t, "customersv3:changed=0.5,time_zone=0").unwrap();
        assert_eq!(t["CustomersV3"].drift.changed, 0.5);
        assert_eq!(t["CustomersV3"].drift.time_zone, 0.0);
        let e = set_records(&mut t, "Customers=5").unwrap_err();
        assert!(
            e.contains("'Customers' is not a simulated table") && e.contains("CustomersV3"),
            "{e}"
        );
        assert!(
            set_drift(&mut t, "CustomersV3:wrong=0.1")
                .unwrap_err()
                .contains("the kinds are")
        );
        assert!(
            set_drift(&mut t, "CustomersV3:changed=2")
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(
            set_drift(&mut t, "CustomersV3:missing_fo=0.6")
                .unwrap_err()
                .contains("more than 1")
        );
        assert!(
            set_drift(&mut t, "ReleasedProductsV2:changed=0.1")
                .unwrap_err()
                .contains("not served")
        );
    }

    #[test]
    fn keys_round_trip_and_paging_links_keep_the_query() {
        let c = config();
        let t = Table::find(&c, "accounts").unwrap();
        assert_eq!(t.index_of(&t.key(41)), Some(41));
        assert_eq!(t.index_of("us-000042"), Some(41));
        assert_eq!(t.index_of("CP-000042"), None);
        assert_eq!(
            next_link(
                "http://h/data/CustomersV3",
                "cross-company=true&$skip=10",
                "$skip",
                20
            ),
            "http://h/data/CustomersV3?cross-company=true&$skip=20"
        );
    }
}
