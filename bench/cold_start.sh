#!/usr/bin/env bash
# Cold start to engine-ready (docs/benchmarks.md, "Cold start"): starts `phongdich serve`
# on an existing province and polls /healthz until the tracing engine says
# "state":"ready"; prints the seconds from start and the engine's own log line
# (read_s, trace_s, write_s), and the CPU seconds the server used until then (user +
# system, from /proc: less sensitive than the wall clock to other work on the cores).
#
#   bench/cold_start.sh DATABASE_URL [PORT] [BINARY] [RUNS]
#
# e.g. bench/cold_start.sh sqlite:///tmp/cold.db 18940 target/release/phongdich 3
set -euo pipefail
url=${1:?database url}
port=${2:-18940}
bin=${3:-target/release/phongdich}
runs=${4:-1}
for run in $(seq 1 "$runs"); do
    log=$(mktemp)
    start=$(date +%s.%N)
    RUST_LOG=${RUST_LOG:-info} "$bin" serve --database-url "$url" --listen "127.0.0.1:$port" >"$log" 2>&1 &
    pid=$!
    serving=""
    while true; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "serve exited:" >&2
            cat "$log" >&2
            exit 1
        fi
        health=$(curl -s "http://127.0.0.1:$port/healthz" || true)
        now=$(date +%s.%N)
        if [[ -n "$health" && -z "$serving" ]]; then
            serving=$(echo "$now - $start" | bc)
        fi
        if [[ "$health" == *'"state":"ready"'* ]]; then
            break
        fi
        sleep 0.1
    done
    ready=$(echo "$now - $start" | bc)
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    cpu=$(echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc)
    load=$(cut -d' ' -f1 /proc/loadavg)
    kill -INT "$pid"
    wait "$pid" || true
    engine=$(grep -o 'tracing engine ready.*' "$log" | sed 's/\x1b\[[0-9;]*m//g' | head -1)
    printf 'run %s: serving %.1f s, engine ready %.1f s, cpu %s s, load %s (%s)\n' \
        "$run" "$serving" "$ready" "$cpu" "$load" "$engine"
    rm -f "$log"
done
