//! The service against a real Dovecot on 127.0.0.1 (tests/it/dovecot.rs): TLS modes and CA
//! verification, first and incremental sync, \Seen untouched, UIDVALIDITY reset, duplicate
//! delivery, size limit, server killed mid-fetch, daemon killed mid-batch, IDLE wake-up,
//! graceful SIGTERM, and the library daemon stopped through its shutdown future. Counts must be
//! exact after every fault.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use urpmail::daemon::{self, Shared, SyncError};
use urpmail::domain::{Location, Uid, UidValidity};
use urpmail::store::Store;

use crate::dovecot::{Dovecot, RawImap};
use crate::support::repo;

fn urpmail() -> Command {
    Command::new(env!("CARGO_BIN_EXE_urpmail"))
}

/// The first `n` messages of the sample mailbox (real citizen mail, PEC, receipts...).
pub(crate) fn sample(n: usize) -> Vec<Vec<u8>> {
    let dir = repo().join("samples/mailbox/cur");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("sample").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, p)| unique(std::fs::read(p).expect("read"), i))
        .collect()
}

/// Gives a message a distinct Message-ID so repeated samples are distinct messages.
fn unique(bytes: Vec<u8>, i: usize) -> Vec<u8> {
    let mut out = format!("Message-ID: <copy-{i}@test.example>\n").into_bytes();
    let text = String::from_utf8_lossy(&bytes);
    for line in text.split_inclusive('\n') {
        if !line.to_ascii_lowercase().starts_with("message-id:") {
            out.extend_from_slice(line.as_bytes());
        }
    }
    out
}

struct Setup {
    /// Keeps the config, password file and store alive for the test.
    _dir: tempfile::TempDir,
    config: PathBuf,
    store: PathBuf,
}

fn config(d: &Dovecot, tls: &str, port: u16, extra: &str, mailboxes: &str) -> Setup {
    config_with_ca(d, tls, port, extra, mailboxes, &d.ca_pem())
}

fn config_with_ca(d: &Dovecot, tls: &str, port: u16, extra: &str, mailboxes: &str, ca: &Path) -> Setup {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = dir.path().join("pass");
    std::fs::write(&pw, format!("{}\n", d.password())).expect("write");
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let store = dir.path().join("urpmail.db");
    let config = dir.path().join("urpmail.toml");
    let text = format!(
        "version = 1\n{extra}\n[store]\npath = {:?}\n[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nca_file = {:?}\nusername = \"{}\"\npassword_file = {:?}\nmailboxes = {mailboxes}\nbatch_size = 20\ntimeout_secs = 10\npoll_interval_secs = 2\n",
        store.display().to_string(),
        ca.display().to_string(),
        d.user(),
        pw.display().to_string()
    );
    std::fs::write(&config, text).expect("write config");
    Setup { _dir: dir, config, store }
}

fn poll_once(s: &Setup) -> Output {
    urpmail().args(["-q", "poll", "--once", "--config"]).arg(&s.config).output().expect("runs")
}

fn status(s: &Setup) -> Value {
    let out = urpmail().args(["status", "--format", "json", "--store"]).arg(&s.store).output().expect("runs");
    assert!(out.status.success(), "status: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn messages(s: &Setup) -> u64 {
    if !s.store.exists() {
        return 0;
    }
    status(s)["messages"].as_u64().expect("messages")
}

fn ok(out: &Output) {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
}

/// Waits for a condition, polling, up to `limit`.
pub(crate) fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

#[test]
fn imaps_first_and_incremental_sync_leave_seen_untouched() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(40));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], 40, "{st}");
    assert_eq!(st["mailboxes"][0]["last_uid"], 40);
    assert_eq!(st["mailboxes"][0]["backlog"], 0);
    assert_eq!(st["last_run"]["status"], "ok");
    let total: u64 = st["classified"].as_u64().expect("n")
        + st["excluded"].as_object().expect("obj").values().map(|v| v.as_u64().expect("n")).sum::<u64>()
        + st["skipped"].as_u64().expect("n");
    assert_eq!(total, 40, "every message accounted for");
    // Incremental: five messages APPENDed by another client; only they are fetched.
    let mut other = RawImap::login(&d);
    for m in sample(45).into_iter().skip(40) {
        other.append("INBOX", &m);
    }
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], 45);
    assert_eq!(st["last_run"]["fetched"], 5);
    // Nothing new: nothing fetched, nothing counted twice.
    ok(&poll_once(&s));
    assert_eq!(status(&s)["messages"], 45);
    assert_eq!(d.seen_count("INBOX"), 0, "the staff's \\Seen flags are never changed");
    // The same, as a second IMAP client sees it.
    other.cmd("EXAMINE INBOX");
    let flags = other.cmd("FETCH 1:* (FLAGS)");
    assert_eq!(flags.matches("FETCH (FLAGS").count(), 45, "{flags}");
    assert!(!flags.contains("\\Seen"), "{flags}");
}

