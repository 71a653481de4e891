#!/usr/bin/env bash
# Side-by-side benchmark: Rust bulwark-cascade vs the Python + NetworkX
# reference (cascade_nx.py) on the same European model and scenarios.
#
#   bench/cascade/run.sh [RUST_SAMPLES] [PY_SAMPLES] [THREADS]
#
# Defaults: 10000 Rust samples, 40 Python samples, 2 threads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rust_samples="${1:-10000}"
py_samples="${2:-40}"
threads="${3:-2}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$here/out"
mkdir -p "$out"

(cd "$root" && CARGO_TARGET_DIR="$target" cargo build -j 2 --release -p bulwark-europe --example cascade_bench >/dev/null)
bin="$target/release/examples/cascade_bench"

if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
fi
py="$here/.venv/bin/python"
"$py" "$here/selftest.py" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | Rust samples | Rust s | Rust samples/s | Rust events/s | Python samples | Python s | Python samples/s | Python events/s | ratio samples/s | Rust CPU s | Python CPU s | ratio samples per CPU-s | Rust mean user-hours | Python mean user-hours |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for sc in windstorm-north-west iberia-2025-system-split cyber-cloud-provider; do
    if [ ! -f "$out/model.json" ]; then
        "$bin" --scenario "$sc" --samples 1 --export-model "$out/model.json" >/dev/null 2>&1
    fi
    row="$("$bin" --scenario "$sc" --samples "$rust_samples" --seed 42 --threads "$threads" \
        --export-scenario "$out/$sc.json" 2>/dev/null | tail -1)"
    # | id | samples | seconds | samples/s | events | events/s | mean uh | p99 | peak |
    r_s="$(echo "$row" | awk -F'|' '{gsub(/ /,"",$4); print $4}')"
    r_sps="$(echo "$row" | awk -F'|' '{gsub(/ /,"",$5); print $5}')"
    r_eps="$(echo "$row" | awk -F'|' '{gsub(/ /,"",$7); print $7}')"
    r_uh="$(echo "$row" | awk -F'|' '{gsub(/ /,"",$8); print $8}')"
    r_cpu="$(echo "$row" | awk -F'|' '{gsub(/ /,"",$11); print $11}')"
    pj="$("$py" "$here/cascade_nx.py" --model "$out/model.json" --scenario "$out/$sc.json" \
        --samples "$py_samples" --seed 42)"
    read -r p_s p_sps p_eps p_uh p_cpu <<<"$(echo "$pj" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["seconds"], d["samples_per_second"], d["events_per_second"], d["mean_user_hours"], d["cpu_seconds"])')"
    ratio="$("$py" -c "print(f'{$r_sps/$p_sps:.0f}x')")"
    cpu_ratio="$("$py" -c "print(f'{($rust_samples/$r_cpu)/($py_samples/$p_cpu):.0f}x')")"
    printf '| %s | %s | %s | %s | %s | %s | %s | %.1f | %.3e | %s | %s | %s | %s | %s | %.3e |\n' \
        "$sc" "$rust_samples" "$r_s" "$r_sps" "$r_eps" "$py_samples" "$p_s" "$p_sps" "$p_eps" "$ratio" "$r_cpu" "$p_cpu" "$cpu_ratio" "$r_uh" "$p_uh"
done
