#!/usr/bin/env python3
"""Side-by-side IMAP benchmark: `urpmail poll` vs `mbsync` against a private Dovecot on loopback.

  python3 bench/imap.py [--runs N] [--messages N] [--urpmail PATH] [--keep] [--strict]

Starts a private Dovecot (own config, CA and server certificate, free ports, all under a temp
dir on /dev/shm), loads one mailbox of 10,000 distinct messages made from
samples/mailbox/cur (cycled, each copy with a unique Message-ID), then measures:

  1. full sync, interleaved, median of 5 runs each, each run from scratch:
     `urpmail -q poll --once` (fetch + parse + classify + store, fresh store) and
     `mbsync -q` (fetch + write a Maildir on tmpfs); ratio mbsync time / urpmail time;
  2. the no-new-mail round trip: `urpmail -q poll --once` on the synced store, median of 5;
  3. new-mail-to-stored latency of the daemon (`urpmail poll`, IDLE): 10 messages delivered
     one at a time into the server's Maildir, time until the row is in the store.

Prints a table and writes bench/work/imap-results.json. Python standard library only; needs
root (Dovecot's mail user), dovecot-imapd, isync (mbsync 1.4.x) and openssl. Everything runs on
127.0.0.1 (mbsync connects to "localhost", see ../shared/IMAP-TESTING.md).
"""

import argparse
import datetime as dt
import hashlib
import imaplib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
SAMPLES = os.path.join(REPO, "samples", "mailbox", "cur")
DEFAULT_URPMAIL = os.path.join(REPO, "target", "release", "urpmail")
USER, PASSWORD = "test", "secret"
MAIL_UID_NAME = "mail"
BASE_TIME = 1_700_000_000  # Maildir file names and mtimes (INTERNALDATE) start here

TARGETS = {
    "full_sync_ratio_min": 1.0,  # mbsync wall / urpmail wall >= 1.0
    "idle_latency_median_max_s": 1.0,  # new mail stored within 1 s (median)
}


def log(msg=""):
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Host facts


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_jiffies():
    """(total, idle) jiffies of all cores from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + (v[4] if len(v) > 4 else 0)


def cpu_busy(seconds=1.0):
    """Share of all cores busy over `seconds`, or None."""
    try:
        t0, i0 = cpu_jiffies()
        time.sleep(seconds)
        t1, i1 = cpu_jiffies()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return None


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


# ---------------------------------------------------------------------------------------------
# Measuring


def proc_cpu(select):
    """CPU seconds (own + reaped children) of the processes for which `select(pid, fields)` is
    true, `fields` being /proc/PID/stat after the command name (fields[1] the parent, fields[3]
    the session)."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if select(int(pid), fields):
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / hz


def session_cpu(sid):
    """CPU seconds of all processes in session `sid` (Dovecot's), so that the CPU time of
    exited imap processes, reaped by the master, is included."""
    return proc_cpu(lambda pid, fields: int(fields[3]) == sid)


SERVER_SID = []  # Dovecot's session id, once started


def measure(cmd, log_path=None, env=None):
    """Runs cmd (no shell, stdout discarded, stderr to log_path) and returns its wall seconds,
    CPU seconds and peak RSS, the busy CPU seconds of the whole machine meanwhile, Dovecot's
    CPU seconds meanwhile, and what is left ("other_cpu_s": other processes, interrupts; a
    large value means something else was running)."""
    hz = os.sysconf("SC_CLK_TCK")
    with open(log_path or os.devnull, "wb") as err:
        d0 = session_cpu(SERVER_SID[0]) if SERVER_SID else 0.0
        j0 = cpu_jiffies()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        j1 = cpu_jiffies()
        d1 = session_cpu(SERVER_SID[0]) if SERVER_SID else 0.0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        msg = open(log_path, "rb").read().decode("utf-8", "replace")[-4000:] if log_path else ""
        raise RuntimeError(f"command failed (exit {rc}): {shlex.join(cmd)}\n{msg}")
    cpu = ru.ru_utime + ru.ru_stime
    machine = ((j1[0] - j0[0]) - (j1[1] - j0[1])) / hz
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_mb": ru.ru_maxrss / 1024.0,
        "machine_cpu_s": machine,
        "dovecot_cpu_s": d1 - d0,
        "other_cpu_s": machine - cpu - (d1 - d0),
    }


