#!/usr/bin/env bash
# Throughput of venue check-ins over HTTP (issue 10, item 6): the group commit against
# one transaction per check-in (PHONGDICH_GROUP_COMMIT=off), on SQLite and PostgreSQL,
# in one run. Every check-in is committed and synced before its answer and its presence
# is applied to the tracing engine (levels stored) before the answer.
#
#   bench/checkins.sh [PEOPLE] [SECONDS] [CONNECTIONS]
#
# Builds --release, loads a fresh demo province (phongdich demo --people PEOPLE) into a
# new SQLite file and a new PostgreSQL database (PG_URL, default
# postgres://postgres@127.0.0.1:5432/phongdich_bench_checkins, dropped and created),
# then for each backend and mode starts `phongdich serve` (trusting the loopback as a
# proxy, so that the generator's X-Forwarded-For spreads the per-address rate limit
# over 65,536 clients), waits for the engine, and runs examples/checkin_load.rs
# (CONNECTIONS keep-alive connections for SECONDS after a 2-second warm-up). Prints one
# Markdown table; results go in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-50000}; seconds=${2:-20}; connections=${3:-64}
baseline_connections=${BASELINE_CONNECTIONS:-$connections}
port=${PORT:-18091}
work=${WORK:-/tmp/phongdich-bench-checkins}
pg_admin=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/phongdich_bench_checkins}
backends=${BACKENDS:-sqlite postgres}
modes=${MODES:-group baseline}

cargo build --release -q -p phongdich --bin phongdich --example checkin_load
bin=target/release/phongdich
load=target/release/examples/checkin_load
mkdir -p "$work"
server=

stop_server() {
  if [ -n "$server" ]; then
    kill -INT "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
trap stop_server EXIT

# Starts a command that ends by serving on $port; returns once the engine is ready.
wait_ready() {
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q '"state":"ready"'; then
      return 0
    fi
    kill -0 "$server" 2>/dev/null || { echo "the server stopped; see $work/server.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "the engine was not ready after 5 minutes" >&2; exit 1
}

# utime + stime of a process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

url_of() {
  case $1 in
    sqlite) echo "sqlite://$work/bench.db" ;;
    postgres) echo "$pg_url" ;;
  esac
}

fresh_database() {
  case $1 in
    sqlite) rm -f "$work"/bench.db* ;;
    postgres)
      db=${pg_url##*/}
      psql -q "$pg_admin" -c "drop database if exists $db with (force)" -c "create database $db" ;;
  esac
  # The demo loads the province, then serves it: stop it once it is ready.
  PHONGDICH_LOG=warn "$bin" demo --people "$people" --database-url "$(url_of "$1")" \
    --listen "127.0.0.1:$port" >"$work/demo-$1.log" 2>&1 &
  server=$!
  wait_ready
  stop_server
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; $people people; $connections connections, ${seconds}s after a 2s warm-up; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| backend, mode | connections | check-ins | errors | per second | p50 ms | p95 ms | p99 ms | max ms | server CPU µs per check-in | generator CPU µs per check-in |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
offset=0
for backend in $backends; do
  fresh_database "$backend" >&2
  url=$(url_of "$backend")
  for mode in $modes; do
    case $mode in group) gc=on; c=$connections ;; baseline) gc=off; c=$baseline_connections ;; esac
    PHONGDICH_GROUP_COMMIT=$gc PHONGDICH_TRUSTED_PROXIES=127.0.0.1 PHONGDICH_LOG=warn \
      "$bin" serve --database-url "$url" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    server=$!
    wait_ready
    # CPU time (user + system, clock ticks) of the server and of the generator: with
    # other work on the machine the rate depends on what the run was given, the CPU
    # per check-in much less.
    before=$(cpu_ticks "$server")
    /usr/bin/time -f "%U %S" -o "$work/time.out" \
      "$load" --url "127.0.0.1:$port" --database-url "$url" --connections "$c" \
      --seconds "$seconds" --offset "$offset" --label "$backend, $mode" \
      >"$work/row.out" 2>>"$work/load.log"
    after=$(cpu_ticks "$server")
    row=$(cat "$work/row.out")
    done_n=$(echo "$row" | awk -F'|' '{ gsub(/ /, "", $4); print $4 }')
    hz=$(getconf CLK_TCK)
    echo "$row $(awk -v t=$((after - before)) -v hz="$hz" -v n="$done_n" 'BEGIN { printf "%.0f |", n ? t / hz * 1e6 / n : 0 }') $(awk -v n="$done_n" '{ printf "%.0f |", n ? ($1 + $2) * 1e6 / n : 0 }' "$work/time.out")"
    offset=$((offset + 10000000))
    stop_server
  done
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
