#!/usr/bin/env bash
# The IKM read paths on a database holding millions of survey responses (issue 18),
# on SQLite and PostgreSQL, side by side in one run.
#
# 1. Builds the demo database with `tanggap demo --responses N` (default 10,000,000;
#    100,000 complaints; the four demo units, the largest then holds about 3M of the
#    year's responses) in a SQLite file and in a fresh PostgreSQL database created
#    on $TANGGAP_TEST_POSTGRES_URL's server (dropped at the end), timing the load
#    with `/usr/bin/time` (wall, peak memory, CPU seconds).
# 2. On each, starts the real `tanggap serve` on a free loopback port, adds an admin
#    of the largest unit with `tanggap user add`, logs in at /masuk, issues an API
#    token (scope stats:read) at /staf/{unit}/token, warms each path up once and
#    times $RUNS requests of: /api/v1/ikm (the unit by service x month, this year),
#    the public IKM page /u/{unit}/ikm, the staff dashboard /staf/{unit}/dasbor and its
#    survey page /staf/{unit}/dasbor/survei (the year's IKM of the unit's services).
# 3. Times the CLI reports `tanggap report skm --period <year>` and
#    `tanggap report monthly --month <last month>` for the unit, $REPORT_RUNS times,
#    with `/usr/bin/time -f '%e %M %U %S'`.
# 4. Checks: the API's respondents equal SELECT count(*) of the unit's responses in
#    the range (and the groups add up to it), the API answers are identical on both
#    databases, the reports wrote their files. Any failure exits non-zero.
# 5. Prints one table: median and max per path and database against the targets,
#    with the CPU time (user + system) the server or the command spent: the machine
#    may be shared, and the CPU time per request is what does not depend on that.
#
# Usage: scripts/bench-analytics-db.sh [responses]          (default 10000000)
# Environment: COMPLAINTS (100000), RUNS (10), REPORT_RUNS (3), END_DATE (today, UTC;
# the dashboard reads the current year, so keep it in this year), DATABASES
# ("sqlite postgres"), WORK (default a temporary directory, removed at the end),
# SQLITE_DB / POSTGRES_DB: measure an existing database (a SQLite file; a database
# name on $TANGGAP_TEST_POSTGRES_URL's server) instead of loading a fresh one (no
# load figure then; the database is kept). Run `tanggap migrate` on it first.
# KEEP_DATABASES=1 keeps freshly loaded databases (with WORK set) for such reruns.
# TANGGAP_BIN (default: build with
# `CARGO_TARGET_DIR=/work/target-release cargo build --release --workspace`, or
# target/release when CARGO_TARGET_DIR is unset and /work/target-release is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
responses="${1:-10000000}"
complaints="${COMPLAINTS:-100000}"
runs="${RUNS:-10}"
report_runs="${REPORT_RUNS:-3}"
end_date="${END_DATE:-$(date -u +%F)}"
databases="${DATABASES:-sqlite postgres}"
year="${end_date:0:4}"
last_month="$(date -u -d "${end_date:0:7}-01 -1 month" +%Y-%m)"
if [ -n "${WORK:-}" ]; then
  work="$WORK"
  mkdir -p "$work"
  keep_work=1
else
  work="$(mktemp -d)"
  keep_work=0
fi
if [ -n "${TANGGAP_BIN:-}" ]; then
  bin="$TANGGAP_BIN"
else
  target="${CARGO_TARGET_DIR:-/work/target-release}"
  [ -d "$target" ] || target="$PWD/target"
  CARGO_TARGET_DIR="$target" cargo build -q --release --workspace
  bin="$target/release/tanggap"
fi
pg_db="tanggap_bench_db_$$"
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  if [ -n "${TANGGAP_TEST_POSTGRES_URL:-}" ] && [ -z "${KEEP_DATABASES:-}" ]; then
    psql -q "$TANGGAP_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [ "$keep_work" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
export TANGGAP_PUBLIC_RATE_PER_MINUTE=100000
export TANGGAP_LOG=warn

cat > "$work/client.py" <<'EOF'
# Logs in, issues an API token, then times each read path; prints JSON lines.
import http.client, json, os, re, statistics, sys, time, urllib.parse

host, port = sys.argv[1].split(":")
user, password, unit, year, end, runs, out, server_pid = sys.argv[2:10]
runs = int(runs)
cookies = {}

def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body)
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    took = time.perf_counter() - start
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            cookies[name] = rest.split(";")[0]
    conn.close()
    return r.status, data.decode("utf-8", "replace"), took

