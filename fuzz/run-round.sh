#!/usr/bin/env bash
# Run one fuzzing round: each named target for SECONDS (default 660), one worker, one after the
# other, logs in logs/<target>.log. Usage: ./run-round.sh [SECONDS] target...
# `parse` runs the -O build (release semantics, see README) in its own target directory.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-660}; shift || true
mkdir -p logs
for t in "$@"; do
  mkdir -p "corpus/$t"
  dict=()
  case $t in
    parse) dict=(-dict=dict/eml.dict) ;;
    rules|config) dict=(-dict=dict/toml.dict) ;;
    review) dict=(-dict=dict/json.dict) ;;
  esac
  opt=()
  if [ "$t" = parse ]; then opt=(-O --target-dir target/O); fi
  echo "== $t: ${secs}s, started $(date -u +%FT%TZ)" >"logs/$t.log"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "${opt[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 "${dict[@]}" -print_final_stats=1 \
    >>"logs/$t.log" 2>&1 || echo "== $t exited with $?" >>"logs/$t.log"
  echo "== $t: ended $(date -u +%FT%TZ)" >>"logs/$t.log"
done