def med(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------------------------
# Dovecot


def free_port(also_v6):
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if also_v6:
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port found")


def localhost_needs_v6():
    """True when "localhost" resolves to ::1 too (mbsync connects to "localhost")."""
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo("localhost", None, proto=socket.IPPROTO_TCP)}
    except socket.gaierror:
        return False
    if "::1" not in addrs:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def make_certs(d):
    os.makedirs(d, exist_ok=True)
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "3650", "-sha256", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=urpmail-bench-ca",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=d)
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256",
         "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-days", "3650", "-sha256", "-extfile", "server.ext", "-out", "server.pem"], cwd=d)
    os.chmod(os.path.join(d, "server.key"), 0o644)  # read by Dovecot's master as root; harmless test key
    return os.path.join(d, "ca.pem")


class Dovecot:
    def __init__(self, root, certs, listen):
        self.dir = os.path.join(root, "dovecot")
        self.listen = listen
        self.port = free_port(len(listen) > 1)
        self.imaps_port = free_port(len(listen) > 1)
        while self.imaps_port == self.port:
            self.imaps_port = free_port(len(listen) > 1)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.maildir = os.path.join(self.dir, "mail", USER, "Maildir")
        self.log = os.path.join(self.dir, "log", "dovecot.log")
        self.proc = None
        for sub in ("run", "state", "log", "mail"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}::::{self.dir}/mail/{USER}::\n")
        addrs = ", ".join(listen)
        with open(self.conf, "w") as f:
            f.write(f"""instance_name = urpmail-bench-{self.imaps_port}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.log}
info_log_path = {self.log}
protocols = imap
listen = {addrs}
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
mail_location = maildir:~/Maildir
mail_fsync = never
ssl = yes
ssl_cert = <{certs}/server.pem
ssl_key = <{certs}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.dir}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = {addrs}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {addrs}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
""")

    def chown_mail(self, path=None):
        run(["chown", "-R", "mail:mail", path or os.path.join(self.dir, "mail")])

    def start(self):
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.proc.returncode}: {self.tail_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"dovecot did not accept on :{self.imaps_port}: {self.tail_log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the master and all its children (own session)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def tail_log(self, n=4000):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")[-n:]
        except OSError:
            return ""

    def log_problems(self):
        return [l for l in self.tail_log(1 << 20).splitlines()
                if re.search(r"\b(Error|Fatal|Panic|Warning)\b", l)]

    def seen_count(self):
        """Files in the server's Maildir whose flags (after ':2,') contain S."""
        n = 0
        for sub in ("cur", "new"):
            for name in os.listdir(os.path.join(self.maildir, sub)):
                _, sep, flags = name.partition(":2,")
                if sep and "S" in flags:
                    n += 1
        return n

    def message_files(self):
        return sum(len(os.listdir(os.path.join(self.maildir, s))) for s in ("cur", "new"))


# ---------------------------------------------------------------------------------------------
# The mailbox

MSGID_RE = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def load_samples():
    names = sorted(os.listdir(SAMPLES))
    out = []
    for n in names:
        with open(os.path.join(SAMPLES, n), "rb") as f:
            out.append(f.read())
    if not out:
        raise RuntimeError(f"no samples in {SAMPLES}")
    return out


def with_message_id(raw, tag):
    """`raw` with every Message-ID header line (the top-level one and those of embedded
    messages, e.g. a PEC envelope's postacert.eml, whose ID urpmail uses as the content key)
    made unique by prefixing its value with `tag`; a missing top-level one is added."""

    def repl(m):
        value = re.sub(rb"\s+", b"", m.group(0).split(b":", 1)[1]).strip(b"<>")
        return b"Message-ID: <" + tag.encode() + b"." + value + b">\n"

    out = MSGID_RE.sub(repl, raw)
    end = out.find(b"\n\n")
    if not MSGID_RE.search(out[: end + 1] if end >= 0 else out):
        out = b"Message-ID: <" + tag.encode() + b"@bench.invalid>\n" + out
    return out


