#!/usr/bin/env bash
# Remakes the upgrade-test fixtures in tests/fixtures/upgrade/ with the PREVIOUS
# release's own binary (issue 22). Run it once per release, right after tagging,
# with that release as PREV: the next release's tests then open what it made.
#
#   scripts/refresh-upgrade-fixture.sh [PREV_COMMIT] [PREV_BINARY]
#
#   PREV_COMMIT  the release to record (default: HEAD)
#   PREV_BINARY  that release's `tanggap` binary; when left out it is built here from
#                a git worktree of PREV_COMMIT into target/prev (a whole build of the
#                tree: 15 minutes or more on 2 cores)
#
# Needs: PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres), psql, pg_dump,
# createdb, dropdb, sqlite3, python3. Writes:
#   sqlite.sqlite3         a SQLite database made by PREV (demo data, an account, a token)
#   postgres.sql           the same on PostgreSQL, as a plain pg_dump
#   expected-*.json        what PREV's server answered: every tracking code's public
#                          status and the IKM per service, plus the account,
#                          the token and PREV's migration level
set -euo pipefail
cd "$(dirname "$0")/.."
prev="${1:-HEAD}"
commit="$(git rev-parse "$prev")"
bin="${2:-}"
out=tests/fixtures/upgrade
work="$(mktemp -d)"
pg_admin="postgres://postgres@127.0.0.1:5432"
pg_db="tanggap_fixture_$$"
cleanup() {
  [ -n "${server:-}" ] && kill -TERM "$server" 2>/dev/null || true
  dropdb -h 127.0.0.1 -U postgres --if-exists "$pg_db" 2>/dev/null || true
  if [ -d "$work/src" ]; then git worktree remove --force "$work/src" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$bin" ]; then
  git worktree add --detach "$work/src" "$commit"
  CARGO_TARGET_DIR="$(pwd)/target/prev" cargo build --manifest-path "$work/src/Cargo.toml" --workspace --bins
  bin="$(pwd)/target/prev/debug/tanggap"
fi
bin="$(realpath "$bin")"

unit=dinsospm-dumai
username=upgrade
password=kata-sandi-upgrade-2026
token=token-upgrade-statistik
token_hash="$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
export TANGGAP_LOG=warn TANGGAP_PUBLIC_RATE_PER_MINUTE=1000000
unset DATABASE_URL TANGGAP_BIND TANGGAP_CONFIG

# record ENGINE URL SQL_CLIENT...: demo data, an account and a token through PREV,
# then its server's answers into expected-ENGINE.json.
record() {
  local engine="$1" url="$2"; shift 2
  "$bin" --database-url "$url" demo --seed 22 --complaints 60 --responses 300 --end-date 2026-11-20
  printf '%s\n' "$password" | "$bin" --database-url "$url" user add --username "$username" \
    --name "Uji Pemutakhiran" --role petugas --unit "$unit" --password-stdin >/dev/null
  "$@" "INSERT INTO api_tokens (unit_id, name, token_hash, scopes, created_at)
        SELECT id, 'uji-pemutakhiran', '$token_hash', 'stats:read', '2026-11-20T00:00:00+00:00'
        FROM units WHERE code = '$unit'"
  codes="$("$@" "SELECT tracking_code FROM complaints ORDER BY id")"
  level="$("$@" "SELECT max(version) FROM _sqlx_migrations WHERE success")"
  "$bin" --database-url "$url" serve --bind 127.0.0.1:0 >"$work/serve.out" &
  server=$!
  for _ in $(seq 1 100); do grep -q 'http://' "$work/serve.out" && break; sleep 0.2; done
  address="$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -n1)"
  CODES="$codes" python3 - "$address" "$out/expected-$engine.json" <<PY
import json, os, sys, urllib.request
base, target = sys.argv[1], sys.argv[2]
def get(path, token=None):
    req = urllib.request.Request(base + path)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.load(r)
tracking = {c: get("/api/v1/tracking/" + c) for c in os.environ["CODES"].split()}
expected = {
    "commit": "$commit", "level": int("$level"), "unit": "$unit",
    "username": "$username", "password": "$password", "token": "$token",
    "tracking": tracking,
    "ikm": get("/api/v1/ikm?unit=$unit&group_by=service", "$token"),
}
with open(target, "w") as f:
    json.dump(expected, f, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    f.write("\n")
PY
  kill -TERM "$server"; wait "$server" || true; server=
}

mkdir -p "$out"
sqlite_db="$work/sqlite.db"
record sqlite "sqlite:$sqlite_db" sqlite3 "$sqlite_db"
# Small pages keep the many small tables small (the file is committed).
sqlite3 "$sqlite_db" "PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;" >/dev/null
cp "$sqlite_db" "$out/sqlite.sqlite3"  # not *.db, which .gitignore leaves out

createdb -h 127.0.0.1 -U postgres "$pg_db"
record postgres "$pg_admin/$pg_db" psql -qAt -v ON_ERROR_STOP=1 -d "$pg_admin/$pg_db" -c
pg_dump --no-owner --no-privileges -f "$out/postgres.sql" -d "$pg_admin/$pg_db"

echo "fixtures of $commit (migration level $level):"
ls -l "$out"
