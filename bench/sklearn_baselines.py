#!/usr/bin/env python3
"""scikit-learn baselines for the urpmail benchmark.

  sklearn_baselines.py train DIR MODEL --pipeline P [--lang en|it] [--timings FILE]
  sklearn_baselines.py predict MODEL PATH_DIR OUT.jsonl [--timings FILE]

Pipelines (P), all on the raw file bytes decoded as latin-1 for English (20 Newsgroups, as
fetch_20newsgroups does) and as UTF-8 (errors='replace') for Italian:

  cnb       TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words='english' for English,
            none for Italian) + ComplementNB() with its default alpha: scikit-learn's documented
            text-classification recipe.
  svc-word  the same vectoriser with ngram_range=(1, 2) (word unigrams and bigrams)
            + LinearSVC(random_state=0): default C=1.0, squared hinge, L2, one-vs-rest.
  svc-char  TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), sublinear_tf=True)
            (character 2-5-grams within word boundaries; stop words do not apply)
            + LinearSVC(random_state=0).
  svc-word-char  both vectorisers side by side (FeatureUnion of svc-word's and svc-char's)
            + LinearSVC(random_state=0): whether character n-grams add to word features
            (issue 12, item 4).

`train` reads DIR/<label>/<file>; a file name present under several labels gives one training
row per label (as urpmail's trainer does). `predict` walks PATH_DIR recursively and writes one
JSON line {"source": path, "topic": label} per file. Each command is one whole process, which
is what the benchmark's whole-process timing measures.

--timings FILE writes the time spent inside this process, measured with time.perf_counter()
after the imports (interpreter start and imports are not counted), as JSON:
  train:   read_s (walk + read + decode), vectorise_s (fit_transform), fit_s (classifier fit),
           dump_s (pickle), in_process_s = read_s + vectorise_s + fit_s
  predict: load_s (unpickle), read_s (walk + read + decode), vectorise_s (transform),
           predict_s, write_s (JSON lines), in_process_s = read_s + vectorise_s + predict_s
and the process CPU time over the in-process span (cpu_s; about equal to in_process_s when one
thread did the work).
"""

import argparse
import json
import os
import pickle
import sys
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

ENCODING = {"en": ("latin-1", "strict"), "it": ("utf-8", "replace")}
PIPELINES = ("cnb", "svc-word", "svc-char", "svc-word-char")


def build(pipeline, lang):
    """(vectoriser, classifier) of a named baseline."""
    stop_words = "english" if lang == "en" else None
    if pipeline == "cnb":
        return TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words=stop_words), ComplementNB()
    if pipeline == "svc-word":
        vec = TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words=stop_words, ngram_range=(1, 2))
        return vec, LinearSVC(random_state=0)
    if pipeline == "svc-char":
        vec = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))
        return vec, LinearSVC(random_state=0)
    if pipeline == "svc-word-char":
        word = TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words=stop_words, ngram_range=(1, 2))
        char = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))
        return FeatureUnion([("word", word), ("char", char)]), LinearSVC(random_state=0)
    raise ValueError(pipeline)


def read_text(path, lang):
    enc, errors = ENCODING[lang]
    with open(path, "rb") as f:
        return f.read().decode(enc, errors)


def write_timings(path, timings):
    if path:
        with open(path, "w") as f:
            json.dump(timings, f, indent=2)
            f.write("\n")


def cmd_train(args):
    t0, c0 = time.perf_counter(), time.process_time()
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
    t1 = time.perf_counter()
    vec, clf = build(args.pipeline, args.lang)
    x = vec.fit_transform(texts)
    t2 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(x, labels)
    t3, c3 = time.perf_counter(), time.process_time()
    not_converged = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    pipe = Pipeline([("vectorizer", vec), ("classifier", clf)])
    with open(args.model, "wb") as f:
        pickle.dump({"lang": args.lang, "pipeline_name": args.pipeline, "pipeline": pipe}, f, protocol=pickle.HIGHEST_PROTOCOL)
    t4 = time.perf_counter()
    write_timings(
        args.timings,
        {
            "rows": len(texts),
            "features": x.shape[1],
            "nonzeros": int(x.nnz),
            "read_s": t1 - t0,
            "vectorise_s": t2 - t1,
            "fit_s": t3 - t2,
            "dump_s": t4 - t3,
            "in_process_s": t3 - t0,
            "cpu_s": c3 - c0,
            "not_converged": not_converged,
        },
    )
    note = ", LinearSVC did not converge (ConvergenceWarning)" if not_converged else ""
    print(f"{args.pipeline}: trained on {len(texts)} rows, {len(set(labels))} labels, {x.shape[1]} features{note}", file=sys.stderr)


def cmd_predict(args):
    t0 = time.perf_counter()
    with open(args.model, "rb") as f:
        m = pickle.load(f)
    lang, pipe = m["lang"], m["pipeline"]
    t1, c1 = time.perf_counter(), time.process_time()
    paths = []
    for root, dirs, files in os.walk(args.path_dir):
        dirs.sort()
        for name in sorted(files):
            paths.append(os.path.join(root, name))
    texts = [read_text(p, lang) for p in paths]
    t2 = time.perf_counter()
    predicted = []
    t3 = t2
    if texts:
        x = pipe.named_steps["vectorizer"].transform(texts)
        t3 = time.perf_counter()
        predicted = pipe.named_steps["classifier"].predict(x)
    t4, c4 = time.perf_counter(), time.process_time()
    with open(args.out, "w", encoding="utf-8") as out:
        for p, t in zip(paths, predicted):
            out.write(json.dumps({"source": p, "topic": str(t)}, ensure_ascii=False))
            out.write("\n")
    t5 = time.perf_counter()
    write_timings(
        args.timings,
        {
            "files": len(paths),
            "load_s": t1 - t0,
            "read_s": t2 - t1,
            "vectorise_s": t3 - t2,
            "predict_s": t4 - t3,
            "write_s": t5 - t4,
            "in_process_s": t4 - t1,
            "cpu_s": c4 - c1,
        },
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="fit a pipeline on DIR/<label>/<file> and pickle it")
    t.add_argument("dir")
    t.add_argument("model")
    t.add_argument("--pipeline", choices=PIPELINES, required=True)
    t.add_argument("--lang", choices=sorted(ENCODING), default="en")
    t.add_argument("--timings", help="write the in-process timings (JSON) here")
    t.set_defaults(func=cmd_train)
    p = sub.add_parser("predict", help="classify every file under PATH_DIR into OUT.jsonl")
    p.add_argument("model")
    p.add_argument("path_dir")
    p.add_argument("out")
    p.add_argument("--timings", help="write the in-process timings (JSON) here")
    p.set_defaults(func=cmd_predict)
    args = ap.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
