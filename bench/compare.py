#!/usr/bin/env python3
"""Side-by-side benchmark: urpmail vs scikit-learn's TF-IDF + ComplementNB baseline.

  python3 bench/compare.py [--quick] [--only 20ng|covid] [--urpmail PATH] [--data DIR]

For each data set (20 Newsgroups, it-covid19) it times training and classification of both
tools (wall time and peak RSS, median of 3 interleaved runs; 1 with --quick), computes
accuracy and macro-F1 of both from their JSON Lines outputs, cross-checks urpmail's figures
with `urpmail eval`, prints a table with the ratios and the targets, and writes everything to
bench/work/results.json.

Sets up bench/.venv with scikit-learn when missing and runs bench/prepare.py when the
splits under bench/work are missing. urpmail's training options come from
bench/urpmail-options.json.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
WORK = os.path.join(HERE, "work")
OPTIONS_FILE = os.path.join(HERE, "urpmail-options.json")
DEFAULT_OPTIONS = {"20ng": ["--language", "en", "--bigrams"], "covid": ["--language", "it"]}
DEFAULT_URPMAIL = os.path.join(REPO, "target", "release", "urpmail")

DATASETS = {
    # name: (sklearn language, multi-label: items grouped by file name across label folders)
    "20ng": ("en", False),
    "covid": ("it", True),
}

TARGETS = {
    "classify_throughput_ratio": 5.0,  # sklearn classify time / urpmail classify time >= 5
    "train_speed_ratio": 3.0,  # sklearn train time / urpmail train time >= 3
    "urpmail_classify_rss_mb": 100.0,  # urpmail classify peak RSS <= 100 MB
}


def log(msg=""):
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Set-up


def ensure_venv():
    """Creates bench/.venv with scikit-learn unless it already imports; returns versions."""
    probe = [VENV_PY, "-c", "import sklearn"]
    if not (os.path.exists(VENV_PY) and subprocess.run(probe, capture_output=True).returncode == 0):
        log(f"setting up {os.path.relpath(VENV, REPO)} with scikit-learn ...")
        if not os.path.exists(VENV_PY):
            subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", "scikit-learn"], check=True)
    code = (
        "import json, platform, sklearn, numpy, scipy\n"
        "info = {'python': platform.python_version(), 'scikit-learn': sklearn.__version__,"
        " 'numpy': numpy.__version__, 'scipy': scipy.__version__}\n"
        "try:\n"
        "    import threadpoolctl\n"
        "    info['threadpools'] = [{k: p.get(k) for k in ('internal_api', 'version', 'num_threads', 'architecture')}"
        " for p in threadpoolctl.threadpool_info()]\n"
        "except Exception as e:\n"
        "    info['threadpools'] = repr(e)\n"
        "print(json.dumps(info))\n"
    )
    out = subprocess.run([VENV_PY, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ensure_options():
    if not os.path.exists(OPTIONS_FILE):
        with open(OPTIONS_FILE, "w") as f:
            json.dump(DEFAULT_OPTIONS, f, indent=2)
            f.write("\n")
        log(f"wrote default {os.path.relpath(OPTIONS_FILE, REPO)}")
    with open(OPTIONS_FILE) as f:
        opts = json.load(f)
    for k, v in opts.items():
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            sys.exit(f"{OPTIONS_FILE}: {k!r} must be a list of strings")
    return opts


def ensure_prepared(names, data_dir):
    missing = [n for n in names if not (os.path.isdir(os.path.join(WORK, n, "train")) and os.path.isdir(os.path.join(WORK, n, "val")))]
    if not os.path.isdir(WORK) or missing:
        log(f"preparing splits under {os.path.relpath(WORK, REPO)} ...")
        cmd = [sys.executable, os.path.join(HERE, "prepare.py"), "--work", WORK]
        if data_dir:
            cmd += ["--data", data_dir]
        subprocess.run(cmd, check=True)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpu_busy(seconds=1.0):
    """Share of all cores busy over `seconds` (from /proc/stat), or None."""

    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v), idle

    try:
        t0, i0 = snap()
        time.sleep(seconds)
        t1, i1 = snap()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------------------------------------
# Measuring


def measure(cmd, stdout_path=None, env=None):
    """Runs cmd in bench/ and returns wall seconds, peak RSS (MB) and CPU seconds.

    Wall time is time.perf_counter() around the whole process; peak RSS is ru_maxrss (KiB)
    from os.wait4, converted with 1 MB = 1024 KiB.
    """
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    with tempfile.TemporaryFile() as err:
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, cwd=HERE, stdout=out, stderr=err, env=env)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdout_path:
                out.close()
        if p.returncode != 0:
            err.seek(0)
            msg = err.read().decode("utf-8", "replace")[-4000:]
            raise RuntimeError(f"command failed (exit {p.returncode}): {shlex.join(cmd)}\n{msg}")
    return {"wall_s": wall, "rss_mb": ru.ru_maxrss / 1024.0, "cpu_s": ru.ru_utime + ru.ru_stime}


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def interleaved(pairs, n):
    """pairs: {tool: (cmd, stdout, env)}; runs each tool n times, alternating which goes first."""
    tools = list(pairs)
    runs = {t: [] for t in tools}
    for i in range(n):
        order = tools if i % 2 == 0 else tools[::-1]
        for t in order:
            cmd, stdout, env = pairs[t]
            r = measure(cmd, stdout, env)
            runs[t].append(r)
            log(f"    {t:<8} run {i + 1}/{n}: {r['wall_s']:.3f} s, {r['rss_mb']:.1f} MB")
    return runs


# ---------------------------------------------------------------------------------------------
# Quality


def truth_items(val_dir, multi_label):
    """Returns (items, file_item): items = {key: sorted labels}; file_item = {(label, name): key}."""
    items, file_item = {}, {}
    for label in sorted(os.listdir(val_dir)):
        d = os.path.join(val_dir, label)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            key = name if multi_label else f"{label}/{name}"
            items.setdefault(key, [])
            if label not in items[key]:
                items[key].append(label)
            file_item[(label, name)] = key
    for k in items:
        items[k].sort()
    return items, file_item


def read_predictions(jsonl, val_dir):
    """{(label folder, file name): record} from a JSON Lines output (sources relative to bench/)."""
    preds = {}
    bad = 0
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            src = os.path.normpath(os.path.join(HERE, rec.get("source", "")))
            rel = os.path.relpath(src, val_dir).split(os.sep)
            if len(rel) != 2 or rel[0] == "..":
                bad += 1
                continue
            preds[(rel[0], rel[1])] = rec
    return preds, bad


def quality(jsonl, val_dir, multi_label):
    items, file_item = truth_items(val_dir, multi_label)
    preds, unmatched = read_predictions(jsonl, val_dir)
    # The prediction of an item: that of its file in the first (sorted) label folder; copies
    # of the same file in other folders should agree (counted when they do not).
    item_pred, disagree = {}, 0
    notes = {"excluded": 0, "skipped": 0}
    for (label, name), key in sorted(file_item.items()):
        rec = preds.get((label, name))
        topic = rec.get("topic") if rec else None
        if rec:
            if rec.get("excluded"):
                notes["excluded"] += 1
            if rec.get("skipped"):
                notes["skipped"] += 1
        if key in item_pred:
            disagree += int(item_pred[key] != topic)
        else:
            item_pred[key] = topic
    missing = sum(1 for k in file_item if k not in preds)
    correct = 0
    conf = {}  # (truth, predicted) -> n
    for key, labels in items.items():
        p = item_pred.get(key)
        ok = p in labels
        correct += ok
        t = p if ok else labels[0]
        conf[(t, p)] = conf.get((t, p), 0) + 1
    label_set = sorted({t for t, _ in conf} | {p for _, p in conf if p is not None})
    f1s = []
    per_label = {}
    for l in label_set:
        tp = conf.get((l, l), 0)
        support = sum(n for (t, _), n in conf.items() if t == l)
        predicted = sum(n for (_, p), n in conf.items() if p == l)
        prec = tp / predicted if predicted else 0.0
        rec_ = tp / support if support else 0.0
        f1 = 2 * prec * rec_ / (prec + rec_) if prec + rec_ else 0.0
        per_label[l] = {"support": support, "predicted": predicted, "f1": round(f1, 4)}
        if support:
            f1s.append(f1)
    return {
        "items": len(items),
        "files": len(file_item),
        "accuracy": correct / len(items) if items else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "missing_predictions": missing,
        "unmatched_records": unmatched,
        "copies_disagreeing": disagree,
        **notes,
        "per_label": per_label,
    }


# ---------------------------------------------------------------------------------------------
# One data set


def run_dataset(name, args, urpmail, options):
    lang, multi_label = DATASETS[name]
    rel = f"work/{name}"
    train_dir, val_dir = f"{rel}/train", f"{rel}/val"
    u_model, s_model = f"{rel}/urpmail.model", f"{rel}/sklearn.pkl"
    u_out, s_out = f"{rel}/urpmail-val.jsonl", f"{rel}/sklearn-val.jsonl"
    py = os.path.relpath(VENV_PY, HERE)
    opts = options.get(name, [])

    u_train = [urpmail, "-q", "train", "--data", train_dir, "--out", u_model, "--rules", "none", *opts, "--threads", "1"]
    s_train = [py, "sklearn_nb.py", "train", train_dir, s_model, "--lang", lang]
    u_classify = [urpmail, "-q", "classify", "--model", u_model, "--rules", "none", "--threads", "1", val_dir]
    s_classify = [py, "sklearn_nb.py", "predict", s_model, val_dir, s_out]
    u_eval = [urpmail, "-q", "eval", "--data", val_dir, "--model", u_model, "--rules", "none", "--format", "json"]

    # The documented baseline runs as installed; only the OpenBLAS overrides of this workplace
    # (which slow a current numpy) are dropped for it.
    s_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}

    log(f"\n== {name}: train ({args.runs} run{'s' if args.runs > 1 else ''}, interleaved)")
    train_runs = interleaved({"urpmail": (u_train, None, None), "sklearn": (s_train, None, s_env)}, args.runs)
    log(f"== {name}: classify {val_dir}")
    classify_runs = interleaved({"urpmail": (u_classify, os.path.join(HERE, u_out), None), "sklearn": (s_classify, None, s_env)}, args.runs)

    val_abs = os.path.join(HERE, val_dir)
    q = {"urpmail": quality(os.path.join(HERE, u_out), val_abs, multi_label), "sklearn": quality(os.path.join(HERE, s_out), val_abs, multi_label)}

    ev = subprocess.run(u_eval, cwd=HERE, capture_output=True, text=True)
    if ev.returncode != 0:
        eval_report = {"error": f"exit {ev.returncode}: {ev.stderr.strip()[-2000:]}"}
    else:
        full = json.loads(ev.stdout)
        eval_report = {k: full.get(k) for k in ("items", "accuracy", "macro_f1", "review_share", "unflagged_accuracy", "notes")}

    res = {"multi_label": multi_label, "urpmail_options": opts, "commands": {
        "urpmail_train": shlex.join(u_train),
        "sklearn_train": shlex.join(s_train),
        "urpmail_classify": shlex.join(u_classify) + " > " + shlex.quote(u_out),
        "sklearn_classify": shlex.join(s_classify),
        "urpmail_eval": shlex.join(u_eval),
        "cwd": HERE,
    }}
    files = q["urpmail"]["files"]
    for tool in ("urpmail", "sklearn"):
        tr, cl = median_of(train_runs[tool]), median_of(classify_runs[tool])
        res[tool] = {
            "accuracy": q[tool]["accuracy"],
            "macro_f1": q[tool]["macro_f1"],
            "train_s": tr["wall_s"],
            "train_mb": tr["rss_mb"],
            "train_cpu_s": tr["cpu_s"],
            "classify_s": cl["wall_s"],
            "classify_mb": cl["rss_mb"],
            "classify_cpu_s": cl["cpu_s"],
            "files_per_s": files / cl["wall_s"] if cl["wall_s"] > 0 else None,
            "runs": {"train": train_runs[tool], "classify": classify_runs[tool]},
            "quality": {k: v for k, v in q[tool].items() if k not in ("accuracy", "macro_f1")},
        }
    u, s = res["urpmail"], res["sklearn"]
    res["ratios"] = {
        "classify_throughput": s["classify_s"] / u["classify_s"],
        "train_speed": s["train_s"] / u["train_s"],
        "classify_rss": s["classify_mb"] / u["classify_mb"],
        "train_rss": s["train_mb"] / u["train_mb"],
    }
    res["targets"] = {
        "classify_throughput_ge_5x": res["ratios"]["classify_throughput"] >= TARGETS["classify_throughput_ratio"],
        "train_speed_ge_3x": res["ratios"]["train_speed"] >= TARGETS["train_speed_ratio"],
        "urpmail_classify_rss_le_100mb": u["classify_mb"] <= TARGETS["urpmail_classify_rss_mb"],
    }
    res["urpmail_eval"] = eval_report
    return res


def pf(ok):
    return "PASS" if ok else "FAIL"


def print_table(name, r):
    u, s = r["urpmail"], r["sklearn"]
    qu = u["quality"]
    log(f"\n### {name}: {qu['items']} validation items, {qu['files']} files")
    hdr = f"{'':<9}{'accuracy':>9}{'macro-F1':>9}{'train s':>9}{'train MB':>10}{'classify s':>11}{'classify MB':>12}{'files/s':>9}"
    log(hdr)
    log("-" * len(hdr))
    for tool, x in (("urpmail", u), ("sklearn", s)):
        log(
            f"{tool:<9}{x['accuracy']:>9.4f}{x['macro_f1']:>9.4f}{x['train_s']:>9.2f}{x['train_mb']:>10.1f}"
            f"{x['classify_s']:>11.3f}{x['classify_mb']:>12.1f}{x['files_per_s']:>9.0f}"
        )
    ra, t = r["ratios"], r["targets"]
    log(f"classify throughput  sklearn/urpmail time {ra['classify_throughput']:6.2f}x   target >= 5x    {pf(t['classify_throughput_ge_5x'])}")
    log(f"training speed       sklearn/urpmail time {ra['train_speed']:6.2f}x   target >= 3x    {pf(t['train_speed_ge_3x'])}")
    log(f"urpmail classify peak RSS {u['classify_mb']:8.1f} MB        target <= 100 MB {pf(t['urpmail_classify_rss_le_100mb'])}")
    log(f"peak RSS sklearn/urpmail: classify {ra['classify_rss']:.2f}x, train {ra['train_rss']:.2f}x")
    ev = r["urpmail_eval"]
    if "error" in ev:
        log(f"urpmail eval cross-check: ERROR {ev['error']}")
    else:
        log(f"urpmail eval cross-check: items {ev['items']}  accuracy {ev['accuracy']:.4f}  macro-F1 {ev['macro_f1']:.4f}")
        d_acc = abs(ev["accuracy"] - u["accuracy"])
        if ev["items"] != qu["items"] or d_acc > 5e-4:
            log(f"  NOTE: differs from compare.py's figures (items {qu['items']}, accuracy {u['accuracy']:.4f})")
    for tool, x in (("urpmail", u), ("sklearn", s)):
        q = x["quality"]
        odd = {k: q[k] for k in ("missing_predictions", "unmatched_records", "copies_disagreeing", "excluded", "skipped") if q[k]}
        if odd:
            log(f"  NOTE {tool}: {odd}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one run of each command instead of 3")
    ap.add_argument("--only", choices=sorted(DATASETS), help="run one data set only")
    ap.add_argument("--urpmail", default=DEFAULT_URPMAIL, help=f"binary to test (default {DEFAULT_URPMAIL})")
    ap.add_argument("--data", default=None, help="shared data dir passed to prepare.py (default <repo>/../shared/data)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args(argv)
    args.runs = 1 if args.quick else 3
    urpmail = os.path.abspath(args.urpmail)
    if not os.access(urpmail, os.X_OK):
        sys.exit(f"{urpmail}: not found or not executable (build it with cargo build --release)")

    names = [args.only] if args.only else list(DATASETS)
    versions = ensure_venv()
    options = ensure_options()
    ensure_prepared(names, args.data)
    versions["urpmail"] = subprocess.run([urpmail, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        versions["urpmail_git"] = subprocess.run(
            ["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True
        ).stdout.strip() or None
    except OSError:
        versions["urpmail_git"] = None
    versions["urpmail_sha256"] = file_sha256(urpmail)
    host = {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(), "cpu_busy_before": cpu_busy()}
    log(f"urpmail: {versions['urpmail']} ({versions['urpmail_git']}), {urpmail}")
    log(f"baseline: python {versions['python']}, scikit-learn {versions['scikit-learn']}, numpy {versions['numpy']}, scipy {versions['scipy']}")
    log(f"host: {host['cpu']}, {host['cores']} cores; {args.runs} run(s) per command, median reported")
    warnings = []
    if host["cpu_busy_before"] is not None and host["cpu_busy_before"] > 0.2:
        warnings.append(f"{host['cpu_busy_before']:.0%} of the CPU busy before the start: something else was running, timings may be off")
        log(f"WARNING: {warnings[-1]}")

    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "runs_per_command": args.runs,
        "host": host,
        "versions": versions,
        "targets": TARGETS,
        "datasets": {},
    }
    for name in names:
        results["datasets"][name] = run_dataset(name, args, urpmail, options)

    if file_sha256(urpmail) != versions["urpmail_sha256"]:
        warnings.append(f"{urpmail} changed during the run (rebuilt?): results mix two binaries, run again")
    busy = cpu_busy()
    results["host"]["cpu_busy_after"] = busy
    if busy is not None and busy > 0.2:
        warnings.append(f"{busy:.0%} of the CPU busy right after the run: something else was running, timings may be off")
    results["warnings"] = warnings

    log("\n" + "=" * 80)
    log(f"urpmail vs scikit-learn (TfidfVectorizer + ComplementNB), median of {args.runs}; MB = peak RSS (MiB)")
    for name in names:
        print_table(name, results["datasets"][name])

    for w in warnings:
        log(f"\nWARNING: {w}")
    os.makedirs(WORK, exist_ok=True)
    out = os.path.join(WORK, "results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
        f.write("\n")
    log(f"\nresults written to {os.path.relpath(out, REPO)}")
    all_ok = all(all(r["targets"].values()) for r in results["datasets"].values())
    return 1 if args.strict and not all_ok else 0


if __name__ == "__main__":
    sys.exit(main())
