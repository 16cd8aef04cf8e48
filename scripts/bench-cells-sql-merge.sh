#!/usr/bin/env bash
# Issue 18: should the coarse merge of the survey statistics run as SQL inside
# PostgreSQL, or in Rust after reading the cells? One unit's year of day cells
# (25 services x 365 days = 9,125 cells of 280 sums each, k = 9) in a scratch
# database, then, three times each:
#   - SQL: the sums as bigint[] and an element-wise SUM per service and month via
#     unnest .. WITH ORDINALITY .. GROUP BY (what a report by service x month needs);
#   - Rust: only reading the stored bytes (about 300 bytes a cell), which the server
#     then decodes and merges (timed by `cargo bench -p analytics --bench ikm_cells`).
# Usage: scripts/bench-cells-sql-merge.sh [postgres://USER@HOST:PORT]
set -euo pipefail
base="${1:-postgres://postgres@127.0.0.1:5432}"
db="tanggap_cells_bench_$$"
psql "$base/postgres" -qc "CREATE DATABASE $db"
trap 'psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db"' EXIT
# Timings 4-6 are the SQL merge, 7-9 the plain read (1-3: setup).
psql "$base/$db" -q <<'SQL' 2>&1 | grep -E '^Time' | awk '
  NR >= 4 && NR <= 6 { sql = sql " " $2 }
  NR >= 7 { read = read " " $2 }
  END { print "sql merge, ms:" sql; print "bytes read, ms:" read }'
\timing on
CREATE TABLE c (service_key int, day date, sums bigint[], enc bytea);
INSERT INTO c
SELECT s, DATE '2026-01-01' + d,
       ARRAY(SELECT (random() * 300)::bigint FROM generate_series(1, 280) WHERE s >= 0 AND d >= 0),
       decode(repeat('8f01', 150), 'hex')
FROM generate_series(1, 25) s, generate_series(0, 364) d;
ANALYZE c;
\o /dev/null
SELECT service_key, date_trunc('month', day) AS m, ord, sum(v) FROM c, unnest(sums) WITH ORDINALITY AS u(v, ord) GROUP BY 1, 2, 3;
SELECT service_key, date_trunc('month', day) AS m, ord, sum(v) FROM c, unnest(sums) WITH ORDINALITY AS u(v, ord) GROUP BY 1, 2, 3;
SELECT service_key, date_trunc('month', day) AS m, ord, sum(v) FROM c, unnest(sums) WITH ORDINALITY AS u(v, ord) GROUP BY 1, 2, 3;
SELECT service_key, day, enc FROM c;
SELECT service_key, day, enc FROM c;
SELECT service_key, day, enc FROM c;
SQL
