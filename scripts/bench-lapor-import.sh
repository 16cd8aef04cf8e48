#!/usr/bin/env bash
# Measures `tanggap import lapor` on a generated 100,000-row export, CSV and XLSX,
# each into a fresh SQLite file: dry run, import, re-import of the same file (every
# row unchanged) and, for CSV, a later export where every 10th report moved on.
# Fails when a summary is not what it must be. Dev profile (dependencies optimised,
# Tanggap itself not), like scripts/bench-demo-load.sh.
# Usage: scripts/bench-lapor-import.sh [rows]
# TANGGAP_TARGET_DIR=DIR uses binaries already built there (e.g. with Tanggap at
# opt-level 2, see docs/performance/build.md) instead of building the dev profile.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
if [ -n "${TANGGAP_TARGET_DIR:-}" ]; then
  target="$TANGGAP_TARGET_DIR"
else
  cargo build -q --workspace --bins --examples
  target="$PWD/target"
fi
bin="$target/debug/tanggap"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target/debug/examples/lapor_sample" "$rows" "$work"
ls -l "$work"

# The first unit of a tiny demo receives the import.
setup() {
  local db="$1"
  "$bin" --database-url "sqlite:$db" demo --complaints 1 --responses 1 --end-date 2026-11-20 >/dev/null
}

step() {
  local label="$1" db="$2" file="$3" want="$4"; shift 4
  local start end out
  start=$(date +%s.%N)
  out=$(/usr/bin/time -f '%U %S' -o "$work/cpu" "$bin" --database-url "sqlite:$db" import lapor "$file" \
    --unit dinsospm-dumai "$@" | tail -n 1)
  end=$(date +%s.%N)
  read -r user sys < "$work/cpu"
  printf '%-34s %6.2f s wall (%s s user + %s s sys)   %s\n' "$label" "$(echo "$end - $start" | bc)" "$user" "$sys" "$out"
  case "$out" in *"$want"*) ;; *) echo "expected: $want" >&2; exit 1 ;; esac
}

tenth=$(( (rows + 9) / 10 ))
for kind in csv xlsx; do
  db="$work/$kind.db"
  setup "$db"
  step "$kind dry run" "$db" "$work/lapor.$kind" "baru $rows, diperbarui 0, tidak berubah 0, ditolak 0" --dry-run
  step "$kind import" "$db" "$work/lapor.$kind" "baru $rows, diperbarui 0, tidak berubah 0, ditolak 0"
  step "$kind re-import (same file)" "$db" "$work/lapor.$kind" "baru 0, diperbarui 0, tidak berubah $rows, ditolak 0"
done
step "csv later export (10% moved on)" "$work/csv.db" "$work/lapor-baru.csv" \
  "baru 0, diperbarui $tenth, tidak berubah $(( rows - tenth )), ditolak 0"
