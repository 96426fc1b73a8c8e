//! A real Dovecot on 127.0.0.1 for the IMAP integration tests (recipe: IMAP-TESTING.md).
//!
//! Each [`Dovecot`] is a private instance: its own temp dir (under /dev/shm when writable),
//! its own free loopback ports, its own CA + server certificate, user `test` / `secret`.
//! The server runs in its own process group, led by a tiny `sh` watchdog that is spawned
//! first and reads a pipe only this test process holds: `Drop`/`kill()` make it SIGKILL the
//! group; if the test process dies without `Drop` (Ctrl-C, SIGKILL, abort) the pipe's EOF
//! makes it SIGKILL the group and remove the temp dir, so no Dovecot outlives `cargo test`.
//!
//! Messages are loaded by writing Maildir files (tmp/ → new/, owned by `mail`), which is
//! fast (10,000 messages in well under a second on tmpfs) and gives UIDs in delivery order.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Printed (or panicked with, when CI=true) when Dovecot is missing.
pub(crate) const SKIP_MESSAGE: &str = "SKIP: dovecot not installed (scripts/test.sh installs dovecot-imapd)";

const USER: &str = "test";
const PASSWORD: &str = "secret";
/// How long to wait for the greeting after spawning (it normally takes ~50 ms).
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How many times `start()` picks new ports when another process grabbed one first.
const PORT_ATTEMPTS: u32 = 8;

/// A running (or killed, see [`Dovecot::kill`]) Dovecot instance on loopback.
#[derive(Debug)]
pub(crate) struct Dovecot {
    dir: tempfile::TempDir,
    dovecot_bin: PathBuf,
    doveadm_bin: PathBuf,
    imap_port: u16,
    imaps_port: u16,
    mail_uid: u32,
    mail_gid: u32,
    /// Delivery counter: file names (hence UIDs) follow it.
    seq: AtomicU64,
    /// Seconds part of the first delivered file name.
    name_base: u64,
    /// Incremented at each (re)start: every run gets a fresh base_dir.
    generation: u32,
    server: Option<Server>,
}

/// One run: a watchdog `sh` leading its own process group, and the Dovecot master (with all
/// its children) inside that group. The watchdog is spawned first, so no Dovecot process can
/// exist outside a watched group.
#[derive(Debug)]
struct Server {
    watchdog: Child,
    /// Writing `k\n` makes the watchdog SIGKILL the group (itself included). EOF (this test
    /// process died without `Drop`) makes it SIGKILL the group and remove the temp dir.
    watchdog_pipe: Option<ChildStdin>,
    /// `None` until the master is spawned.
    master: Option<Child>,
}

/// The watchdog, for `sh -c SCRIPT watchdog DIR`. On EOF it re-executes itself through
/// `setsid` (a group leader's setsid forks, so the cleaner runs in a new session, outside
/// the group it kills), kills the group, waits for it to be gone, then removes DIR.
const WATCHDOG_SCRIPT: &str = r#"
if read -r cmd; then kill -s KILL 0; exit 0; fi
if command -v setsid >/dev/null 2>&1; then
  exec setsid sh -c 'kill -s KILL -- -"$1"
    i=0; while [ $i -lt 100 ] && kill -0 -- -"$1" 2>/dev/null; do i=$((i+1)); sleep 0.05; done
    rm -rf -- "$2"' cleaner "$$" "$1" </dev/null >/dev/null 2>&1
fi
kill -s KILL 0
"#;

enum SpawnError {
    AddrInUse,
}

