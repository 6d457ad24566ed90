//! The one rule for CSV cells the console writes and reads: a text cell
//! that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
//! carriage return first) gets a leading `'`, so a spreadsheet shows it
//! as text (OWASP's CSV-injection advice); numbers such as `-1` stay as
//! they are. Imports take the `'` off again, so an export imports back
//! unchanged. Every export builds its rows with [`record`].

/// Whether a spreadsheet would evaluate `s` as a formula.
fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.trim().parse::<f64>().is_err()
}

/// The cell's text as written: neutralised when it looks like a formula.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Undoes [`neutralise`] on a cell read back from an export.
pub fn restore(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => s,
    }
}

/// One cell, neutralised and quoted when it holds a separator, a quote or
/// a line break.
pub fn cell(s: &str) -> String {
    let s = neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// One CSV line (with its newline) from its cells.
pub fn record<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = cells.into_iter().map(cell).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// Refuses a header row that names a column twice (compared as given,
/// already lower-cased by the caller): reading would silently take the
/// first, so the file is refused with the name and both positions.
pub fn refuse_duplicate_headers(headers: &[String]) -> Result<(), String> {
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(j) = headers[i + 1..].iter().position(|o| o == h) {
            return Err(format!(
                "The header names the column '{h}' twice (columns {} and {}); rename or remove one.",
                i + 1,
                i + j + 2
            ));
        }
    }
    Ok(())
}

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 50;

/// The problems found in an import, collected so the whole file is checked
/// at once and listed up to [`MAX_LISTED`].
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Adds one problem (with its position).
    pub fn push(&mut self, p: String) {
        self.0.push(p);
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `ok` when nothing was found, else one message that says nothing was
    /// imported and lists the problems.
    pub fn into_result<T>(self, ok: T, what: &str) -> Result<T, String> {
        if self.0.is_empty() {
            return Ok(ok);
        }
        let n = self.0.len();
        let mut out = format!(
            "{n} problem{} found; nothing was imported. Fix {} and import the {what} again:",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
        for p in self.0.iter().take(MAX_LISTED) {
            out.push_str("\n• ");
            out.push_str(p);
        }
        if n > MAX_LISTED {
            out.push_str(&format!("\n… and {} more.", n - MAX_LISTED));
        }
        Err(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil.test\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\""
        );
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-1"), "-1");
        assert_eq!(cell("+3.5"), "+3.5");
        assert_eq!(cell("-x"), "'-x");
        assert_eq!(cell("plain"), "plain");
    }

    #[test]
    fn restore_undoes_neutralise_only() {
        for s in ["=1+1", "@x", "-x", "plain", "'quoted", "-1"] {
            assert_eq!(restore(&neutralise(s)), s);
        }
    }

    #[test]
    fn records_end_with_a_newline() {
        assert_eq!(record(["a", "b,c", "=1"]), "a,\"b,c\",'=1\n");
    }

    #[test]
    fn duplicate_headers_are_named_with_both_positions() {
        let h: Vec<String> = ["a", "b", "a"].map(String::from).to_vec();
        assert_eq!(
            refuse_duplicate_headers(&h).unwrap_err(),
            "The header names the column 'a' twice (columns 1 and 3); rename or remove one."
        );
        assert!(refuse_duplicate_headers(&["a".into(), String::new(), String::new()]).is_ok());
    }
}
