#!/usr/bin/env python3
"""Side-by-side benchmark: urpmail (default training options) vs three scikit-learn baselines.

  python3 bench/compare.py [--quick | --accuracy-only] [--only 20ng|covid]
                           [--split date|interleaved|both] [--urpmail PATH] [--data DIR]
                           [--extra-urpmail-options "OPTS"] [--strict]

For each data set (20 Newsgroups, it-covid19), on date-ordered train/validation splits (the
oldest 80% train, the newest 20% validation), it trains and classifies with urpmail and with
three scikit-learn baselines (sklearn_baselines.py: TF-IDF + ComplementNB, LinearSVC on word
1-2-gram TF-IDF, LinearSVC on character 2-5-gram TF-IDF), each a whole process; computes
accuracy and macro-F1 of all from their JSON Lines outputs (one table for both data sets),
cross-checks urpmail's figures with `urpmail eval`, and times:

- whole processes (wall time, peak RSS; median of 3 interleaved runs, 1 with --quick);
- scikit-learn inside its process: read + decode + vectorise + predict (classify) and
  read + vectorise + fit (train), interpreter start, imports and model load not counted;

then prints the speed-ups (scikit-learn time / urpmail whole-process time) against scikit-learn's
in-process time and against its whole process, checks the targets of issue 12 and writes everything to bench/work/results.json. Everything runs
on one thread (urpmail --threads 1; scikit-learn with OMP/OPENBLAS/MKL_NUM_THREADS=1).

--accuracy-only runs every command once and prints no timings (for a busy machine).
--split interleaved (or both) adds the old every-5th-file 20 Newsgroups split, printed beside,
never used to choose defaults and never checked against a target.

Sets up bench/.venv with scikit-learn when missing and runs bench/prepare.py when a split
under bench/work is missing or was made another way. urpmail's training options come from
bench/urpmail-options.json: only what a user must say (the language).
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
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
# What a user must say and nothing more: the training defaults are what is measured.
DEFAULT_OPTIONS = {"20ng": ["--language", "en"], "covid": ["--language", "it"]}
DEFAULT_URPMAIL = os.path.join(REPO, "target", "release", "urpmail")
PREPARE_VERSION = 2  # prepare.py's PREPARE_VERSION: a split.json without it is rebuilt

DATASETS = {
    # name: language, multi-label (items grouped by file name across label folders),
    # options key in urpmail-options.json, split, description
    "20ng": {"lang": "en", "multi_label": False, "options": "20ng", "split": "date",
             "what": "20 Newsgroups, date-ordered: per group by article number, oldest 80% train / newest 20% validation"},
    "20ng-interleaved": {"lang": "en", "multi_label": False, "options": "20ng", "split": "interleaved",
                         "what": "20 Newsgroups, INTERLEAVED (every 5th file per group; threads on both sides): "
                                 "shown beside only, never used to choose defaults or check targets"},
    "covid": {"lang": "it", "multi_label": True, "options": "covid", "split": "date",
              "what": "it-covid19 reports, date-ordered: by (created_at, id), oldest 80% train / newest 20% validation"},
}

BASELINES = {
    # name in sklearn_baselines.py: label in the tables
    "cnb": "sklearn TF-IDF + ComplementNB",
    "svc-word": "sklearn LinearSVC word 1-2-gram",
    "svc-char": "sklearn LinearSVC char 2-5-gram",
    # Not run by default: do character n-grams add to word features? (issue 12, item 4)
    "svc-word-char": "sklearn LinearSVC word 1-2 + char 2-5",
}
DEFAULT_BASELINES = ["cnb", "svc-word", "svc-char"]

TARGETS = {
    # issue 12 "Done means", on the date-ordered splits
    "20ng_acc_ge_svc_word": "20NG: urpmail accuracy >= sklearn LinearSVC word 1-2-gram",
    "20ng_acc_ge_cnb_plus_0.03": "20NG: urpmail accuracy >= sklearn TF-IDF + ComplementNB + 0.03",
    "covid_acc_ge_svc_char": "it-covid19: urpmail accuracy >= sklearn LinearSVC char 2-5-gram",
    "classify_in_process_ratio": 3.0,  # fastest sklearn in-process classify / urpmail classify whole process >= 3
    "train_in_process_ratio": 3.0,  # fastest sklearn in-process train / urpmail train whole process >= 3
    "urpmail_classify_rss_mb": 100.0,  # urpmail classify peak RSS <= 100 MB
}

# One thread for scikit-learn's numerical libraries (sparse products run on one anyway).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(msg=""):
    print(msg, flush=True)


def sklearn_env():
    # The OpenBLAS overrides of this workplace (which slow a current numpy) are dropped.
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(ONE_THREAD)
    return env


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
    out = subprocess.run([VENV_PY, "-c", code], check=True, capture_output=True, text=True, env=sklearn_env()).stdout
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


def split_ok(name):
    d = os.path.join(WORK, name)
    if not (os.path.isdir(os.path.join(d, "train")) and os.path.isdir(os.path.join(d, "val"))):
        return False
    try:
        with open(os.path.join(d, "split.json")) as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return False
    return marker.get("split") == DATASETS[name]["split"] and marker.get("prepare_version") == PREPARE_VERSION


def ensure_prepared(names, data_dir):
    for name in names:
        if split_ok(name):
            continue
        ds = DATASETS[name]
        log(f"preparing {name} under {os.path.relpath(WORK, REPO)} ...")
        cmd = [sys.executable, os.path.join(HERE, "prepare.py"), "--work", WORK, "--only", ds["options"], "--split", ds["split"]]
        if data_dir:
            cmd += ["--data", data_dir]
        subprocess.run(cmd, check=True)
        if not split_ok(name):
            sys.exit(f"prepare.py did not produce {name}")


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
    """Medians of the whole-process figures and, when present, of the in-process timings."""
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall_s", "rss_mb", "cpu_s")}
    if all("in_process" in r for r in runs):
        keys = [k for k, v in runs[0]["in_process"].items() if k.endswith("_s") and isinstance(v, float)]
        med["in_process"] = {k: statistics.median(r["in_process"][k] for r in runs) for k in keys}
    return med


def interleaved(tools, n):
    """tools: {tool: (cmd, stdout, env, timings file or None)}; runs each tool n times, the order
    reversed every other round. A run of a tool with a timings file gets its in-process
    timings (written by sklearn_baselines.py) under "in_process"."""
    names = list(tools)
    runs = {t: [] for t in names}
    for i in range(n):
        order = names if i % 2 == 0 else names[::-1]
        for t in order:
            cmd, stdout, env, timings = tools[t]
            if timings and os.path.exists(timings):
                os.remove(timings)
            r = measure(cmd, stdout, env)
            extra = ""
            if timings:
                with open(timings) as f:
                    r["in_process"] = json.load(f)
                extra = f", in-process {r['in_process']['in_process_s']:.3f} s"
            runs[t].append(r)
            log(f"    {t:<16} run {i + 1}/{n}: {r['wall_s']:.3f} s, {r['rss_mb']:.1f} MB{extra}")
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
    ds = DATASETS[name]
    lang, multi_label = ds["lang"], ds["multi_label"]
    rel = f"work/{name}"
    train_dir, val_dir = f"{rel}/train", f"{rel}/val"
    py = os.path.relpath(VENV_PY, HERE)
    opts = options.get(ds["options"], [])
    s_env = sklearn_env()

    # tool -> (train cmd, classify cmd, classify stdout, output JSONL, env, train timings, classify timings)
    tools = {}
    u_variants = [("urpmail", opts)]
    if args.extra_urpmail_options:
        u_variants.append(("urpmail-extra", [*opts, *args.extra_urpmail_options]))
    for tool, o in u_variants:
        model, out = f"{rel}/{tool}.model", f"{rel}/{tool}-val.jsonl"
        tools[tool] = (
            [urpmail, "-q", "train", "--data", train_dir, "--out", model, "--rules", "none", *o, "--threads", "1"],
            [urpmail, "-q", "classify", "--model", model, "--rules", "none", "--threads", "1", val_dir],
            out,
            out,
            None,
            None,
            None,
        )
    for b in args.baselines:
        model, out = f"{rel}/sklearn-{b}.pkl", f"{rel}/sklearn-{b}-val.jsonl"
        t_train, t_cl = f"{rel}/sklearn-{b}-train-timings.json", f"{rel}/sklearn-{b}-classify-timings.json"
        tools[b] = (
            [py, "sklearn_baselines.py", "train", train_dir, model, "--pipeline", b, "--lang", lang, "--timings", t_train],
            [py, "sklearn_baselines.py", "predict", model, val_dir, out, "--timings", t_cl],
            None,
            out,
            s_env,
            t_train,
            t_cl,
        )
    u_eval = [urpmail, "-q", "eval", "--data", val_dir, "--model", f"{rel}/urpmail.model", "--rules", "none", "--format", "json"]

    def abs_(p):
        return os.path.join(HERE, p) if p else None

    runs_word = f"{args.runs} run{'s' if args.runs > 1 else ''}, interleaved"
    log(f"\n== {name}: train ({runs_word})")
    train_runs = interleaved({t: (v[0], None, v[4], abs_(v[5])) for t, v in tools.items()}, args.runs)
    log(f"== {name}: classify {val_dir} ({runs_word})")
    classify_runs = interleaved({t: (v[1], abs_(v[2]), v[4], abs_(v[6])) for t, v in tools.items()}, args.runs)

    val_abs = os.path.join(HERE, val_dir)
    ev = subprocess.run(u_eval, cwd=HERE, capture_output=True, text=True)
    if ev.returncode != 0:
        eval_report = {"error": f"exit {ev.returncode}: {ev.stderr.strip()[-2000:]}"}
    else:
        full = json.loads(ev.stdout)
        eval_report = {k: full.get(k) for k in ("items", "accuracy", "macro_f1", "review_share", "unflagged_accuracy", "notes")}

    res = {
        "split": ds["split"],
        "what": ds["what"],
        "multi_label": multi_label,
        "urpmail_options": opts,
        "urpmail_extra_options": args.extra_urpmail_options or None,
        "commands": {"cwd": HERE, "urpmail_eval": shlex.join(u_eval)},
        "tools": {},
    }
    for tool, (tr_cmd, cl_cmd, stdout, out, _, _, _) in tools.items():
        res["commands"][f"{tool}_train"] = shlex.join(tr_cmd)
        res["commands"][f"{tool}_classify"] = shlex.join(cl_cmd) + (f" > {shlex.quote(stdout)}" if stdout else "")
        q = quality(os.path.join(HERE, out), val_abs, multi_label)
        tr, cl = median_of(train_runs[tool]), median_of(classify_runs[tool])
        res["tools"][tool] = {
            "accuracy": q["accuracy"],
            "macro_f1": q["macro_f1"],
            "train_s": tr["wall_s"],
            "train_mb": tr["rss_mb"],
            "train_cpu_s": tr["cpu_s"],
            "classify_s": cl["wall_s"],
            "classify_mb": cl["rss_mb"],
            "classify_cpu_s": cl["cpu_s"],
            "files_per_s": q["files"] / cl["wall_s"] if cl["wall_s"] > 0 else None,
            "train_in_process": tr.get("in_process"),
            "classify_in_process": cl.get("in_process"),
            "runs": {"train": train_runs[tool], "classify": classify_runs[tool]},
            "quality": {k: v for k, v in q.items() if k not in ("accuracy", "macro_f1")},
        }
    res["urpmail_eval"] = eval_report

    t = res["tools"]
    u = t["urpmail"]
    # Speed-ups: scikit-learn time / urpmail whole-process time (> 1: urpmail is faster).
    res["speed"] = {}
    for b in args.baselines:
        res["speed"][b] = {
            "classify_in_process": t[b]["classify_in_process"]["in_process_s"] / u["classify_s"],
            "classify_whole": t[b]["classify_s"] / u["classify_s"],
            "train_in_process": t[b]["train_in_process"]["in_process_s"] / u["train_s"],
            "train_whole": t[b]["train_s"] / u["train_s"],
        }
    targets = {}
    if ds["split"] == "date":
        if name == "20ng":
            if "svc-word" in t:
                targets["20ng_acc_ge_svc_word"] = u["accuracy"] >= t["svc-word"]["accuracy"]
            if "cnb" in t:
                targets["20ng_acc_ge_cnb_plus_0.03"] = u["accuracy"] >= t["cnb"]["accuracy"] + 0.03
        if name == "covid" and "svc-char" in t:
            targets["covid_acc_ge_svc_char"] = u["accuracy"] >= t["svc-char"]["accuracy"]
        if not args.accuracy_only and args.baselines:
            fast_cl = min(args.baselines, key=lambda b: t[b]["classify_in_process"]["in_process_s"])
            fast_tr = min(args.baselines, key=lambda b: t[b]["train_in_process"]["in_process_s"])
            res["fastest_baseline"] = {"classify": fast_cl, "train": fast_tr}
            targets["classify_in_process_ge_3x"] = res["speed"][fast_cl]["classify_in_process"] >= TARGETS["classify_in_process_ratio"]
            targets["train_in_process_ge_3x"] = res["speed"][fast_tr]["train_in_process"] >= TARGETS["train_in_process_ratio"]
            targets["urpmail_classify_rss_le_100mb"] = u["classify_mb"] <= TARGETS["urpmail_classify_rss_mb"]
    res["targets"] = targets
    return res


# ---------------------------------------------------------------------------------------------
# Printing


def pf(ok):
    return "PASS" if ok else "FAIL"


def tool_label(tool, r):
    if tool == "urpmail":
        return "urpmail (default options)"
    if tool == "urpmail-extra":
        return f"urpmail {' '.join(r['urpmail_extra_options'])} (NOT default)"
    return BASELINES[tool]


def print_dataset(name, r, accuracy_only, runs):
    t = r["tools"]
    u = t["urpmail"]
    qu = u["quality"]
    log(f"\n### {name}: {r['what']}")
    user_opts = " ".join(r["urpmail_options"]) or "(none)"
    log(f"{qu['items']} validation items, {qu['files']} files; urpmail options: {user_opts} (+ --rules none --threads 1)")
    width = max(len(tool_label(x, r)) for x in t) + 1
    if accuracy_only:
        hdr = f"{'':<{width}}{'accuracy':>9}{'macro-F1':>9}"
    else:
        hdr = f"{'':<{width}}{'accuracy':>9}{'macro-F1':>9}{'train s':>9}{'train MB':>10}{'classify s':>11}{'classify MB':>12}{'files/s':>9}"
    log(hdr)
    log("-" * len(hdr))
    for tool, x in t.items():
        line = f"{tool_label(tool, r):<{width}}{x['accuracy']:>9.4f}{x['macro_f1']:>9.4f}"
        if not accuracy_only:
            line += (
                f"{x['train_s']:>9.2f}{x['train_mb']:>10.1f}{x['classify_s']:>11.3f}{x['classify_mb']:>12.1f}{x['files_per_s']:>9.0f}"
            )
        log(line)
    if not accuracy_only:
        log("(s = whole-process wall time, MB = peak RSS in MiB, median of %d; every tool on one thread)" % runs)
    ev = r["urpmail_eval"]
    if "error" in ev:
        log(f"urpmail eval cross-check: ERROR {ev['error']}")
    else:
        log(f"urpmail eval cross-check: items {ev['items']}  accuracy {ev['accuracy']:.4f}  macro-F1 {ev['macro_f1']:.4f}")
        if ev["items"] != qu["items"] or abs(ev["accuracy"] - u["accuracy"]) > 5e-4:
            log(f"  NOTE: differs from compare.py's figures (items {qu['items']}, accuracy {u['accuracy']:.4f})")
    for tool, x in t.items():
        q = x["quality"]
        odd = {k: q[k] for k in ("missing_predictions", "unmatched_records", "copies_disagreeing", "excluded", "skipped") if q[k]}
        if odd:
            log(f"  NOTE {tool}: {odd}")

    if not accuracy_only and r["speed"]:
        log(
            f"\nspeed on {qu['files']} validation files, one thread, medians of {runs}; speed-up = scikit-learn time / urpmail time"
        )
        log(
            f"  urpmail, whole process (start, model load, read + parse + classify every file, JSON output): "
            f"classify {u['classify_s']:.3f} s, train {u['train_s']:.2f} s (train includes its calibration)"
        )
        log(
            "  scikit-learn in-process: read + decode + vectorise + predict (classify), read + decode + vectorise + fit "
            "(train); interpreter start, imports, model load and save not counted. Whole process: all of it."
        )
        bw = max(len(BASELINES[b]) for b in r["speed"]) + 2
        h = f"  {'':<{bw}}{'classify in-proc':>17}{'speed-up':>9}{'whole':>8}{'speed-up':>9}{'train in-proc':>15}{'speed-up':>9}{'whole':>8}{'speed-up':>9}"
        log(h)
        for b, sp in r["speed"].items():
            x = t[b]
            log(
                f"  {BASELINES[b]:<{bw}}{x['classify_in_process']['in_process_s']:>15.3f} s{sp['classify_in_process']:>8.2f}x"
                f"{x['classify_s']:>6.2f} s{sp['classify_whole']:>8.2f}x"
                f"{x['train_in_process']['in_process_s']:>13.2f} s{sp['train_in_process']:>8.2f}x"
                f"{x['train_s']:>6.2f} s{sp['train_whole']:>8.2f}x"
            )
    tg = r["targets"]
    if r["split"] != "date":
        log("targets: none (this split is shown beside only, never used to choose defaults)")
        return
    for k in ("20ng_acc_ge_svc_word", "20ng_acc_ge_cnb_plus_0.03", "covid_acc_ge_svc_char"):
        if k in tg:
            log(f"target {TARGETS[k]:<62} {pf(tg[k])}")
    if "classify_in_process_ge_3x" in tg:
        fc, ft = r["fastest_baseline"]["classify"], r["fastest_baseline"]["train"]
        sc, st = r["speed"][fc]["classify_in_process"], r["speed"][ft]["train_in_process"]
        log(f"target classify >= 3x the fastest in-process baseline ({BASELINES[fc]}): {sc:5.2f}x {pf(tg['classify_in_process_ge_3x'])}")
        log(f"target train    >= 3x the fastest in-process baseline ({BASELINES[ft]}): {st:5.2f}x {pf(tg['train_in_process_ge_3x'])}")
        log(f"target urpmail classify peak RSS <= 100 MB: {u['classify_mb']:.1f} MB {pf(tg['urpmail_classify_rss_le_100mb'])}")


def print_summary(results):
    """Accuracy / macro-F1 of every tool on every data set, in one table."""
    names = list(results["datasets"])
    tools = []
    for n in names:
        for tool in results["datasets"][n]["tools"]:
            if tool not in tools:
                tools.append(tool)
    first = results["datasets"][names[0]]
    width = max(len(tool_label(x, first)) for x in tools) + 1
    cols = [n.replace("-interleaved", " interleaved*") if results["datasets"][n]["split"] != "date" else f"{n} date-ordered" for n in names]
    cws = [max(19, len(c) + 3) for c in cols]
    log("\naccuracy / macro-F1 on the validation splits (covid: right when the prediction is any of the item's labels)")
    log(f"{'':<{width}}" + "".join(f"{c:>{w}}" for c, w in zip(cols, cws)))
    for tool in tools:
        line = f"{tool_label(tool, first):<{width}}"
        for n, w in zip(names, cws):
            x = results["datasets"][n]["tools"].get(tool)
            cell = f"{x['accuracy']:.4f} / {x['macro_f1']:.4f}" if x else "-"
            line += f"{cell:>{w}}"
        log(line)
    if any(results["datasets"][n]["split"] != "date" for n in names):
        log("* interleaved split (every 5th file per group; posts of the same threads on both sides): shown beside only,")
        log("  never used to choose defaults")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one run of each command instead of 3")
    ap.add_argument(
        "--accuracy-only", action="store_true", help="one run of each command, no timings printed and no speed targets (for a busy machine)"
    )
    ap.add_argument("--only", choices=["20ng", "covid"], help="run one data set only")
    ap.add_argument(
        "--split",
        choices=["date", "interleaved", "both"],
        default="date",
        help="20 Newsgroups split: date (default), interleaved (the old every-5th-file split, never used to "
        "choose defaults) or both, printed beside each other; covid is always date-ordered",
    )
    ap.add_argument("--urpmail", default=DEFAULT_URPMAIL, help=f"binary to test (default {DEFAULT_URPMAIL})")
    ap.add_argument("--data", default=None, help="shared data dir passed to prepare.py (default <repo>/../shared/data)")
    ap.add_argument(
        "--baselines",
        default=",".join(DEFAULT_BASELINES),
        help=f"comma-separated scikit-learn baselines to run (default {','.join(DEFAULT_BASELINES)}; also: svc-word-char)",
    )
    ap.add_argument(
        "--extra-urpmail-options",
        default="",
        metavar="OPTS",
        help="also train urpmail with these options added (e.g. \"--no-linear --no-bigrams\"): a separate "
        "row labelled NOT default, never the headline nor checked against a target",
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args(argv)
    args.runs = 1 if (args.quick or args.accuracy_only) else 3
    args.baselines = [b for b in args.baselines.split(",") if b]
    for b in args.baselines:
        if b not in BASELINES:
            sys.exit(f"--baselines: unknown {b!r} (known: {', '.join(BASELINES)})")
    args.extra_urpmail_options = shlex.split(args.extra_urpmail_options)
    urpmail = os.path.abspath(args.urpmail)
    if not os.access(urpmail, os.X_OK):
        sys.exit(f"{urpmail}: not found or not executable (build it with cargo build --release)")

    names = []
    if args.only in (None, "20ng"):
        if args.split in ("date", "both"):
            names.append("20ng")
        if args.split in ("interleaved", "both"):
            names.append("20ng-interleaved")
    if args.only in (None, "covid"):
        names.append("covid")
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
    log(f"urpmail: {versions['urpmail']} (repo {versions['urpmail_git']}), {urpmail}, sha256 {versions['urpmail_sha256'][:12]}")
    log(f"baseline: python {versions['python']}, scikit-learn {versions['scikit-learn']}, numpy {versions['numpy']}, scipy {versions['scipy']}")
    mode = "accuracy only, 1 run per command" if args.accuracy_only else f"{args.runs} run(s) per command, median reported"
    log(f"host: {host['cpu']}, {host['cores']} cores; {mode}")
    warnings = []
    if not args.accuracy_only and host["cpu_busy_before"] is not None and host["cpu_busy_before"] > 0.2:
        warnings.append(f"{host['cpu_busy_before']:.0%} of the CPU busy before the start: something else was running, timings may be off")
        log(f"WARNING: {warnings[-1]}")

    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "accuracy-only" if args.accuracy_only else "timing",
        "runs_per_command": args.runs,
        "host": host,
        "versions": versions,
        "targets": TARGETS,
        "sklearn_env": ONE_THREAD,
        "datasets": {},
    }
    for name in names:
        results["datasets"][name] = run_dataset(name, args, urpmail, options)

    if file_sha256(urpmail) != versions["urpmail_sha256"]:
        warnings.append(f"{urpmail} changed during the run (rebuilt?): results mix two binaries, run again")
    busy = cpu_busy()
    results["host"]["cpu_busy_after"] = busy
    if not args.accuracy_only and busy is not None and busy > 0.2:
        warnings.append(f"{busy:.0%} of the CPU busy right after the run: something else was running, timings may be off")
    results["warnings"] = warnings

    log("\n" + "=" * 100)
    log(f"urpmail (default training options) vs scikit-learn baselines; {mode}")
    for name in names:
        print_dataset(name, results["datasets"][name], args.accuracy_only, args.runs)
    print_summary(results)

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