#[test]
fn starttls_verifies_the_ca_and_a_wrong_ca_is_refused() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(3));
    let s = config(&d, "starttls", d.imap_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    assert_eq!(messages(&s), 3);
    for (tls, port) in [("starttls", d.imap_port()), ("implicit", d.imaps_port())] {
        let bad = config_with_ca(&d, tls, port, "", "[\"INBOX\"]", &d.other_ca_pem());
        let out = poll_once(&bad);
        assert_eq!(out.status.code(), Some(2), "{tls}: {}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("TLS") && err.to_lowercase().contains("certificate"), "{err}");
        // The fix is named: the CA file given does not hold the signing CA.
        let ca = d.other_ca_pem().display().to_string();
        assert!(err.contains(&format!("not signed by the CA in ca_file {ca}")), "{err}");
        assert_eq!(err.matches("urpmail: error:").count(), 1, "printed once: {err}");
        assert!(!err.contains("Some(") && !err.contains(" ERROR "), "{err}");
        assert_eq!(messages(&bad), 0);
    }
}

#[test]
fn the_wrong_tls_mode_for_a_port_is_a_configuration_error_found_in_seconds() {
    let Some(d) = Dovecot::start() else { return };
    for (tls, port, fix) in [
        ("starttls", d.imaps_port(), "set tls = \"implicit\""),
        ("implicit", d.imap_port(), "set tls = \"starttls\""),
    ] {
        let s = config(&d, tls, port, "", "[\"INBOX\"]");
        let t0 = Instant::now();
        let out = poll_once(&s);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{tls} on port {port}: a configuration error, not retried: {err}"
        );
        assert!(err.contains(fix), "{tls} on port {port}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(t0.elapsed() < Duration::from_secs(9), "{tls} on port {port} took {:?}", t0.elapsed());
    }
}

#[test]
fn config_check_refuses_a_ca_file_without_a_certificate() {
    let Some(d) = Dovecot::start() else { return };
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let ca = s.store.with_file_name("ca.pem");
    std::fs::write(&ca, "not a certificate\n").expect("write");
    let text = std::fs::read_to_string(&s.config).expect("config");
    let text = text.replace(&d.ca_pem().display().to_string(), &ca.display().to_string());
    std::fs::write(&s.config, text).expect("write");
    let out = urpmail().args(["config", "check", "--config"]).arg(&s.config).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("account urp: ca_file") && err.contains("holds no certificate"), "{err}");
    let out = urpmail()
        .args(["config", "check", "--config"])
        .arg(&config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]").config)
        .output()
        .expect("runs");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("tls implicit (CA "), "no Debug output: {summary}");
}

#[test]
fn a_certificate_for_another_host_or_expired_is_refused() {
    let Some(mut d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(2));
    for (cert, expect) in [("wrong-name", "not valid for name"), ("expired", "expired")] {
        d.use_certificate(cert);
        for (tls, port) in [("implicit", d.imaps_port()), ("starttls", d.imap_port())] {
            let s = config(&d, tls, port, "", "[\"INBOX\"]");
            let out = poll_once(&s);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cert} over {tls}: {err}");
            assert!(err.contains("TLS") && err.to_lowercase().contains(expect), "{cert} over {tls}: {err}");
            assert_eq!(messages(&s), 0, "nothing stored over a refused connection");
        }
    }
    // The same server with its right certificate: the same setup works.
    d.use_certificate("good");
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    assert_eq!(messages(&s), 2);
}

