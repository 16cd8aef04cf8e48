#!/usr/bin/env bash
# Runs the fuzz targets of issue 22 long: the gateway JSON, the complaint form
# (multipart), the survey form and the SPAN-LAPOR! import end to end, each on SQLite
# and PostgreSQL, with CASES cases per target (CI runs far fewer, see
# docs/reliability.md "Fuzzing"). Prints each target's cases and time, the whole run's
# wall time and peak memory, and fails on the first property that fails, with the
# smallest input found: put that input into tests/corpus/<parser>/ and fix the code.
# Usage: scripts/fuzz.sh [CASES] [FILTER]
#   CASES   cases per target (default 5000)
#   FILTER  a test-name filter, e.g. gateway, complaint_form, survey_form, lapor
# PROPTEST_SEED=N replays a run; TANGGAP_TEST_POSTGRES_URL defaults to the local
# server (postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-5000}"
filter="${2:-}"
export CI="${CI:-true}"
export TANGGAP_TEST_POSTGRES_URL="${TANGGAP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
cargo test -q --workspace --test fuzz --no-run
echo "fuzz: $cases cases per target${filter:+, filter $filter}, seed ${PROPTEST_SEED:-random}"
log="$(mktemp -t tanggap-fuzz.XXXXXX.log)"
start=$(date +%s)
set +e
PROPTEST_CASES="$cases" /usr/bin/time -f 'peak memory %M KB, %e s wall, %U s user' \
  cargo test -q --workspace --test fuzz -- --nocapture --test-threads 2 $filter >"$log" 2>&1
status=$?
set -e
grep -E 'cases passed|panicked at|test result|peak memory' "$log" | cut -c1-400 || true
echo "fuzz: finished in $(( $(date +%s) - start )) s, exit $status, full log $log"
exit "$status"
