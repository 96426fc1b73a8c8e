//! The Debian package and who runs what (issue 15, items 5 and 6).
//!
//! `cargo deb` builds the package around the binary under test; its files, modes, control fields,
//! conffiles and maintainer scripts are checked. Then dpkg installs it for real in a throwaway
//! overlay of this machine: a private mount namespace with overlays on /etc, /usr, /var and /srv,
//! so users, groups, files and the dpkg database change only inside the test. There the
//! maintainer scripts create the service user, the office group and the folders; the service
//! user records an archive; a member of the office group runs the guide's commands through
//! `urpmail-staff` (reports, review, learn) from the shared folder; the mistakes staff can make
//! get one plain Italian sentence; a purge keeps the database.
//!
//! Needs root, util-linux (unshare, nsenter, runuser), dpkg, sudo and cargo-deb: scripts/test.sh
//! installs them. Elsewhere the test prints SKIP, except under CI=true, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::support::repo;

const SKIP: &str = "SKIP: package test needs root, unshare, nsenter, runuser, dpkg, sudo, visudo, useradd and cargo-deb (scripts/test.sh installs them)";

/// True when everything the test needs is here; otherwise SKIP (or a failure under CI).
fn available() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")));
    let tools = ["unshare", "nsenter", "runuser", "dpkg", "sudo", "visudo", "useradd"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let deb = Command::new(cargo()).args(["deb", "--version"]).output().is_ok_and(|o| o.status.success());
    if root && tools && deb {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{SKIP} (root {root}, tools {tools}, cargo-deb {deb})");
    }
    eprintln!("{SKIP}");
    false
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output, what: &str) -> String {
    assert!(o.status.success(), "{what} failed ({}): {}", o.status, text(&o));
    text(&o)
}

/// Builds the package around the binary under test, as the README's `cargo deb` does (the
/// release path is the one the metadata names; the binary is this test build's).
fn build_package(dir: &Path) -> PathBuf {
    let release = dir.join("target/release");
    std::fs::create_dir_all(&release).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_urpmail"), release.join("urpmail")).expect("copy binary");
    let deb = dir.join("urpmail.deb");
    let out = Command::new(cargo())
        .args(["deb", "--no-build", "--strip", "--fast", "--quiet", "-o"])
        .arg(&deb)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .current_dir(repo())
        .output()
        .expect("cargo deb");
    ok(out, "cargo deb");
    deb
}

/// A private mount namespace with overlays on /etc, /usr, /var and /srv, held open by a sleeping
/// process; commands enter it with nsenter. Dropping it ends the namespace.
struct Overlay {
    holder: Child,
    dir: PathBuf,
}

