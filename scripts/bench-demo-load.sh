#!/usr/bin/env bash
# Measures how long `tanggap demo` takes to load the large demo size
# (50,000 complaints, 500,000 survey responses) into a fresh SQLite file and,
# when TANGGAP_TEST_POSTGRES_URL is set, into a fresh PostgreSQL database.
# Usage: scripts/bench-demo-load.sh [complaints] [responses]
set -euo pipefail
cd "$(dirname "$0")/.."
complaints="${1:-50000}"
responses="${2:-500000}"
cargo build -q -p tanggap
bin="$PWD/target/debug/tanggap"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() {
  local label="$1" url="$2"
  local start end
  "$bin" --database-url "$url" migrate >/dev/null
  start=$(date +%s.%N)
  "$bin" --database-url "$url" demo --seed 2026 --complaints "$complaints" --responses "$responses" --end-date 2026-11-20 >/dev/null
  end=$(date +%s.%N)
  printf '%-10s %8d complaints %8d responses  %6.1f s\n' "$label" "$complaints" "$responses" "$(echo "$end - $start" | bc)"
}

run sqlite "sqlite:$work/demo.db"
if [ -n "${TANGGAP_TEST_POSTGRES_URL:-}" ]; then
  db="tanggap_bench_$$"
  psql -q "$TANGGAP_TEST_POSTGRES_URL" -c "CREATE DATABASE $db"
  trap 'psql -q "$TANGGAP_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
  run postgres "${TANGGAP_TEST_POSTGRES_URL%/*}/$db"
fi
