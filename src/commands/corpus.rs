//! Labelled corpora for `train` and `eval`: `DIR/<label>/<message files>`, listed, parsed and
//! analysed in parallel.

use std::path::{Path, PathBuf};

use super::{Error, now, thread_pool};
use crate::parse::{self, Limits, ParsedMail, SourceMeta};
use crate::source::local;

/// A labelled corpus: `DIR/<label>/**/<file>`, one message per file. Labels sorted.
#[derive(Debug)]
pub struct Corpus {
    pub labels: Vec<String>,
    /// (label index, file path)
    pub files: Vec<(usize, PathBuf)>,
}

/// Lists a labelled corpus directory.
pub fn read_corpus(dir: &Path) -> Result<Corpus, Error> {
    let io = |e: std::io::Error| Error::Input(format!("{}: {e}", dir.display()));
    let mut label_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    label_dirs.sort();
    let mut labels = Vec::new();
    let mut files = Vec::new();
    for d in label_dirs {
        let label = d.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let items = local::expand(std::slice::from_ref(&d))?;
        let mut n = 0;
        for item in items {
            let (local::Item::File(p) | local::Item::Mbox(p)) = item;
            files.push((labels.len(), p));
            n += 1;
        }
        if n > 0 {
            labels.push(label);
        }
    }
    if labels.len() < 2 {
        return Err(Error::Input(format!(
            "{}: a corpus needs at least two label folders with files (DIR/<label>/<message>)",
            dir.display()
        )));
    }
    // Re-index labels after dropping empty folders.
    Ok(Corpus { labels, files })
}

/// Parses one corpus file for training/evaluation; `None` (with a warning) if unreadable.
pub fn parse_file(path: &Path, limits: &Limits) -> Option<(ParsedMail, Vec<u8>)> {
    let raw = local::read_file(path, limits.max_message_bytes);
    let bytes = match raw.bytes {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "skipping unreadable file");
            return None;
        }
    };
    match parse::parse(&bytes, SourceMeta { seen_at: raw.seen_at, now: now() }, limits) {
        Ok(p) => Some((p, bytes)),
        Err(reason) => {
            tracing::warn!(file = %path.display(), reason = %reason, "skipping file that is not a message");
            None
        }
    }
}

/// Parses and analyses every file of a corpus in parallel (input order kept); `None` for files
/// that are not messages (logged by [`parse_file`]).
pub fn analyze_corpus(
    corpus: &Corpus,
    cfg: &crate::classify::features::FeatureConfig,
    lang: crate::text::Language,
    threads: usize,
) -> Result<Vec<Option<(usize, crate::classify::features::AnalyzedText)>>, Error> {
    use rayon::prelude::*;
    let limits = Limits::default();
    let pool = thread_pool(threads)?;
    Ok(pool.install(|| {
        corpus
            .files
            .par_iter()
            .map(|(label, path)| {
                let (parsed, _) = parse_file(path, &limits)?;
                Some((
                    *label,
                    crate::text::with_analyzer(lang, |a| crate::pipeline::analyze_message(cfg, a, &parsed)),
                ))
            })
            .collect()
    }))
}
