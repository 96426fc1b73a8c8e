#!/usr/bin/env python3
"""Adaptation benchmark: how fast staff corrections teach urpmail a comune it has never seen.

  python3 bench/adapt.py [--urpmail PATH] [--data bench/adapt-it[,bench/adapt-en]] [--part tune|report|all]
                         [--rounds 5] [--per-round 20] [--weights 1,3,10] [--orders information,random]

The data is a labelled archive of one fictional comune's year of mail (bench/adapt-it:
<topic>/<nnn>.eml, written by helpers who never saw urpmail's corpus, rules or tests; the shipped
model was not trained on it), or several (bench/adapt-en: the same comune's English mail from
foreign residents, where the default starts weak); with several, the weight is chosen on their
tune parts together and each archive's curve is reported. It is split by date (never at random): the messages of January-June
are the `tune` part, July-December the `report` part. The weight of local examples
(`learn --local-weight`) is chosen on the tune part; the adaptation curve is reported on the
report part with that weight.

For every order of the review queue and every weight, on a fresh store, it simulates staff:

  ingest the part; then `--rounds` times:
    report review --limit N --sample 0 --order ORDER    (the N doubtful decisions asked first)
    the true topics filled in                            (staff answers, from the folder names)
    learn --local-weight W                               (the learned model becomes active)
    reclassify                                           (the whole part re-decided with it)
  and after each round the accuracy on the messages not yet reviewed (a message counts as right
  when it is classified under its folder's topic; an exclusion counts as wrong).

Prints one table (reviews x runs) and writes bench/work/adapt-results.json. Only counts and
accuracies are printed, never message texts. Every command is urpmail's own CLI, as staff and IT
run it.
"""

import argparse
import email
import email.utils
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(HERE, "adapt-it")
DEFAULT_URPMAIL = os.path.join(REPO, "target", "release", "urpmail")
WORK = os.path.join(HERE, "work")


def log(*a):
    print(*a, flush=True)


def month_of(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f)
    d = email.utils.parsedate_to_datetime(msg["Date"])
    return d.month


def split(data, part, out):
    """Copies the part's messages to out/<topic>/<file>; returns {absolute path: topic}."""
    truth = {}
    for topic in sorted(os.listdir(data)):
        folder = os.path.join(data, topic)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            src = os.path.join(folder, name)
            m = month_of(src)
            if part == "tune" and m > 6 or part == "report" and m <= 6:
                continue
            os.makedirs(os.path.join(out, topic), exist_ok=True)
            dst = os.path.join(out, topic, name)
            shutil.copyfile(src, dst)
            truth[os.path.abspath(dst)] = topic
    return truth


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def accuracy(urpmail, store, truth):
    rows = [json.loads(l) for l in run([urpmail, "-q", "report", "messages", "--store", store]).splitlines()]
    unreviewed = [r for r in rows if not r["reviewed"]]
    right = sum(1 for r in unreviewed if r["status"] == "classified" and r["topic"] == truth.get(r["location"]))
    return right / len(unreviewed) if unreviewed else float("nan"), len(unreviewed), len(rows)


def held_out(urpmail, store, other):
    """Accuracy of the store's active model (the built-in one before any learn) on the other
    part's messages, which the simulated staff never see: a fixed denominator."""
    if other is None:
        return None
    other_dir, other_truth = other
    status = json.loads(run([urpmail, "-q", "status", "--format", "json", "--store", store]))
    model = (status.get("active_model") or {}).get("file") or "default"
    out = run([urpmail, "-q", "classify", "--threads", "1", "--model", model, other_dir])
    rows = [json.loads(l) for l in out.splitlines()]
    right = sum(1 for r in rows if r.get("excluded") is None and r.get("skipped") is None
                and r.get("topic") == other_truth.get(os.path.abspath(r.get("source", ""))))
    return right / len(rows) if rows else float("nan")