#[test]
fn plaintext_only_to_loopback() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(2));
    let s = config(&d, "none", d.imap_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    assert_eq!(messages(&s), 2);
    let text =
        std::fs::read_to_string(&s.config).expect("config").replace("127.0.0.1", "imap.comune.example");
    std::fs::write(&s.config, text).expect("write");
    let out = urpmail().args(["config", "check", "--config"]).arg(&s.config).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
}

#[test]
fn uidvalidity_reset_rescans_without_double_counting() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(15));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    let before = status(&s);
    d.reset_uidvalidity("INBOX");
    ok(&poll_once(&s));
    let after = status(&s);
    assert_eq!(after["messages"], 15);
    assert_ne!(after["mailboxes"][0]["uidvalidity"], before["mailboxes"][0]["uidvalidity"]);
    assert_eq!(after["last_run"]["duplicates"], 15, "{after}");
}

#[test]
fn a_message_in_two_watched_mailboxes_counts_once() {
    let Some(d) = Dovecot::start() else { return };
    d.create_mailbox("PEC");
    let msgs = sample(4);
    d.deliver_many("INBOX", &msgs);
    d.deliver("PEC", &msgs[0]);
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"PEC\"]");
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], 4);
    assert_eq!(st["last_run"]["duplicates"], 1);
    assert_eq!(st["mailboxes"].as_array().expect("mailboxes").len(), 2);
}

#[test]
fn a_message_over_the_size_limit_is_a_recorded_skip() {
    let Some(d) = Dovecot::start() else { return };
    let mut big = b"From: a@example.org\nSubject: allegati enormi\nMessage-ID: <big@test>\nDate: Mon, 3 Mar 2025 10:00:00 +0100\n\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 20_000));
    big.push(b'\n');
    d.deliver("INBOX", &big);
    d.deliver_many("INBOX", &sample(2));
    let s = config(&d, "implicit", d.imaps_port(), "[limits]\nmax_message_bytes = 8192", "[\"INBOX\"]");
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], 3);
    assert_eq!(st["skipped"], 1);
    assert_eq!(st["mailboxes"][0]["last_uid"], 3, "the checkpoint moves past the skipped message");
    ok(&poll_once(&s));
    assert_eq!(status(&s)["messages"], 3);
}

fn spawn_poll(s: &Setup, once: bool) -> Child {
    let mut c = urpmail();
    c.args(["-q", "poll", "--config"]).arg(&s.config);
    if once {
        c.arg("--once");
    }
    c.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn")
}

#[test]
fn server_killed_mid_fetch_then_the_next_run_completes_exactly() {
    let Some(mut d) = Dovecot::start() else { return };
    let n = 1500;
    d.deliver_many("INBOX", &sample(n));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let child = spawn_poll(&s, true);
    assert!(wait_for(Duration::from_secs(60), || messages(&s) > 0), "first batch stored");
    d.kill();
    let out = child.wait_with_output().expect("wait");
    let stored = messages(&s);
    assert!(stored < n as u64, "the server died before the end ({stored})");
    assert_eq!(
        out.status.code(),
        Some(75),
        "unreachable server = EX_TEMPFAIL: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.restart();
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], n as u64, "no loss, no double count: {st}");
    assert_eq!(st["mailboxes"][0]["last_uid"], n as u64);
}

#[test]
fn daemon_killed_mid_batch_then_restarted_loses_nothing() {
    let Some(d) = Dovecot::start() else { return };
    let n = 1500;
    d.deliver_many("INBOX", &sample(n));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let mut child = spawn_poll(&s, false);
    assert!(wait_for(Duration::from_secs(60), || messages(&s) > 0), "first batch stored");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let stored = messages(&s);
    assert!(stored < n as u64, "killed before the end ({stored})");
    ok(&poll_once(&s));
    let st = status(&s);
    assert_eq!(st["messages"], n as u64, "{st}");
    assert_eq!(d.seen_count("INBOX"), 0);
}

