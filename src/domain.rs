//! Small shared types of the pipeline: channels, exclusion reasons, skip reasons and kinds,
//! message status, review reasons, decision provenance, IMAP UIDs and message locations. Topics
//! live in [`crate::classify::taxonomy`]. Each enum keeps its stable identifier (`as_str`) for
//! outputs and the store; inside the program they stay enums.

use std::fmt;
use std::path::PathBuf;

/// How a message reached the comune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Ordinary e-mail.
    Email,
    /// Posta elettronica certificata (a transport or anomaly envelope was unwrapped).
    Pec,
}

impl Channel {
    /// Stable identifier used in outputs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Pec => "pec",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message is not a citizen's request and is never counted in the theme tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExclusionReason {
    /// PEC receipts and provider notices (accettazione, consegna, anomalie di consegna...).
    PecReceipt,
    /// Automatic replies (out of office, vacation, RFC 3834).
    AutoReply,
    /// Bounces and delivery status notifications.
    Bounce,
    /// Newsletters, mailing lists and bulk mail.
    Bulk,
    /// Mail from the comune's own offices or systems (configured domains and addresses).
    Internal,
}

impl ExclusionReason {
    /// All reasons, in the order reports list them.
    pub const ALL: [ExclusionReason; 5] = [
        ExclusionReason::PecReceipt,
        ExclusionReason::AutoReply,
        ExclusionReason::Bounce,
        ExclusionReason::Bulk,
        ExclusionReason::Internal,
    ];

    /// Stable identifier used in outputs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionReason::PecReceipt => "pec-receipt",
            ExclusionReason::AutoReply => "auto-reply",
            ExclusionReason::Bounce => "bounce",
            ExclusionReason::Bulk => "bulk",
            ExclusionReason::Internal => "internal",
        }
    }

    /// Parses the stable identifier back.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Italian label for staff-facing reports.
    pub fn label_it(self) -> &'static str {
        match self {
            ExclusionReason::PecReceipt => "Ricevute e avvisi PEC",
            ExclusionReason::AutoReply => "Risposte automatiche",
            ExclusionReason::Bounce => "Mancati recapiti",
            ExclusionReason::Bulk => "Newsletter e posta massiva",
            ExclusionReason::Internal => "Posta interna del Comune",
        }
    }
}

impl fmt::Display for ExclusionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message could not be read at all. It is recorded, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Zero bytes.
    Empty,
    /// Larger than the configured maximum.
    TooLarge { size: usize, limit: usize },
    /// Not recognisable as an RFC 5322 message.
    NotAMessage,
    /// The source could not be read (I/O error), with the error text.
    Unreadable(String),
    /// The MIME parser failed internally on this input.
    ParserFailure,
    /// More MIME parts than the configured maximum (attached messages' parts included).
    TooManyParts { limit: usize },
    /// MIME nesting deeper than the configured maximum.
    TooDeep { limit: usize },
}

impl SkipReason {
    /// The kind of skip, without the details: what counts and the run ledger group by.
    pub fn kind(&self) -> SkipKind {
        match self {
            SkipReason::Empty => SkipKind::Empty,
            SkipReason::TooLarge { .. } => SkipKind::TooLarge,
            SkipReason::NotAMessage => SkipKind::NotAMessage,
            SkipReason::Unreadable(_) => SkipKind::Unreadable,
            SkipReason::ParserFailure => SkipKind::ParserFailure,
            SkipReason::TooManyParts { .. } => SkipKind::TooManyParts,
            SkipReason::TooDeep { .. } => SkipKind::TooDeep,
        }
    }
}

/// The kind of a [`SkipReason`]. Its identifier is the text before the first `:` of the reason's
/// message, which is how stores written before the kind had its own column group skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipKind {
    Empty,
    TooLarge,
    NotAMessage,
    Unreadable,
    ParserFailure,
    TooManyParts,
    TooDeep,
}

impl SkipKind {
    /// Stable identifier used in outputs, the run ledger and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipKind::Empty => "empty message",
            SkipKind::TooLarge => "message too large",
            SkipKind::NotAMessage => "not an e-mail message",
            SkipKind::Unreadable => "unreadable",
            SkipKind::ParserFailure => "parser failure",
            SkipKind::TooManyParts => "too many MIME parts",
            SkipKind::TooDeep => "MIME nesting too deep",
        }
    }
}

impl fmt::Display for SkipKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a message, as the store and the counts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// A citizen's message with a topic: counted in the theme tables.
    Classified,
    /// Not a citizen's request (an [`ExclusionReason`]): listed apart, never counted.
    Excluded,
    /// Could not be read (a [`SkipReason`]): recorded, never counted.
    Skipped,
}

