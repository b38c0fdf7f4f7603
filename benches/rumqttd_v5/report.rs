//! The findings, printed as a table (Markdown, ready for the README).

use std::fmt;

/// Whether the broker does what MQTT 5 asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Yes,
    No,
    Partly,
    /// Not a yes/no question (what is announced, what a listener does).
    Info,
    /// The probe could not tell (a helper failed).
    Unknown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Yes => "yes",
            Verdict::No => "NO",
            Verdict::Partly => "partly",
            Verdict::Info => "-",
            Verdict::Unknown => "?",
        })
    }
}

struct Row {
    feature: String,
    verdict: Verdict,
    observed: String,
}

#[derive(Default)]
pub(crate) struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// Adds a row, and says it at once (the table comes at the end).
    pub(crate) fn row(&mut self, feature: &str, verdict: Verdict, observed: impl Into<String>) {
        let observed = observed.into();
        eprintln!("  {feature}: {verdict}: {observed}");
        self.rows.push(Row {
            feature: feature.to_owned(),
            verdict,
            observed,
        });
    }

    pub(crate) fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.feature.chars().count())
            .max()
            .unwrap_or(0)
            .max("feature".len());
        println!();
        println!("| {:width$} | honoured? | observed |", "feature");
        println!("|{}|-----------|----------|", "-".repeat(width + 2));
        for r in &self.rows {
            println!(
                "| {:width$} | {:9} | {} |",
                r.feature,
                r.verdict.to_string(),
                r.observed.replace('|', "\\|")
            );
        }
    }
}
