//! Staff-facing outputs. [`themes`] builds the "temi trattati via e-mail" table from counts;
//! [`xlsx`] renders it as an Excel workbook and [`chart`] as a bar chart (SVG or PNG); [`review`]
//! builds the review file. Report types are kept apart from the pipeline's types; headings and
//! labels are Italian.
//!
//! Everything here renders to memory: no file, clock or environment is read. The commands pass
//! in what the outside world provides (the PNG's font bytes, the workbook's creation time, the
//! parsed taxonomy mapping) and write the bytes where the user asked.

pub mod chart;
pub mod enti;
pub mod review;
pub(crate) mod suppress;
pub mod themes;
pub mod xlsx;

/// Failure to render a report.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The drawing or encoding library failed.
    #[error("{0}")]
    Render(String),
    /// The named font cannot draw text.
    #[error("{0}: not a usable TrueType font")]
    Font(String),
}

impl ExportError {
    /// A [`ExportError::Render`] with the error's text.
    pub(crate) fn render(e: impl std::fmt::Display) -> Self {
        ExportError::Render(e.to_string())
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
            ente: None,
            source: "urp.sqlite".into(),
            taxonomy: "urp-2025".into(),
            rules_version: Some("regole-3".into()),
            model_version: None,
        };
        build(&rows, &tax(), &q, prov)
    }

    /// DejaVu Sans from the system, as the command reads it; `None` where it is not installed.
    pub(crate) fn system_fonts() -> Option<super::chart::Fonts> {
        crate::commands::report::read_fonts(&crate::commands::report::FONT_PATHS).ok()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Reader, Xlsx};

    use super::{chart, fixture, themes, xlsx};

    /// Every format renders to memory from in-memory count rows (no path in the API to write to)
    /// and comes out well-formed.
    #[test]
    fn every_format_renders_to_bytes_in_memory() {
        let t = fixture::table_by(Some(5), Some(themes::By::Channel));
        let labels = ["Tributi e tasse locali", "Anagrafe e stato civile", "Altro"];

        let text = themes::to_text(&t);
        let md = themes::to_markdown(&t);
        let csv = themes::to_csv(&t, themes::CsvStyle::Plain);
        for out in [&text, &md, &csv] {
            assert!(labels.iter().all(|l| out.contains(l)), "{out}");
        }
        assert!(md.starts_with("### Temi trattati via e-mail - anno 2025"), "{md}");
        // Fields per line, commas inside quotes not counted.
        let fields = |l: &str| 1 + l.split('"').step_by(2).map(|out| out.matches(',').count()).sum::<usize>();
        let columns: Vec<usize> = csv.lines().map(fields).collect();
        assert!(columns.len() == 6 && columns.iter().all(|c| *c == columns[0]), "{csv}");
        let json: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&t).expect("serialises")).expect("parses");
        assert_eq!(json["schema_version"], 2);
        assert_eq!(json["total"], 75);

        let when = time::macros::datetime!(2026-01-01 00:00 UTC);
        let bytes = xlsx::to_bytes(&t, when).expect("workbook");
        assert!(bytes.starts_with(b"PK\x03\x04"), "an xlsx is a zip");
        let mut wb = Xlsx::new(Cursor::new(bytes)).expect("calamine reads it");
        assert_eq!(wb.sheet_names(), vec!["Temi 2025", "Grafico", "Esclusi", "Info"]);
        let info = wb.worksheet_range("Info").expect("info sheet");
        let cells: Vec<String> = info.cells().map(|(_, _, c)| c.to_string()).collect();
        assert!(cells.iter().any(|c| c == "01/01/2026 00:00:00 UTC"), "the time passed in: {cells:?}");

        let svg = chart::svg(&t).expect("svg");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(labels.iter().all(|l| svg.contains(l)), "{svg}");
        assert!(svg.contains("&lt;5"), "a hidden count is written, not drawn");

        // The PNG needs font bytes; where DejaVu is not installed the command's error is tested.
        if let Some(fonts) = fixture::system_fonts() {
            let png = chart::png(&t, &fonts).expect("png");
            let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("decodes");
            assert_eq!(img.width(), 1000);
            assert!(img.height() > 200, "{}", img.height());
        }
    }

    /// Invariant: `report` does no I/O and reads no clock or environment. The commands do.
    #[test]
    fn report_code_reads_no_file_clock_or_environment() {
        let sources = [
            ("mod.rs", include_str!("mod.rs")),
            ("themes.rs", include_str!("themes.rs")),
            ("xlsx.rs", include_str!("xlsx.rs")),
            ("chart.rs", include_str!("chart.rs")),
            ("review.rs", include_str!("review.rs")),
            ("review/names.rs", include_str!("review/names.rs")),
            ("review/json_text.rs", include_str!("review/json_text.rs")),
        ];
        let forbidden = [
            "std::fs",
            "fs::",
            "File::",
            "std::path",
            "Path::",
            ": &Path",
            "PathBuf",
            "std::env",
            "env::",
            "now_utc",
            "SystemTime",
            "Instant",
            "stdout",
            "stderr",
            "print!",
            "println!",
            "toml",
            ".save(",
        ];
        for (name, text) in sources {
            // The code above the unit tests (tests may use files and the clock).
            let code = text.split("#[cfg(test)]").next().unwrap_or(text);
            for f in forbidden {
                assert!(!code.contains(f), "src/report/{name} uses {f:?}");
            }
        }
    }
}
