//! Faults beyond the Dovecot tests: a server that speaks broken IMAP, closes mid-literal or
//! never answers (a tiny loopback TCP server in the test), and a store that a report keeps
//! busy. Every case ends with a clear error or a correct result, in bounded time.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let pw = dir.join("pw");
    std::fs::write(&pw, "secret\n").expect("write");
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let conf = dir.join("u.toml");
    std::fs::write(
        &conf,
        format!(
            "version = 1\n[store]\npath = {:?}\n[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"test\"\npassword_file = {:?}\nmailboxes = [\"INBOX\"]\ntimeout_secs = 2\n",
            dir.join("s.db").display().to_string(),
            pw.display().to_string()
        ),
    )
    .expect("write");
    conf
}

/// Serves one connection with `script`: for each client line, what to answer (None = hang up).
fn serve(greeting: Option<&'static str>, script: fn(&str, &str) -> Option<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        // Bounded: serve a few connections then stop.
        for stream in listener.incoming().take(3).flatten() {
            let mut w = stream.try_clone().expect("clone");
            let mut r = BufReader::new(stream);
            let Some(g) = greeting else {
                std::thread::sleep(Duration::from_secs(5)); // never greets: the client must time out
                continue;
            };
            let _ = w.write_all(g.as_bytes());
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                let tag = line.split_whitespace().next().unwrap_or("*").to_string();
                match script(&tag, line.trim_end()) {
                    Some(answer) => {
                        let _ = w.write_all(answer.as_bytes());
                    }
                    None => break,
                }
                line.clear();
            }
        }
    });
    port
}

fn poll(conf: &Path) -> (Output, Duration) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_urpmail"))
        .args(["poll", "--once", "--config"])
        .arg(conf)
        .output()
        .expect("runs");
    (out, t.elapsed())
}

fn login_ok(tag: &str, line: &str) -> Option<String> {
    let upper = line.to_ascii_uppercase();
    if upper.contains(" LOGIN ") {
        Some(format!("{tag} OK logged in\r\n"))
    } else if upper.contains(" CAPABILITY") {
        Some(format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"))
    } else {
        None
    }
}

#[test]
fn garbage_after_login_is_a_clear_retryable_error() {
    let port = serve(Some("* OK fake\r\n"), |tag, line| {
        if line.to_ascii_uppercase().contains("EXAMINE") {
            Some(
                "\u{1}\u{2} ))) this is not IMAP at all ((( \r\n* 99999999999999999999 EXISTS\r\n"
                    .to_string()
                    + tag
                    + " BAD ???\r\n",
            )
        } else {
            login_ok(tag, line)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, took) = poll(&config(dir.path(), port));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(matches!(out.status.code(), Some(2) | Some(75)), "{:?} {err}", out.status.code());
    assert!(err.contains("urp"), "names the account: {err}");
    assert!(took < Duration::from_secs(20));
}

#[test]
fn a_connection_closed_mid_literal_does_not_advance_anything() {
    let port = serve(Some("* OK fake\r\n"), |tag, line| {
        let up = line.to_ascii_uppercase();
        if up.contains("EXAMINE") {
            Some(format!(
                "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n{tag} OK [READ-ONLY] done\r\n"
            ))
        } else if up.contains("RFC822.SIZE)") && !up.contains("BODY") {
            Some(format!("* 1 FETCH (UID 1 RFC822.SIZE 500)\r\n{tag} OK done\r\n"))
        } else if up.contains("BODY.PEEK") {
            // Announce a 500-byte literal, send 20 bytes, hang up.
            Some("* 1 FETCH (UID 1 RFC822.SIZE 500 BODY[] {500}\r\nFrom: a@example.org\r\n".to_string())
        } else {
            login_ok(tag, line)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, took) = poll(&config(dir.path(), port));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "connection trouble is EX_TEMPFAIL: {err}");
    assert!(took < Duration::from_secs(20));
    // Nothing recorded, the checkpoint did not move past the unread message.
    let st = Command::new(env!("CARGO_BIN_EXE_urpmail"))
        .args(["status", "--format", "json", "--store"])
        .arg(dir.path().join("s.db"))
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).expect("json");
    assert_eq!(v["messages"], 0);
    assert_eq!(v["mailboxes"][0]["last_uid"], 0, "{v}");
    assert_eq!(v["last_run"]["status"], "failed");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let port = serve(None, |_, _| None);
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, took) = poll(&config(dir.path(), port));
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("greeting"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(15), "timeout_secs = 2 bounds the wait: {took:?}");
}

#[test]
fn a_report_reading_the_store_does_not_block_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("s.db");
    let samples = crate::support::repo().join("samples/mailbox");
    let run = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_urpmail"))
            .args(args)
            .arg(&store)
            .arg(&samples)
            .output()
            .expect("runs")
    };
    assert!(run(&["-q", "ingest", "--store"]).status.success());
    // A long read transaction (a report) holds a snapshot while the writer works (WAL).
    let reader = rusqlite::Connection::open(&store).expect("open");
    reader.execute_batch("BEGIN; SELECT COUNT(*) FROM messages;").expect("read tx");
    let out = run(&["-q", "ingest", "--store"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    reader.execute_batch("COMMIT").expect("end");
    // A writer holding the lock for a while: the ingest waits for it (busy timeout), then works.
    let holder = rusqlite::Connection::open(&store).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE;").expect("lock");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        holder.execute_batch("COMMIT").expect("release");
    });
    let out = run(&["-q", "ingest", "--store"]);
    releaser.join().expect("thread");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
