//! Hostile and malformed mail: every message is classified or a recorded skip with a reason, the
//! run goes on, nothing panics, and secrets, bodies and addresses never reach the logs.

use std::path::Path;
use std::process::Command;

use urpmail::commands::{ModelChoice, RulesChoice};
use urpmail::parse::Limits;

use crate::support::{classify, corpus_model};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write");
}

/// A multipart message with `n` small text parts.
fn many_parts(n: usize) -> String {
    let mut parts = String::from(
        "From: b@example.org\nSubject: tante parti\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"X\"\n\n",
    );
    for i in 0..n {
        parts.push_str(&format!("--X\nContent-Type: text/plain\n\nparte {i} buca in via Roma\n"));
    }
    parts.push_str("--X--\n");
    parts
}

/// A message wrapped in `levels` message/rfc822 parts.
fn nested_messages(levels: usize) -> String {
    let mut nested = String::from("From: c@example.org\nSubject: livello 0\n\nil cimitero e il loculo\n");
    for i in 1..levels {
        nested = format!(
            "From: c@example.org\nSubject: livello {i}\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n{nested}"
        );
    }
    nested
}

#[test]
fn hostile_messages_are_classified_or_skipped_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // 30 MB message: over the default 25 MiB limit.
    let mut big = b"From: a@example.org\nSubject: allegato enorme\n\n".to_vec();
    big.resize(30 * 1024 * 1024, b'a');
    write(d, "01-big.eml", &big);
    // 10,000 MIME parts.
    write(d, "02-parts.eml", many_parts(10_000).as_bytes());
    // 1,000 nested message/rfc822 levels.
    write(d, "03-nested.eml", nested_messages(1000).as_bytes());
    // A 10 MB header line.
    let mut long = b"From: d@example.org\nSubject: ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    long.extend_from_slice(b"\n\nTARI\n");
    write(d, "04-long-header.eml", &long);
    // base64 of garbage.
    let mut garbage = b"From: e@example.org\nSubject: dati\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n".to_vec();
    garbage.extend((0..200_000u32).map(|i| b"!@#$%^&*()_+{}|:<>?~`\x00\xff"[(i % 22) as usize]));
    write(d, "05-base64-garbage.eml", &garbage);
    // Invalid UTF-8 in every header.
    let mut bad = Vec::new();
    for h in ["From", "To", "Subject", "Date", "Message-ID", "Content-Type", "Reply-To", "X-Trasporto"] {
        bad.extend_from_slice(h.as_bytes());
        bad.extend_from_slice(b": \xff\xfe\xc3\x28 \xed\xa0\x80\n");
    }
    bad.extend_from_slice(b"\nla mensa scolastica\n");
    write(d, "06-invalid-utf8.eml", &bad);
    // NUL bytes and a lone CR soup.
    write(d, "07-nul.eml", b"From: f@example.org\r\nSubject: \x00\x00\r\r\r\n\x00body\x00");
    let records = classify(&[d.to_path_buf()], &corpus_model(), 0, false);
    assert_eq!(records.len(), 7, "one record per file");
    let big = &records[0];
    assert!(big["skipped"].as_str().is_some_and(|s| s.contains("exceeds the limit")), "{big}");
    for r in &records {
        // Exactly one of: a topic, or a skip with its reason and no topic.
        assert!(r["topic"].is_string() != r["skipped"].is_string(), "{r}");
    }
    let skip = |i: usize| records[i]["skipped"].as_str().unwrap_or_default().to_string();
    assert!(skip(1).starts_with("too many MIME parts: more than 1000"), "10,000 parts: {}", records[1]);
    assert!(skip(2).starts_with("MIME nesting too deep: more than 32"), "1,000 levels: {}", records[2]);
    for i in [3, 4, 5, 6] {
        assert!(records[i]["skipped"].is_null(), "{}", records[i]);
    }
    // The long header line and the base64 garbage decode to more text than the default limit
    // keeps: classified on what is kept, and the record says so.
    assert_eq!(records[3]["text_truncated"], false, "a long subject is not body text");
}

