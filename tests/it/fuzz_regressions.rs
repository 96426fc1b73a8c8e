//! Inputs that crashed a fuzz target (fuzz/README.md), kept as regression tests: each must now
//! go through the same call without a panic.

use urpmail::parse::exclude::{ExclusionConfig, exclusion};
use urpmail::parse::{Limits, SourceMeta};

use crate::support::fixture;

fn inputs(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixture("fuzz");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/fuzz")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix)))
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect();
    out.sort();
    out
}

#[test]
fn parse_crash_inputs_no_longer_panic() {
    let cases = inputs("parse-");
    assert!(!cases.is_empty());
    for (name, bytes) in cases {
        let meta = SourceMeta { seen_at: None, now: 1_767_225_600 };
        // A malformed multipart tripped mail-parser's internal assertion: now a parse or a skip.
        if let Ok(m) = urpmail::parse::parse(&bytes, meta, &Limits::default()) {
            let _ = exclusion(&m, &ExclusionConfig::default());
            let _ = urpmail::pipeline::clean_text(&m);
        }
        eprintln!("ok: {name}");
    }
}

#[test]
fn rules_crash_inputs_no_longer_panic() {
    let cases = inputs("rules-");
    assert!(!cases.is_empty());
    for (name, bytes) in cases {
        let text = String::from_utf8_lossy(&bytes);
        // A byte-order mark made the error line computation slice inside a character.
        let e = urpmail::classify::rules::RuleSet::parse(&text, &name).expect_err("not a valid rules file");
        assert!(e.to_string().starts_with(&name), "{e}");
    }
}
