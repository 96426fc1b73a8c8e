//! Raw message bytes through mail-parser, PEC unwrapping, the exclusion filter and body cleaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urpmail::parse::exclude::{ExclusionConfig, exclusion};
use urpmail::parse::{Limits, SourceMeta, parse};

fuzz_target!(|data: &[u8]| {
    let meta = SourceMeta { seen_at: None, now: 1_767_225_600 };
    if let Ok(m) = parse(data, meta, &Limits::default()) {
        let _ = exclusion(&m, &ExclusionConfig::default());
        let _ = urpmail::pipeline::clean_text(&m);
    }
});
