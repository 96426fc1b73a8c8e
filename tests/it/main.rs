#![allow(clippy::print_stderr, clippy::unwrap_used)]

//! Integration tests, one module per area (one test binary keeps linking fast).

mod blind;
mod cli;
mod corpora;
mod daemons;
mod decisions;
mod dovecot;
mod faults;
mod fuzz_regressions;
mod golden;
mod hostile;
mod imap;
mod learning;
mod package;
mod pg_cli;
mod postgres;
mod publish;
mod robustness;
mod staff;
mod store;
mod support;
mod web;