/// The structure limits are limits, not hard-coded refusals: raised, the same messages parse.
#[test]
fn mime_limits_are_configurable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "01-parts.eml", many_parts(3_000).as_bytes());
    write(d, "02-nested.eml", nested_messages(40).as_bytes());
    let mut body = String::from("From: g@example.org\nSubject: lungo\n\n");
    while body.len() < 300_000 {
        body.push_str("la buca in via Roma è pericolosa per le biciclette. ");
    }
    write(d, "03-long-text.eml", body.as_bytes());
    let run = |limits: Limits| {
        let args = urpmail::commands::classify::Args {
            paths: vec![d.to_path_buf()],
            model: ModelChoice::File(corpus_model()),
            rules: RulesChoice::None,
            explain: false,
            threads: 1,
            limits,
            progress: false,
        };
        let mut out = Vec::new();
        urpmail::commands::classify::run(&args, &mut out).expect("classify runs");
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .collect::<Vec<_>>()
    };
    let strict = run(Limits::default());
    assert!(
        strict[0]["skipped"].as_str().is_some_and(|s| s.starts_with("too many MIME parts")),
        "{}",
        strict[0]
    );
    assert!(
        strict[1]["skipped"].as_str().is_some_and(|s| s.starts_with("MIME nesting too deep")),
        "{}",
        strict[1]
    );
    assert!(strict[2]["skipped"].is_null() && strict[2]["text_truncated"] == true, "{}", strict[2]);
    let loose = run(Limits {
        max_mime_parts: 5_000,
        max_mime_depth: 100,
        max_text_bytes: 1 << 20,
        ..Limits::default()
    });
    for r in &loose {
        assert!(r["skipped"].is_null(), "{r}");
        assert_eq!(r["text_truncated"], false, "{r}");
    }
    let tight = run(Limits { max_mime_parts: 2, max_mime_depth: 1, ..Limits::default() });
    assert!(tight[2]["skipped"].is_null(), "a one-part message passes the tightest limits: {}", tight[2]);
}

#[test]
fn logs_never_contain_bodies_addresses_or_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let planted_body = "PIANTATO-TESTO-segretissimo";
    let planted_addr = "mario.piantato@example.org";
    let msg = format!(
        "From: Mario <{planted_addr}>\nTo: urp@comune.example.it\nSubject: buca {planted_body}\nMessage-ID: <p1@x>\n\nC'e' una buca: {planted_body}\n"
    );
    write(d, "m.eml", msg.as_bytes());
    write(d, "broken.eml", b"\xff\xfe garbage without headers");
    let store = d.join("s.db");
    for args in [
        vec!["-vv", "--log-format", "json", "classify", "--explain"],
        vec!["-vv", "--log-format", "json", "ingest", "--store", store.to_str().expect("path")],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_urpmail")).args(&args).arg(d).output().expect("runs");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let logs = String::from_utf8_lossy(&out.stderr);
        assert!(!logs.is_empty(), "verbose runs do log");
        assert!(!logs.contains(planted_body) && !logs.contains(planted_addr), "{args:?} leaked: {logs}");
    }
    // The password of a configuration is never printed, even by `config check`.
    let pw = d.join("pw");
    std::fs::write(&pw, "S3greto-Piantato\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let conf = d.join("u.toml");
    std::fs::write(
        &conf,
        format!(
            "version = 1\n[store]\npath = {:?}\n[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\nusername = \"u\"\npassword_file = {:?}\nmailboxes = [\"INBOX\"]\ntimeout_secs = 2\n",
            store.display().to_string(),
            pw.display().to_string()
        ),
    )
    .expect("write");
    for args in [
        vec!["-vv", "config", "check", "--config"],
        vec!["-vv", "--log-format", "json", "poll", "--once", "--config"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_urpmail")).args(&args).arg(&conf).output().expect("runs");
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains("S3greto-Piantato"), "{args:?} leaked the password: {all}");
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(char::from(A[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The limits also hold inside a PEC envelope whose postacert.eml is base64-encoded.
#[test]
fn mime_limits_hold_inside_a_pec_envelope() {
    let fixture =
        std::fs::read_to_string(crate::support::repo().join("tests/fixtures/eml/pec-transport.eml"))
            .expect("fixture");
    let start = fixture.find("Content-Type: message/rfc822; name=\"postacert.eml\"").expect("postacert part");
    let end = fixture.find("------------=_1710234932-28471-64M--").expect("closing boundary");
    let inner = many_parts(2_000);
    let hostile = format!(
        "{}Content-Type: message/rfc822; name=\"postacert.eml\"\nContent-Disposition: inline; filename=\"postacert.eml\"\nContent-Transfer-Encoding: base64\n\n{}\n\n{}",
        &fixture[..start],
        base64(inner.as_bytes()),
        &fixture[end..]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "01-pec-many-parts.eml", hostile.as_bytes());
    // The same envelope with a small postacert.eml is read: only the limit makes the difference.
    let small = hostile.replace(
        &base64(inner.as_bytes()),
        &base64(b"From: b@example.org\nSubject: buca\n\nbuca in via Roma\n"),
    );
    write(dir.path(), "02-pec-small.eml", small.as_bytes());
    let records = classify(&[dir.path().to_path_buf()], &corpus_model(), 1, false);
    assert!(
        records[0]["skipped"].as_str().is_some_and(|s| s.starts_with("too many MIME parts")),
        "{}",
        records[0]
    );
    assert!(records[1]["skipped"].is_null(), "{}", records[1]);
    assert_eq!(records[1]["channel"], "pec", "{}", records[1]);
}
