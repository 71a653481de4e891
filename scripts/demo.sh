#!/usr/bin/env bash
# Builds Bulwark (release) and runs the server on a demo database. It prints
# the console address and an admin token to sign in with.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-deps.sh
exec cargo run --release --locked -p bulwark-cli -- serve --demo "$@"
