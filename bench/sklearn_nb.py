#!/usr/bin/env python3
"""scikit-learn baseline for the urpmail benchmark.

  sklearn_nb.py train DIR MODEL [--lang en|it]
  sklearn_nb.py predict MODEL PATH_DIR OUT.jsonl

The pipeline is scikit-learn's documented text-classification recipe:
TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words='english' for English, none for
Italian) followed by ComplementNB() with its default alpha, fitted on the raw file bytes
decoded as latin-1 for English (20 Newsgroups, as fetch_20newsgroups does) and as UTF-8
(errors='replace') for Italian.

`train` reads DIR/<label>/<file>; a file name present under several labels gives one training
row per label (as urpmail's trainer does). `predict` walks PATH_DIR recursively and writes one
JSON line {"source": path, "topic": label} per file. Each command is one whole process, which
is what the benchmark times.
"""

import argparse
import json
import os
import pickle
import sys

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import make_pipeline

ENCODING = {"en": ("latin-1", "strict"), "it": ("utf-8", "replace")}


def read_text(path, lang):
    enc, errors = ENCODING[lang]
    with open(path, "rb") as f:
        return f.read().decode(enc, errors)


def cmd_train(args):
    texts, labels = [], []
    for label in sorted(os.listdir(args.dir)):
        d = os.path.join(args.dir, label)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                texts.append(read_text(p, args.lang))
                labels.append(label)
    if not texts:
        sys.exit(f"{args.dir}: no training files")
    vec = TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words="english" if args.lang == "en" else None)
    pipe = make_pipeline(vec, ComplementNB())
    pipe.fit(texts, labels)
    with open(args.model, "wb") as f:
        pickle.dump({"lang": args.lang, "pipeline": pipe}, f, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"trained on {len(texts)} rows, {len(set(labels))} labels", file=sys.stderr)


def cmd_predict(args):
    with open(args.model, "rb") as f:
        m = pickle.load(f)
    lang, pipe = m["lang"], m["pipeline"]
    paths = []
    for root, dirs, files in os.walk(args.path_dir):
        dirs.sort()
        for name in sorted(files):
            paths.append(os.path.join(root, name))
    texts = [read_text(p, lang) for p in paths]
    predicted = pipe.predict(texts) if texts else []
    with open(args.out, "w", encoding="utf-8") as out:
        for p, t in zip(paths, predicted):
            out.write(json.dumps({"source": p, "topic": str(t)}, ensure_ascii=False))
            out.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="fit the pipeline on DIR/<label>/<file> and pickle it")
    t.add_argument("dir")
    t.add_argument("model")
    t.add_argument("--lang", choices=sorted(ENCODING), default="en")
    t.set_defaults(func=cmd_train)
    p = sub.add_parser("predict", help="classify every file under PATH_DIR into OUT.jsonl")
    p.add_argument("model")
    p.add_argument("path_dir")
    p.add_argument("out")
    p.set_defaults(func=cmd_predict)
    args = ap.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
