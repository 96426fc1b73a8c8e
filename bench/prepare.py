#!/usr/bin/env python3
"""Builds the benchmark's own train/validation splits from the shared training data.

Standard library only. Writes (by default under bench/work/):

  20ng/train/<group>/<file>, 20ng/val/<group>/<file>                 (--split date, the default)
      20 Newsgroups "bydate" train split, ordered by date: per group, files sorted by their
      numeric article number (in the bydate release article numbers grow with posting time;
      the Date headers were removed), the oldest 80% train, the newest 20% validation.
      Bytes copied unchanged.

  20ng-interleaved/train/<group>/<file>, 20ng-interleaved/val/...      (--split interleaved)
      The old split, kept only to print beside the date-ordered one and never used to choose
      defaults: per group, files sorted by article number, every 5th file (index % 5 == 4) goes
      to validation, so posts of the same threads sit on both sides (it overstates accuracy).

  covid/train/<label>/<id>.eml, covid/val/<label>/<id>.eml
      it-covid19 reports wrapped as UTF-8 text/plain e-mails; workflow labels removed;
      sorted by (created_at, id), oldest 80% train, newest 20% validation (the way the
      held-out evaluation splits). A report goes under each of its labels. Date-ordered in
      every --split mode.

Each output folder gets a split.json naming its split (compare.py checks it, so an old work
folder with another split is rebuilt rather than used).

Prints counts only: the reports contain personal data, their contents are never printed.
"""

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import sys
import tarfile
from email.message import EmailMessage
from email.utils import format_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
DEFAULT_WORK = os.path.join(HERE, "work")

WORKFLOW_LABELS = {
    "accettato",
    "form",
    "Bollettino",
    "Posizione mancante",
    "Posizione da verificare",
    "Risolta",
    "Non accettato",
}
BODY_FIELDS = ["Cosa", "Descrizione", "descrizione", "Destinatari", "destinatari"]
TRAIN_SHARE = 0.8
# Bumped when the meaning of a prepared folder changes; compare.py rebuilds folders without it.
PREPARE_VERSION = 2
SPLITS = ("date", "interleaved")


def dataset_dir_name(name, split):
    """Folder under the work dir: the date-ordered split has the plain name."""
    return name if split == "date" else f"{name}-{split}"


def write_split_marker(out, split, how):
    with open(os.path.join(out, "split.json"), "w") as f:
        json.dump({"split": split, "how": how, "prepare_version": PREPARE_VERSION}, f, indent=2)
        f.write("\n")


def reset_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)


def is_val_20ng(i, n, split):
    """Whether the i-th file (by article number) of a group of n goes to validation."""
    if split == "interleaved":
        return i % 5 == 4
    return i >= int(n * TRAIN_SHARE)


