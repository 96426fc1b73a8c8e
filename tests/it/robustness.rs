//! Every message of large foreign corpora goes through the whole pipeline without a panic and is
//! accounted for: classified, excluded or a recorded skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{classify, corpus_model, mail_parser_resources, shared_data};

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            n += count_files(&p);
        } else if p.is_file() {
            n += 1;
        }
    }
    n
}

fn outcome_counts(records: &[serde_json::Value]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for r in records {
        let kind = if !r["skipped"].is_null() {
            "skipped"
        } else if !r["excluded"].is_null() {
            "excluded"
        } else {
            "classified"
        };
        *m.entry(kind).or_insert(0) += 1;
        // A skipped message has no text, so no topic; every other one has a topic.
        assert_eq!(r["topic"].is_string(), kind != "skipped", "{r}");
        if kind != "skipped" {
            let c = r["confidence"].as_f64().expect("confidence");
            assert!((0.0..=1.0).contains(&c));
        }
    }
    m
}

#[test]
fn mail_parser_test_messages_are_all_accounted_for() {
    let Some(res) = mail_parser_resources() else {
        eprintln!("SKIP: mail-parser 0.11.9 sources not found in the cargo registry");
        return;
    };
    // Every file of those folders is one message (the .json files are mail-parser's expected
    // output: here they are hostile input, which is fine).
    let dirs: Vec<PathBuf> = ["eml", "maildir"].iter().map(|d| res.join(d)).collect();
    let expected: usize = dirs.iter().map(|d| count_files(d)).sum();
    let records = classify(&dirs, &corpus_model(), 0, true);
    let counts = outcome_counts(&records);
    eprintln!("mail-parser resources: {expected} files -> {counts:?}");
    assert_eq!(records.len(), expected, "one record per message");
    assert!(counts.get("classified").copied().unwrap_or(0) > 100);
}

#[test]
fn shared_20_newsgroups_is_all_accounted_for() {
    let Some(data) = shared_data() else {
        eprintln!("SKIP: ../shared/data not present (developer and CI data only)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(data.join("20ng-bydate-train.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar runs");
    assert!(status.success());
    let root = dir.path().join("20ng/train");
    let expected = count_files(&root);
    assert_eq!(expected, 11_314);
    let records = classify(&[root], &corpus_model(), 0, false);
    let counts = outcome_counts(&records);
    eprintln!("20 Newsgroups train: {expected} files -> {counts:?}");
    assert_eq!(records.len(), expected);
    assert_eq!(counts.get("skipped"), None, "Usenet articles are all readable messages");
}

/// Minimal RFC 4180 reader (quoted fields with doubled quotes and embedded newlines).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[test]
fn shared_italian_reports_are_all_accounted_for() {
    let Some(data) = shared_data() else {
        eprintln!("SKIP: ../shared/data not present (developer and CI data only)");
        return;
    };
    let text = std::fs::read_to_string(data.join("it-covid19-train.csv")).expect("csv");
    let rows = csv_rows(&text);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (title, body) = (col("title"), col("data"));
    let dir = tempfile::tempdir().expect("tempdir");
    // Each report as the e-mail the evaluation builds (subject = title, body = the data JSON
    // fields); here the raw JSON is the body, which is harsher input.
    for (i, r) in rows[1..].iter().enumerate() {
        let msg = format!(
            "From: segnalazione@example.org\nSubject: {}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{}\n",
            r[title].replace(['\r', '\n'], " "),
            r[body]
        );
        std::fs::write(dir.path().join(format!("{i:05}.eml")), msg).expect("write");
    }
    let expected = rows.len() - 1;
    assert_eq!(expected, 1597);
    let records = classify(&[dir.path().to_path_buf()], &corpus_model(), 0, false);
    let counts = outcome_counts(&records);
    eprintln!("it-covid19 train: {expected} reports -> {counts:?}");
    assert_eq!(records.len(), expected);
    assert_eq!(counts.get("skipped"), None);
}
