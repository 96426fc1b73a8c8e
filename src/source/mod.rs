//! Where raw messages come from. [`local`] reads `.eml` files, directories, Maildirs and mbox
//! files; [`imap`] reads IMAP mailboxes for the daemon. [`read_at`] reads messages again at the
//! [`Location`]s the store recorded (for `learn`), so one layer owns files and IMAP sessions.

pub mod imap;
pub mod local;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::Account;
use crate::domain::{Location, Uid, UidValidity};

/// One raw message as a source found it. Reading errors are carried, not thrown: they become
/// recorded skips.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Where it was found (and can be read again); its `Display` is the name outputs show.
    pub location: Location,
    /// The bytes, or why they could not be read.
    pub bytes: Result<Vec<u8>, String>,
    /// When the source saw it (file mtime, mbox/IMAP internal date), Unix seconds.
    pub seen_at: Option<i64>,
}

/// Reads the messages at `locations` again: files and mbox entries, the built-in sample mailbox,
/// and IMAP UIDs of the `accounts` (read-only, one session per account, blocking the calling
/// thread). One [`RawMessage`] per location, in order; a message that can no longer be reached
/// (file gone, account not configured or unreachable, UIDVALIDITY changed, UID expunged) has the
/// reason in `bytes`.
pub fn read_at(locations: &[Location], accounts: &[Account]) -> Vec<RawMessage> {
    let mut out: Vec<RawMessage> = locations
        .iter()
        .map(|l| RawMessage { location: l.clone(), bytes: Err(String::new()), seen_at: None })
        .collect();
    let mut imap: BTreeMap<&str, Vec<(usize, &str, UidValidity, Uid)>> = BTreeMap::new();
    // Entries of one mbox are read in one pass over it, however many are wanted.
    let mut mboxes: BTreeMap<PathBuf, Vec<(usize, u32)>> = BTreeMap::new();
    for (i, l) in locations.iter().enumerate() {
        match l {
            Location::File { path, mbox_index } => {
                let found = local::find_moved(path);
                match local::expand(std::slice::from_ref(&found)) {
                    Err(e) => out[i].bytes = Err(e.to_string()),
                    Ok(items) => match items.into_iter().next() {
                        Some(local::Item::Mbox(p)) => {
                            mboxes.entry(p).or_default().push((i, mbox_index.unwrap_or(0)))
                        }
                        Some(local::Item::File(p)) if mbox_index.unwrap_or(0) == 0 => {
                            out[i] = RawMessage { location: l.clone(), ..local::read_file(&p, usize::MAX) };
                        }
                        _ => {
                            out[i].bytes =
                                Err(format!("no message {} in {}", mbox_index.unwrap_or(0), path.display()))
                        }
                    },
                }
            }
            Location::Sample { name } => {
                let found = crate::defaults::sample_mailbox().iter().find(|(n, _)| n == name);
                out[i].bytes = found
                    .map(|(_, b)| b.to_vec())
                    .ok_or_else(|| "not in this urpmail's sample mailbox".to_string());
            }
            Location::Imap { account, mailbox, uidvalidity, uid } => {
                imap.entry(account.as_str()).or_default().push((i, mailbox, *uidvalidity, *uid));
            }
        }
    }
    for (path, mut wanted) in mboxes {
        wanted.sort_by_key(|&(_, index)| index);
        let last = wanted.last().map_or(0, |&(_, index)| index);
        let mut entries =
            local::messages(vec![local::Item::Mbox(path.clone())], usize::MAX).take(last as usize + 1);
        let mut at = 0u32;
        let mut current = entries.next();
        for (i, index) in wanted {
            while at < index && current.is_some() {
                current = entries.next();
                at += 1;
            }
            match &current {
                Some(raw) if at == index => {
                    out[i] = RawMessage { location: out[i].location.clone(), ..raw.clone() };
                }
                _ => out[i].bytes = Err(format!("no message {index} in {}", path.display())),
            }
        }
    }
    if imap.is_empty() {
        return out;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            for (i, ..) in imap.values().flatten() {
                out[*i].bytes = Err(format!("cannot start the async runtime: {e}"));
            }
            return out;
        }
    };
    for (name, wanted) in imap {
        let Some(account) = accounts.iter().find(|a| a.name == name) else {
            for (i, ..) in wanted {
                out[i].bytes = Err(format!("account {name} is not in the configuration"));
            }
            continue;
        };
        let uids: Vec<(&str, UidValidity, Uid)> = wanted.iter().map(|&(_, m, v, u)| (m, v, u)).collect();
        let read = runtime.block_on(imap::read_uids(account, &uids));
        for ((i, ..), r) in wanted.into_iter().zip(read) {
            match r {
                Ok(f) => {
                    out[i].bytes = Ok(f.bytes);
                    out[i].seen_at = f.internal_date;
                }
                Err(e) => out[i].bytes = Err(e),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::read_at;
    use crate::domain::{Location, Uid, UidValidity};

    #[test]
    fn a_message_carries_where_it_was_read() {
        // A plain file whose name looks like an mbox entry ("note#3") is still a plain file.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("note#3");
        std::fs::write(&file, b"Subject: tre\n\ntre\n").expect("write");
        let mbox = dir.path().join("box.mbox");
        std::fs::write(&mbox, b"From a@b Mon Jan  1 00:00:00 2024\nSubject: zero\n\n0\n").expect("write");
        let items = super::local::expand(&[file.clone(), mbox.clone()]).expect("expand");
        let read: Vec<_> = super::local::messages(items, 1 << 20).map(|m| m.location).collect();
        assert_eq!(
            read,
            vec![
                Location::File { path: file.clone(), mbox_index: None },
                Location::File { path: mbox.clone(), mbox_index: Some(0) },
            ]
        );
        assert_eq!(read[0].to_string(), file.display().to_string());
        assert_eq!(read[1].to_string(), format!("{}#0", mbox.display()));
    }

    #[test]
    fn read_at_reads_files_mbox_entries_and_the_sample_and_says_why_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let eml = dir.path().join("one.eml");
        std::fs::write(&eml, b"Subject: uno\n\nuno\n").expect("write");
        let mbox = dir.path().join("box.mbox");
        std::fs::write(&mbox, b"From a@b Mon Jan  1 00:00:00 2024\nSubject: zero\n\n0\n\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: due\n\n2\n")
            .expect("write");
        let sample = crate::defaults::sample_mailbox().first().map(|(n, b)| (n.to_string(), b.to_vec()));
        let mut locations = vec![
            Location::File { path: eml.clone(), mbox_index: None },
            Location::File { path: mbox.clone(), mbox_index: Some(1) },
            Location::File { path: mbox.clone(), mbox_index: None },
            Location::File { path: dir.path().join("gone.eml"), mbox_index: None },
            Location::Imap {
                account: "urp".into(),
                mailbox: "INBOX".into(),
                uidvalidity: UidValidity(1),
                uid: Uid(7),
            },
            Location::Sample { name: "no-such-sample".into() },
        ];
        if let Some((name, _)) = &sample {
            locations.push(Location::Sample { name: name.clone() });
        }
        let read = read_at(&locations, &[]);
        assert_eq!(read.len(), locations.len());
        let text = |i: usize| read[i].bytes.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
        assert!(text(0).expect("file").contains("Subject: uno"));
        assert!(text(1).expect("mbox entry 1").contains("Subject: due"));
        assert!(text(2).expect("mbox entry 0").contains("Subject: zero"));
        assert_eq!(read[1].location.to_string(), format!("{}#1", mbox.display()));
        assert!(read[3].bytes.is_err(), "a missing file is an error, not a panic");
        let imap = read[4].bytes.as_ref().expect_err("no account configured");
        assert!(imap.contains("urp"), "{imap}");
        assert!(read[5].bytes.is_err());
        if let Some((_, bytes)) = sample {
            assert_eq!(read[6].bytes.as_ref().ok(), Some(&bytes));
        }
    }
}
