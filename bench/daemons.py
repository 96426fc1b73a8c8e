#!/usr/bin/env python3
"""Many daemons, one database: `urpmail poll --once` processes over many mailboxes of one Dovecot,
into PostgreSQL (1, 2 and 4 daemons) and into SQLite (1 daemon), side by side in one run.

  python3 bench/daemons.py [--mailboxes 100] [--messages 1000] [--daemons 1,2,4] [--runs 1]
                           [--urpmail PATH] [--keep]

Starts a private Dovecot (bench/imap.py's set-up: own CA, IMAPS on loopback, all under /dev/shm)
with MAILBOXES folders of MESSAGES distinct messages each (samples/mailbox cycled, every copy
with its own Message-ID), and a private PostgreSQL cluster (initdb as the postgres user, a free
loopback port, SCRAM password over TCP, fsync off, as the tests use). Then, per scenario and run,
from an empty store:

  * sqlite-1: one `urpmail poll --once` into a SQLite file;
  * postgres-N: N `urpmail poll --once` processes started together, every one listing all the
    mailboxes, into one new PostgreSQL database: each mailbox is claimed by one daemon at a time
    (the others skip it), so together they sync every mailbox once.

Timed: from starting the daemons to the last one's exit (every process: start, IMAP login and
EXAMINE of each mailbox, claims, fetch, parse, classify, store, exit). Reported per scenario:
wall time, messages per second, the CPU seconds of the daemons, of PostgreSQL's server processes
and of Dovecot meanwhile, and where the daemons' time went: the sums of their per-batch fetch,
process and write times from their own debug log lines (the three stages overlap, so the sums
exceed the wall time). Checked after every run: exactly MAILBOXES x MESSAGES messages and as many
locations, every mailbox's checkpoint at its last UID, \\Seen untouched on the server.

Writes bench/work/daemons-results.json. Python standard library only; run as root (Dovecot's mail
user, initdb as postgres); needs dovecot-imapd, postgresql and openssl. Only 127.0.0.1 is used.
"""

import argparse
import datetime as dt
import glob
import json
import os
import platform
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import imap as ib  # noqa: E402  (the Dovecot set-up, message loading and measuring helpers)

REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
DEFAULT_URPMAIL = os.path.join(REPO, "target", "release", "urpmail")
PG_ROLE, PG_PASSWORD, PG_SU_PASSWORD = "urpmail", "bench-password", "bench-su-password"


def log(msg=""):
    print(msg, flush=True)