#[test]
fn idle_wakes_the_daemon_and_sigterm_stops_it_cleanly() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(2));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    // A long poll interval: only IDLE can bring the new message in quickly.
    let text = std::fs::read_to_string(&s.config)
        .expect("config")
        .replace("poll_interval_secs = 2", "poll_interval_secs = 600");
    std::fs::write(&s.config, text).expect("write");
    let child = spawn_poll(&s, false);
    assert!(wait_for(Duration::from_secs(30), || messages(&s) == 2), "initial sync");
    std::thread::sleep(Duration::from_millis(300)); // let it enter IDLE
    let t0 = Instant::now();
    d.deliver("INBOX", &sample(3)[2]);
    assert!(wait_for(Duration::from_secs(15), || messages(&s) == 3), "IDLE wake-up");
    let latency = t0.elapsed();
    assert!(latency < Duration::from_secs(15));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "graceful stop: {:?} {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(messages(&s), 3);
    assert_eq!(d.seen_count("INBOX"), 0);
}

/// The library service with the engine and store a test configuration describes.
fn library_service(s: &Setup) -> (urpmail::config::Config, Shared, Arc<Mutex<Store>>) {
    let config = urpmail::config::Config::load(&s.config).expect("config");
    let engine = urpmail::commands::engine_for(&config).expect("engine");
    let store = Arc::new(Mutex::new(daemon::open_store(&config).expect("store")));
    (config, Shared::new(engine, store.clone()), store)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

#[test]
fn the_library_daemon_stops_through_its_shutdown_future() {
    let Some(d) = Dovecot::start() else { return };
    let n = 45; // three batches of 20
    d.deliver_many("INBOX", &sample(n));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let (config, shared, store) = library_service(&s);
    let lock = || store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // The condition: every message stored and the run that stored them closed. No signal: the
    // daemon only sees this future, which the test resolves when the condition holds.
    let synced = || {
        let st = lock();
        st.message_count().expect("count") == n as u64
            && st.last_run().expect("run").is_some_and(|r| r.status == "ok")
    };
    let shutdown = async {
        while !synced() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let started = Instant::now();
    let result = runtime().block_on(daemon::run_daemon(&config, shared, shutdown));
    assert!(result.is_ok(), "clean stop: {result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "stopped while waiting for mail, not after a timeout"
    );
    let st = lock();
    assert_eq!(st.message_count().expect("count"), n as u64);
    let cp = st.checkpoint("urp", "INBOX").expect("checkpoint").expect("recorded");
    assert_eq!(cp.last_uid, Uid(n as u32));
    let run = st.last_run().expect("run").expect("a run");
    assert_eq!((run.status.as_str(), run.fetched), ("ok", n as u64), "no run left open after the stop");
    assert!(run.finished_at.is_some());
    drop(st);
    assert_eq!(d.seen_count("INBOX"), 0);
}

#[test]
fn a_shutdown_before_the_first_batch_stops_poll_once_with_nothing_half_written() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(5));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let (config, shared, store) = library_service(&s);
    let r = runtime().block_on(daemon::poll_once(&config, shared, None, std::future::ready(())));
    assert!(matches!(r, Err(SyncError::Stopped)), "{r:?}");
    let st = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    assert_eq!(st.message_count().expect("count"), 0);
    let run = st.last_run().expect("run").expect("a run");
    assert_eq!(run.status, "interrupted", "the stopped run is closed, not left running");
    // Nothing fetched, so the checkpoint (if the mailbox was visited) did not move.
    let last = st.checkpoint("urp", "INBOX").expect("checkpoint").map_or(Uid(0), |c| c.last_uid);
    assert_eq!(last, Uid(0));
}

