//! Local sources: a path is an `.eml` file, a directory (recursive; every regular file is one
//! message), a Maildir (`cur/` and `new/`, never `tmp/`) or an mbox (a file that starts with
//! `From `). Order is stable: directory entries are sorted by name.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::RawMessage;
use crate::domain::Location;

/// Errors naming a path the user gave.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A unit of input: one message file or one mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    File(PathBuf),
    Mbox(PathBuf),
}

/// Expands user paths into items. Fails only when a given path does not exist or a directory
/// cannot be listed; unreadable files inside become skips later.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Item>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|e| SourceError::Io { path: p.clone(), source: e })?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(classify_file(p));
        }
    }
    Ok(out)
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn walk(dir: &Path, out: &mut Vec<Item>) -> Result<(), SourceError> {
    let io = |e| SourceError::Io { path: dir.to_path_buf(), source: e };
    let maildir = is_maildir(dir);
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir).map_err(io)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // symlink_metadata: never follow links (no loops, no escaping the tree).
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if maildir && name == "tmp" {
                continue; // messages being delivered
            }
            if maildir && name != "cur" && name != "new" && !name.starts_with('.') {
                continue;
            }
            walk(&path, out)?;
        } else if meta.is_file() {
            if maildir {
                continue; // dovecot-uidlist, index files: not messages
            }
            out.push(classify_file(&path));
        }
    }
    Ok(())
}

fn classify_file(path: &Path) -> Item {
    let mut head = [0u8; 5];
    let is_mbox = File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| &head == b"From ")
        .unwrap_or(false);
    if is_mbox { Item::Mbox(path.to_path_buf()) } else { Item::File(path.to_path_buf()) }
}

fn mtime(path: &Path) -> Option<i64> {
    fs::metadata(path)
        .ok()?
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
}

/// Where a message file recorded at `path` is now: `path` itself, or, when it is gone from a
/// Maildir's `cur/` or `new/`, the file of the same message there now. A mail client moves a
/// message from `new/` to `cur/` and renames it when its flags change (`NAME:2,S`); the part
/// before the `:` (or `!`, where `:` is not allowed in names) names the message for good.
pub fn find_moved(path: &Path) -> PathBuf {
    if path.exists() {
        return path.to_path_buf();
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return path.to_path_buf();
    };
    let (Some(maildir), Some(sub)) = (dir.parent(), dir.file_name().and_then(|n| n.to_str())) else {
        return path.to_path_buf();
    };
    if !(sub == "cur" || sub == "new") || !is_maildir(maildir) {
        return path.to_path_buf();
    }
    let unique = |n: &str| n.split([':', '!']).next().unwrap_or(n).to_string();
    let wanted = unique(name);
    for sub in ["cur", "new"] {
        let Ok(entries) = fs::read_dir(maildir.join(sub)) else { continue };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_str().is_some_and(|n| unique(n) == wanted))
            .map(|e| e.path())
            .collect();
        found.sort();
        if let Some(p) = found.into_iter().next() {
            return p;
        }
    }
    path.to_path_buf()
}

/// Reads a message file, refusing (as a skip) files over `max_bytes` without reading them.
pub fn read_file(path: &Path, max_bytes: usize) -> RawMessage {
    let location = Location::File { path: path.to_path_buf(), mbox_index: None };
    let seen_at = mtime(path);
    let bytes = (|| {
        let f = File::open(path).map_err(|e| e.to_string())?;
        let len = f.metadata().map_err(|e| e.to_string())?.len();
        if len > max_bytes as u64 {
            return Err(format!("file of {len} bytes exceeds the limit of {max_bytes}"));
        }
        let mut buf = Vec::with_capacity(len as usize);
        // Saturating: `usize::MAX` means "no limit" (re-reading for `learn`), not 0 bytes.
        f.take((max_bytes as u64).saturating_add(1)).read_to_end(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    })();
    RawMessage { location, bytes, seen_at }
}

/// Iterates all messages of all items in order, lazily.
pub fn messages(items: Vec<Item>, max_bytes: usize) -> impl Iterator<Item = RawMessage> {
    items.into_iter().flat_map(move |item| -> Box<dyn Iterator<Item = RawMessage>> {
        match item {
            Item::File(p) => Box::new(std::iter::once(read_file(&p, max_bytes))),
            Item::Mbox(p) => mbox_messages(p),
        }
    })
}

fn mbox_messages(path: PathBuf) -> Box<dyn Iterator<Item = RawMessage>> {
    match File::open(&path) {
        Ok(f) => {
            let it = mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(f));
            Box::new(it.enumerate().map(move |(i, m)| {
                let location = Location::File { path: path.clone(), mbox_index: Some(i as u32) };
                match m {
                    Ok(m) => {
                        let seen_at = i64::try_from(m.internal_date()).ok().filter(|&t| t > 0);
                        RawMessage { location, bytes: Ok(m.unwrap_contents()), seen_at }
                    }
                    Err(_) => {
                        RawMessage { location, bytes: Err("malformed mbox entry".into()), seen_at: None }
                    }
                }
            }))
        }
        Err(e) => Box::new(std::iter::once(RawMessage {
            location: Location::File { path, mbox_index: None },
            bytes: Err(e.to_string()),
            seen_at: None,
        })),
    }
}
