//! # urpmail
//!
//! Classifies the e-mail of an Italian comune's URP (Ufficio Relazioni con il Pubblico) into a
//! versioned topic taxonomy and counts it for the yearly "temi trattati via e-mail" tables.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`source`]: where raw messages come from (`.eml` files, directories, Maildir, mbox, IMAP
//!    read-only), each with its [`domain::Location`] so it can be read again.
//! 2. [`parse`]: bytes → [`parse::ParsedMail`] (MIME, charsets, HTML, PEC envelopes), and the
//!    exclusion filter ([`parse::exclude`]) for receipts, auto-replies, bounces, bulk and internal
//!    mail.
//! 3. [`text`]: body cleaning (quotes, signatures, disclaimers), the Italian/English analyzer and
//!    redaction of personal data.
//! 4. [`classify`]: taxonomy, rules, naive-Bayes model (linfa) and the decision with its
//!    explanation.
//! 5. [`pipeline`]: the pure function from raw message to [`pipeline::Outcome`] (classified,
//!    excluded or skipped).
//! 6. `batch`: outcomes converted for the [`store`] and written with their checkpoint;
//!    [`store`] is the embedded SQLite store behind a seam for other backends.
//! 7. [`report`]: theme tables, workbook, chart and review file, rendered in memory.
//!
//! Around it: [`daemon`] runs the pipeline as a service (fetch, process and write stages, until
//! a shutdown future resolves); [`commands`] are the CLI commands, with validated arguments;
//! [`config`] loads `urpmail.toml` and the taxonomy mapping; [`domain`] holds the small shared
//! types. Crate-private: `output` (the `classify` JSON records), `eval` (accuracy metrics),
//! `defaults` (the built-in rules, model and sample mailbox).
//!
//! Library code never prints: data goes to the writers the commands are given, logs go through
//! `tracing`.

pub(crate) mod access;
pub(crate) mod batch;
pub mod classify;
pub mod commands;
pub mod config;
pub mod daemon;
pub(crate) mod defaults;
pub mod domain;
pub(crate) mod eval;
pub(crate) mod output;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod store;
pub mod text;
pub(crate) mod tls;
pub mod web;
