//! Malformed and foreign corpora fetched by `scripts/fetch-corpora.sh` (CPython's email test
//! messages, the SpamAssassin public corpus): every file goes through the whole pipeline without
//! a panic and yields exactly one record, which is classified, excluded with a reason or skipped
//! with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::support::{classify, corpus_model};

/// Where `scripts/fetch-corpora.sh` puts the corpora.
fn corpora_root() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("URPMAIL_CORPORA") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/urpmail/corpora"))
}

/// The message files of a corpus, sorted: every regular file but the script's bookkeeping
/// (`VERSION`, `SPEC`, `MANIFEST`, dot files).
fn message_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("readable corpus dir").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || matches!(name, "VERSION" | "SPEC" | "MANIFEST") {
            continue;
        }
        if p.is_dir() {
            message_files(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// A reason with its numbers taken out, so that "too large: 123 bytes" and "too large: 456
/// bytes" count as one reason.
fn reason_key(s: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// Outcome counts of one corpus (or subset).
#[derive(Default)]
struct Tally {
    files: usize,
    classified: usize,
    excluded: BTreeMap<String, usize>,
    skipped: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, r: &serde_json::Value) {
        match (&r["excluded"], &r["skipped"]) {
            (serde_json::Value::Null, serde_json::Value::Null) => self.classified += 1,
            (serde_json::Value::String(reason), serde_json::Value::Null) => {
                *self.excluded.entry(reason.clone()).or_insert(0) += 1;
            }
            (serde_json::Value::Null, serde_json::Value::String(reason)) => {
                *self.skipped.entry(reason_key(reason)).or_insert(0) += 1;
            }
            _ => panic!("a record is exactly one of classified / excluded / skipped: {r}"),
        }
    }

    fn line(&self, name: &str) -> String {
        let fmt = |m: &BTreeMap<String, usize>| {
            let n: usize = m.values().sum();
            if m.is_empty() {
                "0".to_string()
            } else {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{n} ({})", parts.join(", "))
            }
        };
        format!(
            "{name} | files {} | classified {} | excluded {} | skipped {}",
            self.files,
            self.classified,
            fmt(&self.excluded),
            fmt(&self.skipped)
        )
    }
}

/// Runs one corpus through `classify` and checks the accounting; returns the table lines.
fn check_corpus(dir: &Path) -> Vec<String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let mut files = Vec::new();
    message_files(dir, &mut files);
    assert!(!files.is_empty(), "{}: no message files (re-run scripts/fetch-corpora.sh)", dir.display());
    let start = Instant::now();
    // One call over the explicit file list (the corpus dirs also hold VERSION files); threads 0
    // uses every core.
    let records = classify(&files, &corpus_model(), 0, false);
    let elapsed = start.elapsed();
    assert_eq!(records.len(), files.len(), "{name}: one record per file");

    let mut total = Tally::default();
    let mut subsets: BTreeMap<String, Tally> = BTreeMap::new();
    for (file, r) in files.iter().zip(&records) {
        // Output order is input order; a file starting with `From ` is read as a one-message
        // mbox, whose record source is `<path>#0`.
        let source = r["source"].as_str().expect("source");
        let shown = file.display().to_string();
        assert!(
            source == shown || source == format!("{shown}#0"),
            "{name}: record {source} for file {shown}"
        );
        if let Some(reason) = r["skipped"].as_str() {
            assert!(!reason.trim().is_empty(), "{name}: a skip has a reason: {r}");
            assert!(r["topic"].is_null() && r["confidence"].is_null(), "{name}: a skip has no topic: {r}");
        } else {
            assert!(r["topic"].as_str().is_some_and(|t| !t.is_empty()), "{name}: topic present: {r}");
            let c = r["confidence"].as_f64().expect("confidence is a number");
            assert!((0.0..=1.0).contains(&c), "{name}: confidence {c} out of [0,1]: {r}");
        }
        if let Some(reason) = r["excluded"].as_str() {
            assert!(!reason.trim().is_empty(), "{name}: an exclusion has a reason: {r}");
            assert_eq!(r["decided_by"], "exclusion", "{name}: {r}");
        }
        total.files += 1;
        total.add(r);
        let rel = file.strip_prefix(dir).expect("under the corpus dir");
        if rel.components().count() > 1 {
            let sub = rel.components().next().expect("first component").as_os_str().to_string_lossy();
            let t = subsets.entry(format!("{name}/{sub}")).or_default();
            t.files += 1;
            t.add(r);
        }
    }
    let mut lines = vec![format!("{} | {:.1} s", total.line(&name), elapsed.as_secs_f64())];
    lines.extend(subsets.iter().map(|(n, t)| format!("  {}", t.line(n))));
    lines
}

#[test]
fn fetched_corpora_are_all_accounted_for() {
    let root = corpora_root().filter(|r| r.is_dir());
    let Some(root) = root else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpora not fetched: CI must run them (scripts/test.sh calls scripts/fetch-corpora.sh)"
        );
        eprintln!("SKIP: corpora not fetched (scripts/fetch-corpora.sh)");
        return;
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("readable corpora dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().and_then(|n| n.to_str()).unwrap_or(".").starts_with('.'))
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no corpus under {}: CI must run them",
            root.display()
        );
        eprintln!("SKIP: corpora not fetched (scripts/fetch-corpora.sh)");
        return;
    }
    eprintln!("corpora under {}:", root.display());
    for dir in &dirs {
        for line in check_corpus(dir) {
            eprintln!("{line}");
        }
    }
}
