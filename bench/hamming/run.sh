#!/usr/bin/env bash
# Hamming index benchmark: Bulwark's exact MIH vs faiss, side by side in one run.
#
#   bench/hamming/run.sh [SIZES...]        (default: 1000000 10000000)
#
# Env: QUERIES (default 2000), FAISS_QUERIES (default 2000 at 1M, 200 at 10M),
#      FAISS_MIH8=0 to skip faiss' (256,8,32) index (10M: ~200 s build, ~7.5 GiB),
#      OUT (default bench/hamming/out).
# Needs: cargo; python3 with venv (faiss-cpu is installed into bench/hamming/.venv).
# Results: $OUT/results.jsonl (one JSON object per engine/index/data set) and a markdown
# table on stdout (bench/hamming/table.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${OUT:-$here/out}"
mkdir -p "$out"
sizes=("${@:-1000000 10000000}")
read -r -a sizes <<<"${sizes[*]}"
queries="${QUERIES:-2000}"

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q "faiss-cpu==1.15.1" numpy
fi
py="$here/.venv/bin/python"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -j 2 -p bulwark-hamming --example hamming_bench
bin="$CARGO_TARGET_DIR/release/examples/hamming_bench"

results="$out/results.jsonl"
: >"$results"
{
  echo "# $(date -u +%FT%TZ) $(uname -srm)"
  grep -m1 'model name' /proc/cpuinfo || true
  echo "# cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

run_set() { # label, rust args..., then faiss query count
  local label="$1"; shift
  local fq="$1"; shift
  local data="$out/$label"
  mkdir -p "$data"
  echo "== $label: bulwark (build, in memory)" >&2
  "$bin" "$@" --queries "$queries" --dump "$data" --file "$data/index.bwh" \
    | tee -a "$results"
  echo "== $label: bulwark (serve: open file, memory-mapped)" >&2
  "$bin" "$@" --queries "$queries" --serve "$data/index.bwh" | tee -a "$results"
  rm -f "$data/index.bwh"
  local kinds="flat mih16"
  if [ "${FAISS_MIH8:-1}" != 0 ]; then kinds="$kinds mih8"; fi
  for k in $kinds; do
    echo "== $label: faiss $k" >&2
    "$py" "$here/faiss_bench.py" --dir "$data" --index "$k" --max-queries "$fq" \
      | sed "s/^{/{\"data\":\"$label\",/" | tee -a "$results"
  done
  rm -f "$data/codes.bin" "$data/queries.bin"
}

for n in "${sizes[@]}"; do
  if [ "$n" -ge 5000000 ]; then fq="${FAISS_QUERIES:-200}"; else fq="${FAISS_QUERIES:-2000}"; fi
  run_set "random-$n" "$fq" --n "$n"
done
run_set holidays 2000 --holidays "$root/../shared/data/pdq-vectors/hashlists"

"$py" "$here/table.py" "$results"
