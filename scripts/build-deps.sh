#!/usr/bin/env bash
# Installs what building Bulwark needs beyond the Rust toolchain: nasm, the
# assembler of libjpeg-turbo's SIMD JPEG decoder (default feature
# `libjpeg-simd` of bulwark-cli). Idempotent; needs root or sudo the first time.
set -euo pipefail
if ! command -v nasm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: nasm" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nasm >/dev/null
fi