impl Overlay {
    fn start(dir: &Path) -> Overlay {
        let mut script = String::from("set -e\n");
        for d in ["etc", "usr", "var", "srv"] {
            let up = dir.join(format!("{d}-up"));
            let work = dir.join(format!("{d}-work"));
            std::fs::create_dir_all(&up).expect("mkdir");
            std::fs::create_dir_all(&work).expect("mkdir");
            script += &format!(
                "mount -t overlay overlay -o lowerdir=/{d},upperdir={},workdir={} /{d}\n",
                up.display(),
                work.display()
            );
        }
        // Keep the host's systemd (if any) out of the maintainer scripts.
        script += "if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi\n";
        script += "echo ready\nexec sleep 3600\n";
        let mut holder = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("unshare");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(holder.stdout.as_mut().expect("stdout")),
            &mut line,
        )
        .expect("read");
        assert_eq!(line.trim(), "ready", "the overlay namespace did not start");
        Overlay { holder, dir: dir.to_path_buf() }
    }

    /// Runs a command as root inside the overlay.
    fn run(&self, args: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.holder.id().to_string(), "-m", "--"])
            .args(args)
            .env("LANG", "C.UTF-8")
            .output()
            .expect("nsenter")
    }

    /// Runs a shell script as `user` (with the user's groups) inside the overlay.
    fn as_user(&self, user: &str, script: &str) -> Output {
        self.run(&["runuser", "-u", user, "--", "sh", "-c", script])
    }

    /// "owner:group mode" of a path inside the overlay.
    fn stat(&self, path: &str) -> String {
        ok(self.run(&["stat", "-c", "%U:%G %a", path]), "stat").trim().to_string()
    }

    /// Where a file written inside the overlay under /var lies on the host.
    fn var_file(&self, rel: &str) -> PathBuf {
        self.dir.join("var-up").join(rel)
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Contents, modes, control fields, conffiles and maintainer scripts, read from the .deb itself.
fn check_contents(deb: &Path, dir: &Path) {
    let listing = ok(Command::new("dpkg-deb").arg("-c").arg(deb).output().expect("dpkg-deb"), "dpkg-deb -c");
    let mode_of = |path: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" .{path}")))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("{path} is not in the package:\n{listing}"))
    };
    assert_eq!(mode_of("/usr/bin/urpmail"), "-rwxr-xr-x");
    assert_eq!(mode_of("/usr/bin/urpmail-staff"), "-rwxr-xr-x");
    assert_eq!(mode_of("/etc/sudoers.d/urpmail-staff"), "-r--r-----");
    assert_eq!(mode_of("/etc/urpmail/urpmail.toml.example"), "-rw-r--r--");
    for unit in [
        "urpmail.service",
        "urpmail-poll.service",
        "urpmail-poll.timer",
        "urpmail-check.service",
        "urpmail-check.timer",
        "urpmail-web.service",
        "urpmail@.service",
    ] {
        assert_eq!(mode_of(&format!("/usr/lib/systemd/system/{unit}")), "-rw-r--r--");
        // Every program a unit starts is in the package.
        let body = std::fs::read_to_string(repo().join("packaging/systemd").join(unit)).expect("unit");
        for exec in body.lines().filter_map(|l| l.strip_prefix("ExecStart=")) {
            let program = exec.split_whitespace().next().expect("program");
            mode_of(program);
        }
    }
    for doc in ["service.md", "guida-ufficio.md", "README.md", "copyright"] {
        mode_of(&format!("/usr/share/doc/urpmail/{doc}"));
    }
    // No configuration with placeholders that a service could start on.
    assert!(!listing.contains("./etc/urpmail/urpmail.toml\n"), "{listing}");

    let field = |name: &str| {
        let o = Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(name).output().expect("dpkg-deb -f");
        ok(o, "dpkg-deb -f").trim().to_string()
    };
    assert_eq!(field("Package"), "urpmail");
    let depends = field("Depends");
    assert!(depends.contains("adduser") && depends.contains("libc6"), "{depends}");
    assert!(field("Recommends").contains("sudo"));

    let control = dir.join("control");
    ok(
        Command::new("dpkg-deb").arg("-e").arg(deb).arg(&control).output().expect("dpkg-deb -e"),
        "dpkg-deb -e",
    );
    let conffiles = std::fs::read_to_string(control.join("conffiles")).expect("conffiles");
    for c in ["/etc/urpmail/urpmail.toml.example", "/etc/sudoers.d/urpmail-staff"] {
        assert!(conffiles.lines().any(|l| l == c), "{c} not a conffile: {conffiles}");
    }
    for script in ["postinst", "prerm", "postrm"] {
        let path = control.join(script);
        ok(Command::new("sh").arg("-n").arg(&path).output().expect("sh -n"), script);
    }
    let postinst = std::fs::read_to_string(control.join("postinst")).expect("postinst");
    for needed in ["adduser --system", "addgroup --system --quiet urpmail-staff", "dpkg-statoverride"] {
        assert!(postinst.contains(needed), "postinst lacks {needed}");
    }
    let sudoers = ok(
        Command::new("visudo")
            .arg("-cf")
            .arg(repo().join("packaging/sudoers.d/urpmail-staff"))
            .output()
            .expect("visudo"),
        "visudo",
    );
    assert!(sudoers.contains("parsed OK"), "{sudoers}");
}

/// Two citizens' messages in an mbox the service user can read.
const ARCHIVE: &str = "From a@example.org Mon Mar  3 10:00:00 2025
From: A <a@example.org>
To: urp@comune.example.it
Subject: Pagamento TARI
Date: Mon, 3 Mar 2025 10:00:00 +0100
Message-ID: <pkg-1@example.org>

