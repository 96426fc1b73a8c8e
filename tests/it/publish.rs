//! Staff outputs that are safe to publish and fit an Italian office (issue 16, items 1-3), on
//! the demo's store: with `--publish` no count from 1 to 4 appears in any format or breakdown
//! and no hidden cell can be derived from a total; years without data say so; the CSV opens in
//! Italian Excel; the format follows the file name.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::t;
use serde_json::Value;
use urpmail::commands::report::{Format, ThemesArgs};
use urpmail::commands::{self, RulesChoice};
use urpmail::report::themes::By;

fn demo_store(dir: &Path) -> PathBuf {
    let store = dir.join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo runs");
    store
}

fn args(store: &Path, format: Format, by: Option<By>, publish: bool) -> ThemesArgs {
    ThemesArgs {
        store: t(store),
        rules: RulesChoice::Default,
        year: None,
        compare: None,
        by,
        format,
        out: None,
        chart: None,
        min_cell: publish.then_some(5),
        mapping: None,
        with_accuracy: false,
    }
}

fn render(a: &ThemesArgs) -> String {
    commands::report::themes(a).expect("themes").1.expect("text")
}

/// A cell that is a count from 1 to 4.
fn small(cell: &str) -> bool {
    matches!(cell.trim(), "1" | "2" | "3" | "4")
}

/// A note line that states a count from 1 to 4 ("...: 3", "PEC 2", "3 su 150").
fn small_in_note(line: &str) -> bool {
    line.split([' ', ',', '(', ')', ';'])
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches(':'))
        .any(|w| matches!(w, "1" | "2" | "3" | "4"))
}

/// Every count of the JSON table, where it sits.
fn json_counts(j: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut push = |name: String, v: &Value| out.push((name, v.clone()));
    for r in j["rows"].as_array().expect("rows") {
        let t = r["topic"].as_str().unwrap_or("?");
        push(format!("{t} count"), &r["count"]);
        for key in ["previous", "breakdown"] {
            if let Some(m) = r[key].as_object() {
                for (k, v) in m {
                    push(format!("{t} {key} {k}"), v);
                }
            }
        }
    }
    for key in ["total", "excluded_total", "skipped", "received", "review", "undated"] {
        push(key.into(), &j[key]);
    }
    for key in ["previous_totals", "breakdown_totals", "excluded", "channels"] {
        if let Some(m) = j[key].as_object() {
            for (k, v) in m {
                push(format!("{key} {k}"), v);
            }
        }
    }
    out
}

/// Groups of cells that add up to a total, from the JSON table: none may have exactly one
/// hidden member.
fn json_groups(j: &Value) -> Vec<(String, Vec<Value>)> {
    let rows = j["rows"].as_array().expect("rows");
    let with = |mut v: Vec<Value>, total: &Value| {
        if !total.is_null() {
            v.push(total.clone());
        }
        v
    };
    let mut g =
        vec![("year".to_string(), with(rows.iter().map(|r| r["count"].clone()).collect(), &j["total"]))];
    for y in j["compare"].as_array().expect("compare") {
        let ys = y.to_string();
        let column = rows.iter().map(|r| r["previous"][&ys].clone()).filter(|v| !v.is_null()).collect();
        g.push((ys.clone(), with(column, &j["previous_totals"][&ys])));
    }
    if let Some(totals) = j["breakdown_totals"].as_object() {
        for r in rows {
            let cells = r["breakdown"].as_object().expect("breakdown").values().cloned().collect();
            g.push((r["topic"].to_string(), with(cells, &r["count"])));
        }
        for (k, total) in totals {
            g.push((
                format!("by {k}"),
                with(rows.iter().map(|r| r["breakdown"][k].clone()).collect(), total),
            ));
        }
        g.push(("by totals".into(), with(totals.values().cloned().collect(), &j["total"])));
    }
    let map = |key: &str| j[key].as_object().map(|m| m.values().cloned().collect()).unwrap_or_default();
    g.push(("channels".into(), with(map("channels"), &j["total"])));
    g.push(("excluded".into(), with(map("excluded"), &j["excluded_total"])));
    g.push((
        "received".into(),
        with(vec![j["excluded_total"].clone(), j["skipped"].clone(), j["received"].clone()], &j["total"]),
    ));
    g
}

