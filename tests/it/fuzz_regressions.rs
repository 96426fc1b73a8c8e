//! Regression tests for the inputs the fuzz targets (`fuzz/`, see `fuzz/README.md`) found.
//!
//! Each saved input lives in `tests/fixtures/fuzz/<target>-<name>.bin` and is run through exactly the
//! call its fuzz target makes; the only failure is a panic (or an abort). A crash that is not
//! fixed yet has its test marked `#[ignore = "crash found by fuzzing: ..."]` and its file listed in
//! `OPEN`, so the suite stays green: remove both with the fix. The seed corpora in `fuzz/seeds/` go through the same
//! calls, so the harness itself is exercised on every run.

use std::path::{Path, PathBuf};

use urpmail::parse::exclude::{ExclusionConfig, exclusion};
use urpmail::parse::{Limits, SourceMeta, parse};
use urpmail::text::{Analyzer, Language};

use crate::support::repo;

/// The fuzz targets, as in `fuzz/fuzz_targets/`.
const TARGETS: &[&str] = &["parse", "text", "rules", "config", "review"];

/// Saved inputs whose crash is not fixed yet: their named test is `#[ignore]`d and the test over
/// all saved inputs skips them. Empty: every crash found so far is fixed.
const OPEN: &[&str] = &[];

/// `fuzz_targets/parse.rs`.
fn run_parse(data: &[u8]) {
    let meta = SourceMeta { seen_at: None, now: 1_767_225_600 };
    if let Ok(m) = parse(data, meta, &Limits::default()) {
        let _ = exclusion(&m, &ExclusionConfig::default());
        let _ = urpmail::pipeline::clean_text(&m);
    }
}

/// `fuzz_targets/text.rs`.
fn run_text(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = urpmail::text::clean::clean_body(&s, false);
    let cleaned = urpmail::text::clean::clean_body(&s, true);
    let _ = Analyzer::new(Language::Italian).terms(&cleaned);
    let _ = urpmail::text::redact::redact(&s);
}

/// `fuzz_targets/rules.rs`.
fn run_rules(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = urpmail::classify::rules::RuleSet::parse(s, "fuzz.toml");
    }
}

/// `fuzz_targets/config.rs`.
fn run_config(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = urpmail::config::Config::parse(s, Path::new("/fuzz/urpmail.toml"), &|_| Some("x".into()));
    }
}

/// `fuzz_targets/review.rs`.
fn run_review(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = serde_json::from_str::<urpmail::report::review::ReviewFile>(s);
    }
}

fn run(target: &str, data: &[u8]) {
    match target {
        "parse" => run_parse(data),
        "text" => run_text(data),
        "rules" => run_rules(data),
        "config" => run_config(data),
        "review" => run_review(data),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

fn saved(name: &str) -> Vec<u8> {
    let path = repo().join("tests/fixtures/fuzz").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Every saved input, run through its target's call: `<target>-<anything>` in
/// `tests/fixtures/fuzz/` (minimised crash inputs from `cargo fuzz tmin`, kept after the fix).
#[test]
fn saved_inputs_run_without_panic() {
    let files = files_in(&repo().join("tests/fixtures/fuzz"));
    assert!(!files.is_empty(), "tests/fixtures/fuzz is empty");
    for path in files {
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        if OPEN.contains(&name.as_str()) {
            continue;
        }
        let target = name.split('-').next().unwrap_or_default();
        assert!(
            TARGETS.contains(&target),
            "{name}: the name must start with a fuzz target ({TARGETS:?}) and '-'"
        );
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        run(target, &data);
    }
}

#[test]
fn seed_corpora_run_without_panic() {
    for target in TARGETS {
        let seeds = files_in(&repo().join("fuzz/seeds").join(target));
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} is empty");
        for path in seeds {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            run(target, &data);
        }
    }
}

/// Found by the `parse` target: a multipart/digest whose closing boundary comes before a
/// `message/rfc822` part made mail-parser 0.11.9 reach
/// `debug_assert!(false, "Invalid part ID, could not find multipart.")`
/// (src/parsers/message.rs:485) inside `urpmail::parse::parse` in every build with debug
/// assertions (release builds compile it out). Fixed by building mail-parser without debug
/// assertions in the dev profile and by `parse::parse` turning a parser panic into
/// `SkipReason::ParserFailure`.
#[test]
fn parse_1_multipart_digest_closed_before_rfc822_part() {
    run("parse", &saved("parse-1.bin"));
}

/// Found by the `rules` target: a rules file that is only a UTF-8 byte-order mark (as Windows
/// editors write it; any BOM-prefixed file with a TOML error at offset 0 did the same) made
/// `Ctx::line` slice `text[..1]` inside the 3-byte BOM: "byte index 1 is not a char boundary".
/// Fixed: a leading BOM is accepted and error lines are computed on character boundaries.
#[test]
fn rules_1_leading_bom() {
    let data = saved("rules-1.bin");
    run("rules", &data);
    // Without any key, the file must still be refused with an error.
    let text = std::str::from_utf8(&data).expect("UTF-8");
    assert!(urpmail::classify::rules::RuleSet::parse(text, "fuzz.toml").is_err());
}