def deliver(maildir, raw, index, tag):
    """Writes one message into Maildir/new (tmp, then rename) as mail:mail; returns the time
    (perf_counter) at which it became visible in new/."""
    name = f"{BASE_TIME + index}.M{index}P{os.getpid()}.{tag},S={len(raw)}"
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.utime(tmp, (BASE_TIME + index, BASE_TIME + index))
    os.chown(tmp, MAIL_IDS[0], MAIL_IDS[1])
    os.rename(tmp, os.path.join(maildir, "new", name))
    return time.perf_counter()


def fill_mailbox(dv, samples, count):
    t0 = time.perf_counter()
    total = 0
    for i in range(count):
        raw = with_message_id(samples[i % len(samples)], f"bench{i + 1:06d}")
        name = f"{BASE_TIME + i}.M{i}P{os.getpid()}.bench,S={len(raw)}"
        p = os.path.join(dv.maildir, "tmp", name)
        with open(p, "wb") as f:
            f.write(raw)
        os.utime(p, (BASE_TIME + i, BASE_TIME + i))
        os.rename(p, os.path.join(dv.maildir, "new", name))
        total += len(raw)
    dv.chown_mail()
    return total, time.perf_counter() - t0


def imap_check(dv, ca, expect):
    """Warm-up and check over IMAPS: EXAMINE INBOX, EXISTS/UIDNEXT and the wire size of all
    messages (RFC822.SIZE, with CRLF line ends). Builds Dovecot's index before any timed run."""
    ctx = ssl.create_default_context(cafile=ca)
    m = imaplib.IMAP4_SSL("127.0.0.1", dv.imaps_port, ssl_context=ctx)
    try:
        m.login(USER, PASSWORD)
        typ, data = m.select("INBOX", readonly=True)
        exists = int(data[0])
        typ, st = m.status("INBOX", "(UIDNEXT UIDVALIDITY)")
        uidnext = int(re.search(rb"UIDNEXT (\d+)", st[0]).group(1))
        typ, data = m.uid("FETCH", "1:*", "(RFC822.SIZE)")
        sizes = [int(x) for x in re.findall(rb"RFC822\.SIZE (\d+)", b" ".join(d for d in data if isinstance(d, bytes)))]
        m.close()
    finally:
        try:
            m.logout()
        except Exception:
            pass
    if exists != expect or uidnext != expect + 1 or len(sizes) != expect:
        raise RuntimeError(f"mailbox check failed: EXISTS {exists}, UIDNEXT {uidnext}, sizes {len(sizes)}; want {expect}")
    return sum(sizes)


# ---------------------------------------------------------------------------------------------
# Tools


def urpmail_config(path, store, dv, ca, passfile):
    with open(path, "w") as f:
        f.write(f"""version = 1
[store]
path = "{store}"
[[account]]
name = "bench"
host = "127.0.0.1"
port = {dv.imaps_port}
tls = "implicit"
ca_file = "{ca}"
username = "{USER}"
password_file = "{passfile}"
mailboxes = ["INBOX"]
batch_size = 500
timeout_secs = 60
idle = true
poll_interval_secs = 600
""")


def mbsync_config(path, dv, ca, out):
    with open(path, "w") as f:
        f.write(f"""FSync no
IMAPAccount dv
Host localhost
Port {dv.imaps_port}
User {USER}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {ca}
AuthMechs LOGIN

IMAPStore dv-far
Account dv

MaildirStore dv-near
Path {out}/
Inbox {out}/INBOX

Channel dv
Far :dv-far:
Near :dv-near:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
""")
    os.chmod(path, 0o600)