#[test]
fn read_at_re_reads_imap_uids_read_only_and_says_which_are_gone() {
    let Some(d) = Dovecot::start() else { return };
    let messages = sample(3);
    d.deliver_many("INBOX", &messages);
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let config = urpmail::config::Config::load(&s.config).expect("config");
    let mut raw = RawImap::login(&d);
    let uidvalidity = UidValidity(crate::dovecot::uidvalidity(&raw.cmd("EXAMINE INBOX")));
    let at = |uidvalidity, uid| Location::Imap {
        account: "urp".into(),
        mailbox: "INBOX".into(),
        uidvalidity,
        uid: Uid(uid),
    };
    let locations =
        [at(uidvalidity, 3), at(uidvalidity, 1), at(uidvalidity, 99), at(UidValidity(uidvalidity.0 + 1), 2)];
    let read = urpmail::source::read_at(&locations, &config.accounts);
    let body = |i: usize| read[i].bytes.as_ref().expect("read").as_slice();
    // Dovecot stores CRLF or LF as delivered; compare the unique Message-ID lines.
    let id = |b: &[u8]| String::from_utf8_lossy(b).lines().next().map(str::to_string);
    assert_eq!(id(body(0)), id(&messages[2]));
    assert_eq!(id(body(1)), id(&messages[0]));
    assert!(read[2].bytes.is_err(), "no UID 99");
    let renumbered = read[3].bytes.as_ref().expect_err("another UIDVALIDITY");
    assert!(renumbered.contains("UIDVALIDITY"), "{renumbered}");
    assert_eq!(d.seen_count("INBOX"), 0, "read-only: \\Seen untouched");
    // Without the account in the configuration, nothing is read.
    let none = urpmail::source::read_at(&locations[..1], &[]);
    assert!(none[0].bytes.is_err());
}

/// A small tmpfs mounted for one test, unmounted on drop. Needs the right to mount (root with
/// CAP_SYS_ADMIN, as in CI's container); elsewhere the test that uses it says so and skips.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        out.status.success().then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, mode: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .output()
            .expect("mount runs");
        assert!(out.status.success(), "remount {mode}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Writes a filler file until the file system is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let p = self.path().join("filler");
        let mut f = std::fs::File::create(&p).expect("create filler");
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        p
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).output();
    }
}

fn last_uid(s: &Setup) -> u64 {
    status(s)["mailboxes"][0]["last_uid"].as_u64().unwrap_or(0)
}

/// A full disk or a read-only store: the poll fails with a clear error naming the store, the
/// checkpoint does not move, nothing is half-written; once the disk has room again the next
/// poll stores exactly what was missing.
#[test]
fn disk_full_or_read_only_store_fails_cleanly_and_loses_nothing() {
    let Some(d) = Dovecot::start() else { return };
    let Some(fs) = Tmpfs::mount("2m") else {
        eprintln!(
            "SKIP disk_full_or_read_only_store: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"
        );
        return;
    };
    d.deliver_many("INBOX", &sample(5));
    let mut s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let store = fs.path().join("urpmail.db");
    let text = std::fs::read_to_string(&s.config).expect("config");
    let text = text.replace(
        &format!("{:?}", s.store.display().to_string()),
        &format!("{:?}", store.display().to_string()),
    );
    std::fs::write(&s.config, text).expect("write config");
    s.store = store;
    ok(&poll_once(&s));
    assert_eq!((messages(&s), last_uid(&s)), (5, 5));

    // Disk full.
    let filler = fs.fill();
    d.deliver_many("INBOX", &sample(300)[5..]);
    let out = poll_once(&s);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("store") && err.contains("disk is full"), "{err}");
    std::fs::remove_file(&filler).expect("free space");
    assert_eq!((messages(&s), last_uid(&s)), (5, 5), "no checkpoint advance, nothing stored");
    ok(&poll_once(&s));
    assert_eq!((messages(&s), last_uid(&s)), (300, 300), "after the fault: exact");

    // Read-only.
    d.deliver_many("INBOX", &sample(303)[300..]);
    fs.remount("ro");
    let out = poll_once(&s);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("store") && err.contains("read"), "{err}");
    fs.remount("rw");
    assert_eq!((messages(&s), last_uid(&s)), (300, 300));
    ok(&poll_once(&s));
    assert_eq!((messages(&s), last_uid(&s)), (303, 303));

    // The daemon does not die on a full disk: it retries with backoff and catches up once
    // there is room again (a crash loop under systemd would end in a dead service).
    let filler = fs.fill();
    d.deliver_many("INBOX", &sample(306)[303..]);
    let mut child = spawn_poll(&s, false);
    std::thread::sleep(Duration::from_secs(3));
    assert!(child.try_wait().expect("try_wait").is_none(), "the daemon keeps running on a full disk");
    assert_eq!(messages(&s), 303);
    std::fs::remove_file(&filler).expect("free space");
    assert!(wait_for(Duration::from_secs(30), || messages(&s) == 306), "caught up after the disk was freed");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((messages(&s), last_uid(&s)), (306, 306));
}