def server_cpu():
    # utime + stime of the server process, in seconds (the machine is shared, so
    # the CPU time spent per request says more than the wall time alone).
    fields = open(f"/proc/{server_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def csrf(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    if not m:
        sys.exit("no CSRF token in the page")
    return m.group(1)

status, page, _ = request("GET", "/masuk")
status, page, _ = request("POST", "/masuk", {"csrf": csrf(page), "username": user, "password": password})
if "tanggap_sesi" not in cookies:
    sys.exit(f"login failed: {status} {cookies} {page[:300]}")
status, page, _ = request("GET", f"/staf/{unit}/token")
status, page, _ = request("POST", f"/staf/{unit}/token", {"csrf": csrf(page), "name": "bench", "scope": "stats:read"})
m = re.search(r"tgp_[A-Za-z0-9_-]+", page)
if status != 201 or not m:
    sys.exit(f"no API token issued: {status} {page[:300]}")
token = m.group(0)

api = f"/api/v1/ikm?unit={unit}&group_by=service,month&from={year}-01-01&to={end}"
paths = [
    ("api_ikm", api, {"Authorization": f"Bearer {token}"}),
    ("public_ikm", f"/u/{unit}/ikm", {}),
    ("dashboard", f"/staf/{unit}/dasbor", {}),
    ("dashboard_survey", f"/staf/{unit}/dasbor/survei", {}),
]
for name, path, headers in paths:
    saved = cookies.copy()
    if not name.startswith("dashboard"):
        cookies.clear()
    status, body, _ = request("GET", path, headers=headers)  # warm-up
    if status != 200:
        sys.exit(f"{path}: HTTP {status}: {body[:300]}")
    if name == "api_ikm":
        with open(out, "w") as f:
            f.write(body)
    times = []
    cpu_before = server_cpu()
    for _ in range(runs):
        status, body, took = request("GET", path, headers=headers)
        if status != 200:
            sys.exit(f"{path}: HTTP {status}")
        times.append(took)
    cpu_ms = (server_cpu() - cpu_before) / runs * 1000
    cookies.update(saved)
    print(json.dumps({"path": name, "median_ms": statistics.median(times) * 1000,
                      "max_ms": max(times) * 1000, "cpu_ms": cpu_ms, "runs": runs}))
EOF

cat > "$work/check.py" <<'EOF'
# The API's respondents against the stored count; groups must add up to it.
import json, sys
answer, stored = json.load(open(sys.argv[1])), int(sys.argv[2])
groups = sum(g["respondents"] for g in answer["groups"])
print(f"  check: /api/v1/ikm respondents {answer['respondents']}, groups add up to {groups}, "
      f"stored responses {stored}, groups {len(answer['groups'])}")
sys.exit(0 if answer["respondents"] == stored == groups else 1)
EOF

timed() {
  # file to append "label wall_s peak_kb user_s sys_s" to, label, command...
  local into="$1" label="$2"; shift 2
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || {
    echo "FAILED: $*" >&2
    tail -20 "$work/stderr" >&2
    exit 1
  }
  echo "$label $(cat "$work/time")" >>"$into"
}

sql() {
  # database kind, url, query: prints the single value
  case "$1" in
    sqlite) sqlite3 "${2#sqlite:}" "$3" ;;
    postgres) psql -qAt "$2" -c "$3" ;;
  esac
}

results="$work/results"
: >"$results"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)"
echo "uptime at start: $(uptime)"
echo "demo: $complaints complaints, $responses responses, end date $end_date; $runs runs per page, $report_runs per report"