Buongiorno, non ho ricevuto l'avviso di pagamento della TARI di quest'anno. Come posso averlo?

From b@example.org Mon Mar  3 11:00:00 2025
From: B <b@example.org>
To: urp@comune.example.it
Subject: Buca in via Roma
Date: Mon, 3 Mar 2025 11:00:00 +0100
Message-ID: <pkg-2@example.org>

Segnalo una buca pericolosa in via Roma davanti al civico 12, grazie.

";

#[test]
fn the_package_installs_and_staff_run_the_office_commands() {
    if !available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // The test users must reach the package and the archive.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let deb = build_package(dir);
    check_contents(&deb, dir);

    let o = Overlay::start(dir);
    let deb = deb.to_str().expect("utf-8 path");

    // Install: the scripts make the service user, the office group and the folders.
    let installed = ok(o.run(&["dpkg", "-i", deb]), "dpkg -i");
    assert!(
        installed.contains("/etc/urpmail/urpmail.toml.example"),
        "no hint to write the configuration: {installed}"
    );
    let passwd = ok(o.run(&["getent", "passwd", "urpmail"]), "getent passwd");
    assert!(passwd.trim_end().ends_with(":/var/lib/urpmail:/usr/sbin/nologin"), "{passwd}");
    ok(o.run(&["getent", "group", "urpmail-staff"]), "getent group");
    let modes = || {
        [
            o.stat("/etc/urpmail"),
            o.stat("/var/lib/urpmail"),
            o.stat("/srv/urpmail"),
            o.stat("/etc/sudoers.d/urpmail-staff"),
        ]
    };
    let expected = ["root:urpmail 750", "urpmail:urpmail 750", "urpmail:urpmail-staff 2770", "root:root 440"];
    assert_eq!(modes(), expected);
    // Installing again (an upgrade or a reinstall) changes nothing and adds no second user.
    ok(o.run(&["dpkg", "-i", deb]), "dpkg -i again");
    assert_eq!(modes(), expected);
    let users = ok(o.run(&["sh", "-c", "grep -c '^urpmail:' /etc/passwd"]), "count");
    assert_eq!(users.trim(), "1");

    // The IT person's part: a configuration, staff accounts, an archive recorded by the service.
    let setup = format!(
        "set -e
printf 'version = 1\\n[store]\\npath = \"/var/lib/urpmail/urpmail.db\"\\n' > /etc/urpmail/urpmail.toml
chgrp urpmail /etc/urpmail/urpmail.toml && chmod 0640 /etc/urpmail/urpmail.toml
useradd --create-home --shell /bin/sh --groups urpmail-staff maria
useradd --create-home --shell /bin/sh ugo
chmod 0700 /home/maria
mkdir -p /srv/archivio && cat > /srv/archivio/urp.mbox <<'EOF'
{ARCHIVE}EOF
chmod -R a+rX /srv/archivio"
    );
    ok(o.run(&["sh", "-c", &setup]), "setup");
    ok(
        o.as_user("urpmail", "urpmail ingest --config /etc/urpmail/urpmail.toml /srv/archivio/urp.mbox"),
        "ingest as the service user",
    );

    // Staff, from the shared folder, as the guide says.
    let staff = |script: &str| o.as_user("maria", &format!("cd /srv/urpmail && {script}"));
    let status = ok(staff("urpmail-staff status"), "urpmail-staff status");
    assert!(status.contains("messages: 2"), "{status}");
    ok(staff("urpmail-staff report themes --format csv --out temi.csv"), "report themes");
    assert_eq!(o.stat("/srv/urpmail/temi.csv"), "urpmail:urpmail-staff 660");
    let csv = ok(staff("cat temi.csv"), "staff read the table");
    let md = ok(staff("urpmail-staff report themes --format md"), "a table to the terminal");
    assert!(md.contains("| Tributi e pagamenti |"), "{md}");
    assert!(csv.contains("Tributi"), "{csv}");
    ok(staff("urpmail-staff report review --out da-rivedere.json"), "report review");
    // Maria corrects one decision in the file the service wrote (the group may edit it).
    let edit = "python3 -c \"import json; f='da-rivedere.json'; v=json.load(open(f)); \
        i=[x for x in v['items'] if x['topic'] != 'anagrafe'][0]; \
        i['corrected_topic']='anagrafe'; json.dump(v, open(f, 'w'))\"";
    ok(staff(edit), "edit the review file");
    let learned = ok(staff("urpmail-staff learn da-rivedere.json"), "learn");
    assert!(learned.contains("1 correzione, 0 conferme"), "{learned}");
    assert!(
        learned.contains("per annullare: urpmail-staff learn --undo 1"),
        "the hint staff can type: {learned}"
    );
    // The audit trail names who applied it, through sudo.
    let store = o.var_file("lib/urpmail/urpmail.db");
    let db = rusqlite::Connection::open_with_flags(&store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("store");
    let reviewer: String = db
        .query_row("SELECT reviewer FROM correction_batches ORDER BY id DESC", [], |r| r.get(0))
        .expect("batch");
    assert_eq!(reviewer, "maria");
    drop(db);
    // The learned model is the store's and decides at once (status names it).
    let status = ok(staff("urpmail-staff status"), "status after learn");
    assert!(status.contains("learned"), "{status}");

    // What staff may get wrong: one sentence, exit 2, no Rust internals.
    let refused = |o: Output, needle: &str| {
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert!(t.contains(needle), "expected {needle:?} in: {t}");
        assert!(!t.contains("Some(") && !t.contains("os error"), "{t}");
    };
    refused(
        staff("urpmail report themes --config /etc/urpmail/urpmail.toml"),
        "permission denied for user maria",
    );
    refused(
        staff("urpmail status --store /var/lib/urpmail/urpmail.db"),
        "/var/lib/urpmail: permission denied for user maria",
    );
    refused(staff("urpmail-staff ingest /srv/archivio/urp.mbox"), "non è un comando d'ufficio");
    refused(staff("urpmail-staff report themes --config /tmp/altro.toml"), "l'opzione --config non si usa");
    refused(
        o.as_user("maria", "cd /home/maria && urpmail-staff report themes --out temi.csv"),
        "cd /srv/urpmail",
    );
    refused(
        o.as_user("maria", "cd /home/maria && echo '{}' > mio.json && urpmail-staff learn mio.json"),
        "non può leggere «mio.json»",
    );
    refused(o.as_user("ugo", "cd /srv && urpmail-staff status"), "non fa parte del gruppo urpmail-staff");
    let help = ok(staff("urpmail-staff --help"), "help");
    assert!(help.contains("report review") && help.contains("learn FILE"), "{help}");

    // The web page's accounts: written by root, the page (run as the service user) cannot read
    // them and says so; written as the service user, as docs/service.md says, they load.
    let accounts = "/var/lib/urpmail/utenti-web";
    let add =
        format!("echo 'una password lunga' | urpmail users add maria --password-stdin --file {accounts}");
    ok(o.run(&["sh", "-c", &add]), "users add as root");
    let serve =
        format!("urpmail serve --config /etc/urpmail/urpmail.toml --users {accounts} --listen 127.0.0.1:0");
    refused(o.as_user("urpmail", &serve), "permission denied for user urpmail");
    ok(o.run(&["rm", accounts]), "rm");
    ok(o.as_user("urpmail", &add), "users add as the service user");
    assert_eq!(o.stat(accounts), "urpmail:urpmail 600");

    // Purge: the program goes, the comune's data stay.
    ok(o.run(&["dpkg", "--purge", "urpmail"]), "dpkg --purge");
    assert!(!o.run(&["test", "-e", "/usr/bin/urpmail"]).status.success());
    assert!(o.run(&["test", "-e", "/var/lib/urpmail/urpmail.db"]).status.success());
    let overrides = ok(o.run(&["dpkg-statoverride", "--list"]), "statoverride");
    assert!(!overrides.contains("/etc/urpmail"), "{overrides}");
}
