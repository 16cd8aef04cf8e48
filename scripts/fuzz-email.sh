#!/usr/bin/env bash
# Longer run of the email parser and intake property tests (issue 22).
# Usage: scripts/fuzz-email.sh [CASES]   (default 5000; CI runs 256 parse and 96 intake cases)
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-5000}"
export PROPTEST_CASES="$CASES"
/usr/bin/time -f '%e s wall, %M KB peak' cargo test --workspace --test email_fuzz -- --test-threads=2
