#!/bin/sh
# SPDX-License-Identifier: MIT
# The echo benchmark with real peers: slp's examples/echo_server, the same
# server with Boost.Asio (one single-threaded io_context) and with Go's net
# package (GOMAXPROCS=1), each pinned to CPU 0, under bench/echo/echo_load
# pinned to CPU 1, with 1, 100 and 1,000 connections sending 64-byte
# messages (one in flight each) on 127.0.0.1, for SECONDS each. Prints
# requests/s and p50/p99 latency per server, and slp's ratios.
#
#   $ cmake --preset release && cmake --build --preset release -j2 \
#       --target echo_server echo_load echo_asio
#   $ bench/echo/compare.sh build/release 3
set -eu
build=${1:-build/release}
seconds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
ulimit -n 8192 2>/dev/null || ulimit -n 4096
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if command -v go >/dev/null 2>&1; then
  (cd "$here" && GOFLAGS=-mod=mod GO111MODULE=off go build -o "$out/echo_go" echo_go.go)
fi

# serve NAME PORT COMMAND...: starts the server on CPU 0, loads it with
# each connection count from CPU 1, stops it with SIGTERM.
serve() {
  name=$1
  port=$2
  shift 2
  taskset -c 0 "$@" >/dev/null 2>&1 &
  pid=$!
  sleep 0.5
  for c in 1 100 1000; do
    line=$(taskset -c 1 "$build/bench/echo_load" "$port" "$c" "$seconds")
    echo "$name $line" | tee -a "$out/results"
  done
  kill -TERM "$pid" 2>/dev/null || true  # (SIGINT is ignored in background jobs)
  wait "$pid" 2>/dev/null || true
}

serve slp 7301 "$build/examples/echo_server" 7301 600
[ -x "$build/bench/echo_asio" ] && serve asio 7302 "$build/bench/echo_asio" 7302
[ -x "$out/echo_go" ] && serve go 7303 env GOMAXPROCS=1 "$out/echo_go" 7303

# slp's ratios against each baseline, per connection count.
awk '
  { split($0, f, " "); name = f[1]
    for (i = 2; i <= NF; i++) { split(f[i], kv, "="); v[name, kv[1]] = kv[2] }
    c = v[name, "connections"]; rps[name, c] = v[name, "rps"]; p99[name, c] = v[name, "p99_us"]
    cs[c] = 1; names[name] = 1 }
  END {
    for (c in cs) for (n in names) if (n != "slp" && rps[n, c] > 0)
      printf "connections=%s slp/%s: rps x%.2f, p99 x%.2f\n", c, n,
             rps["slp", c] / rps[n, c], p99["slp", c] / p99[n, c]
  }' "$out/results" | sort
