//! Service configuration (TOML) validation; environment look-ups always answer "x".
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = urpmail::config::Config::parse(s, Path::new("/fuzz/urpmail.toml"), &|_| Some("x".into()));
    }
});
