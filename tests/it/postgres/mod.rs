//! A real PostgreSQL on 127.0.0.1 for the store tests (recipe: ../shared/TEST-SERVERS.md).
//!
//! One private cluster per test process, made on first use: `initdb` in a temp dir (as the
//! `postgres` user when the tests run as root, which initdb refuses), a free loopback port,
//! password (SCRAM) authentication over TCP as production uses, and TLS with a certificate of
//! the test's own CA. Every test gets a database of its own, owned by the role `urpmail`.
//!
//! Cleanup: a watchdog `sh`, in a session of its own (so Ctrl-C does not reach it), reads a
//! pipe only this process holds; when the test process exits or dies, the pipe's EOF makes it
//! stop the cluster (`pg_ctl -m immediate`) and remove the temp dir. No PostgreSQL outlives
//! `cargo test`.

#![allow(dead_code)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use urpmail::store::{PgPassword, PgTarget, StoreTarget};

/// Printed (or panicked with, when CI=true) when PostgreSQL is missing.
pub(crate) const SKIP_MESSAGE: &str =
    "SKIP: PostgreSQL not installed (scripts/test.sh installs the Debian package postgresql)";

const SUPERUSER_PASSWORD: &str = "su-test-password";
const ROLE: &str = "urpmail";
const ROLE_PASSWORD: &str = "urpmail-test-password";
const PORT_ATTEMPTS: u32 = 8;

/// The running cluster.
#[derive(Debug)]
pub(crate) struct Cluster {
    dir: PathBuf,
    port: u16,
    /// Holding it keeps the watchdog waiting; dropped only when the process ends.
    _watchdog: Mutex<(Child, ChildStdin)>,
    next_db: AtomicU32,
}

/// A database of one test, with the files a store target names.
#[derive(Debug, Clone)]
pub(crate) struct TestDb {
    pub(crate) name: String,
    pub(crate) port: u16,
    /// The role's password in a 0600 file.
    pub(crate) password_file: PathBuf,
    /// The CA that signed the server's certificate.
    pub(crate) ca_file: PathBuf,
}

impl TestDb {
    /// The store in this database, reached in clear text on loopback.
    pub(crate) fn target(&self) -> StoreTarget {
        StoreTarget::Postgres(Box::new(PgTarget {
            user: ROLE.into(),
            host: "127.0.0.1".into(),
            port: self.port,
            database: self.name.clone(),
            password: PgPassword::File(self.password_file.clone()),
            ca_file: None,
            schema: urpmail::store::DEFAULT_PG_SCHEMA.into(),
        }))
    }

    /// `--store` for the command line.
    pub(crate) fn url(&self) -> String {
        format!(
            "postgres://{ROLE}@127.0.0.1:{}/{}?password_file={}",
            self.port,
            self.name,
            self.password_file.display()
        )
    }

    /// A `[store]` section for a configuration file.
    pub(crate) fn config_section(&self) -> String {
        format!(
            "[store]\nurl = \"postgres://{ROLE}@127.0.0.1:{}/{}\"\npassword_file = \"{}\"\n",
            self.port,
            self.name,
            self.password_file.display()
        )
    }

    /// A superuser connection to this database (for checks the store API does not offer).
    pub(crate) fn admin(&self) -> postgres::Client {
        admin_client(self.port, &self.name)
    }
}

fn admin_client(port: u16, db: &str) -> postgres::Client {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .password(SUPERUSER_PASSWORD)
        .dbname(db)
        .connect(postgres::NoTls)
        .unwrap_or_else(|e| panic!("postgres: superuser connection: {e}"))
}

/// The cluster of this test process, started on first use; `None` (after printing
/// [`SKIP_MESSAGE`]) when PostgreSQL is not installed and CI is not "true".
pub(crate) fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            let Some(bin) = find_bin() else {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{SKIP_MESSAGE}");
                }
                eprintln!("{SKIP_MESSAGE}");
                return None;
            };
            Some(Cluster::start(&bin))
        })
        .as_ref()
}

/// A new database for one test (`None`: PostgreSQL is missing and the test is skipped).
pub(crate) fn database(hint: &str) -> Option<TestDb> {
    cluster().map(|c| c.database(hint))
}

