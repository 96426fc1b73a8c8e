//! The shipped defaults compiled into the binary: the Italian rules (`rules/urp-it.toml`), the
//! model trained on the shipped corpus (`models/urp-it.model`) and the sample mailbox
//! (`samples/mailbox`). Paths given on the command line override them.

include!(concat!(env!("OUT_DIR"), "/defaults.rs"));

/// Name used for the embedded rules in messages.
pub(crate) const RULES_NAME: &str = "<built-in rules/urp-it.toml>";
/// Name used for the embedded model in messages.
pub(crate) const MODEL_NAME: &str = "<built-in models/urp-it.model>";

/// The embedded rules text, if the source tree had it at build time.
pub(crate) fn rules() -> Option<&'static str> {
    RULES_TEXT
}

/// The embedded model bytes, if the source tree had it at build time.
pub(crate) fn model() -> Option<&'static [u8]> {
    MODEL_BYTES
}

/// The embedded sample mailbox: (name, bytes) per message, in name order.
pub(crate) fn sample_mailbox() -> &'static [(&'static str, &'static [u8])] {
    SAMPLE_MAILBOX
}
