#!/usr/bin/env bash
# Fails when `cargo run -p tanggap` (the README's first command) and
# `cargo test --workspace` (the second) would build a dependency with different
# features: the test command would then recompile it and everything above it
# (polars and typst among them) instead of reusing the first command's build (issue 21).
# Fix a reported difference by naming the feature in server/Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
tree() { cargo tree -e "$1" -f '{p} [{f}]' --prefix none --no-dedupe "${@:2}"; }
run=$(mktemp) test=$(mktemp)
trap 'rm -f "$run" "$test"' EXIT
tree normal,build -p tanggap >"$run"
tree normal,build,dev --workspace >"$test"
python3 - "$run" "$test" <<'PY'
import re, sys
def features(path):
    found = {}
    for line in open(path):
        m = re.match(r"(\S+ v\S+)(?: \(.*?\))? \[(.*?)\]", line.strip())
        if m:
            found.setdefault(m.group(1), set()).update(f for f in m.group(2).split(",") if f)
    return found
run, test = features(sys.argv[1]), features(sys.argv[2])
differ = [(p, sorted(test[p] - run[p]), sorted(run[p] - test[p]))
          for p in sorted(run) if p in test and run[p] != test[p]]
for package, only_test, only_run in differ:
    print(f"{package}: only in the test build {only_test}, only in the run build {only_run}")
if differ:
    sys.exit(f"{len(differ)} dependencies differ between `cargo run -p tanggap` and `cargo test --workspace`")
print(f"{len(run)} dependencies of `cargo run -p tanggap` have the features `cargo test --workspace` gives them")
PY
