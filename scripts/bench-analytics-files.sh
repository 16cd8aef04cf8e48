#!/usr/bin/env bash
# `tanggap analytics ikm` on survey files side by side with DuckDB (issue 18).
#
# 1. Writes survey files in the SKM.md interchange layout with pyarrow: 40 units,
#    25 services, 12 months of 2025, 2% of scores unanswered, scores as int8 (as
#    pandas/pyarrow write them), `tanggal` as date32; as Parquet and as CSV.
# 2. Installs duckdb and pyarrow from PyPI into a venv (once, in $VENV).
# 3. Times `tanggap analytics ikm --input F --group-by unit,layanan,bulan` (release
#    build) and the same cube in DuckDB on the same file, alternating, $RUNS times
#    each, with `/usr/bin/time` (wall time, peak resident memory of the whole
#    process, user and system CPU seconds; DuckDB's include starting Python). The
#    machine's load average is printed before and after, since a shared machine's
#    wall times depend on it while CPU seconds much less so.
# 4. Compares every group's n, konversi and mutu between the two (exact: DuckDB gives
#    integer sums and counts, the index is then computed with fractions) and fails
#    on any difference.
#
#    Then runs the command once more inside a memory cgroup of $MEMORY_CAP (default
#    2G: "the 10M-row file runs on a machine with 2 GB free"), where root can make
#    one here, and compares that output with DuckDB's too.
#
# 5. With IMPORT_ROWS=N, also times `tanggap import survei` (the survey import) on N
#    rows for one unit, as CSV and as Parquet, each into a fresh SQLite file: a tiny
#    demo database gives the unit (dinsospm-dumai) and its service catalog, pyarrow
#    writes the rows (that unit, its services, dates in 2025, nine int8 scores with
#    2% unanswered, jenis_kelamin, umur); then the same file again (every row already
#    imported). Fails when a summary is not what it must be.
#
# Usage: scripts/bench-analytics-files.sh [rows...]   (default: 1000000 10000000;
# 0 to skip the IKM part)
# Environment: RUNS (default 3), VENV (default target/bench-venv), WORK (default a
# temporary directory, removed at the end), TANGGAP_BIN (default: build
# target/release/tanggap with `cargo build --release --workspace`), IMPORT_ROWS,
# MEMORY_CAP (default 2G).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
runs="${RUNS:-3}"
venv="${VENV:-$PWD/target/bench-venv}"
if [ -n "${WORK:-}" ]; then
  work="$WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
if [ -n "${TANGGAP_BIN:-}" ]; then
  bin="$TANGGAP_BIN"
else
  cargo build -q --release --workspace
  bin="$PWD/target/release/tanggap"
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q duckdb pyarrow
fi
py="$venv/bin/python"
"$py" -c 'import duckdb, pyarrow; print("duckdb", duckdb.__version__, "pyarrow", pyarrow.__version__)'

cat > "$work/make.py" <<'EOF'
# Writes N rows in the interchange layout as F.parquet and F.csv.
import sys
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

n, stem = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(18)
units = np.array([f"unit-{i:02d}" for i in range(40)])
services = np.array([f"layanan-{i:02d}" for i in range(25)])
start = np.datetime64("2025-01-01")
columns = {
    "tanggal": pa.array(start + rng.integers(0, 365, n).astype("timedelta64[D]"), pa.date32()),
    "unit": pa.array(units[rng.integers(0, 40, n)]),
    "layanan": pa.array(services[rng.integers(0, 25, n)]),
}
for e in range(1, 10):
    scores = rng.integers(1, 5, n, dtype=np.int8)
    columns[f"u{e}"] = pa.array(scores, pa.int8(), mask=rng.random(n) < 0.02)
table = pa.table(columns)
pq.write_table(table, f"{stem}.parquet")
pacsv.write_csv(table, f"{stem}.csv", pacsv.WriteOptions(quoting_style="needed"))
EOF

cat > "$work/duck.py" <<'EOF'
# The same cube in DuckDB: respondents, and per element the answered count and sum.
import sys
import duckdb

