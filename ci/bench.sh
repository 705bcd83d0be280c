#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the release preset and runs slp's benchmarks pinned to one CPU,
# then prints one table (each slp figure, its baseline, the ratio, the
# target and its verdict) and draws the plots; then runs the workloads
# (bench/workloads.py: whole programs in slp, Boost.Fiber and Go, one
# process per run) and prints their table. Raw JSON, console logs, plot
# data and PNGs go to build/bench/.
#
# Usage: ci/bench.sh [--quick | --smoke] [--huge] [--no-build] [--runs N]
#                    [--bench NAME]...
#   (default)            full: 9 repetitions of >= 0.2 s each, in random
#                        order across benchmarks; medians; up to 1 M
#                        tasklets (~7 min); workloads at the issue's sizes,
#                        5 processes each (~4 min)
#   --quick              3 repetitions of >= 0.05 s, up to 100 k tasklets
#                        (~35 s); workloads at a tenth of the size or less,
#                        3 processes each (~15 s)
#   --smoke              1 repetition of >= 0.001 s, up to 1 k tasklets
#                        (~1 s); workloads at small sizes, one process each
#                        (~1 s): proves every benchmark runs and every
#                        workload gives its answer (ci/test.sh); the
#                        figures mean nothing
#   --huge               also 10 M parked tasklets in memory_bench (64 B and
#                        256 B live: ~7 and ~9 GiB, ~1.5 min more)
#   --no-build           use the binaries already in build/release
#   --runs N             run each timing binary N times; the table shows the
#                        median of the runs' medians (JSON: <name>-<i>.json);
#                        memory_bench runs once; each workload N processes
#   --bench NAME         run only this binary (switch_bench, tasklet_bench,
#                        channel_bench, memory_bench) or the workloads
#                        (workloads); repeatable
# The Go workloads are built here from bench/go/*.go with the go command
# (Debian's golang-go), even with --no-build; without Go they are reported
# as a missing baseline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

usage() { sed -n '9,34p' "$0" | sed 's/^# \{0,1\}//'; }

all_benches=(switch_bench tasklet_bench channel_bench memory_bench workloads)
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
  full) reps=9 min_time=0.2 runs=5 max_tasklets=1000000 workload_runs=5 ;;
  quick) reps=3 min_time=0.05 runs=2 max_tasklets=100000 workload_runs=3 ;;
  smoke) reps=1 min_time=0.001 runs=1 max_tasklets=1000 workload_runs=1 ;;
esac
[ "$huge" -eq 1 ] && max_tasklets=10000000
[ ${#benches[@]} -eq 0 ] && benches=("${all_benches[@]}")
# Repetitions of different benchmarks in random order: load that comes and
# goes on the other vCPU then spreads over a figure and its baseline alike.
interleave=true
[ "$mode" = smoke ] && interleave=false
main_runs=${runs_wanted:-1}
runs=${runs_wanted:-$runs}
workload_runs=${runs_wanted:-$workload_runs}

"$root/ci/install-deps.sh" bench

release_dir=$root/build/release
out=$root/build/bench
mkdir -p "$out"

if [ "$build" -eq 1 ]; then
  cmake --preset release
  cmake --build --preset release -j2
fi

for b in "${benches[@]}"; do
  needed=("$b")
  [ "$b" = workloads ] && needed=(workload_launch workloads_slp)
  for n in "${needed[@]}"; do
    if [ ! -x "$release_dir/bench/$n" ]; then
      echo "ci/bench.sh: $release_dir/bench/$n is missing: build the release preset" \
        "(cmake --preset release && cmake --build --preset release), or drop --no-build;" \
        "the benchmarks also need libbenchmark-dev" >&2
      exit 1
    fi
  done
done

# build_go_workloads: the Go versions of the workloads, into $out/go; sets
# go_binary, or go_missing to why there is none. Everything Go writes stays
# under $out, and nothing is fetched.
go_binary=
go_missing=
build_go_workloads() {
  if ! command -v go >/dev/null; then
    go_missing="Go not installed (golang-go): no baseline"
    return 0
  fi
  mkdir -p "$out/go"
  if ! (cd "$root/bench/go" && GOCACHE="$out/go/cache" GOPATH="$out/go/path" \
    GOPROXY=off GOTOOLCHAIN=local GOFLAGS= GO111MODULE= CGO_ENABLED=0 \
    go build -o "$out/go/workloads_go" ./*.go) >"$out/go/build.log" 2>&1; then
    echo "ci/bench.sh: building bench/go failed; $out/go/build.log:" >&2
    cat "$out/go/build.log" >&2
    exit 1
  fi
  go_binary=$out/go/workloads_go
}

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
status=0

# run_workloads JSON: bench/workloads.py with every runtime there is; a
# failed workload (a wrong answer, a crash) fails the script once the
# tables are printed.
run_workloads() {
  local json=$1 fiber=() go=()
  if [ -x "$release_dir/bench/workloads_fiber" ]; then
    fiber=(--fiber "$release_dir/bench/workloads_fiber")
  else
    fiber=(--fiber-missing "Boost.Fiber missing at build time (libboost-fiber-dev): no baseline")
  fi
  if [ -n "$go_binary" ]; then go=(--go "$go_binary"); else go=(--go-missing "$go_missing"); fi
  if ! "$python" "$root/bench/workloads.py" --launch "$release_dir/bench/workload_launch" \
    --slp "$release_dir/bench/workloads_slp" "${fiber[@]}" "${go[@]}" --size "$mode" \
    --runs "$workload_runs" --pin "${pin[*]}" --out "$json"; then
    echo "ci/bench.sh: a workload failed (see above); JSON: $json" >&2
    status=1
  fi
}

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
    if [ "$b" = workloads ]; then
      [ "$i" -gt 1 ] && continue  # repeats its processes itself
      if [ -z "$python" ]; then
        echo "ci/bench.sh: python3 not found: the workloads are not run" >&2
        status=1
        continue
      fi
      build_go_workloads
      echo "== workloads: $mode sizes ($workload_runs processes each, $pin_note;" \
        "Go: ${go_binary:+built}${go_missing})"
      rm -f "$out/workloads.json"
      run_workloads "$out/workloads.json"
      [ -f "$out/workloads.json" ] && jsons+=("$out/workloads.json")
      continue
    elif [ "$b" = memory_bench ]; then
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

if [ -n "$python" ]; then
  [ ${#jsons[@]} -gt 0 ] &&
    { "$python" "$root/bench/report.py" --plots "$out" --note "$note" "${jsons[@]}" || status=1; }
else
  no_python_check "${jsons[@]}" || status=1
fi
echo "JSON: ${jsons[*]}"
echo "console logs: $out/*.log"
[ "$mode" = smoke ] && echo "(smoke run: one short repetition; the figures are not measurements)"
exit "$status"
