//! Where raw messages come from. [`local`] reads `.eml` files, directories, Maildirs and mbox
//! files; the IMAP source arrives with the daemon.

pub mod imap;
pub mod local;

/// One raw message as a source found it. Reading errors are carried, not thrown: they become
/// recorded skips.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Where it was found: a file path, or `path#index` inside an mbox.
    pub source: String,
    /// The bytes, or why they could not be read.
    pub bytes: Result<Vec<u8>, String>,
    /// When the source saw it (file mtime, mbox/IMAP internal date), Unix seconds.
    pub seen_at: Option<i64>,
}
