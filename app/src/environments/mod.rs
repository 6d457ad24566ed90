//! Environments: a named pair of F&O and Dataverse environments with the
//! legal entities in scope. Everything in the rule book belongs to one.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// An environment as pages and the CLI see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Database id.
    pub id: i64,
    /// Unique name, e.g. "UAT" or "Production".
    pub name: String,
    /// F&O environment URL (may be empty until known).
    pub fo_url: String,
    /// Dataverse environment URL (may be empty until known).
    pub dataverse_url: String,
    /// Legal entities (company codes) in scope, upper case.
    pub legal_entities: Vec<String>,
    /// Where the environment's people work (an IANA name, "UTC" until
    /// set): cutover plans are shown and entered in it.
    pub time_zone: String,
}

/// Validated input for creating or changing an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentInput {
    /// Trimmed name.
    pub name: String,
    /// Normalised F&O URL (no trailing slash) or empty.
    pub fo_url: String,
    /// Normalised Dataverse URL (no trailing slash) or empty.
    pub dataverse_url: String,
    /// Upper-cased, de-duplicated company codes.
    pub legal_entities: Vec<String>,
}

/// Checks and normalises environment input; errors name the field.
pub fn validate_environment(
    name: &str,
    fo_url: &str,
    dataverse_url: &str,
    legal_entities: &str,
) -> Result<EnvironmentInput, (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err((
            "name",
            "Give the environment a name of 1 to 60 characters, e.g. UAT or Production.".into(),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || " -_.".contains(c))
    {
        return Err((
            "name",
            format!("'{name}' may contain only letters, digits, spaces, '-', '_' and '.'."),
        ));
    }
    let fo_url = normalize_url("fo_url", "F&O", fo_url)?;
    let dataverse_url = normalize_url("dataverse_url", "Dataverse", dataverse_url)?;
    let mut entities: Vec<String> = Vec::new();
    for code in legal_entities
        .split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if code.len() > 8 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err((
                "legal_entities",
                format!("'{code}' is not a company code (1 to 8 letters or digits, e.g. USMF)."),
            ));
        }
        let code = code.to_ascii_uppercase();
        if !entities.contains(&code) {
            entities.push(code);
        }
    }
    Ok(EnvironmentInput {
        name: name.to_string(),
        fo_url,
        dataverse_url,
        legal_entities: entities,
    })
}

fn normalize_url(
    field: &'static str,
    label: &str,
    raw: &str,
) -> Result<String, (&'static str, String)> {
    let url = raw.trim().trim_end_matches('/');
    if url.is_empty() {
        return Ok(String::new());
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err((
            field,
            format!(
                "The {label} URL must start with https:// (e.g. https://contoso.operations.dynamics.com); got '{url}'."
            ),
        )),
    }
}

/// The environment a page is about: the one named in the URL (`?env=`), else
/// the first by name. `None` when no environment exists yet.
pub fn pick<'a>(all: &'a [Environment], wanted: Option<&str>) -> Option<&'a Environment> {
    wanted
        .and_then(|w| all.iter().find(|e| e.name.eq_ignore_ascii_case(w)))
        .or_else(|| all.first())
}

/// The error for a page or download that needs an environment when none
/// exists yet, saying how to get one.
pub fn no_environment() -> crate::error::AppError {
    crate::error::AppError::validation(
        "env",
        "There is no environment yet: an admin adds the first under Admin → Environments.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_trimmed_and_company_codes_upper_cased_once() {
        let e = validate_environment(
            " UAT ",
            "https://uat.operations.dynamics.com/",
            "",
            "usmf, demf usmf",
        )
        .unwrap();
        assert_eq!(e.name, "UAT");
        assert_eq!(e.fo_url, "https://uat.operations.dynamics.com");
        assert_eq!(e.legal_entities, vec!["USMF", "DEMF"]);
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(validate_environment("", "", "", "").unwrap_err().0, "name");
        assert_eq!(
            validate_environment("UAT<script>", "", "", "")
                .unwrap_err()
                .0,
            "name"
        );
        assert_eq!(
            validate_environment("UAT", "ftp://x", "", "")
                .unwrap_err()
                .0,
            "fo_url"
        );
        assert_eq!(
            validate_environment("UAT", "", "contoso.crm.dynamics.com", "")
                .unwrap_err()
                .0,
            "dataverse_url"
        );
        let (field, msg) = validate_environment("UAT", "", "", "US-MF").unwrap_err();
        assert_eq!(field, "legal_entities");
        assert!(msg.contains("US-MF"));
    }

    #[test]
    fn the_named_environment_wins_else_the_first() {
        let env = |id, name: &str| Environment {
            id,
            name: name.into(),
            fo_url: String::new(),
            dataverse_url: String::new(),
            legal_entities: vec![],
            time_zone: "UTC".into(),
        };
        let all = vec![env(1, "Production"), env(2, "UAT")];
        assert_eq!(pick(&all, Some("uat")).map(|e| e.id), Some(2));
        assert_eq!(pick(&all, Some("nope")).map(|e| e.id), Some(1));
        assert_eq!(pick(&all, None).map(|e| e.id), Some(1));
        assert!(pick(&[], None).is_none());
    }
}