for kind in $databases; do
  reuse=""
  case "$kind" in
    sqlite)
      url="sqlite:$work/bench.db"
      [ -z "${SQLITE_DB:-}" ] || { reuse=1; url="sqlite:$SQLITE_DB"; }
      ;;
    postgres)
      if [ -z "${TANGGAP_TEST_POSTGRES_URL:-}" ]; then
        echo "TANGGAP_TEST_POSTGRES_URL is not set: PostgreSQL skipped" >&2
        continue
      fi
      if [ -n "${POSTGRES_DB:-}" ]; then
        reuse=1
        url="${TANGGAP_TEST_POSTGRES_URL%/*}/$POSTGRES_DB"
      else
        psql -q "$TANGGAP_TEST_POSTGRES_URL" -c "CREATE DATABASE $pg_db" >/dev/null
        url="${TANGGAP_TEST_POSTGRES_URL%/*}/$pg_db"
      fi
      ;;
  esac
  echo "== $kind"
  if [ -n "$reuse" ]; then
    echo "  existing database ${url%%\?*}: $(sql "$kind" "$url" "SELECT count(*) FROM survey_responses") responses"
  else
    "$bin" --database-url "$url" migrate >/dev/null
    timed "$results" "$kind load" "$bin" --database-url "$url" demo --seed 2026 --complaints "$complaints" \
      --responses "$responses" --end-date "$end_date"
    cat "$work/stdout"
    echo "  load: $(tail -1 "$results" | cut -d' ' -f3-) (wall s, peak KB, user s, sys s)"
  fi
  # The largest unit: the most responses this year.
  unit="$(sql "$kind" "$url" "SELECT u.code FROM survey_responses r JOIN units u ON u.id = r.unit_id \
    WHERE r.responded_on >= '$year-01-01' GROUP BY u.code ORDER BY count(*) DESC, u.code LIMIT 1")"
  stored="$(sql "$kind" "$url" "SELECT count(*) FROM survey_responses r JOIN units u ON u.id = r.unit_id \
    JOIN survey_rule_sets s ON s.id = r.rule_set_id WHERE u.code = '$unit' AND s.code = 'permenpan-rb-14-2017' \
    AND r.responded_on BETWEEN '$year-01-01' AND '$end_date'")"
  echo "  largest unit: $unit, $stored responses from $year-01-01 to $end_date"

  password="bench-password-$$-long-enough"
  echo "$password" | "$bin" --database-url "$url" user add --username "bench$$" --name "Bench" --role admin \
    --unit "$unit" --password-stdin >/dev/null
  "$bin" --database-url "$url" serve --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  address=""
  for _ in $(seq 1 600); do
    address="$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1 | sed 's|http://||')" || true
    [ -n "$address" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
    sleep 0.5
  done
  [ -n "$address" ] || { echo "the server did not start" >&2; exit 1; }
  python3 "$work/client.py" "$address" "bench$$" "$password" "$unit" "$year" "$end_date" "$runs" \
    "$work/api-$kind.json" "$server_pid" >"$work/pages-$kind.jsonl" || { cat "$work/serve.err" >&2; exit 1; }
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  python3 - "$work/pages-$kind.jsonl" "$kind" >>"$results" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"{sys.argv[2]} {r['path']} {r['median_ms']:.1f} {r['max_ms']:.1f} {r['cpu_ms']:.1f}")
EOF
  python3 "$work/check.py" "$work/api-$kind.json" "$stored"

  for run in $(seq 1 "$report_runs"); do
    timed "$results" "$kind report_skm" "$bin" --database-url "$url" report skm --unit "$unit" --period "$year" \
      --out "$work/reports-$kind"
    timed "$results" "$kind report_monthly" "$bin" --database-url "$url" report monthly --unit "$unit" \
      --month "$last_month" --out "$work/reports-$kind"
  done
  ls "$work/reports-$kind" | grep -q '\.pdf$' || { echo "no report written" >&2; exit 1; }
  if [ "$kind" = sqlite ]; then
    echo "  database file: $(du -h "${url#sqlite:}" | cut -f1)"
    [ -n "$reuse" ] || [ -n "${KEEP_DATABASES:-}" ] || rm -f "$work/bench.db" "$work/bench.db-wal" "$work/bench.db-shm"
  else
    echo "  database size: $(sql "$kind" "$url" "SELECT pg_size_pretty(pg_database_size(current_database()))")"
    if [ -z "$reuse" ] && [ -z "${KEEP_DATABASES:-}" ]; then
      psql -q "$TANGGAP_TEST_POSTGRES_URL" -c "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null
    elif [ -z "$reuse" ]; then
      echo "  kept: POSTGRES_DB=$pg_db"
    fi
  fi
done

if [ -f "$work/api-sqlite.json" ] && [ -f "$work/api-postgres.json" ]; then
  cmp -s "$work/api-sqlite.json" "$work/api-postgres.json" || {
    echo "FAILED: /api/v1/ikm answers differently on SQLite and PostgreSQL" >&2
    exit 1
  }
  echo "check: /api/v1/ikm answers byte for byte the same on SQLite and PostgreSQL"
fi
echo "uptime at end: $(uptime)"

python3 - "$results" <<'EOF'
# One table: per path, each database's figure against the target.
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kind, path, *values = line.split()
    rows.setdefault(path, {}).setdefault(kind, []).append([float(v) for v in values])
targets = {
    "load": ("a few minutes", None),
    "api_ikm": ("< 100 ms", 100), "public_ikm": ("< 200 ms", 200), "dashboard": ("< 200 ms", 200),
    "dashboard_survey": ("< 200 ms", 200),
    "report_skm": ("< 2 s, < 300 MB", 2), "report_monthly": ("< 1 s", 1),
}
kinds = sorted({k for v in rows.values() for k in v}, key=lambda k: k != "sqlite")
print()
print("| path | target | " + " | ".join(kinds) + " |")
print("|---|---|" + "---|" * len(kinds))
for path, (target, _) in targets.items():
    cells = []
    for kind in kinds:
        got = rows.get(path, {}).get(kind)
        if not got:
            cells.append("-")
        elif path in ("api_ikm", "public_ikm", "dashboard", "dashboard_survey"):
            cells.append(f"{got[0][0]:.0f} ms median, {got[0][1]:.0f} max, {got[0][2]:.0f} CPU ms")
        else:
            wall = statistics.median(g[0] for g in got)
            mem = max(g[1] for g in got) / 1024
            cpu = statistics.median(g[2] + g[3] for g in got)
            runs = f", median of {len(got)}" if len(got) > 1 else ""
            cells.append(f"{wall:.2f} s, {mem:.0f} MB, {cpu:.1f} CPU s{runs}")
    print(f"| {path} | {target} | " + " | ".join(cells) + " |")
EOF