def urpmail_status(urpmail, store):
    p = subprocess.run([urpmail, "-q", "status", "--store", store, "--format", "json"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"urpmail status failed ({p.returncode}): {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def check_urpmail_store(urpmail, store, expect):
    st = urpmail_status(urpmail, store)
    msgs = st.get("messages")
    if isinstance(msgs, dict):  # tolerate {"total": n, ...}
        msgs = msgs.get("total", msgs.get("count"))
    mbs = st.get("mailboxes") or []
    last_uid = mbs[0].get("last_uid") if mbs else None
    ok = msgs == expect and last_uid == expect
    return ok, {"messages": msgs, "last_uid": last_uid}


def count_maildir(path):
    n = 0
    for sub in ("cur", "new"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            n += len(os.listdir(d))
    return n


def db_count(store):
    """SELECT COUNT(*) FROM messages, read-only, retrying while the writer holds a lock."""
    for _ in range(200):
        try:
            con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1.0)
            try:
                return con.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            finally:
                con.close()
        except sqlite3.OperationalError:
            time.sleep(0.005)
    raise RuntimeError(f"cannot read {store}")


# ---------------------------------------------------------------------------------------------
# The benchmark


def bench(args, urpmail, root, results, warnings):
    listen = ["127.0.0.1"] + (["::1"] if localhost_needs_v6() else [])
    certs = os.path.join(root, "certs")
    ca = make_certs(certs)
    dv = Dovecot(root, certs, listen)
    results["dovecot"] = {"listen": listen, "imaps_port": dv.imaps_port, "imap_port": dv.port}
    samples = load_samples()
    n = args.messages
    total_bytes, load_s = fill_mailbox(dv, samples, n)
    log(f"mailbox: {n} messages from {len(samples)} samples, {total_bytes / 1e6:.1f} MB on disk, written in {load_s:.2f} s")
    cleanup = []
    try:
        dv.start()
        SERVER_SID[:] = [dv.proc.pid]  # started with start_new_session: its pid is the session id
        t0 = time.perf_counter()
        wire_bytes = imap_check(dv, ca, n)
        log(f"dovecot {tool_version(['dovecot', '--version'])} on {', '.join(listen)} :{dv.imaps_port} (IMAPS); "
            f"first EXAMINE + size listing {time.perf_counter() - t0:.2f} s; {wire_bytes / 1e6:.1f} MB on the wire")
        results["mailbox"] = {"messages": n, "samples": len(samples), "bytes_on_disk": total_bytes,
                              "bytes_rfc822_size": wire_bytes, "load_s": load_s}
        if dv.seen_count() != 0:
            raise RuntimeError("\\Seen set on the server before any run")

        passfile = os.path.join(root, "pass")
        with open(passfile, "w") as f:
            f.write(PASSWORD)
        os.chmod(passfile, 0o600)
        runs_dir = os.path.join(root, "runs")
        os.makedirs(runs_dir)

        # ---- 1. full sync, interleaved
        ur, mb, warm = [], [], []
        results["commands"] = {
            "urpmail_full": [urpmail, "-q", "poll", "--once", "--config", f"{runs_dir}/urpmail-N.toml"],
            "mbsync_full": ["mbsync", "-q", "-c", f"{runs_dir}/mbsyncrc-N", "dv"],
            "urpmail_verify": [urpmail, "-q", "status", "--store", f"{runs_dir}/urpmail-N.db", "--format", "json"],
            "urpmail_noop": [urpmail, "-q", "poll", "--once", "--config", f"{runs_dir}/urpmail-N.toml"],
            "urpmail_daemon": [urpmail, "poll", "--config", f"{runs_dir}/urpmail-N.toml"],
        }
        last_store = last_conf = mbsync_last_out = None
        log(f"\nfull sync: {args.warmup} untimed warm-up and {args.runs} timed run(s) of each tool, interleaved")
        for r in range(-args.warmup, args.runs):
            order = ("urpmail", "mbsync") if r % 2 == 0 else ("mbsync", "urpmail")
            label = f"run {r + 1}" if r >= 0 else "warm-up"
            for tool in order:
                if tool == "urpmail":
                    store = os.path.join(runs_dir, f"urpmail-{r}.db")
                    conf = os.path.join(runs_dir, f"urpmail-{r}.toml")
                    urpmail_config(conf, store, dv, ca, passfile)
                    m = measure([urpmail, "-q", "poll", "--once", "--config", conf],
                                log_path=os.path.join(runs_dir, f"urpmail-{r}.log"))
                    ok, got = check_urpmail_store(urpmail, store, n)
                    m.update(got, verified=ok, seen_on_server=dv.seen_count())
                    (ur if r >= 0 else warm).append(dict(m, tool=tool))
                    if last_store:
                        for suffix in ("", "-wal", "-shm"):
                            cleanup.append(last_store + suffix)
                    last_store, last_conf = store, conf
                else:
                    out = os.path.join(runs_dir, f"mbsync-{r}")
                    os.makedirs(out)
                    rc = os.path.join(runs_dir, f"mbsyncrc-{r}")
                    mbsync_config(rc, dv, ca, out)
                    m = measure(["mbsync", "-q", "-c", rc, "dv"], log_path=os.path.join(runs_dir, f"mbsync-{r}.log"))
                    files = count_maildir(os.path.join(out, "INBOX"))
                    m.update(files=files, verified=files == n, seen_on_server=dv.seen_count())
                    (mb if r >= 0 else warm).append(dict(m, tool=tool))
                    if r < args.runs - 1:
                        shutil.rmtree(out, ignore_errors=True)  # keep the last copy for the ingest check
                    mbsync_last_out = os.path.join(out, "INBOX")
                log(f"  {label:7s} {tool:8s} {m['wall_s']:6.3f} s  (CPU s: process {m['cpu_s']:.2f}, dovecot "
                    f"{m['dovecot_cpu_s']:.2f}, other {m['other_cpu_s']:.2f})  verified={m['verified']}  "
                    f"seen={m['seen_on_server']}")
                if not m["verified"]:
                    warnings.append(f"{tool} {label} did not sync all {n} messages: {m}")
                if m["seen_on_server"]:
                    warnings.append(f"{tool} {label}: \\Seen set on {m['seen_on_server']} server messages")
            for p in cleanup:
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass
            cleanup.clear()

        # optional: time `urpmail ingest` on mbsync's Maildir copy (processing without IMAP)
        if args.ingest_check and mbsync_last_out:
            ing = []
            for r in range(args.runs):
                store = os.path.join(runs_dir, f"ingest-{r}.db")
                m = measure([urpmail, "-q", "ingest", "--store", store, mbsync_last_out])
                m["messages"] = db_count(store)
                ing.append(m)
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(store + suffix)
                    except FileNotFoundError:
                        pass
                log(f"  ingest {r + 1}   {m['wall_s']:6.3f} s  (process CPU {m['cpu_s']:.2f} s)  messages={m['messages']}")
            results["ingest_mbsync_copy"] = {"command": [urpmail, "-q", "ingest", "--store", "X.db", "MAILDIR"],
                                             "runs": ing, "median_wall_s": med([x["wall_s"] for x in ing])}

        ur_med, mb_med = med([x["wall_s"] for x in ur]), med([x["wall_s"] for x in mb])
        other = max(x["other_cpu_s"] for x in ur + mb)
        if other > 0.25:
            warnings.append(f"up to {other:.2f} CPU s per full-sync run went to other processes: something else was "
                            "running, run again")
        results["full_sync"] = {
            "urpmail": {"runs": ur, "median_wall_s": ur_med, "median_cpu_s": med([x["cpu_s"] for x in ur]),
                        "median_rss_mb": med([x["rss_mb"] for x in ur])},
            "mbsync": {"runs": mb, "median_wall_s": mb_med, "median_cpu_s": med([x["cpu_s"] for x in mb]),
                       "median_rss_mb": med([x["rss_mb"] for x in mb])},
            "ratio_mbsync_over_urpmail": mb_med / ur_med,
            "warmup_runs": warm,
        }

        # ---- 2. no-new-mail round trip
        log(f"\nno-new-mail poll: {args.noop_runs} run(s) on the synced store")
        noop = []
        for r in range(args.noop_runs):
            m = measure([urpmail, "-q", "poll", "--once", "--config", last_conf])
            noop.append(m)
            log(f"  run {r + 1} {m['wall_s'] * 1000:7.1f} ms")
        ok, got = check_urpmail_store(urpmail, last_store, n)
        if not ok:
            warnings.append(f"store changed by the no-new-mail polls: {got}")
        results["noop_poll"] = {"runs": noop, "median_wall_s": med([x["wall_s"] for x in noop]), "store_after": got}

        # ---- 3. IDLE latency
        log(f"\nIDLE latency: daemon on the synced store, {args.idle_runs} messages delivered one at a time")
        daemon_log = os.path.join(runs_dir, "daemon.log")
        lat, delivered = [], []
        before = db_count(last_store)
        with open(daemon_log, "wb") as dl:
            d = subprocess.Popen([urpmail, "poll", "--config", last_conf], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=dl, start_new_session=True)
        DAEMON.append(d)
        t_start = time.perf_counter()
        # ready: it logged "connected", then give it a second to finish its (empty) sync and
        # enter IDLE
        while time.perf_counter() - t_start < 15 and d.poll() is None:
            with open(daemon_log, "rb") as f:
                if b"connected" in f.read():
                    break
            time.sleep(0.02)
        time.sleep(args.idle_settle)
        if d.poll() is not None:
            raise RuntimeError(f"daemon exited early ({d.returncode}): {open(daemon_log, 'rb').read()[-2000:]}")
        for k in range(args.idle_runs):
            idx = n + k
            raw = with_message_id(samples[idx % len(samples)], f"bench-live{k + 1:03d}")
            t_unix = time.time()
            t0 = deliver(dv.maildir, raw, idx, "live")
            want = before + k + 1
            got_at = None
            while time.perf_counter() - t0 < args.idle_timeout:
                if db_count(last_store) >= want:
                    got_at = time.perf_counter()
                    break
                time.sleep(0.005)
            latency = None if got_at is None else got_at - t0
            delivered.append({"k": k + 1, "delivered_unix_time": t_unix, "latency_s": latency})
            if latency is None:
                warnings.append(f"IDLE: message {k + 1} not stored within {args.idle_timeout} s")
                log(f"  message {k + 1:2d}: not stored within {args.idle_timeout} s")
            else:
                lat.append(latency)
                log(f"  message {k + 1:2d}: {latency * 1000:7.1f} ms")
            time.sleep(args.idle_gap)
        t_term = time.perf_counter()
        d.send_signal(signal.SIGTERM)
        try:
            rc = d.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        stop_s = time.perf_counter() - t_term
        if rc is not None:
            DAEMON.remove(d)
        log(f"  SIGTERM: exit code {rc} after {stop_s:.2f} s")
        if rc != 0:
            warnings.append(f"daemon did not exit 0 within 10 s of SIGTERM (exit code {rc})")
        ok, got = check_urpmail_store(urpmail, last_store, n + args.idle_runs)
        if not ok:
            warnings.append(f"after the IDLE test the store has {got}, want {n + args.idle_runs}")
        with open(daemon_log, "rb") as f:
            dlog = re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode("utf-8", "replace"))
        bad = [l for l in dlog.splitlines() if re.search(r"\b(WARN|ERROR)\b", l)]
        if bad:
            warnings.append(f"daemon log has {len(bad)} WARN/ERROR line(s): {bad[:3]}")
        results["idle"] = {
            "deliveries": delivered,
            "latency_min_s": min(lat) if lat else None,
            "latency_median_s": med(lat),
            "latency_max_s": max(lat) if lat else None,
            "sigterm_exit_code": rc,
            "sigterm_exit_s": stop_s,
            "store_after": got,
            "daemon_log_tail": dlog[-3000:],
        }
        seen = dv.seen_count()
        results["seen_on_server_at_end"] = seen
        if seen:
            warnings.append(f"\\Seen set on {seen} server messages at the end")
        probs = dv.log_problems()
        results["dovecot_log_problems"] = probs[:50]
        if probs:
            warnings.append(f"dovecot log has {len(probs)} error/warning line(s): {probs[:3]}")
    finally:
        for d in list(DAEMON):
            if d.poll() is None:
                d.kill()
                d.wait()
        dv.stop()


DAEMON = []
MAIL_IDS = (8, 8)


def fmt_table(results):
    n = results["mailbox"]["messages"]
    wire = results["mailbox"]["bytes_rfc822_size"]
    fs = results["full_sync"]
    lines = []
    lines.append(f"{'full sync (' + str(n) + ' msgs, ' + format(wire / 1e6, '.1f') + ' MB)':40s} {'median':>9s} {'min-max':>15s} "
                 f"{'msg/s':>8s} {'MB/s':>7s} {'CPU s':>6s} {'RSS MB':>7s}")
    for tool, what in (("urpmail", "urpmail poll --once (fetch+classify+store)"),
                       ("mbsync", "mbsync (fetch+write Maildir, tmpfs)")):
        r = fs[tool]
        w = [x["wall_s"] for x in r["runs"]]
        lines.append(f"{what:40s} {r['median_wall_s']:8.3f}s {min(w):6.3f}-{max(w):6.3f}s "
                     f"{n / r['median_wall_s']:8.0f} {wire / 1e6 / r['median_wall_s']:7.1f} {r['median_cpu_s']:6.2f} "
                     f"{r['median_rss_mb']:7.1f}")
    ratio = fs["ratio_mbsync_over_urpmail"]
    ok = ratio >= TARGETS["full_sync_ratio_min"]
    lines.append(f"{'ratio mbsync / urpmail':40s} {ratio:8.2f}x   target >= {TARGETS['full_sync_ratio_min']:.1f}  "
                 f"{'PASS' if ok else 'FAIL'}")
    if "ingest_mbsync_copy" in results:
        lines.append(f"{'(urpmail ingest of the mbsync Maildir)':40s} {results['ingest_mbsync_copy']['median_wall_s']:8.3f}s")
    lines.append("")
    nw = [x["wall_s"] for x in results["noop_poll"]["runs"]]
    lines.append(f"{'no-new-mail poll --once round trip':40s} {results['noop_poll']['median_wall_s'] * 1000:7.1f}ms "
                 f"{min(nw) * 1000:6.1f}-{max(nw) * 1000:6.1f}ms  ({len(nw)} runs)")
    idle = results["idle"]
    if idle["latency_median_s"] is not None:
        ok2 = idle["latency_median_s"] <= TARGETS["idle_latency_median_max_s"]
        lines.append(f"{'IDLE new mail -> stored latency':40s} {idle['latency_median_s'] * 1000:7.1f}ms "
                     f"{idle['latency_min_s'] * 1000:6.1f}-{idle['latency_max_s'] * 1000:6.1f}ms  "
                     f"({len(idle['deliveries'])} msgs) target median <= 1 s  {'PASS' if ok2 else 'FAIL'}")
    else:
        lines.append(f"{'IDLE new mail -> stored latency':40s} no message stored  FAIL")
    lines.append(f"{'daemon SIGTERM':40s} exit {idle['sigterm_exit_code']} after {idle['sigterm_exit_s']:.2f} s")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urpmail", default=DEFAULT_URPMAIL, help=f"binary to test (default {DEFAULT_URPMAIL})")
    ap.add_argument("--runs", type=int, default=5, help="full-sync runs per tool (default 5)")
    ap.add_argument("--noop-runs", type=int, default=5, help="no-new-mail polls (default 5)")
    ap.add_argument("--idle-runs", type=int, default=10, help="messages delivered to the IDLE daemon (default 10)")
    ap.add_argument("--messages", type=int, default=10000, help="mailbox size (default 10000)")
    ap.add_argument("--no-ingest-check", dest="ingest_check", action="store_false",
                    help="skip timing `urpmail ingest` on mbsync's Maildir copy (processing without IMAP)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed full syncs of each tool before the timed ones (default 1)")
    ap.add_argument("--idle-settle", type=float, default=1.0, help="seconds to wait after the daemon connected")
    ap.add_argument("--idle-gap", type=float, default=1.0, help="seconds between IDLE deliveries")
    ap.add_argument("--idle-timeout", type=float, default=15.0, help="give up on a delivery after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (printed) instead of removing it")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails or a check fails")
    args = ap.parse_args(argv)

    urpmail = os.path.abspath(args.urpmail)
    if not os.access(urpmail, os.X_OK):
        sys.exit(f"{urpmail}: not found or not executable (build it with cargo build --release)")
    if os.geteuid() != 0:
        sys.exit("run as root: Dovecot must switch to the mail user and mail files are chowned to mail:mail")
    for tool in ("dovecot", "mbsync", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install dovecot-imapd isync openssl)")
    global MAIL_IDS
    import pwd
    pw = pwd.getpwnam(MAIL_UID_NAME)
    MAIL_IDS = (pw.pw_uid, pw.pw_gid)

    versions = {
        "urpmail": tool_version([urpmail, "--version"]),
        "urpmail_sha256": file_sha256(urpmail),
        "mbsync": tool_version(["mbsync", "--version"]),
        "dovecot": tool_version(["dovecot", "--version"]),
        "openssl": tool_version(["openssl", "version"]),
        "python": platform.python_version(),
    }
    host = {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "loadavg_before": loadavg(), "cpu_busy_before": cpu_busy()}
    log(f"urpmail: {versions['urpmail']} ({urpmail}); mbsync: {versions['mbsync']}; dovecot: {versions['dovecot']}")
    log(f"host: {host['cpu']}, {host['cores']} cores; load average {host['loadavg_before']}")
    warnings = []
    if host["cpu_busy_before"] is not None and host["cpu_busy_before"] > 0.2:
        warnings.append(f"{host['cpu_busy_before']:.0%} of the CPU busy before the start: timings may be off, run again")
        log(f"WARNING: {warnings[-1]}")

    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": host,
        "versions": versions,
        "targets": TARGETS,
        "settings": {k: v for k, v in vars(args).items() if k != "urpmail"},
    }
    root = tempfile.mkdtemp(prefix="urpmail-imapbench-", dir="/dev/shm")
    os.chmod(root, 0o755)  # Dovecot's auth (dovecot) and imap (mail) processes must traverse it
    failed = None
    try:
        bench(args, urpmail, root, results, warnings)
    except Exception as e:  # still write what was measured
        failed = e
        results["error"] = f"{type(e).__name__}: {e}"
    finally:
        for d in DAEMON:
            if d.poll() is None:
                d.kill()
        if args.keep:
            log(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    if file_sha256(urpmail) != versions["urpmail_sha256"]:
        warnings.append(f"{urpmail} changed during the run (rebuilt?): run again")
    host["cpu_busy_after"] = cpu_busy()
    host["loadavg_after"] = loadavg()
    if host["cpu_busy_after"] is not None and host["cpu_busy_after"] > 0.2:
        warnings.append(f"{host['cpu_busy_after']:.0%} of the CPU busy right after the run: timings may be off, run again")
    results["warnings"] = warnings

    os.makedirs(WORK, exist_ok=True)
    out = os.path.join(WORK, "imap-results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
        f.write("\n")

    if failed is None:
        log("\n" + "=" * 100)
        log(f"urpmail vs mbsync over IMAPS (Dovecot on loopback), median of {args.runs} interleaved runs; "
            f"MB = 10^6 bytes of RFC822.SIZE")
        log(fmt_table(results))
    for w in warnings:
        log(f"\nWARNING: {w}")
    log(f"\nresults written to {os.path.relpath(out, REPO)}")
    if failed is not None:
        raise failed
    if args.strict:
        fs_ok = results["full_sync"]["ratio_mbsync_over_urpmail"] >= TARGETS["full_sync_ratio_min"]
        idle_med = results["idle"]["latency_median_s"]
        idle_ok = idle_med is not None and idle_med <= TARGETS["idle_latency_median_max_s"]
        return 0 if fs_ok and idle_ok and not warnings else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
