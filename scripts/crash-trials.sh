#!/usr/bin/env bash
# Crash trials (issue 22): N SIGKILLs of the real `tanggap serve` per database
# (a fresh SQLite file, then a fresh PostgreSQL database), each under concurrent
# API and form complaints, survey responses and an officer's moves and answers, with
# the outbox sending to a real SMTP server (aiosmtpd). Prints, per path and database:
# acknowledged, stored, lost, doubled (and retried, unanswered, redelivered), and
# fails unless lost and doubled are 0. The test is tests/tests/crash; CI runs it
# with 3 trials per database. Dev profile, like the other scripts.
# Usage: scripts/crash-trials.sh N        (TANGGAP_CRASH_SEED=S replays a run's timing)
set -euo pipefail
cd "$(dirname "$0")/.."
trials="${1:?usage: scripts/crash-trials.sh N}"
export CI="${CI:-true}"
export TANGGAP_TEST_POSTGRES_URL="${TANGGAP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# The test finds the `tanggap` binary beside itself: build it as `cargo test` does
# (the server's integration tests make cargo build the binary too).
cargo test -q --workspace --no-run --test crash --test cli
work="$(mktemp -d)"
report="$work/report.md"
log="$work/trials.log"
start=$(date +%s)
status=0
TANGGAP_CRASH_TRIALS="$trials" TANGGAP_CRASH_REPORT="$report" \
  cargo test -q --workspace --test crash -- --test-threads=1 --nocapture >"$log" 2>&1 || status=$?
echo "crash trials: $trials per database, $(( $(date +%s) - start )) s (per-trial figures: $log)"
cat "$report" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
  echo "FAILED (exit $status): see $log" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