impl Status {
    /// Stable identifier used in outputs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Classified => "classified",
            Status::Excluded => "excluded",
            Status::Skipped => "skipped",
        }
    }

    /// Parses the stable identifier back (the store edge).
    pub fn parse(s: &str) -> Option<Self> {
        [Status::Classified, Status::Excluded, Status::Skipped].into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a decision is flagged for staff review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewReason {
    /// The confidence is under the topic's review threshold.
    LowConfidence,
    /// The rules' best topic and the model's differ.
    RulesModelDisagree,
    /// The model found none of its terms in the message.
    NoModelEvidence,
    /// Nothing scored: the residual topic was assigned.
    NoEvidence,
    /// Only weak rule terms scored, too little to decide without a model.
    WeakEvidenceOnly,
}

impl ReviewReason {
    /// Stable identifier used in outputs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewReason::LowConfidence => "low-confidence",
            ReviewReason::RulesModelDisagree => "rules-model-disagree",
            ReviewReason::NoModelEvidence => "no-model-evidence",
            ReviewReason::NoEvidence => "no-evidence",
            ReviewReason::WeakEvidenceOnly => "weak-evidence-only",
        }
    }

    /// Parses the stable identifier back (the store edge).
    pub fn parse(s: &str) -> Option<Self> {
        [
            ReviewReason::LowConfidence,
            ReviewReason::RulesModelDisagree,
            ReviewReason::NoModelEvidence,
            ReviewReason::NoEvidence,
            ReviewReason::WeakEvidenceOnly,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Empty => f.write_str("empty message"),
            SkipReason::TooLarge { size, limit } => {
                write!(f, "message too large: {size} bytes, limit {limit}")
            }
            SkipReason::NotAMessage => f.write_str("not an e-mail message: no headers found"),
            SkipReason::Unreadable(e) => write!(f, "unreadable: {e}"),
            SkipReason::ParserFailure => {
                f.write_str("parser failure: the MIME parser could not handle this message")
            }
            SkipReason::TooManyParts { limit } => {
                write!(f, "too many MIME parts: more than {limit} (limits.max_mime_parts)")
            }
            SkipReason::TooDeep { limit } => {
                write!(f, "MIME nesting too deep: more than {limit} levels (limits.max_mime_depth)")
            }
        }
    }
}

/// Which evidence decided the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecidedBy {
    /// Keyword rules alone.
    Rules,
    /// The naive-Bayes model alone.
    Model,
    /// Rules and model agreed.
    Both,
    /// Nothing scored: the residual topic was assigned.
    Fallback,
    /// The message was excluded before classification.
    Exclusion,
}

impl DecidedBy {
    /// Stable identifier used in outputs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Rules => "rules",
            DecidedBy::Model => "model",
            DecidedBy::Both => "both",
            DecidedBy::Fallback => "fallback",
            DecidedBy::Exclusion => "exclusion",
        }
    }
}

/// An IMAP UID (RFC 3501 §2.3.1.1): names one message of a mailbox, but only together with the
/// mailbox's [`UidValidity`]. Raw `u32`s exist only at the IMAP and store edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub u32);

impl Uid {
    /// The UID after this one (saturating: UIDs are 32-bit and never wrap).
    pub fn next(self) -> Uid {
        Uid(self.0.saturating_add(1))
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A mailbox's UIDVALIDITY: when it changes, every UID the store remembers names nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UidValidity(pub u32);

impl fmt::Display for UidValidity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a message was found, so it can be read again (bodies are never stored). Displayed as
/// the name outputs give it: the path, `path#index` inside an mbox, `sample:NAME`, or an IMAP
/// URL (RFC 5092).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A message file, or entry `mbox_index` of an mbox file.
    File { path: PathBuf, mbox_index: Option<u32> },
    /// A message on an IMAP server.
    Imap { account: String, mailbox: String, uidvalidity: UidValidity, uid: Uid },
    /// A message of the built-in sample mailbox, by file name.
    Sample { name: String },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, mbox_index: Some(i) } => write!(f, "{}#{i}", path.display()),
            Location::File { path, mbox_index: None } => write!(f, "{}", path.display()),
            Location::Sample { name } => write!(f, "sample:{name}"),
            Location::Imap { account, mailbox, uidvalidity, uid } => {
                write!(f, "imap://{account}/{mailbox};UIDVALIDITY={uidvalidity}/;UID={uid}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_kind_is_the_prefix_older_stores_grouped_by() {
        // Stores written before migration 5 have only the reason text; migration 5 derives the
        // kind from the text before its first ':', so both must agree for every reason.
        let all = [
            SkipReason::Empty,
            SkipReason::TooLarge { size: 10, limit: 5 },
            SkipReason::NotAMessage,
            SkipReason::Unreadable("Permission denied (os error 13)".into()),
            SkipReason::ParserFailure,
            SkipReason::TooManyParts { limit: 3 },
            SkipReason::TooDeep { limit: 2 },
        ];
        for r in all {
            let text = r.to_string();
            assert_eq!(text.split(':').next(), Some(r.kind().as_str()), "{text}");
        }
    }

    #[test]
    fn identifiers_parse_back() {
        for s in [Status::Classified, Status::Excluded, Status::Skipped] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for r in [
            ReviewReason::LowConfidence,
            ReviewReason::RulesModelDisagree,
            ReviewReason::NoModelEvidence,
            ReviewReason::NoEvidence,
            ReviewReason::WeakEvidenceOnly,
        ] {
            assert_eq!(ReviewReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(Status::parse("classified "), None);
    }
}
