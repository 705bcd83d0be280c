#!/usr/bin/env bash
# Builds the release preset and runs slp's benchmarks pinned to one CPU,
# then prints one table (each slp figure, its baseline, the ratio, the
# target and its verdict) and draws the plots. Raw JSON, console logs, plot
# data and PNGs go to build/bench/.
#
# Usage: ci/bench.sh [--quick | --smoke] [--huge] [--no-build] [--runs N]
#                    [--bench NAME]...
#   (default)            full: 9 repetitions of >= 0.2 s each, in random
#                        order across benchmarks; medians; up to 1 M
#                        tasklets (~7 min)
#   --quick              3 repetitions of >= 0.05 s, up to 100 k tasklets
#                        (~35 s)
#   --smoke              1 repetition of >= 0.001 s, up to 1 k tasklets
#                        (~1 s): proves every benchmark runs (ci/test.sh);
#                        the figures mean nothing
#   --huge               also 10 M parked tasklets in memory_bench (64 B and
#                        256 B live: ~7 and ~9 GiB, ~1.5 min more)
#   --no-build           use the binaries already in build/release
#   --runs N             run each timing binary N times; the table shows the
#                        median of the runs' medians (JSON: <name>-<i>.json);
#                        memory_bench runs once
#   --bench NAME         run only this binary (switch_bench, tasklet_bench,
#                        channel_bench, memory_bench); repeatable
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

usage() { sed -n '7,24p' "$0" | sed 's/^# \{0,1\}//'; }

all_benches=(switch_bench tasklet_bench channel_bench memory_bench)
mode=full
build=1
huge=0
runs_wanted=
benches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --huge) huge=1 ;;
    --no-build) build=0 ;;
    --bench)
      wanted=${2:-}
      if ! [[ " ${all_benches[*]} " == *" $wanted "* ]] || [ -z "$wanted" ]; then
        echo "ci/bench.sh: --bench wants one of: ${all_benches[*]}" >&2
        exit 2
      fi
      benches+=("$wanted")
      shift
      ;;
    --runs)
      runs_wanted=${2:-}
      if ! [[ "$runs_wanted" =~ ^[1-9][0-9]*$ ]]; then
        echo "ci/bench.sh: --runs wants a positive number" >&2
        exit 2
      fi
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *)
      echo "ci/bench.sh: unknown option '$1'" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

case "$mode" in
  full) reps=9 min_time=0.2 runs=5 max_tasklets=1000000 ;;
  quick) reps=3 min_time=0.05 runs=2 max_tasklets=100000 ;;
  smoke) reps=1 min_time=0.001 runs=1 max_tasklets=1000 ;;
esac
[ "$huge" -eq 1 ] && max_tasklets=10000000
[ ${#benches[@]} -eq 0 ] && benches=("${all_benches[@]}")
# Repetitions of different benchmarks in random order: load that comes and
# goes on the other vCPU then spreads over a figure and its baseline alike.
interleave=true
[ "$mode" = smoke ] && interleave=false
main_runs=${runs_wanted:-1}
runs=${runs_wanted:-$runs}

"$root/ci/install-deps.sh" bench

release_dir=$root/build/release
out=$root/build/bench
mkdir -p "$out"

if [ "$build" -eq 1 ]; then
  cmake --preset release
  cmake --build --preset release -j2
fi

for b in "${benches[@]}"; do
  if [ ! -x "$release_dir/bench/$b" ]; then
    echo "ci/bench.sh: $release_dir/bench/$b is missing: build the release preset" \
      "(cmake --preset release && cmake --build --preset release), or drop --no-build;" \
      "the benchmarks also need libbenchmark-dev" >&2
    exit 1
  fi
done

# One CPU, so that the two contexts of a ping-pong never migrate.
pin=()
pin_note="not pinned"
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
  pin=(taskset -c 1)
  pin_note="pinned to CPU 1"
else
  echo "ci/bench.sh: taskset -c 1 is not available here: running unpinned" >&2
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
note="$pin_note; ${cpu:-unknown CPU}"

# other_cpus_ticks: busy and total jiffies of every CPU but the pinned one,
# from /proc/stat. On this 2-vCPU VM the other vCPU's load changes figures
# on CPU 1 by up to 1.5x (docs/PERFORMANCE.md, "Noise"), so the table says
# how busy it was.
other_cpus_ticks() {
  awk -v pinned="cpu${pin[2]:-none}" '
    /^cpu[0-9]/ && $1 != pinned {
      total = 0
      for (i = 2; i <= NF; i++) total += $i
      busy += total - $5 - $6
      all += total
    }
    END { print busy + 0, all + 0 }' /proc/stat 2>/dev/null || echo "0 0"
}

python=$(command -v python3 || true)

# run BINARY JSON LOG [ARGS...]: one benchmark binary, JSON and console log.
run() {
  local binary=$1 json=$2 log=$3
  shift 3
  if ! "${pin[@]}" "$binary" --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true --benchmark_min_time="$min_time" \
    --benchmark_enable_random_interleaving="$interleave" \
    --benchmark_out="$json" --benchmark_out_format=json "$@" >"$log" 2>&1; then
    echo "ci/bench.sh: $binary failed; the end of $log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
}

# no_python_check JSON...: without python3, at least fail on a benchmark error.
no_python_check() {
  echo "ci/bench.sh: python3 not found: no table, no plots; raw JSON: $*"
  if grep -h -A1 '"error_occurred": true' "$@" | grep '"error_message"' |
    grep -v 'missing at build time'; then
    echo "ci/bench.sh: a benchmark reported an error" >&2
    return 1
  fi
}

jsons=()
read -r busy_before all_before < <(other_cpus_ticks)
for i in $(seq 1 "$main_runs"); do
  for b in "${benches[@]}"; do
    name=$b
    if [ "$b" = memory_bench ]; then
      [ "$i" -gt 1 ] && continue  # deterministic enough, and heavy: once
      echo "== $name: $mode (one forked measurement per case, up to $max_tasklets tasklets, $pin_note)"
    else
      [ "$main_runs" -gt 1 ] && name=$b-$i
      echo "== $name: $mode ($reps repetitions, min time ${min_time} s, $pin_note)"
    fi
    rm -f "$out/$name.json"
    run "$release_dir/bench/$b" "$out/$name.json" "$out/$name.log" \
      --slp_max_tasklets="$max_tasklets"
    jsons+=("$out/$name.json")
  done
done

read -r busy_after all_after < <(other_cpus_ticks)
if [ "$all_after" -gt "$all_before" ]; then
  note="$note; other CPUs $(((busy_after - busy_before) * 100 / (all_after - all_before)))% busy"
fi

status=0
if [ -n "$python" ]; then
  "$python" "$root/bench/report.py" --plots "$out" --note "$note" "${jsons[@]}" || status=$?
else
  no_python_check "${jsons[@]}" || status=1
fi
echo "JSON: ${jsons[*]}"
echo "console logs: $out/*.log"
[ "$mode" = smoke ] && echo "(smoke run: one short repetition; the figures are not measurements)"
exit "$status"
