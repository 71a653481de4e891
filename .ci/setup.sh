#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: PostgreSQL
# (the store tests run on it as well as on SQLite), Chromium with
# ChromeDriver (the console's browser test) and nasm (the build's SIMD JPEG
# decoder). Idempotent.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# The assembler of libjpeg-turbo's SIMD code (the default build decodes JPEG with it).
command -v nasm >/dev/null 2>&1 || need+=(nasm)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