#[test]
fn publication_holds_in_every_format_and_breakdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let mut hidden_seen = false;
    for by in [None, Some(By::Month), Some(By::Channel), Some(By::Tipologia)] {
        // JSON: every count shown is 5 or more; every group has 0 or at least 2 hidden cells.
        let j: Value = serde_json::from_str(&render(&args(&store, Format::Json, by, true))).expect("json");
        for (name, v) in json_counts(&j) {
            if let Some(n) = v.as_u64() {
                assert!(n == 0 || n >= 5, "{by:?}: {name} = {n} is published");
            }
        }
        for (name, cells) in json_groups(&j) {
            let hidden = cells.iter().filter(|c| c.is_string()).count();
            hidden_seen |= hidden > 0;
            assert_ne!(
                hidden, 1,
                "{by:?}: the hidden cell of {name} is its total minus the others: {cells:?}"
            );
        }
        assert_eq!(j["provenance"]["source"], "urpmail.db", "no server path in a published table");

        // Text, Markdown and CSV: no cell and no note states a count from 1 to 4.
        let text = render(&args(&store, Format::Table, by, true));
        let (table, notes) =
            text.split_once("\n\n").and_then(|(_, rest)| rest.split_once("\n\n")).expect("parts");
        for line in table.lines().filter(|l| !l.starts_with("---")) {
            let cells: Vec<&str> = line.split("  ").collect();
            assert!(!cells.iter().any(|c| small(c)), "{by:?}: {line}");
        }
        for line in notes.lines().filter(|l| !l.starts_with("Fonte:")) {
            assert!(!small_in_note(line), "{by:?}: {line}");
        }
        let md = render(&args(&store, Format::Markdown, by, true));
        for line in md.lines().filter(|l| l.starts_with('|')) {
            assert!(!line.split('|').any(small), "{by:?}: {line}");
        }
        let csv = render(&args(&store, Format::Csv, by, true));
        for line in csv.lines() {
            let cells: Vec<&str> = line.split(';').collect();
            if cells.len() > 1 && !cells[1].is_empty() {
                assert!(!cells.iter().any(|c| small(c)), "{by:?}: {line}");
            } else if !cells[0].starts_with("Fonte:") {
                assert!(!small_in_note(cells[0]), "{by:?}: {line}");
            }
        }

        // XLSX: no count cell holds 1 to 4 (changes may: both of their counts are shown).
        let mut x = args(&store, Format::Xlsx, by, true);
        let path = dir.path().join("temi.xlsx");
        x.out = Some(path.clone());
        x.chart = Some(dir.path().join("temi.svg"));
        commands::report::themes(&x).expect("xlsx");
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open xlsx");
        let r = wb.worksheet_range(&format!("Temi {}", j["year"])).expect("table sheet");
        let head: Vec<String> =
            (0..r.width()).map(|c| r.get((2, c)).map(ToString::to_string).unwrap_or_default()).collect();
        let count_columns: Vec<usize> = (1..head.len())
            .filter(|&c| {
                !head[c].starts_with("Var") && head[c] != "Quota" && !head[c].starts_with("Precisione")
            })
            .collect();
        for row in 3..r.height() {
            for &c in &count_columns {
                let cell = r.get((row, c)).map(ToString::to_string).unwrap_or_default();
                assert!(!small(&cell), "{by:?}: xlsx row {row} column {} = {cell}", head[c]);
            }
        }
        // The chart: no bar value from 1 to 4.
        let svg = std::fs::read_to_string(dir.path().join("temi.svg")).expect("svg");
        for text in svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .map(|t| t.split('<').next().unwrap_or(""))
        {
            assert!(!small(text), "{by:?}: the chart writes {text}");
        }
    }
    assert!(hidden_seen, "the demo store has small cells: the test looks at a suppressed table");
}

#[test]
fn years_without_data_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let mut a = args(&store, Format::Table, None, false);
    a.compare = Some(vec![2024, 2023]);
    let text = render(&a);
    assert!(text.contains("nessun dato") && text.contains("Il 2023 non ha dati"), "{text}");
    assert!(!text.contains("nuovo"), "a year never collected makes no topic new: {text}");
    let mut a = args(&store, Format::Table, None, false);
    a.year = Some(2026);
    a.compare = Some(vec![2025]);
    let text = render(&a);
    assert!(text.contains("Nessun dato per il 2026"), "{text}");
    assert!(!text.contains("-100"), "no topic fell by 100%: {text}");
}

fn urpmail() -> Command {
    Command::new(env!("CARGO_BIN_EXE_urpmail"))
}

#[test]
fn the_format_follows_the_file_name_and_csv_opens_in_italian_excel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let run = |extra: &[&str]| {
        urpmail()
            .args(["report", "themes", "--store"])
            .arg(&store)
            .args(extra)
            .current_dir(dir.path())
            .output()
            .expect("runs")
    };
    // By extension.
    assert!(run(&["--out", "temi.xlsx"]).status.success());
    assert!(std::fs::read(dir.path().join("temi.xlsx")).expect("xlsx").starts_with(b"PK\x03\x04"));
    assert!(run(&["--out", "temi.csv"]).status.success());
    let csv = std::fs::read(dir.path().join("temi.csv")).expect("csv");
    assert!(csv.starts_with(b"\xEF\xBB\xBFTema;2025;Quota;2024;"), "BOM and semicolons: {:?}", &csv[..40]);
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(text.contains(";13,1%;"), "decimal commas");
    assert!(run(&["--format", "csv-plain", "--out", "dati.csv"]).status.success());
    let plain = std::fs::read_to_string(dir.path().join("dati.csv")).expect("csv");
    assert!(plain.starts_with("Tema,2025,Quota,2024,") && plain.contains(",0.1307,"), "{plain}");
    // A mismatch is refused, once, with the fix; nothing is written.
    let o = run(&["--format", "xlsx", "--out", "temi2.csv"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--format xlsx does not match --out temi2.csv") && err.contains("temi2.xlsx"),
        "{err}"
    );
    assert_eq!(err.matches("does not match").count(), 1, "{err}");
    assert!(!dir.path().join("temi2.csv").exists());
    let o = run(&["--out", "temi.dat"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("end it with .txt, .md, .csv, .json or .xlsx"));
    // A device takes the format asked for.
    let o = run(&["--format", "md", "--out", "/dev/stdout"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("| Tributi e pagamenti |"));
}
