//! Staff-facing outputs. [`themes`] builds the "temi trattati via e-mail" table from counts;
//! [`xlsx`] writes it as an Excel workbook and [`chart`] as a bar chart (SVG or PNG).
//! Report types are kept apart from the pipeline's types; headings and labels are Italian.

pub mod chart;
pub mod review;
pub mod themes;
pub mod xlsx;

/// Failure to write a report file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be produced (I/O, encoder or library error).
    #[error("{path}: {message}")]
    Write { path: String, message: String },
    /// The request cannot be served (unknown format, missing font...).
    #[error("{0}")]
    Unsupported(String),
}

impl ExportError {
    /// A [`ExportError::Write`] for `path` with the error's text.
    pub(crate) fn write(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        ExportError::Write { path: path.display().to_string(), message: e.to_string() }
    }
}

/// A small theme table for the renderers' tests.
#[cfg(test)]
pub(crate) mod fixture {
    use super::themes::{By, Provenance, Query, ThemeTable, build};
    use crate::classify::taxonomy::{Taxonomy, Topic};
    use crate::domain::Status;
    use crate::store::CountRow;

    fn tax() -> Taxonomy {
        let topic = |id: &str, label: &str| Topic { id: id.into(), label: label.into() };
        Taxonomy::new(
            "urp-2025".into(),
            vec![
                topic("anagrafe", "Anagrafe e stato civile"),
                topic("tributi", "Tributi e tasse locali"),
                topic("strade", "Strade e lavori pubblici"),
                topic("altro", "Altro"),
            ],
            Some("altro"),
        )
    }

    fn row(year: i32, month: u8, status: &str, key: &str, count: u64) -> CountRow {
        CountRow {
            year: Some(year),
            month: Some(month),
            channel: if key == "tributi" { "pec".into() } else { "email".into() },
            status: Status::parse(status).expect("a test status"),
            key: key.into(),
            count,
            review: u64::from(key == "altro"),
            tipologia: Some("informazione".into()),
        }
    }

    /// 2025 against 2024: tributi 40/30, anagrafe 25/20, strade 3/9 (small in 2025), altro 7/6.
    pub(crate) fn table(min_cell: Option<u64>) -> ThemeTable {
        table_by(min_cell, None)
    }

    /// The same, with a breakdown.
    pub(crate) fn table_by(min_cell: Option<u64>, by: Option<By>) -> ThemeTable {
        let rows = vec![
            row(2024, 1, "classified", "tributi", 30),
            row(2024, 12, "classified", "anagrafe", 20),
            row(2024, 5, "classified", "strade", 9),
            row(2024, 6, "classified", "altro", 6),
            row(2025, 1, "classified", "tributi", 40),
            row(2025, 12, "classified", "anagrafe", 25),
            row(2025, 4, "classified", "strade", 3),
            row(2025, 7, "classified", "altro", 7),
            row(2025, 2, "excluded", "bulk", 11),
            row(2025, 3, "excluded", "pec-receipt", 8),
            row(2025, 3, "excluded", "legacy-reason", 1),
            row(2025, 3, "skipped", "empty", 2),
        ];
        let q = Query { year: 2025, compare: vec![2024], by, min_cell, mapping: None };
        let prov = Provenance {
            source: "urp.sqlite".into(),
            taxonomy: "urp-2025".into(),
            rules_version: Some("regole-3".into()),
            model_version: None,
        };
        build(&rows, &tax(), &q, prov)
    }
}