class Postgres:
    """A private cluster on a free loopback port."""

    def __init__(self, root):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
        if not bins:
            raise RuntimeError("PostgreSQL not installed (apt-get install postgresql)")
        self.bin = bins[-1]
        self.dir = os.path.join(root, "pg")
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = ib.free_port(False)
        self.pw = os.path.join(self.dir, "su.pw")
        with open(self.pw, "w") as f:
            f.write(PG_SU_PASSWORD)
        shutil.chown(self.pw, "postgres", "postgres")
        self.as_postgres("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "--auth-local=trust",
                         "--auth-host=scram-sha-256", f"--pwfile={self.pw}", "-E", "UTF8", "--locale=C.UTF-8",
                         "--no-sync")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self.as_postgres("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/pg.log", "-w", "-o", opts, "start")
        self.psql(f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{PG_PASSWORD}'")
        self.role_pw = os.path.join(root, "pg-role.pw")
        with open(self.role_pw, "w") as f:
            f.write(PG_PASSWORD + "\n")
        os.chmod(self.role_pw, 0o600)

    def as_postgres(self, tool, *args):
        return subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(self.bin, tool), *args],
                              check=True, capture_output=True, text=True)

    def psql(self, sql, db="postgres"):
        return self.as_postgres("psql", "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", db,
                                "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout.strip()

    def new_database(self, name):
        self.psql(f"CREATE DATABASE {name} OWNER {PG_ROLE}")
        return f"postgres://{PG_ROLE}@127.0.0.1:{self.port}/{name}"

    def server_cpu(self):
        """CPU seconds of the postmaster and its children (own and reaped)."""
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            pid = int(f.readline())
        # The postmaster, or a backend it forked.
        return ib.proc_cpu(lambda p, fields: p == pid or int(fields[1]) == pid)

    def stop(self):
        try:
            self.as_postgres("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass


def fill(dv, names, per_mailbox):
    samples = ib.load_samples()
    total = 0
    t0 = time.perf_counter()
    for b, name in enumerate(names):
        folder = os.path.join(dv.maildir, "." + name)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        for i in range(per_mailbox):
            raw = ib.with_message_id(samples[(b * per_mailbox + i) % len(samples)], f"d{b:03d}x{i:05d}")
            fname = f"{ib.BASE_TIME + i}.M{i}P{b}.bench,S={len(raw)}"
            p = os.path.join(folder, "tmp", fname)
            with open(p, "wb") as f:
                f.write(raw)
            os.utime(p, (ib.BASE_TIME + i, ib.BASE_TIME + i))
            os.rename(p, os.path.join(folder, "new", fname))
            total += len(raw)
    dv.chown_mail()
    return total, time.perf_counter() - t0


def warm(dv, ca, names, per_mailbox):
    """EXAMINE every mailbox once (Dovecot builds its indexes before any timed run)."""
    import imaplib
    import ssl
    m = imaplib.IMAP4_SSL("127.0.0.1", dv.imaps_port, ssl_context=ssl.create_default_context(cafile=ca))
    m.login(ib.USER, ib.PASSWORD)
    for name in names:
        typ, data = m.select(name, readonly=True)
        if int(data[0]) != per_mailbox:
            raise RuntimeError(f"{name}: EXISTS {data[0]!r}, want {per_mailbox}")
        m.uid("FETCH", "1:*", "(RFC822.SIZE)")
    m.logout()


def config(path, store_lines, dv, ca, passfile, names):
    boxes = ", ".join(f'"{n}"' for n in names)
    with open(path, "w") as f:
        f.write(f"""version = 1
{store_lines}
[[account]]
name = "bench"
host = "127.0.0.1"
port = {dv.imaps_port}
tls = "implicit"
ca_file = "{ca}"
username = "{ib.USER}"
password_file = "{passfile}"
mailboxes = [{boxes}]
batch_size = 500
timeout_secs = 120
idle = false
""")


def stage_times(log_path):
    """Sums of the per-batch fetch, process and write milliseconds, batches and claims."""
    out = {"fetch_ms": 0, "process_ms": 0, "write_ms": 0, "batches": 0, "claimed": 0, "skipped": 0}
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                v = json.loads(line)
            except ValueError:
                continue
            fields = v.get("fields", {})
            msg = fields.get("message")
            if msg == "batch fetched":
                out["fetch_ms"] += fields.get("ms", 0)
            elif msg == "batch processed":
                out["process_ms"] += fields.get("ms", 0)
            elif msg == "batch written":
                out["write_ms"] += fields.get("ms", 0)
                out["batches"] += 1
            elif msg == "mailbox claimed":
                out["claimed"] += 1
            elif msg == "mailbox held by another daemon: left to it":
                out["skipped"] += 1
    return out


def run_scenario(urpmail, conf, n, logs_dir, tag, pg):
    hz = os.sysconf("SC_CLK_TCK")
    env = dict(os.environ, RUST_LOG="warn,urpmail=debug")
    d0 = ib.session_cpu(ib.SERVER_SID[0])
    p0 = pg.server_cpu() if pg else 0.0
    j0 = ib.cpu_jiffies()
    t0 = time.perf_counter()
    procs = []
    for i in range(n):
        err = open(os.path.join(logs_dir, f"{tag}-d{i}.log"), "wb")
        procs.append((subprocess.Popen([urpmail, "--log-format", "json", "poll", "--once", "--config", conf],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env), err))
    cpu = 0.0
    rss = 0.0
    for p, err in procs:
        _, status, ru = os.wait4(p.pid, 0)
        err.close()
        rc = os.waitstatus_to_exitcode(status)
        if rc != 0:
            raise RuntimeError(f"{tag}: a daemon exited {rc}: {open(err.name, encoding='utf-8', errors='replace').read()[-3000:]}")
        cpu += ru.ru_utime + ru.ru_stime
        rss = max(rss, ru.ru_maxrss / 1024.0)
    wall = time.perf_counter() - t0
    j1 = ib.cpu_jiffies()
    stages = [stage_times(os.path.join(logs_dir, f"{tag}-d{i}.log")) for i in range(n)]
    return {
        "wall_s": wall,
        "daemons_cpu_s": cpu,
        "max_rss_mb": rss,
        "postgres_cpu_s": (pg.server_cpu() - p0) if pg else 0.0,
        "dovecot_cpu_s": ib.session_cpu(ib.SERVER_SID[0]) - d0,
        "machine_cpu_s": ((j1[0] - j0[0]) - (j1[1] - j0[1])) / hz,
        "per_daemon": stages,
    }


def verify(urpmail, store_arg, names, per_mailbox):
    p = subprocess.run([urpmail, "-q", "status", "--format", "json", "--store", store_arg],
                       check=True, capture_output=True, text=True)
    st = json.loads(p.stdout)
    boxes = {m["mailbox"]: m for m in st["mailboxes"]}
    bad = [n for n in names if boxes.get(n, {}).get("last_uid") != per_mailbox or boxes[n].get("backlog") != 0]
    return {"messages": st["messages"], "mailboxes_complete": len(names) - len(bad), "incomplete": bad[:5]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urpmail", default=DEFAULT_URPMAIL)
    ap.add_argument("--mailboxes", type=int, default=100)
    ap.add_argument("--messages", type=int, default=1000, help="messages per mailbox")
    ap.add_argument("--daemons", default="1,2,4", help="PostgreSQL scenarios: daemons started together")
    ap.add_argument("--runs", type=int, default=1, help="runs of each scenario (median reported)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    urpmail = os.path.abspath(args.urpmail)
    if os.geteuid() != 0:
        sys.exit("run as root (Dovecot's mail user, initdb as postgres)")
    pw = pwd.getpwnam(ib.MAIL_UID_NAME)
    ib.MAIL_IDS = (pw.pw_uid, pw.pw_gid)
    names = [f"m{i:03d}" for i in range(args.mailboxes)]
    total = args.mailboxes * args.messages
    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpu": ib.cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
                 "loadavg_before": ib.loadavg()},
        "versions": {"urpmail": ib.tool_version([urpmail, "--version"]), "urpmail_sha256": ib.file_sha256(urpmail),
                     "dovecot": ib.tool_version(["dovecot", "--version"])},
        "settings": {"mailboxes": args.mailboxes, "messages_per_mailbox": args.messages, "runs": args.runs,
                     "batch_size": 500, "command": "urpmail --log-format json poll --once --config C (N at once)"},
        "scenarios": {},
    }
    root = tempfile.mkdtemp(prefix="urpmail-daemonsbench-", dir="/dev/shm")
    os.chmod(root, 0o755)
    dv = pg = None
    try:
        certs = os.path.join(root, "certs")
        ca = ib.make_certs(certs)
        dv = ib.Dovecot(root, certs, ["127.0.0.1"])
        size, load_s = fill(dv, names, args.messages)
        log(f"{args.mailboxes} mailboxes x {args.messages} messages = {total}, {size / 1e6:.0f} MB, written in {load_s:.1f} s")
        dv.start()
        ib.SERVER_SID[:] = [dv.proc.pid]
        t0 = time.perf_counter()
        warm(dv, ca, names, args.messages)
        log(f"dovecot indexes built in {time.perf_counter() - t0:.1f} s")
        pg = Postgres(root)
        log(f"postgresql {pg.psql('SHOW server_version')} on 127.0.0.1:{pg.port}")
        results["versions"]["postgresql"] = pg.psql("SHOW server_version")
        passfile = os.path.join(root, "imap.pw")
        with open(passfile, "w") as f:
            f.write(ib.PASSWORD)
        os.chmod(passfile, 0o600)
        logs_dir = os.path.join(root, "logs")
        os.makedirs(logs_dir)
        scenarios = [("sqlite", 1)] + [("postgres", int(n)) for n in args.daemons.split(",")]
        for r in range(args.runs):
            for kind, n in scenarios:
                tag = f"{kind}-{n}-r{r}"
                if kind == "sqlite":
                    store = os.path.join(root, f"{tag}.db")
                    store_lines, store_arg = f'[store]\npath = "{store}"', store
                else:
                    url = pg.new_database(tag.replace("-", "_"))
                    store_lines = f'[store]\nurl = "{url}"\npassword_file = "{pg.role_pw}"'
                    store_arg = f"{url}?password_file={pg.role_pw}"
                conf = os.path.join(root, f"{tag}.toml")
                config(conf, store_lines, dv, ca, passfile, names)
                m = run_scenario(urpmail, conf, n, logs_dir, tag, pg if kind == "postgres" else None)
                m.update(verify(urpmail, store_arg, names, args.messages))
                m["exact"] = m["messages"] == total and m["mailboxes_complete"] == len(names)
                m["seen_on_server"] = dv.seen_count()
                results["scenarios"].setdefault(f"{kind}-{n}", []).append(m)
                log(f"{tag}: {m['wall_s']:.2f} s, {total / m['wall_s']:.0f} msg/s, exact {m['exact']}")
    finally:
        if pg:
            pg.stop()
        if dv:
            dv.stop()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "daemons-results.json"), "w") as f:
        json.dump(results, f, indent=2)
    log("")
    log(f"{args.mailboxes} mailboxes x {args.messages} messages ({total}) over IMAPS from one Dovecot; median of {args.runs} run(s)")
    log("scenario       wall s   msg/s  vs sqlite-1  daemons CPU s  postgres CPU s  dovecot CPU s  fetch s  process s  write s  mailboxes per daemon   exact")
    base = None
    for name, runs in results["scenarios"].items():
        wall = sorted(r["wall_s"] for r in runs)[len(runs) // 2]
        m = next(r for r in runs if r["wall_s"] == wall)
        base = base or wall
        per = m["per_daemon"]
        claims = "/".join(str(d["claimed"]) for d in per)
        log(f"{name:<12} {wall:8.2f} {total / wall:7.0f} {base / wall:11.2f}x {m['daemons_cpu_s']:14.1f} "
            f"{m['postgres_cpu_s']:15.1f} {m['dovecot_cpu_s']:14.1f} {sum(d['fetch_ms'] for d in per) / 1000:8.1f} "
            f"{sum(d['process_ms'] for d in per) / 1000:10.1f} {sum(d['write_ms'] for d in per) / 1000:8.1f}  "
            f"{claims:<20}  {all(r['exact'] and r['seen_on_server'] == 0 for r in runs)}")
    log("(wall: start of the daemons to the last exit; CPU: seconds used meanwhile; fetch/process/write: sums of the")
    log(" daemons' per-batch stage times from their debug logs, overlapping stages; mailboxes per daemon: claims made)")


if __name__ == "__main__":
    main()