#[test]
fn the_corrections_loop_over_imap_rereads_read_only_and_reclassifies() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(12));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    let dir = s.store.parent().expect("dir").to_path_buf();
    let review = dir.join("review.json");
    let out = urpmail()
        .args(["report", "review", "--limit", "100", "--sample", "100", "--config"])
        .arg(&s.config)
        .arg("--out")
        .arg(&review)
        .output()
        .expect("runs");
    ok(&out);
    let mut v: Value = serde_json::from_slice(&std::fs::read(&review).expect("read")).expect("json");
    let items = v["items"].as_array_mut().expect("items");
    assert!(items.len() >= 4, "{}", items.len());
    for item in items.iter_mut().take(4) {
        item["corrected_topic"] = Value::from("cimiteri");
    }
    std::fs::write(&review, serde_json::to_string(&v).expect("json")).expect("write");
    let out = urpmail().args(["learn", "--config"]).arg(&s.config).arg(&review).output().expect("runs");
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("il modello ha imparato da 4 messaggi controllati (non riletti: 0)"), "{text}");
    assert!(text.contains("ora è attivo per"), "{text}");
    let active = status(&s)["active_model"]["version"].as_str().expect("active model").to_string();

    let out = urpmail().args(["reclassify", "--config"]).arg(&s.config).output().expect("runs");
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("reclassify with model {active}")), "{text}");
    assert!(text.contains(" 0 not re-read"), "{text}");
    assert_eq!(d.seen_count("INBOX"), 0, "re-reading is read-only: \\Seen untouched");

    let out = urpmail().args(["report", "messages", "--config"]).arg(&s.config).output().expect("runs");
    ok(&out);
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len() as u64, messages(&s));
    for r in &rows {
        let at = r["location"].as_str().expect("location");
        assert!(at.starts_with("imap://urp/INBOX;UIDVALIDITY=") && at.contains("/;UID="), "{at}");
    }
    assert_eq!(rows.iter().filter(|r| r["reviewed"] == true).count(), 4);
}