def simulate(urpmail, part_dir, truth, order, weight, rounds, per_round, tmp, seed="adapt", other=None):
    # A fresh store per part, queue, weight and seed (its learned models go to a folder beside it).
    name = f"{os.path.basename(os.path.dirname(part_dir))}-{os.path.basename(part_dir)}-{order}-{weight:g}-{seed}"
    store = os.path.join(tmp, f"{name}.db")
    if os.path.exists(store):
        sys.exit(f"{store}: already simulated")
    run([urpmail, "-q", "ingest", "--threads", "1", "--store", store, part_dir])
    acc, left, total = accuracy(urpmail, store, truth)
    curve = [{"reviews": 0, "accuracy": acc, "unreviewed": left, "held_out": held_out(urpmail, store, other)}]
    reviewed = 0
    for i in range(rounds):
        review = os.path.join(tmp, f"review-{name}-{i}.json")
        run([urpmail, "-q", "report", "review", "--store", store, "--limit", str(per_round), "--sample", "0",
             "--order", order, "--seed", f"{seed}-{i}", "--out", review])
        with open(review, encoding="utf-8") as f:
            doc = json.load(f)
        answered = 0
        for item in doc["items"]:
            topic = truth.get(item.get("dove") or "")
            if topic:
                item["corrected_topic"] = topic
                answered += 1
        if answered == 0:
            break
        with open(review, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        run([urpmail, "-q", "learn", "--store", store, "--local-weight", str(weight), "--reviewer", "adapt.py",
             review])
        run([urpmail, "-q", "reclassify", "--threads", "1", "--store", store])
        reviewed += answered
        acc, left, total = accuracy(urpmail, store, truth)
        curve.append({"reviews": reviewed, "accuracy": acc, "unreviewed": left,
                      "held_out": held_out(urpmail, store, other)})
    return curve


def mean_curve(curves):
    """The step-wise mean of several curves (random queues with different seeds)."""
    steps = min(len(c) for c in curves)
    def mean(key, s):
        xs = [c[s][key] for c in curves if c[s].get(key) is not None]
        return sum(xs) / len(xs) if xs else None
    return [{"reviews": round(mean("reviews", s)), "accuracy": mean("accuracy", s),
             "unreviewed": round(mean("unreviewed", s)), "held_out": mean("held_out", s)} for s in range(steps)]


def area(curve):
    """Mean accuracy after the first round and on: how much the reviews helped all along (less
    noisy than the last point alone)."""
    after = [p["accuracy"] for p in curve[1:]]
    return sum(after) / len(after) if after else curve[0]["accuracy"]


def table(title, runs, key="accuracy"):
    log(f"\n### {title}")
    names = list(runs)
    log("round  " + "  ".join(f"{n:>26}" for n in names))
    steps = max(len(c) for c in runs.values())
    for s in range(steps):
        cells = []
        for n in names:
            c = runs[n]
            if len(c) > s and c[s].get(key) is not None:
                cells.append(f"{c[s][key]:>16.4f} ({c[s]['reviews']:>3} rev)")
            else:
                cells.append(" " * 26)
        log(f"{s:>5}  " + "  ".join(cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urpmail", default=DEFAULT_URPMAIL)
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="labelled archives, comma-separated; with several, the weight is chosen jointly "
                         "(highest mean over the archives of their tune parts' mean accuracy)")
    ap.add_argument("--part", choices=["tune", "report", "all"], default="all",
                    help="tune: choose the weight on January-June; report: the curve on July-December; all: both")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=20)
    ap.add_argument("--weights", default="1,3,10,30")
    ap.add_argument("--random-seeds", type=int, default=3, help="random queues simulated (their mean is shown)")
    ap.add_argument("--orders", default="information,random")
    ap.add_argument("--weight", type=float, help="the weight for the report part (default: the best on the tune part)")
    a = ap.parse_args()
    archives = [d for d in a.data.split(",") if d]
    for d in archives:
        if not os.path.isdir(d):
            sys.exit(f"{d}: no such folder (a labelled archive, e.g. bench/adapt-it)")
    if not os.access(a.urpmail, os.X_OK):
        sys.exit(f"{a.urpmail}: not an executable (cargo build --release, or pass --urpmail)")
    weights = [float(w) for w in a.weights.split(",")]
    orders = a.orders.split(",")
    results = {"urpmail": a.urpmail, "data": [os.path.relpath(d, REPO) for d in archives], "rounds": a.rounds,
               "per_round": a.per_round, "archives": {}}
    with tempfile.TemporaryDirectory() as tmp:
        chosen = a.weight
        if a.part in ("tune", "all"):
            areas_by = {}
            for d in archives:
                name = os.path.basename(os.path.normpath(d))
                part = os.path.join(tmp, name, "tune")
                truth = split(d, "tune", part)
                log(f"{name}: tune part (January-June): {len(truth)} messages; weights {weights}, queue: information")
                runs = {}
                for w in weights:
                    runs[f"information w={w:g}"] = simulate(a.urpmail, part, truth, "information", w, a.rounds,
                                                            a.per_round, tmp)
                table(f"{name}, tune part: accuracy on unreviewed messages after each round", runs)
                areas = {w: area(runs[f"information w={w:g}"]) for w in weights}
                areas_by[name] = areas
                log("mean accuracy over the rounds: " + ", ".join(f"w={w:g} {x:.4f}" for w, x in areas.items()))
                results["archives"].setdefault(name, {})["tune"] = {
                    "messages": len(truth), "runs": runs, "areas": {f"{w:g}": x for w, x in areas.items()}}
            joint = {w: sum(areas_by[n][w] for n in areas_by) / len(areas_by) for w in weights}
            best = max(weights, key=lambda w: (round(joint[w], 6), -w))
            results["best_weight"] = best
            results["joint_areas"] = {f"{w:g}": x for w, x in joint.items()}
            if len(archives) > 1:
                log("\nmean over the archives: " + ", ".join(f"w={w:g} {x:.4f}" for w, x in joint.items()))
            log(f"best weight on the tune part{'s' if len(archives) > 1 else ''} (highest mean accuracy over the rounds"
                f"{', averaged over the archives' if len(archives) > 1 else ''}, the smaller on a tie): {best:g}")
            chosen = chosen if chosen is not None else best
        if a.part in ("report", "all"):
            if chosen is None:
                sys.exit("--part report needs --weight W (or run --part all to choose it on the tune part)")
            for d in archives:
                name = os.path.basename(os.path.normpath(d))
                part = os.path.join(tmp, name, "report")
                truth = split(d, "report", part)
                other_dir = os.path.join(tmp, name, "held-out-tune")
                other = (other_dir, split(d, "tune", other_dir))
                log(f"\n{name}: report part (July-December): {len(truth)} messages; weight {chosen:g}; queues {orders}")
                runs = {}
                for o in orders:
                    if o == "random":
                        curves = [simulate(a.urpmail, part, truth, o, chosen, a.rounds, a.per_round, tmp, f"seed{k}",
                                           other) for k in range(a.random_seeds)]
                        runs[f"random (mean of {a.random_seeds})"] = mean_curve(curves)
                    else:
                        runs[f"{o} w={chosen:g}"] = simulate(a.urpmail, part, truth, o, chosen, a.rounds, a.per_round,
                                                              tmp, other=other)
                table(f"{name}, report part: accuracy on unreviewed messages after each round", runs)
                table(f"{name}: the same models on the January-June messages, which the simulated staff never saw",
                      runs, "held_out")
                results["archives"].setdefault(name, {})["report"] = {"messages": len(truth), "weight": chosen,
                                                                      "runs": runs}
                for n, c in runs.items():
                    gain = c[-1]["accuracy"] - c[0]["accuracy"]
                    log(f"{name} {n}: {c[0]['accuracy']:.4f} -> {c[-1]['accuracy']:.4f} after {c[-1]['reviews']} "
                        f"reviews ({gain * 100:+.1f} points); mean over the rounds {area(c):.4f}")
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "adapt-results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    log(f"results written to {os.path.relpath(os.path.join(WORK, 'adapt-results.json'), REPO)}")


if __name__ == "__main__":
    main()
