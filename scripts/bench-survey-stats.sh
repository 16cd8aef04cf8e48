#!/usr/bin/env bash
# Issue 18: the IKM read from the survey statistics. Loads `tanggap demo` with
# RESPONSES survey responses (spread over the four demo units) into a fresh SQLite
# file, checks the statistics against the responses (`tanggap survei statistik`),
# then times the 2026 SKM report of dinsospm-dumai (HTML only, then all formats) and
# the rebuild of the statistics from the responses.
# Usage: scripts/bench-survey-stats.sh [responses]   (TANGGAP_BIN: the binary to time)
set -euo pipefail
cd "$(dirname "$0")/.."
responses="${1:-500000}"
bin="${TANGGAP_BIN:-$PWD/target/debug/tanggap}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
url="sqlite:$work/bench.db"
t() { /usr/bin/time -f "$1: %e s, %M KB peak" "${@:2}"; }
"$bin" --database-url "$url" migrate >/dev/null
t "demo load ($responses responses)" "$bin" --database-url "$url" demo --complaints 2000 \
  --responses "$responses" --end-date 2026-11-20 >/dev/null
t "survei statistik (check)" "$bin" --database-url "$url" survei statistik
for fmt in html pdf,xlsx,html; do
  t "report skm dinsospm-dumai 2026 ($fmt), from the cells" "$bin" --database-url "$url" report skm \
    --unit dinsospm-dumai --period 2026 --format "$fmt" --out "$work/cells" --as-of 2026-11-20 >/dev/null
  TANGGAP_IKM_FROM_RESPONSES=1 t "report skm dinsospm-dumai 2026 ($fmt), from the responses" "$bin" \
    --database-url "$url" report skm --unit dinsospm-dumai --period 2026 --format "$fmt" --out "$work/rows" \
    --as-of 2026-11-20 >/dev/null
done
# Both ways print the same report.
cmp <(sed 's/[0-9]\{4\}-[0-9-]*T[0-9:.]*Z//g' "$work"/cells/*.html) <(sed 's/[0-9]\{4\}-[0-9-]*T[0-9:.]*Z//g' "$work"/rows/*.html) \
  && echo "same HTML report both ways"
t "survei statistik --bangun-ulang" "$bin" --database-url "$url" survei statistik --bangun-ulang