#[test]
fn the_daemon_decides_with_a_model_learned_while_it_runs() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(6));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let child = spawn_poll(&s, false);
    assert!(wait_for(Duration::from_secs(30), || messages(&s) == 6), "initial sync");
    let dir = s.store.parent().expect("dir").to_path_buf();
    let review = dir.join("review.json");
    ok(&urpmail()
        .args(["report", "review", "--sample", "100", "--config"])
        .arg(&s.config)
        .arg("--out")
        .arg(&review)
        .output()
        .expect("runs"));
    let mut v: Value = serde_json::from_slice(&std::fs::read(&review).expect("read")).expect("json");
    v["items"][0]["corrected_topic"] = Value::from("cimiteri");
    std::fs::write(&review, serde_json::to_string(&v).expect("json")).expect("write");
    ok(&urpmail().args(["learn", "--config"]).arg(&s.config).arg(&review).output().expect("runs"));
    let active = status(&s)["active_model"]["version"].as_str().expect("active").to_string();
    d.deliver("INBOX", &sample(7)[6]);
    assert!(wait_for(Duration::from_secs(30), || messages(&s) == 7), "new mail after learn");
    let out = urpmail().args(["report", "messages", "--store"]).arg(&s.store).output().expect("runs");
    let last: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().expect("a row"))
            .expect("json");
    assert_eq!(last["model_version"].as_str(), Some(active.as_str()), "decided with the learned model");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn mail_only_in_the_second_mailbox_is_recorded_within_seconds_also_after_keepalives() {
    let Some(d) = Dovecot::start() else { return };
    d.create_mailbox("PEC");
    let msgs = sample(8);
    d.deliver("INBOX", &msgs[0]);
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"PEC\"]");
    // A long poll interval: only IDLE on PEC can bring its mail in quickly.
    let text = std::fs::read_to_string(&s.config)
        .expect("config")
        .replace("poll_interval_secs = 2", "poll_interval_secs = 600");
    std::fs::write(&s.config, text).expect("write");
    let child = spawn_poll(&s, false);
    assert!(wait_for(Duration::from_secs(30), || messages(&s) == 1), "initial sync");
    for (i, msg) in msgs.iter().enumerate().take(6).skip(1) {
        // The test server sends a keepalive every 2 s during IDLE: the later rounds wait through
        // them first, while INBOX stays quiet.
        std::thread::sleep(Duration::from_millis(if i > 2 { 4_500 } else { 500 }));
        let t0 = Instant::now();
        d.deliver("PEC", msg);
        assert!(
            wait_for(Duration::from_secs(5), || messages(&s) == 1 + i as u64),
            "round {i}: a PEC message was not recorded within 5 s"
        );
        eprintln!("round {i}: recorded in {:?}", t0.elapsed());
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(d.seen_count("PEC"), 0, "read-only");
}

fn check(s: &Setup, args: &[&str]) -> (String, Option<i32>) {
    let out =
        urpmail().args(["status", "--check", "--config"]).arg(&s.config).args(args).output().expect("runs");
    let line = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
    assert_eq!(line.lines().count(), 1, "one line: {line:?} {}", String::from_utf8_lossy(&out.stderr));
    (line, out.status.code())
}

#[test]
fn status_check_follows_the_monitoring_convention_and_asks_the_server_for_the_real_backlog() {
    let Some(d) = Dovecot::start() else { return };
    d.create_mailbox("PEC");
    let msgs = sample(8);
    d.deliver_many("INBOX", &msgs[..3]);
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"PEC\"]");
    ok(&poll_once(&s));
    let (line, code) = check(&s, &[]);
    assert_eq!(code, Some(0), "{line}");
    assert!(
        line.starts_with("URPMAIL OK - 2 mailboxes, all synced within")
            && line.contains("| 'age urp/INBOX'="),
        "{line}"
    );
    // Three messages arrive in PEC and nobody polls: only the server knows.
    d.deliver_many("PEC", &msgs[3..6]);
    let (line, code) = check(&s, &["--connect", "--warning-backlog", "2", "--critical-backlog", "10"]);
    assert_eq!(code, Some(1), "{line}");
    assert!(line.starts_with("URPMAIL WARNING - urp/PEC backlog 3"), "{line}");
    assert!(line.contains("'backlog urp/PEC'=3;2;10"), "{line}");
    let (line, code) = check(&s, &["--connect", "--warning-backlog", "1", "--critical-backlog", "3"]);
    assert_eq!(code, Some(2), "{line}");
    // An old sync is critical.
    std::thread::sleep(Duration::from_millis(1_100));
    let (line, code) = check(&s, &["--warning-age", "0", "--critical-age", "0"]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.starts_with("URPMAIL CRITICAL - urp/INBOX last synced 1 s ago"), "{line}");
    assert_eq!(d.seen_count("PEC"), 0, "asking the server is read-only");

    // A mailbox that cannot be synced is named with the server's reason, in status and check.
    let broken = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"Nonesiste\"]");
    let out = poll_once(&broken);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "cannot open mailbox \"Nonesiste\": the server said \"Mailbox doesn't exist: Nonesiste\""
        ) && err.contains("the mailboxes on the server are: INBOX, PEC"),
        "{err}"
    );
    let st = status(&broken);
    let mb = st["mailboxes"].as_array().expect("mailboxes");
    let missing = mb.iter().find(|m| m["mailbox"] == "Nonesiste").expect("the failing mailbox is listed");
    assert_eq!(missing["failing"], true, "{missing}");
    assert!(missing["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{missing}");
    let (line, code) = check(&broken, &[]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("urp/Nonesiste never synced completely: "), "{line}");
    assert!(!line.contains("Some(") && !line.contains("code:"), "no Debug output: {line}");
}