def prepare_20ng(data_dir, work_dir, split="date"):
    src = os.path.join(data_dir, "20ng-bydate-train.tar.gz")
    ds_name = dataset_dir_name("20ng", split)
    out = os.path.join(work_dir, ds_name)
    reset_dir(out)
    groups = {}  # group -> [(numeric name, member)]
    with tarfile.open(src, "r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            if not m.isfile():
                continue
            parts = m.name.split("/")
            # Layout 20ng/train/<group>/<n>; take the last two components, never trust the path.
            if len(parts) < 2:
                continue
            group, name = parts[-2], parts[-1]
            if not name.isdigit() or group in ("", ".", "..") or "\\" in group:
                print(f"20ng: skipping unexpected member {m.name!r}", file=sys.stderr)
                continue
            groups.setdefault(group, []).append((int(name), name, m))
        counts = {}
        for group in sorted(groups):
            files = sorted(groups[group], key=lambda x: x[0])
            n_train = n_val = 0
            for side in ("train", "val"):
                os.makedirs(os.path.join(out, side, group))
            for i, (_, fname, m) in enumerate(files):
                side = "val" if is_val_20ng(i, len(files), split) else "train"
                data = tar.extractfile(m).read()
                with open(os.path.join(out, side, group, fname), "wb") as f:
                    f.write(data)
                if side == "val":
                    n_val += 1
                else:
                    n_train += 1
            counts[group] = (n_train, n_val)
    tot_t = sum(t for t, _ in counts.values())
    tot_v = sum(v for _, v in counts.values())
    if split == "date":
        how = "per group, by article number: oldest 80% train, newest 20% validation"
    else:
        how = "per group, by article number: every 5th file validation (NOT date-ordered; never used to choose defaults)"
    write_split_marker(out, split, how)
    print(f"{ds_name}: {len(counts)} groups, {tot_t} train files, {tot_v} validation files ({how})")
    for g, (t, v) in counts.items():
        print(f"  {g:<28} train {t:4d}  val {v:4d}")
    return {"split": split, "groups": len(counts), "train_files": tot_t, "val_files": tot_v}


def label_dir_name(label):
    return label.replace("/", "-")


def build_email(row):
    data = json.loads(row["data"]) if row["data"].strip() else {}
    if not isinstance(data, dict):
        data = {}
    parts = []
    for k in BODY_FIELDS:
        v = data.get(k)
        if v is None:
            continue
        v = str(v).strip()
        if v:
            parts.append(v)
    body = "\n\n".join(parts)
    # Header values may not hold line breaks; collapse all whitespace runs.
    subject = " ".join(row["title"].split())
    msg = EmailMessage()  # policy.default: non-ASCII headers are RFC 2047-encoded on output
    msg["Subject"] = subject
    msg["Message-ID"] = f"<covid-{row['id']}@bench>"
    created = dt.datetime.strptime(row["created_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    msg["Date"] = format_datetime(created)
    # 8bit keeps the UTF-8 text readable in the raw file (the sklearn baseline reads raw bytes);
    # the heuristics would pick base64/quoted-printable for long non-ASCII lines.
    msg.set_content(body + "\n" if body else "", charset="utf-8", cte="8bit")
    return msg.as_bytes()


def prepare_covid(data_dir, work_dir):
    src = os.path.join(data_dir, "it-covid19-train.csv")
    out = os.path.join(work_dir, "covid")
    reset_dir(out)
    rows = []
    dropped = 0
    with open(src, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            labels = [l for l in json.loads(row["labels"] or "[]") if l not in WORKFLOW_LABELS]
            labels = sorted(set(labels))
            if not labels:
                dropped += 1
                continue
            rows.append((row["created_at"], int(row["id"]), labels, row))
    rows.sort(key=lambda r: (r[0], r[1]))
    n_train = int(len(rows) * TRAIN_SHARE)
    stats = {}
    for split, part in (("train", rows[:n_train]), ("val", rows[n_train:])):
        files = 0
        per_label = {}
        for _, rid, labels, row in part:
            raw = build_email(row)
            for label in labels:
                d = os.path.join(out, split, label_dir_name(label))
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"{rid}.eml"), "wb") as f:
                    f.write(raw)
                files += 1
                per_label[label_dir_name(label)] = per_label.get(label_dir_name(label), 0) + 1
        stats[split] = {"items": len(part), "files": files, "per_label": dict(sorted(per_label.items()))}
    print(
        f"covid: {len(rows)} usable reports ({dropped} dropped without a topic); "
        f"train {stats['train']['items']} reports / {stats['train']['files']} files, "
        f"val {stats['val']['items']} reports / {stats['val']['files']} files, "
        f"{len(set(stats['train']['per_label']) | set(stats['val']['per_label']))} labels"
    )
    labels = sorted(set(stats["train"]["per_label"]) | set(stats["val"]["per_label"]))
    for l in labels:
        print(f"  {l:<42} train {stats['train']['per_label'].get(l, 0):4d}  val {stats['val']['per_label'].get(l, 0):4d}")
    if rows:
        print(f"  train up to {rows[n_train - 1][0]}, val from {rows[n_train][0]}" if 0 < n_train < len(rows) else "")
    write_split_marker(out, "date", "sorted by (created_at, id): oldest 80% train, newest 20% validation")
    return {
        "split": "date",
        "reports": len(rows),
        "dropped": dropped,
        "train_items": stats["train"]["items"],
        "train_files": stats["train"]["files"],
        "val_items": stats["val"]["items"],
        "val_files": stats["val"]["files"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA, help=f"shared data dir (default {DEFAULT_DATA})")
    ap.add_argument("--work", default=DEFAULT_WORK, help=f"output dir (default {DEFAULT_WORK})")
    ap.add_argument("--only", choices=["20ng", "covid"], help="prepare one data set only")
    ap.add_argument(
        "--split",
        choices=[*SPLITS, "both"],
        default="date",
        help="20 Newsgroups split: date (default; oldest 80%% / newest 20%% per group), interleaved "
        "(the old every-5th-file split, only to print beside, never to choose defaults) or both; "
        "covid is date-ordered in every mode",
    )
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    summary_path = os.path.join(args.work, "prepare-summary.json")
    summary = {}
    if os.path.exists(summary_path):
        try:
            with open(summary_path) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            summary = {}
    splits = SPLITS if args.split == "both" else (args.split,)
    if args.only in (None, "20ng"):
        for split in splits:
            summary[dataset_dir_name("20ng", split)] = prepare_20ng(args.data, args.work, split)
    if args.only in (None, "covid"):
        summary["covid"] = prepare_covid(args.data, args.work)
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