impl Dovecot {
    /// Starts a fresh instance on free loopback ports, or returns `None` (after printing
    /// [`SKIP_MESSAGE`]) when Dovecot is not installed and CI is not "true".
    pub(crate) fn start() -> Option<Dovecot> {
        let (Some(dovecot_bin), Some(doveadm_bin)) = (find_bin("dovecot"), find_bin("doveadm")) else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{SKIP_MESSAGE}");
            }
            eprintln!("{SKIP_MESSAGE}");
            return None;
        };
        let dir = make_temp_dir();
        // Armed right away: if this process dies from here on, the dir goes too.
        let watchdog = Server::watch(dir.path());
        let (mail_uid, mail_gid) = mail_ids();
        let name_base = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1_700_000_000, |d| d.as_secs());
        let mut d = Dovecot {
            dir,
            dovecot_bin,
            doveadm_bin,
            imap_port: 0,
            imaps_port: 0,
            mail_uid,
            mail_gid,
            seq: AtomicU64::new(0),
            name_base,
            generation: 0,
            server: Some(watchdog),
        };
        d.prepare_dirs();
        d.make_certs();
        for attempt in 1..=PORT_ATTEMPTS {
            let (p, ps) = free_port_pair();
            d.imap_port = p;
            d.imaps_port = ps;
            match d.spawn() {
                Ok(()) => return Some(d),
                Err(SpawnError::AddrInUse) if attempt < PORT_ATTEMPTS => continue,
                Err(SpawnError::AddrInUse) => {
                    panic!("dovecot: ports kept being taken ({PORT_ATTEMPTS} attempts)")
                }
            }
        }
        unreachable!()
    }

    /// The plain (and STARTTLS) listener.
    pub(crate) fn imap_port(&self) -> u16 {
        self.imap_port
    }

    /// The implicit-TLS listener.
    pub(crate) fn imaps_port(&self) -> u16 {
        self.imaps_port
    }

    /// The CA that signed the server certificate (SAN: localhost, 127.0.0.1, ::1).
    pub(crate) fn ca_pem(&self) -> PathBuf {
        self.certs().join("ca.pem")
    }

    /// A second CA, unrelated to the server certificate.
    pub(crate) fn other_ca_pem(&self) -> PathBuf {
        self.certs().join("other-ca.pem")
    }

    pub(crate) fn user(&self) -> &str {
        USER
    }

    pub(crate) fn password(&self) -> &str {
        PASSWORD
    }

    /// The instance's root directory (config, logs, mail).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Dovecot log (useful in assertion messages).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("log/dovecot.log")).unwrap_or_default()
    }

    /// The Maildir directory of a mailbox: INBOX is the Maildir root, `A/B` is `.A.B`.
    pub(crate) fn maildir(&self, mailbox: &str) -> PathBuf {
        let root = self.dir().join("mail").join(USER).join("Maildir");
        if mailbox.eq_ignore_ascii_case("INBOX") {
            root
        } else {
            root.join(format!(".{}", mailbox.replace('/', ".")))
        }
    }

    /// Creates a mailbox (a Maildir++ folder); nothing is subscribed.
    pub(crate) fn create_mailbox(&self, name: &str) {
        assert!(!name.eq_ignore_ascii_case("INBOX"), "INBOX always exists");
        let md = self.maildir(name);
        self.make_maildir(&md);
        let marker = md.join("maildirfolder");
        write_file(&marker, b"");
        self.chown(&marker);
    }

    /// Delivers one message (INTERNALDATE = now). UIDs follow delivery order.
    pub(crate) fn deliver(&self, mailbox: &str, bytes: &[u8]) {
        self.deliver_one(&self.maildir(mailbox), bytes, None);
    }

    /// Delivers one message with the given INTERNALDATE (the file's mtime).
    pub(crate) fn deliver_dated(&self, mailbox: &str, bytes: &[u8], internal_date: SystemTime) {
        self.deliver_one(&self.maildir(mailbox), bytes, Some(internal_date));
    }

    /// Delivers many messages, in order (10,000 take well under a second on tmpfs).
    pub(crate) fn deliver_many(&self, mailbox: &str, messages: &[Vec<u8>]) {
        let md = self.maildir(mailbox);
        for m in messages {
            self.deliver_one(&md, m, None);
        }
    }

    /// Messages whose Maildir flags contain `S` (\Seen), counted from the files in cur/ and new/.
    pub(crate) fn seen_count(&self, mailbox: &str) -> usize {
        let md = self.maildir(mailbox);
        let mut n = 0;
        for sub in ["cur", "new"] {
            let dir = md.join(sub);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("dovecot: reading {}: {e}", dir.display()));
            for e in entries {
                let name =
                    e.unwrap_or_else(|e| panic!("dovecot: reading {}: {e}", dir.display())).file_name();
                let name = name.to_string_lossy();
                if let Some((_, flags)) = name.rsplit_once(":2,")
                    && flags.contains('S')
                {
                    n += 1;
                }
            }
        }
        n
    }

    /// New UIDVALIDITY, UIDs renumbered from 1: removes `dovecot-uidlist` and `dovecot.index*`.
    /// No IMAP session may be open on the mailbox (the caller makes sure).
    pub(crate) fn reset_uidvalidity(&self, mailbox: &str) {
        let md = self.maildir(mailbox);
        let entries =
            std::fs::read_dir(&md).unwrap_or_else(|e| panic!("dovecot: reading {}: {e}", md.display()));
        for e in entries {
            let e = e.unwrap_or_else(|e| panic!("dovecot: reading {}: {e}", md.display()));
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name == "dovecot-uidlist" || name.starts_with("dovecot.index") {
                std::fs::remove_file(e.path())
                    .unwrap_or_else(|err| panic!("dovecot: removing {name}: {err}"));
            }
        }
    }

    /// Sets UIDVALIDITY to `value` keeping UIDs (`doveadm mailbox update --uid-validity`).
    pub(crate) fn set_uidvalidity(&self, mailbox: &str, value: u32) {
        self.doveadm(&["mailbox", "update", "-u", USER, "--uid-validity", &value.to_string(), mailbox]);
    }

    /// Polite disconnect: `doveadm kick test` (clients read `* BYE`, then EOF). Returns once
    /// no imap session process is left. No session at all is fine.
    pub(crate) fn kick(&self) {
        let out = self.doveadm_output(&["kick", USER]);
        // 68 (EX_NOUSER) = "No users kicked".
        if !out.status.success() && out.status.code() != Some(68) {
            panic!("dovecot: doveadm kick failed: {}", describe(&out));
        }
        self.wait_sessions_gone("kick");
    }

    /// Hard disconnect: SIGKILL to every imap session process (clients get EOF, no BYE).
    pub(crate) fn kill_sessions(&self) {
        let pids = self.session_pids();
        if pids.is_empty() {
            return;
        }
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "kill -s KILL -- \"$@\"", "sh"]).args(pids.iter().map(u32::to_string));
        // A session may exit by itself meanwhile: not an error.
        let _ = cmd.output();
        self.wait_sessions_gone("kill_sessions");
    }

    /// Kills the whole server at once (SIGKILL to its process group). Idempotent.
    pub(crate) fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.kill();
        }
    }

    /// Starts the server again on the same ports and mail (fresh run dir). Kills it first
    /// if it is running.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            // Ports are free once the killed processes are really gone.
            if port_bindable(self.imap_port) && port_bindable(self.imaps_port) {
                match self.spawn() {
                    Ok(()) => return,
                    Err(SpawnError::AddrInUse) => {}
                }
            }
            assert!(
                Instant::now() < deadline,
                "dovecot: ports {} / {} still busy after restart",
                self.imap_port,
                self.imaps_port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Restarts the server presenting another certificate of [`Dovecot::make_certs`]:
    /// `good` (the default), `wrong-name` (valid, signed by the CA, for another host name) or
    /// `expired`.
    pub(crate) fn use_certificate(&mut self, which: &str) {
        let c = self.certs();
        std::fs::copy(c.join(format!("{which}.pem")), c.join("server.pem"))
            .unwrap_or_else(|e| panic!("dovecot: certificate {which}: {e}"));
        self.restart();
    }

    /// Whether the server is running (not killed).
    pub(crate) fn is_running(&self) -> bool {
        self.server.as_ref().is_some_and(|s| s.master.is_some())
    }

    /// The number of messages the server reports (`doveadm mailbox status messages`).
    pub(crate) fn message_count(&self, mailbox: &str) -> usize {
        let out = self.doveadm(&["-f", "flow", "mailbox", "status", "-u", USER, "messages", mailbox]);
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .find_map(|w| w.strip_prefix("messages="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("dovecot: unexpected doveadm mailbox status output: {text:?}"))
    }

    /// Runs `doveadm -c CONF ARGS...`, panics with stderr on failure.
    pub(crate) fn doveadm(&self, args: &[&str]) -> Output {
        let out = self.doveadm_output(args);
        if !out.status.success() {
            panic!("dovecot: doveadm {args:?} failed: {}", describe(&out));
        }
        out
    }

    // ---- internals ----

    fn doveadm_output(&self, args: &[&str]) -> Output {
        Command::new(&self.doveadm_bin)
            .arg("-c")
            .arg(self.conf())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("dovecot: cannot run doveadm: {e}"))
    }

    fn conf(&self) -> PathBuf {
        self.dir().join("dovecot.conf")
    }

    fn certs(&self) -> PathBuf {
        self.dir().join("certs")
    }

    fn run_dir(&self) -> PathBuf {
        self.dir().join(format!("run-{}", self.generation))
    }

    fn chown(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.mail_uid), Some(self.mail_gid)).unwrap_or_else(|e| {
            panic!("dovecot: chown mail:mail {}: {e} (tests must run as root)", path.display())
        });
    }

    fn make_maildir(&self, md: &Path) {
        for sub in ["", "cur", "new", "tmp"] {
            let p = md.join(sub);
            std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", p.display()));
            set_mode(&p, 0o755);
            self.chown(&p);
        }
    }

    fn prepare_dirs(&self) {
        let d = self.dir();
        set_mode(d, 0o755);
        for sub in ["state", "log", "certs", "mail", "mail/test"] {
            let p = d.join(sub);
            std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", p.display()));
            set_mode(&p, 0o755);
        }
        self.chown(&d.join("mail"));
        self.chown(&d.join("mail/test"));
        self.make_maildir(&self.maildir("INBOX"));
        // user:password:uid:gid:gecos:home:shell — uid/gid empty (mail_uid applies).
        let home = d.join("mail").join(USER);
        write_file(
            &d.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::{}::\n", home.display()).as_bytes(),
        );
    }

    /// CA, server certificate signed by it, and an unrelated CA. EC P-256 keys: ~40 ms in
    /// all, against ~0.5 s for RSA 2048; rustls/webpki accept them.
    fn make_certs(&self) {
        let c = self.certs();
        const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256";
        for (name, cn) in [("ca", "urpmail-test-ca"), ("other-ca", "urpmail-other-ca")] {
            openssl(
                &c,
                &format!(
                    "req -x509 {EC} -days 3650 -keyout {name}.key -out {name}.pem -subj /CN={cn} \
                     -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
                ),
            );
        }
        openssl(&c, &format!("req {EC} -keyout server.key -out server.csr -subj /CN=localhost"));
        write_file(
            &c.join("server.ext"),
            b"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
              extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n",
        );
        openssl(
            &c,
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
             -extfile server.ext -out server.pem",
        );
        // Same key and CA, but for another host name, and one that expired (notAfter a day
        // before notBefore): for the TLS refusal tests (`use_certificate`).
        write_file(
            &c.join("wrong-name.ext"),
            b"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
              extendedKeyUsage=serverAuth\nsubjectAltName=DNS:imap.altro-comune.example\n",
        );
        openssl(
            &c,
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
             -extfile wrong-name.ext -out wrong-name.pem",
        );
        openssl(
            &c,
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -sha256 \
             -extfile server.ext -out expired.pem",
        );
        std::fs::copy(c.join("server.pem"), c.join("good.pem")).expect("copy server.pem");
        for f in [
            "ca.pem",
            "other-ca.pem",
            "server.pem",
            "server.key",
            "wrong-name.pem",
            "expired.pem",
            "good.pem",
        ] {
            set_mode(&c.join(f), 0o644);
        }
    }

    fn write_conf(&self) {
        let d = self.dir().display();
        let run = self.run_dir();
        std::fs::create_dir_all(&run).unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", run.display()));
        set_mode(&run, 0o755);
        let c = self.certs();
        let c = c.display();
        let (p, ps) = (self.imap_port, self.imaps_port);
        let conf = format!(
            "instance_name = urpmail-test-{p}
base_dir = {run}
state_dir = {d}/state
log_path = {d}/log/dovecot.log
info_log_path = {d}/log/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
mail_location = maildir:~/Maildir
mail_fsync = never
# Keepalives during IDLE every 2 s instead of 2 min: every IDLE test waits through several.
imap_idle_notify_interval = 2 secs
ssl = yes
ssl_cert = <{c}/server.pem
ssl_key = <{c}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {p}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ps}
    ssl = yes
  }}
}}
",
            run = run.display()
        );
        write_file(&self.conf(), conf.as_bytes());
    }

    /// Spawns the master inside the watchdog's process group (a new watchdog unless one is
    /// armed already) and waits for the greeting on the plain port and a TCP accept on IMAPS.
    fn spawn(&mut self) -> Result<(), SpawnError> {
        let mut server = match self.server.take() {
            Some(s) => s,
            None => Server::watch(self.dir()),
        };
        assert!(server.master.is_none(), "dovecot: already running");
        self.generation += 1;
        self.write_conf();
        let stderr_path = self.dir().join(format!("log/stderr-{}.log", self.generation));
        let stderr =
            std::fs::File::create(&stderr_path).unwrap_or_else(|e| panic!("dovecot: stderr file: {e}"));
        let stdout = stderr.try_clone().unwrap_or_else(|e| panic!("dovecot: stderr file: {e}"));
        let master = Command::new(&self.dovecot_bin)
            .arg("-F")
            .arg("-c")
            .arg(self.conf())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(i32::try_from(server.pgid()).expect("pid fits in i32"))
            .spawn();
        match master {
            Ok(m) => server.master = Some(m),
            Err(e) => {
                server.kill();
                panic!("dovecot: cannot spawn {}: {e}", self.dovecot_bin.display());
            }
        }

        let deadline = Instant::now() + READY_TIMEOUT;
        let mut pause = Duration::from_millis(2);
        loop {
            if let Some(Ok(Some(status))) = server.master.as_mut().map(Child::try_wait) {
                server.kill();
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                if err.contains("Address already in use") {
                    return Err(SpawnError::AddrInUse);
                }
                panic!("dovecot exited at start ({status}): {err}\n--- log ---\n{}", self.log());
            }
            if greeting(self.imap_port).is_some()
                && TcpStream::connect(("127.0.0.1", self.imaps_port)).is_ok()
            {
                self.server = Some(server);
                return Ok(());
            }
            if Instant::now() > deadline {
                server.kill();
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("dovecot: no greeting within {READY_TIMEOUT:?}: {err}\n--- log ---\n{}", self.log());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn deliver_one(&self, md: &Path, bytes: &[u8], internal_date: Option<SystemTime>) {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        // Dovecot orders new files by the time in their names: seconds strictly grow with seq.
        let name = format!(
            "{}.M{}P{}Q{seq}.urpmail,S={}",
            self.name_base + seq,
            seq % 1_000_000,
            std::process::id(),
            bytes.len()
        );
        let tmp = md.join("tmp").join(&name);
        {
            let mut f = std::fs::File::create(&tmp)
                .unwrap_or_else(|e| panic!("dovecot: creating {}: {e}", tmp.display()));
            f.write_all(bytes).unwrap_or_else(|e| panic!("dovecot: writing {}: {e}", tmp.display()));
            if let Some(t) = internal_date {
                f.set_modified(t)
                    .unwrap_or_else(|e| panic!("dovecot: setting mtime of {}: {e}", tmp.display()));
            }
        }
        self.chown(&tmp);
        let new = md.join("new").join(&name);
        std::fs::rename(&tmp, &new).unwrap_or_else(|e| panic!("dovecot: rename to {}: {e}", new.display()));
    }

    /// PIDs of the `imap` session processes of this instance (same process group as the master).
    fn session_pids(&self) -> Vec<u32> {
        let Some(server) = &self.server else { return Vec::new() };
        let pgid = server.pgid();
        let mut pids = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else { return pids };
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Some((comm, state, pgrp)) = proc_stat(pid) else { continue };
            if comm == "imap" && pgrp == pgid && state != 'Z' {
                pids.push(pid);
            }
        }
        pids
    }

    fn wait_sessions_gone(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.session_pids().is_empty() {
            assert!(Instant::now() < deadline, "dovecot: imap sessions still alive 10 s after {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Server {
    /// Spawns the watchdog (own process group) guarding `dir`.
    fn watch(dir: &Path) -> Server {
        let mut watchdog = Command::new("sh")
            .args(["-c", WATCHDOG_SCRIPT, "dovecot-watchdog"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("dovecot: cannot spawn the watchdog sh: {e}"));
        let watchdog_pipe = watchdog.stdin.take();
        Server { watchdog, watchdog_pipe, master: None }
    }

    fn pgid(&self) -> u32 {
        self.watchdog.id()
    }

    /// SIGKILLs the whole group; returns once no process of it is left (no panic: runs in Drop).
    fn kill(mut self) {
        let pgid = self.pgid();
        let told = self.watchdog_pipe.take().is_some_and(|mut p| p.write_all(b"k\n").is_ok());
        if told {
            let _ = self.watchdog.wait();
        }
        if group_alive(pgid) {
            kill_group(pgid);
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        if let Some(mut m) = self.master.take() {
            let _ = m.kill();
            let _ = m.wait();
        }
        // SIGKILL is asynchronous: wait until the ports are closed and sessions dropped.
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_alive(pgid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---- helpers ----

/// SIGKILL to a process group, without the watchdog.
fn kill_group(pgid: u32) {
    let _ = Command::new("sh")
        .args(["-c", "kill -s KILL -- -\"$1\"", "sh"])
        .arg(pgid.to_string())
        .stdin(Stdio::null())
        .output();
}

/// Whether a live (non-zombie) process is in the process group.
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.flatten().any(|e| {
        e.file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
            .and_then(proc_stat)
            .is_some_and(|(_, state, pgrp)| pgrp == pgid && state != 'Z')
    })
}

/// (comm, state, pgrp) from /proc/PID/stat.
fn proc_stat(pid: u32) -> Option<(String, char, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    let mut rest = s.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let _ppid = rest.next()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some((comm, state, pgrp))
}

fn find_bin(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A temp dir on tmpfs when possible; 0755 with traversable parents (auth and imap run as
/// other users and must reach it).
fn make_temp_dir() -> tempfile::TempDir {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("urpmail-dovecot-");
        b
    };
    let dir = builder
        .tempdir_in("/dev/shm")
        .or_else(|_| builder.tempdir())
        .unwrap_or_else(|e| panic!("dovecot: cannot create a temp dir: {e}"));
    for parent in dir.path().ancestors().skip(1) {
        let mode = std::fs::metadata(parent).map(|m| m.permissions().mode()).unwrap_or(0);
        assert!(
            mode & 0o001 != 0,
            "dovecot: {} is not traversable by others (mode {mode:o}); Dovecot's auth/imap processes need it",
            parent.display()
        );
    }
    dir
}

/// uid and gid of `mail` (8:8 on Debian).
fn mail_ids() -> (u32, u32) {
    let field = |file: &str, idx: usize| {
        std::fs::read_to_string(file).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with("mail:")).and_then(|l| l.split(':').nth(idx)?.parse().ok())
        })
    };
    (field("/etc/passwd", 2).unwrap_or(8), field("/etc/group", 2).unwrap_or(8))
}

/// Two distinct free ports (both listeners held at once, then released).
fn free_port_pair() -> (u16, u16) {
    let bind =
        || TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("dovecot: bind 127.0.0.1:0: {e}"));
    let (a, b) = (bind(), bind());
    let port = |l: &TcpListener| l.local_addr().unwrap_or_else(|e| panic!("dovecot: local_addr: {e}")).port();
    (port(&a), port(&b))
}

fn port_bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The greeting line on the plain port, if the server answers with `* OK`.
pub(crate) fn greeting(port: u16) -> Option<String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).ok()?;
    let _ = stream.shutdown(Shutdown::Both);
    line.starts_with("* OK").then_some(line)
}

/// Runs openssl in `cwd` with whitespace-separated arguments (none contains a space).
fn openssl(cwd: &Path, args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("dovecot: cannot run openssl: {e}"));
    if !out.status.success() {
        panic!("dovecot: openssl {args:?} failed: {}", describe(&out));
    }
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("dovecot: writing {}: {e}", path.display()));
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("dovecot: chmod {mode:o} {}: {e}", path.display()));
}

mod raw;
#[cfg(test)]
mod tests;

pub(crate) use raw::{RawImap, uidvalidity};