path, out = sys.argv[1], sys.argv[2]
read = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}')"
elements = ", ".join(f"count(u{e}) c{e}, sum(u{e}) s{e}" for e in range(1, 10))
duckdb.connect().execute(
    f"copy (select unit, layanan, strftime(tanggal, '%Y-%m') bulan, count(*) n, {elements} "
    f"from {read} group by all) to '{out}' (header)"
)
EOF

cat > "$work/compare.py" <<'EOF'
# Every group's n, konversi and mutu: Tanggap's CSV output against DuckDB's sums.
import csv
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ours, theirs = sys.argv[1], sys.argv[2]

def grade(konversi):
    return "A" if konversi >= Decimal("88.31") else "B" if konversi >= Decimal("76.61") else \
        "C" if konversi >= Decimal("65.00") else "D"

want = {}
with open(theirs) as f:
    for r in csv.DictReader(f):
        nrrs = [Fraction(int(r[f"s{e}"]), int(r[f"c{e}"])) for e in range(1, 10) if int(r[f"c{e}"]) > 0]
        exact = sum(nrrs) / len(nrrs) * 25
        konversi = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        want[(r["unit"], r["layanan"], r["bulan"])] = (int(r["n"]), konversi, grade(konversi))
got = {}
with open(ours) as f:
    for r in csv.DictReader(f):
        got[(r["unit"], r["service"], r["month"])] = (int(r["n"]), Decimal(r["konversi"]), r["mutu"])
missing = want.keys() - got.keys()
extra = got.keys() - want.keys()
differ = [k for k in want.keys() & got.keys() if want[k] != got[k]]
print(f"groups: duckdb {len(want)}, tanggap {len(got)}; missing {len(missing)}, extra {len(extra)}, "
      f"different n/konversi/mutu {len(differ)}")
for k in differ[:5]:
    print("  ", k, "duckdb", want[k], "tanggap", got[k])
sys.exit(1 if missing or extra or differ else 0)
EOF

timed() {
  # label, then the command; prints "label  12.34 s 123456 KB 1.20 s user 0.10 s sys"
  local label="$1"; shift
  /usr/bin/time -f '%e s %M KB %U s user %S s sys' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    exit 1
  }
  printf '%-34s %s\n' "$label" "$(cat "$work/time")"
}

# Runs the IKM command on $1 into $2 inside a memory cgroup limited to $MEMORY_CAP
# (default 2G; page cache included, so the file's cached pages count against it too),
# where this machine lets root make one (cgroup v1 memory controller or cgroup v2);
# prints the cgroup's peak. The command is killed if it needs more. Returns 1 (and
# says so) where no cgroup can be made, so the comparison after it is skipped.
capped() {
  local file="$1" out="$2" cap="${MEMORY_CAP:-2G}" dir limit_file peak_file limit peak
  if [ -w /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
    dir=/sys/fs/cgroup/memory/tanggap-bench-$$ limit_file=memory.limit_in_bytes peak_file=memory.max_usage_in_bytes
  elif [ -w /sys/fs/cgroup/cgroup.procs ] && grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    dir=/sys/fs/cgroup/tanggap-bench-$$ limit_file=memory.max peak_file=memory.peak
  else
    echo "capped run skipped: no writable memory cgroup here"
    return 1
  fi
  mkdir -p "$dir"
  echo "$cap" > "$dir/$limit_file"
  limit=$(cat "$dir/$limit_file")
  ( echo "$BASHPID" > "$dir/cgroup.procs"
    exec "$bin" analytics ikm --input "$file" --group-by unit,layanan,bulan --format csv > "$out" ) || {
    echo "capped run failed under $cap" >&2; rmdir "$dir"; exit 1; }
  peak=$(cat "$dir/$peak_file" 2>/dev/null || echo "?")
  rmdir "$dir"
  printf '%-34s limit %s bytes, cgroup peak %s bytes (page cache included)\n' \
    "tanggap capped $(basename "$file")" "$limit" "$peak"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD); load: $(uptime | sed 's/.*load average: //')"
for rows in "${sizes[@]}"; do
  [ "$rows" -gt 0 ] || continue
  stem="$work/survey-$rows"
  [ -f "$stem.parquet" ] || "$py" "$work/make.py" "$rows" "$stem"
  ls -l "$stem.parquet" "$stem.csv" | awk '{print $5, $9}'
  for kind in parquet csv; do
    file="$stem.$kind"
    for run in $(seq 1 "$runs"); do
      timed "tanggap $rows $kind #$run" "$bin" analytics ikm --input "$file" --group-by unit,layanan,bulan \
        --format csv
      timed "duckdb  $rows $kind #$run" "$py" "$work/duck.py" "$file" "$work/duck.csv"
    done
    "$bin" analytics ikm --input "$file" --group-by unit,layanan,bulan --format csv > "$work/ours.csv"
    "$py" "$work/duck.py" "$file" "$work/duck.csv"
    "$py" "$work/compare.py" "$work/ours.csv" "$work/duck.csv"
    # The same command on a machine with $MEMORY_CAP free: in a memory cgroup of that size.
    capped "$file" "$work/ours-capped.csv" && "$py" "$work/compare.py" "$work/ours-capped.csv" "$work/duck.csv"
  done
done

# The survey import: the same files twice into a fresh SQLite file each.
setup() {
  rm -f "$1"
  "$bin" --database-url "sqlite:$1" demo --complaints 1 --responses 1 --end-date 2026-11-20 >/dev/null
}

step() {
  # label, database, file, expected summary
  local label="$1" db="$2" file="$3" want="$4" out
  out=$(/usr/bin/time -f '%e s %M KB %U s user %S s sys' -o "$work/time" "$bin" --database-url "sqlite:$db" \
    import survei "$file" --unit dinsospm-dumai 2>"$work/stderr" | tail -n 1) || {
    cat "$work/stderr" >&2
    exit 1
  }
  printf '%-34s %s   %s\n' "$label" "$(cat "$work/time")" "$out"
  case "$out" in *"$want"*) ;; *) echo "expected: $want" >&2; exit 1 ;; esac
}

