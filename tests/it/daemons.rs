//! Many daemons, one database: four `urpmail poll` processes list the same forty mailboxes of a
//! real Dovecot and write one PostgreSQL store. One is killed with SIGKILL in the middle of its
//! work; the others take its mailboxes over when its claims expire. Every message is stored
//! exactly once, no mailbox is polled by two daemons at once (from the daemons' own claim and
//! release log lines), `\Seen` stays untouched and no log line carries message text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use urpmail::store::Store;

use crate::dovecot::Dovecot;
use crate::imap::{sample, wait_for};
use crate::postgres;

const MAILBOXES: usize = 40;
const PER_MAILBOX: usize = 25;
const DAEMONS: usize = 4;

fn spawn(config: &Path, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_urpmail"))
        .args(["--log-format", "json", "poll", "--config"])
        .arg(config)
        // Claims and releases are debug lines; the PostgreSQL client stays quiet whatever this says.
        .env("RUST_LOG", "warn,urpmail=debug,tokio_postgres=trace")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("daemon")
}

fn stored(target: &urpmail::store::StoreTarget) -> u64 {
    Store::open_readonly(target).ok().and_then(|s| s.message_count().ok()).unwrap_or(0)
}

/// One claim of a mailbox by a daemon: from its "mailbox claimed" line to its "mailbox
/// released" line (or the kill, for the daemon killed holding it), by the database's clock.
#[derive(Debug)]
struct Held {
    daemon: usize,
    from: String,
    to: String,
}

fn claims(logs: &[PathBuf], killed: usize, killed_at: &str) -> BTreeMap<String, Vec<Held>> {
    let mut out: BTreeMap<String, Vec<Held>> = BTreeMap::new();
    for (daemon, log) in logs.iter().enumerate() {
        let text = std::fs::read_to_string(log).expect("log");
        let mut open: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
            // The store's clock, which orders every daemon's claims and releases.
            let (msg, mailbox, ts) = (&v["fields"]["message"], &v["fields"]["mailbox"], &v["fields"]["at"]);
            let (Some(mailbox), Some(ts)) = (mailbox.as_str(), ts.as_str()) else { continue };
            match msg.as_str() {
                Some("mailbox claimed") => {
                    open.insert(mailbox.to_string(), ts.to_string());
                }
                Some("mailbox released") => {
                    let from = open.remove(mailbox).expect("released after claimed");
                    out.entry(mailbox.to_string()).or_default().push(Held {
                        daemon,
                        from,
                        to: ts.to_string(),
                    });
                }
                _ => {}
            }
        }
        for (mailbox, from) in open {
            let to = if daemon == killed { killed_at.to_string() } else { "9999".into() };
            out.entry(mailbox).or_default().push(Held { daemon, from, to });
        }
    }
    out
}

/// Now, in the format of the database's times (microseconds), so the two compare as text.
fn utc_now() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc().format(&fmt).expect("format")
}

