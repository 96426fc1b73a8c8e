//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};

use urpmail::parse::exclude::{Exclusion, ExclusionConfig, exclusion};
use urpmail::parse::{self, Limits, ParsedMail, SourceMeta};
use urpmail::pipeline::is_forward;
use urpmail::text::clean::clean_body;

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The internal domain of the fictional comune all fixtures use.
pub(crate) fn comune_exclusions() -> ExclusionConfig {
    ExclusionConfig { internal_domains: vec!["comune.borgoesempio.it".into()], internal_addresses: vec![] }
}

/// Parse + exclusion + cleaned text of a file, as the pipeline sees it.
pub(crate) struct Parsed {
    pub mail: ParsedMail,
    pub exclusion: Option<Exclusion>,
    pub clean_text: String,
}

/// Runs the parse stage on a file; `Err` is the skip reason.
pub(crate) fn parse_file(path: &Path, cfg: &ExclusionConfig) -> Result<Parsed, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    // A fixed "now" keeps date plausibility checks reproducible.
    let meta = SourceMeta { seen_at: None, now: 1_767_225_600 };
    let mail = parse::parse(&bytes, meta, &Limits::default()).map_err(|e| e.to_string())?;
    let exclusion = exclusion(&mail, cfg);
    let clean_text = clean_body(&mail.body, is_forward(&mail.subject_raw));
    Ok(Parsed { mail, exclusion, clean_text })
}

/// Collapses every run of white space (U+00A0 included) to one space.
pub(crate) fn squash(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

use std::sync::OnceLock;

use urpmail::classify::bayes::TrainParams;
use urpmail::commands::{self, ModelChoice, RulesChoice};

/// A model trained once per test run on the shipped Italian corpus (model only).
pub(crate) fn corpus_model() -> PathBuf {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let out = dir.path().join("corpus.model");
            let args = commands::train::Args {
                data: repo().join("models/corpus"),
                out: out.clone(),
                rules: RulesChoice::None,
                params: TrainParams::default(),
                threads: 0,
            };
            commands::train::run(&args).expect("train on the corpus");
            (dir, out)
        })
        .1
        .clone()
}

/// Runs `classify` in-process and returns the JSON records.
pub(crate) fn classify(
    paths: &[PathBuf],
    model: &Path,
    threads: usize,
    explain: bool,
) -> Vec<serde_json::Value> {
    let args = commands::classify::Args {
        paths: paths.to_vec(),
        model: ModelChoice::File(model.to_path_buf()),
        rules: RulesChoice::None,
        explain,
        threads,
        limits: Limits::default(),
        progress: false,
    };
    let mut out = Vec::new();
    commands::classify::run(&args, &mut out).expect("classify runs");
    String::from_utf8(out)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The mail-parser crate's own test messages, if its sources are in the cargo registry.
pub(crate) fn mail_parser_resources() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = std::fs::read_dir(home.join("registry/src")).ok()?;
    src.filter_map(|e| e.ok()).map(|e| e.path().join("mail-parser-0.11.9/resources")).find(|p| p.is_dir())
}

/// `../shared/data`, if present (it is for developers and CI, not for users).
pub(crate) fn shared_data() -> Option<PathBuf> {
    let p = repo().join("../shared/data");
    p.is_dir().then_some(p)
}

/// A store file as a store target.
pub(crate) fn t(store: &Path) -> urpmail::store::StoreTarget {
    urpmail::store::StoreTarget::File(store.to_path_buf())
}