#[test]
fn config_check_connect_logs_in_examines_and_names_each_mistake() {
    let Some(d) = Dovecot::start() else { return };
    d.create_mailbox("PEC");
    d.deliver_many("INBOX", &sample(2));
    let run = |s: &Setup| {
        let out = urpmail()
            .args(["config", "check", "--connect", "--config"])
            .arg(&s.config)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let good = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"PEC\"]");
    let (code, out, err) = run(&good);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("writable") && out.contains("account urp: login ok; INBOX 2 messages, PEC 0 messages"),
        "{out}"
    );
    assert_eq!(d.seen_count("INBOX"), 0, "read-only");

    // A wrong password: the server's words, the fix, one line, exit 2.
    let wrong = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let pass = wrong.config.with_file_name("pass");
    std::fs::write(&pass, "not-the-password\n").expect("write");
    let (code, _, err) = run(&wrong);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("login refused for user")
            && err.contains("the server said \"")
            && err.contains("check username and the password"),
        "{err}"
    );
    assert!(!err.contains("Some(") && !err.contains("Outcome"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A mailbox that does not exist: the ones that do are listed.
    let missing = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\", \"Pec\"]");
    let (code, _, err) = run(&missing);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot open mailbox \"Pec\"") && err.contains("INBOX, PEC"), "{err}");

    // A store folder that does not exist.
    let nofolder = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    let text = std::fs::read_to_string(&nofolder.config).expect("config");
    let db = nofolder.store.display().to_string();
    let elsewhere = nofolder.store.with_file_name("manca").join("urpmail.db").display().to_string();
    std::fs::write(&nofolder.config, text.replace(&db, &elsewhere)).expect("write");
    let (code, _, err) = run(&nofolder);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the store's folder") && err.contains("does not exist"), "{err}");
}

#[test]
fn the_web_review_reads_imap_messages_live_and_read_only() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver_many("INBOX", &sample(8));
    let s = config(&d, "implicit", d.imaps_port(), "", "[\"INBOX\"]");
    ok(&poll_once(&s));
    let dir = s.store.parent().expect("dir").to_path_buf();
    let users = dir.join("utenti");
    crate::web::add_user(&users);
    let server =
        crate::web::Serve::start(["--config".as_ref(), s.config.as_os_str()], &users, dir.join("serve.log"));
    let (_, session) = crate::web::login_http(&server.base, crate::web::PASSWORD);
    let session = format!("urpmail_sessione={}", session.expect("logged in"));
    let page = crate::web::get(&server.base, "/revisione", &session);
    let items = page.matches("<article class=\"voce\"").count();
    assert!(items > 0, "{page}");
    // Every item's text came from the mailbox (the store keeps no text: snippets are off).
    assert!(!page.contains("non si può leggere ora"), "{page}");
    assert_eq!(page.matches("<pre class=\"testo\">").count(), items);
    let texts: Vec<&str> =
        page.split("<pre class=\"testo\">").skip(1).map(|t| t.split("</pre>").next().unwrap_or("")).collect();
    assert!(texts.iter().all(|t| t.trim().chars().count() > 20), "{texts:?}");
    assert_eq!(d.seen_count("INBOX"), 0, "read with BODY.PEEK: \\Seen untouched");
    // Not in the log.
    let log = std::fs::read_to_string(&server.log).expect("log");
    let fragment: String = texts[0].trim().chars().take(30).collect();
    assert!(!log.contains(&fragment), "{log}");
}
