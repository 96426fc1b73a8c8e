//! # urpmail
//!
//! Classifies the e-mail of an Italian comune's URP (Ufficio Relazioni con il Pubblico) into a
//! versioned topic taxonomy and counts it for the yearly "temi trattati via e-mail" tables.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`source`]: where raw messages come from (`.eml` files, directories, Maildir, mbox).
//! 2. [`parse`]: bytes → [`parse::ParsedMail`] (MIME, charsets, HTML, PEC envelopes), and the
//!    exclusion filter ([`parse::exclude`]) for receipts, auto-replies, bounces, bulk and internal
//!    mail.
//! 3. [`text`]: body cleaning (quotes, signatures, disclaimers) and the Italian/English analyzer.
//! 4. [`classify`]: taxonomy, naive-Bayes model (linfa) and the decision with its explanation.
//! 5. [`pipeline`]: the pure function from raw message to [`pipeline::Outcome`].
//! 6. [`commands`]: the CLI commands; [`output`] holds the JSON output types.
//!
//! Library code never prints: data goes to the writers the commands are given, logs go through
//! `tracing`.

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