impl Cluster {
    fn start(bin: &Path) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("urpmail-pg-")
            .tempdir_in("/tmp")
            .expect("postgres: temp dir")
            .keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let watchdog = watch(&dir, bin);
        let as_root = is_root();
        write(&dir.join("su.pw"), SUPERUSER_PASSWORD, 0o600);
        make_certs(&dir);
        if as_root {
            for f in ["su.pw", "server.key", "server.pem", "ca.pem"] {
                chown_postgres(&dir.join(f));
            }
            chown_postgres(&dir);
        }
        run_as_postgres(
            bin.join("initdb"),
            &[
                "-D",
                &dir.join("data").display().to_string(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={}", dir.join("su.pw").display()),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        let mut port = 0;
        for attempt in 1..=PORT_ATTEMPTS {
            port = free_port();
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c max_connections=200 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                dir.display(),
                dir.join("server.pem").display(),
                dir.join("server.key").display()
            );
            let ok = run_as_postgres_status(
                bin.join("pg_ctl"),
                &[
                    "-D",
                    &dir.join("data").display().to_string(),
                    "-l",
                    &dir.join("pg.log").display().to_string(),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &options,
                    "start",
                ],
            );
            if ok {
                break;
            }
            let log = std::fs::read_to_string(dir.join("pg.log")).unwrap_or_default();
            if attempt == PORT_ATTEMPTS || !log.contains("in use") {
                panic!("postgres: pg_ctl start failed:\n{log}");
            }
        }
        let mut admin = admin_client(port, "postgres");
        admin
            .batch_execute(&format!("CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'"))
            .expect("postgres: create role");
        write(&dir.join("urpmail.pw"), &format!("{ROLE_PASSWORD}\n"), 0o600);
        Cluster { dir, port, _watchdog: Mutex::new(watchdog), next_db: AtomicU32::new(0) }
    }

    /// A new database owned by the store's role.
    pub(crate) fn database(&self, hint: &str) -> TestDb {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let clean: String = hint
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .take(40)
            .collect();
        let name = format!("t{n}_{clean}");
        admin_client(self.port, "postgres")
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
            .unwrap_or_else(|e| panic!("postgres: create database {name}: {e}"));
        TestDb {
            name,
            port: self.port,
            password_file: self.dir.join("urpmail.pw"),
            ca_file: self.dir.join("ca.pem"),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The CA that did not sign the server's certificate.
    pub(crate) fn other_ca(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }

    /// A file in the cluster's folder (written 0600).
    pub(crate) fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        write(&p, text, 0o600);
        p
    }
}

/// `initdb`'s folder: the newest installed major version.
fn find_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn command_as_postgres(program: PathBuf, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn run_as_postgres(program: PathBuf, args: &[&str]) {
    let out = command_as_postgres(program.clone(), args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("postgres: cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "postgres: {} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_as_postgres_status(program: PathBuf, args: &[&str]) -> bool {
    command_as_postgres(program, args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The watchdog: waits for EOF on its stdin, then stops the cluster and removes `dir`.
fn watch(dir: &Path, bin: &Path) -> (Child, ChildStdin) {
    let stop = if is_root() { "runuser -u postgres -- \"$2\"/pg_ctl" } else { "\"$2\"/pg_ctl" };
    let script = format!(
        "while read -r _; do :; done
         {stop} -D \"$1\"/data -m immediate -w stop >/dev/null 2>&1
         rm -rf -- \"$1\""
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("pg-watchdog")
        .arg(dir)
        .arg(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("postgres: watchdog");
    let stdin = child.stdin.take().expect("watchdog stdin");
    (child, stdin)
}

fn chown_postgres(path: &Path) {
    let ok = Command::new("chown").arg("postgres:postgres").arg(path).status().is_ok_and(|s| s.success());
    assert!(ok, "postgres: chown {}", path.display());
}

fn write(path: &Path, text: &str, mode: u32) {
    let mut f = std::fs::File::create(path).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    f.write_all(text.as_bytes()).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A CA, the server's certificate (localhost and 127.0.0.1) signed by it, and an unrelated CA.
fn make_certs(dir: &Path) {
    const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256";
    for (name, cn) in [("ca", "urpmail-pg-test-ca"), ("other-ca", "urpmail-pg-other-ca")] {
        openssl(
            dir,
            &format!(
                "req -x509 {EC} -days 3650 -keyout {name}.key -out {name}.pem -subj /CN={cn} \
                 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
            ),
        );
    }
    openssl(dir, &format!("req {EC} -keyout server.key -out server.csr -subj /CN=localhost"));
    write(
        &dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        0o644,
    );
    openssl(
        dir,
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
         -extfile server.ext -out server.pem",
    );
    std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

fn openssl(cwd: &Path, args: &str) {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("postgres: cannot run openssl: {e}"));
    assert!(
        out.status.success(),
        "postgres: openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
