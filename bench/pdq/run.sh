#!/usr/bin/env bash
# Side-by-side PDQ benchmark: Bulwark's engine vs the reference C++ (pdqhash 0.2.8 Python
# binding, as python-threatexchange/HMA use it), one core each, same images, one run.
# Not part of CI. Usage: bench/pdq/run.sh [IMAGES_PER_SIZE] [REPS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
per_size="${1:-8}"
reps="${2:-5}"
work="$here/work"
out="$work/results"
mkdir -p "$out"

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --upgrade pip
  # pdqhash 0.2.8 has no wheel for every Python: pip builds the reference C++ from source.
  "$here/.venv/bin/pip" install -q pdqhash==0.2.8 numpy Pillow
fi
py="$here/.venv/bin/python"

[ -d "$work/img" ] || "$py" "$here/gen_images.py" "$work/img" "$per_size"

features=""
if command -v nasm >/dev/null 2>&1; then
  features="--features libjpeg-simd"   # libjpeg's SIMD, as in Pillow's libjpeg-turbo
fi
if [ -n "${PDQ_BENCH_BIN:-}" ]; then
  bench="$PDQ_BENCH_BIN"   # a pdq_bench binary built elsewhere (same sources)
  features="prebuilt binary $PDQ_BENCH_BIN"
else
  (cd "$root" && cargo build --release -j 2 -p bulwark-pdq --example pdq_bench $features)
  bench="${CARGO_TARGET_DIR:-$root/target}/release/examples/pdq_bench"
fi

# Pin both to the same core when possible.
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

: > "$out/rust-pixels.tsv"; : > "$out/ref-pixels.tsv"
: > "$out/rust-jpg.tsv"; : > "$out/ref-jpg.tsv"
: > "$out/rust-png.tsv"; : > "$out/ref-png.tsv"
: > "$out/rust-fast.tsv"
for size in 512x512 1024x768 1024x1024 2048x1536; do
  pngs=("$work/img/$size"-*.png)
  jpgs=("$work/img/$size"-*.jpg)
  # Interleave the two engines per size so machine noise hits both alike.
  $pin "$bench" pixels "$reps" "${pngs[@]}" >> "$out/rust-pixels.tsv"
  $pin "$py" "$here/bench_ref.py" pixels "$reps" "${pngs[@]}" >> "$out/ref-pixels.tsv"
  $pin "$bench" files "$reps" "${jpgs[@]}" >> "$out/rust-jpg.tsv"
  $pin "$py" "$here/bench_ref.py" files "$reps" "${jpgs[@]}" >> "$out/ref-jpg.tsv"
  $pin "$bench" files "$reps" "${pngs[@]}" >> "$out/rust-png.tsv"
  $pin "$py" "$here/bench_ref.py" files "$reps" "${pngs[@]}" >> "$out/ref-png.tsv"
  $pin "$bench" fast "$reps" "${jpgs[@]}" >> "$out/rust-fast.tsv"
done
echo "build: ${features:-default features (libjpeg without SIMD)}"
"$py" "$here/compare.py" "$out"
