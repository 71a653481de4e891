#!/usr/bin/env bash
# The test command: formatting, lints, every test (SQLite and PostgreSQL
# stores, the real server on loopback, the console in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
BULWARK_TEST_POSTGRES_URL="$(bash .ci/postgres.sh | tail -n 1)"
export BULWARK_TEST_POSTGRES_URL
# The throwaway PostgreSQL databases go when the suite ends, pass or fail.
trap 'bash .ci/postgres.sh --drop-test-databases' EXIT
export BULWARK_REQUIRE_POSTGRES=1 BULWARK_REQUIRE_BROWSER=1
start=$(date +%s)
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
echo "scripts/test.sh: all checks passed in $(( $(date +%s) - start ))s"
