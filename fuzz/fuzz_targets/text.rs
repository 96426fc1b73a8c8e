//! Body cleaning, the Italian analyzer chain and redaction on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urpmail::text::{Analyzer, Language};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = urpmail::text::clean::clean_body(&s, false);
    let cleaned = urpmail::text::clean::clean_body(&s, true);
    let _ = Analyzer::new(Language::Italian).terms(&cleaned);
    let _ = urpmail::text::redact::redact(&s);
});