#[test]
fn four_daemons_share_forty_mailboxes_and_take_over_a_killed_one() {
    let Some(d) = Dovecot::start() else { return };
    let Some(db) = postgres::database("daemons") else { return };
    let messages = sample(MAILBOXES * PER_MAILBOX);
    let names: Vec<String> = (0..MAILBOXES).map(|i| format!("m{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        d.create_mailbox(name);
        d.deliver_many(name, &messages[i * PER_MAILBOX..(i + 1) * PER_MAILBOX]);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = dir.path().join("imap.pw");
    std::fs::write(&pw, format!("{}\n", d.password())).expect("write");
    std::fs::set_permissions(&pw, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
    let config = dir.path().join("urpmail.toml");
    let list = names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    std::fs::write(
        &config,
        format!(
            "version = 1\n{}lease_secs = 3\n[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{}\"\npassword_file = {:?}\nmailboxes = [{list}]\nbatch_size = 5\nidle = false\n\
             poll_interval_secs = 1\ntimeout_secs = 10\n",
            db.config_section(),
            d.imap_port(),
            d.user(),
            pw.display().to_string()
        ),
    )
    .expect("config");
    let target = db.target();
    let logs: Vec<PathBuf> = (0..DAEMONS).map(|i| dir.path().join(format!("daemon{i}.log"))).collect();
    let mut daemons: Vec<Child> = logs.iter().map(|l| spawn(&config, l)).collect();

    // status names the daemon polling a mailbox while it does.
    let held = wait_for(Duration::from_secs(30), || {
        let out = Command::new(env!("CARGO_BIN_EXE_urpmail"))
            .args(["status", "--format", "json", "--config"])
            .arg(&config)
            .output()
            .expect("status");
        serde_json::from_slice::<Value>(&out.stdout).is_ok_and(|st| {
            st["mailboxes"].as_array().is_some_and(|m| {
                m.iter().any(|b| b["held_by"]["daemon"].as_str().is_some_and(|d| d.matches('/').count() == 2))
            })
        })
    });
    assert!(held, "status shows which daemon polls a mailbox");

    // Kill one in the middle of its work: once some mail is stored and it holds a mailbox.
    let killed = 0;
    // It has written batches and holds a mailbox now: it dies in the middle of its work.
    let holding = |i: usize| {
        std::fs::read_to_string(&logs[i]).is_ok_and(|t| {
            t.contains("batch written")
                && t.matches("mailbox claimed").count() > t.matches("mailbox released").count()
        })
    };
    assert!(
        wait_for(Duration::from_secs(60), || stored(&target) > 50 && holding(killed)),
        "daemons started storing"
    );
    daemons[killed].kill().expect("SIGKILL");
    let killed_at = utc_now();
    daemons[killed].wait().expect("reaped");

    let total = (MAILBOXES * PER_MAILBOX) as u64;
    let done = wait_for(Duration::from_secs(120), || stored(&target) >= total);
    for (i, child) in daemons.iter_mut().enumerate().filter(|(i, _)| *i != killed) {
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let status = child.wait().expect("wait");
        assert!(
            status.success(),
            "daemon {i} exited {status:?}: {}",
            std::fs::read_to_string(&logs[i]).unwrap_or_default()
        );
    }
    assert!(done, "all {total} messages stored (got {})", stored(&target));

    // Exactly once: every message, every mailbox's 25 locations, nothing more.
    let s = Store::open_readonly(&target).expect("store");
    assert_eq!(s.message_count().expect("count"), total);
    for name in &names {
        let cp = s.checkpoint("urp", name).expect("checkpoint").expect("visited");
        assert_eq!(s.located("urp", name, cp.uidvalidity.0).expect("located"), PER_MAILBOX as u64, "{name}");
    }
    let locations: i64 =
        db.admin().query_one("SELECT COUNT(*) FROM urpmail.locations", &[]).expect("q").get(0);
    assert_eq!(locations, total as i64);
    // The work was shared.
    let logs_text: Vec<String> = logs.iter().map(|l| std::fs::read_to_string(l).expect("log")).collect();
    let working = logs_text.iter().filter(|t| t.contains("batch written")).count();
    assert!(working >= 3, "at least three daemons wrote batches ({working})");

    // Never two daemons on one mailbox at once; the mailbox the killed daemon held was taken
    // over after it died.
    let mut taken_over = 0;
    for (mailbox, mut held) in claims(&logs, killed, &killed_at) {
        held.sort_by(|a, b| a.from.cmp(&b.from));
        if let Some(i) = held.iter().position(|h| h.daemon == killed && h.to == killed_at) {
            assert!(
                held[i + 1..].iter().any(|h| h.daemon != killed),
                "{mailbox}: never taken over after the kill"
            );
            taken_over += 1;
        }
        for pair in held.windows(2) {
            assert!(
                pair[0].to <= pair[1].from,
                "{mailbox}: daemon {} held it until {} but daemon {} claimed it at {}",
                pair[0].daemon,
                pair[0].to,
                pair[1].daemon,
                pair[1].from
            );
        }
    }
    assert_eq!(taken_over, 1, "the killed daemon held one mailbox");
    assert!(logs_text[killed].contains("batch written"), "the killed daemon had written batches before");
    // Read-only on the server; nothing of the mail in the logs (the client's statement logging
    // was asked for at trace and stays off).
    for name in names.iter().take(5) {
        assert_eq!(d.seen_count(name), 0, "{name}: \\Seen untouched");
    }
    for t in &logs_text {
        assert!(!t.contains("executing statement") && !t.contains("explanation"), "statement logging is off");
    }
}

/// A daemon whose claims lapse at once (a zero lease) while another holder keeps taking the
/// mailboxes: its visits and batches are refused, nothing of them is written, and the run still
/// ends well, the mailboxes left to the holder that has them (a takeover is not a failure).
#[test]
fn a_daemon_whose_mailboxes_are_taken_over_leaves_them_without_failing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let Some(d) = Dovecot::start() else { return };
    let Some(db) = postgres::database("takeover") else { return };
    let names: Vec<String> = (0..5).map(|i| format!("t{i}")).collect();
    let messages = sample(5 * 20);
    for (i, name) in names.iter().enumerate() {
        d.create_mailbox(name);
        d.deliver_many(name, &messages[i * 20..(i + 1) * 20]);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = dir.path().join("imap.pw");
    std::fs::write(&pw, format!("{}\n", d.password())).expect("write");
    std::fs::set_permissions(&pw, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
    let config_path = dir.path().join("urpmail.toml");
    let list = names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    std::fs::write(
        &config_path,
        format!(
            "version = 1\n{}[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{}\"\npassword_file = {:?}\nmailboxes = [{list}]\nbatch_size = 5\nidle = false\n",
            db.config_section(),
            d.imap_port(),
            d.user(),
            pw.display().to_string()
        ),
    )
    .expect("config");
    let config = urpmail::config::Config::load(&config_path).expect("config");
    let engine = urpmail::commands::engine_for(&config).expect("engine");
    let store = Arc::new(Mutex::new(urpmail::daemon::open_store(&config).expect("store")));
    let mut shared = urpmail::daemon::Shared::new(engine, store.clone());
    shared.lease_ttl = Duration::ZERO;

    // The other holder: takes every mailbox again and again, each time its claim lapsing too.
    let stop = Arc::new(AtomicBool::new(false));
    let thief = {
        let (target, names, stop) = (db.target(), names.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut s = Store::open(&target).expect("thief's store");
            let mut taken = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for n in &names {
                    if s.claim_mailbox("urp", n, "thief/1/00", Duration::ZERO).expect("claim").is_some() {
                        taken += 1;
                    }
                }
            }
            taken
        })
    };
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let r = rt.block_on(urpmail::daemon::poll_once(&config, shared, None, std::future::pending()));
    stop.store(true, Ordering::Relaxed);
    assert!(thief.join().expect("thief") > 0);
    assert!(r.is_ok(), "a takeover is not a failure: {r:?}");
    // Whatever the daemon wrote, it wrote whole: a checkpoint never runs ahead of its messages.
    let st = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for n in &names {
        if let Some(cp) = st.checkpoint("urp", n).expect("checkpoint") {
            assert_eq!(
                st.located("urp", n, cp.uidvalidity.0).expect("located"),
                u64::from(cp.last_uid.0),
                "{n}"
            );
        }
    }
    assert!(
        st.mailboxes().expect("mailboxes").iter().all(|m| m.last_error.is_none()),
        "no mailbox marked failing"
    );
}
