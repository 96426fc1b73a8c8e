#!/usr/bin/env bash
# Behaviour fingerprint of an urpmail binary, for refactors that must not change behaviour:
#   bash scripts/identity.sh BINARY OUTDIR
# writes into OUTDIR: the retrained shipped model (bytes), `classify --explain` JSON Lines on the
# sample mailbox, the training corpus, the golden fixtures and the fetched foreign corpora (when
# present), the demo store's theme table as JSON, its review file, and a dump of the store's
# tables. Compare two runs with `diff -r OLD NEW`. Timestamps that differ per run (run ledger
# times, temporary paths) are normalised.
set -euo pipefail
bin="$(realpath "$1")"; out="$2"
cd "$(dirname "$0")/.."
mkdir -p "$out"
corpora="${URPMAIL_CORPORA:-$HOME/.cache/urpmail/corpora}"

SOURCE_DATE_EPOCH=1767225600 "$bin" -q train --data models/corpus --rules rules/urp-it.toml --out "$out/urp-it.model"
cmp "$out/urp-it.model" models/urp-it.model && echo "model: identical to models/urp-it.model"

explain() { "$bin" -q classify --explain --threads 2 "$@"; }
explain samples/mailbox >"$out/classify-samples.jsonl"
explain models/corpus >"$out/classify-corpus.jsonl"
explain tests/fixtures/eml >"$out/classify-fixtures.jsonl"
for c in cpython-email spamassassin; do
  [ -d "$corpora/$c" ] && explain "$corpora/$c" >"$out/classify-$c.jsonl"
done

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$bin" -q demo --store "$tmp/demo.db" >"$out/demo.txt"
"$bin" -q report themes --store "$tmp/demo.db" --format json >"$out/themes.json"
cp "$tmp/review.json" "$out/review.json" 2>/dev/null || true
if command -v sqlite3 >/dev/null; then
  for t in $(sqlite3 "$tmp/demo.db" "select name from sqlite_master where type='table' order by name"); do
    sqlite3 "$tmp/demo.db" "select * from $t order by 1" >"$out/table-$t.txt"
  done
  sqlite3 "$tmp/demo.db" "pragma user_version" >"$out/user_version.txt"
fi
sed -i -E "s#$tmp#TMP#g; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/g" "$out"/* 2>/dev/null || true
ls -la "$out"
