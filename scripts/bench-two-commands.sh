#!/usr/bin/env bash
# The README's two commands from a fresh clone, timed as a new user meets them (issue 21):
# clones this repository's HEAD into an empty directory, runs
# `cargo run --timings -p tanggap -- serve --demo` until http://127.0.0.1:8080/ answers,
# stops it, then runs `CI=true cargo test --workspace` in the same clone. Prints both
# wall times, how many crates the second command compiled and the test totals; the
# cargo timing report (per-crate compile times) stays in CLONE/target/cargo-timings/.
# Run it on an otherwise idle machine: the figures are CPU-bound. Needs what `.ci/run`
# installs (PostgreSQL at TANGGAP_TEST_POSTGRES_URL, Chromium, dovecot, ...), and the
# schemathesis venv, which it installs into the clone's target/ before timing the tests.
# Usage: scripts/bench-two-commands.sh [CLONE_DIR]   (default: a new temporary directory)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
clone="${1:-$(mktemp -d)/tanggap}"
git clone -q "$repo" "$clone"
cd "$clone"
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %T UTC')"
log="$clone/serve.log"
t0=$(date +%s)
cargo run --timings -p tanggap -- serve --demo >"$log" 2>&1 &
until curl -sf -o /dev/null http://127.0.0.1:8080/; do
  kill -0 $! 2>/dev/null || { tail -20 "$log"; echo "serve stopped before answering" >&2; exit 1; }
  sleep 2
done
t1=$(date +%s)
echo "first command: answered after $((t1 - t0)) s; $(grep -m1 Finished "$log")"
pkill -f "target/debug/tanggap serve" || true
sleep 2
python3 -m venv target/schemathesis-venv
target/schemathesis-venv/bin/pip install -q --disable-pip-version-check "schemathesis==4.32.5"
export TANGGAP_TEST_POSTGRES_URL="${TANGGAP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
t2=$(date +%s)
CI=true cargo test --workspace >"$clone/test.log" 2>&1 || { tail -30 "$clone/test.log"; exit 1; }
t3=$(date +%s)
echo "second command: $((t3 - t2)) s; compiled $(grep -c ' Compiling ' "$clone/test.log") crates; $(grep -m1 Finished "$clone/test.log")"
grep '^test result' "$clone/test.log" | awk '{p+=$4; f+=$6; i+=$8} END {print "tests: " p " passed, " f " failed, " i " ignored"}'