if [ -n "${IMPORT_ROWS:-}" ]; then
cat > "$work/make-import.py" <<'PY'
# N rows for one unit, its services taken from the database.
import sqlite3
import sys
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

n, db, stem = int(sys.argv[1]), sys.argv[2], sys.argv[3]
con = sqlite3.connect(db)
services = np.array([r[0] for r in con.execute(
    "select s.code from services s join units u on u.id = s.unit_id where u.code = 'dinsospm-dumai'")])
rng = np.random.default_rng(18)
start = np.datetime64("2025-01-01")
columns = {
    "tanggal": pa.array(start + rng.integers(0, 365, n).astype("timedelta64[D]"), pa.date32()),
    "unit": pa.array(np.full(n, "dinsospm-dumai")),
    "layanan": pa.array(services[rng.integers(0, len(services), n)]),
}
for e in range(1, 10):
    columns[f"u{e}"] = pa.array(rng.integers(1, 5, n, dtype=np.int8), pa.int8(), mask=rng.random(n) < 0.02)
columns["jenis_kelamin"] = pa.array(np.array(["L", "P"])[rng.integers(0, 2, n)])
columns["umur"] = pa.array(rng.integers(17, 80, n, dtype=np.int16))
table = pa.table(columns)
pq.write_table(table, f"{stem}.parquet")
pacsv.write_csv(table, f"{stem}.csv", pacsv.WriteOptions(quoting_style="needed"))
PY

  rows="$IMPORT_ROWS"
  stem="$work/import-$rows"
  if [ ! -f "$stem.parquet" ]; then
    setup "$work/catalog.db"
    "$py" "$work/make-import.py" "$rows" "$work/catalog.db" "$stem"
  fi
  ls -l "$stem.parquet" "$stem.csv" | awk '{print $5, $9}'
  for kind in csv parquet; do
    db="$work/import-$kind.db"
    setup "$db"
    step "import $rows $kind" "$db" "$stem.$kind" \
      "$rows baris dibaca: $rows ditambahkan, 0 sudah pernah diimpor, 0 ditolak."
    step "again $rows $kind" "$db" "$stem.$kind" \
      "$rows baris dibaca: 0 ditambahkan, $rows sudah pernah diimpor, 0 ditolak."
  done
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
