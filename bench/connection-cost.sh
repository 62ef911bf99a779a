#!/usr/bin/env bash
# bench/connection-cost.sh: where a new connection's CPU goes in oauth-landing, the durable write
# apart from the handshake (issue 12's row d).
#
# Runs oauth-landing pinned to core 0 (one thread, SQLite synchronous=FULL in a temp dir) and
# bench/handshake-load.c pinned to core 1: a new TLS 1.3 connection with a full handshake per request,
# -c32, 5 s per run, alternating two kinds, each twice:
#   root      GET /                                  (handshake + a small static page; no write)
#   callback  GET /oauth/callback?itemId=<new each>  (handshake + a durable write + the landing page)
# and prints, per connection, the server's user and system CPU, how many callbacks each store
# commit held (landing_store_write_seconds_count on the metrics listener) and the server threads'
# context switches (voluntary + involuntary, from /proc/PID/task/*/status), e.g.
#   callback conns=12499 user=248.0 sys=32.0 total=280.0 us/conn; batches=1916 (6.5 conns/batch); 2.83 context switches/conn
#
# Usage: bench/connection-cost.sh [--bin PATH] [--duration SECONDS] [--group-commit-wait SECONDS]
#   (run it under `flock /tmp/bench.lock` like bench/run.sh: it needs both cores to itself;
#   --group-commit-wait is passed to the server, its default otherwise)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN="$BENCH_DIR/../.build-bench/release/oauth-landing"
DURATION=5
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) BIN=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --group-commit-wait) EXTRA+=(--group-commit-wait "$2"); shift 2 ;;
        -h|--help) awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "connection-cost.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x "$BIN" ] || { echo "connection-cost.sh: no oauth-landing at $BIN: build it (swift build -c release --product oauth-landing --scratch-path .build-bench) or pass --bin" >&2; exit 2; }
for tool in gcc curl taskset; do
    command -v "$tool" >/dev/null || { echo "connection-cost.sh: $tool is missing (apt-get install gcc curl util-linux)" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/connection-cost.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

gcc -O2 -Wall -Wextra -o "$TMP/handshake-load" "$BENCH_DIR/handshake-load.c" -lssl -lcrypto
"$BIN" dev-cert --out "$TMP/cert" >/dev/null 2>&1
mkdir -p "$TMP/store"
PORT=$((20000 + RANDOM % 10000))
METRICS_PORT=$((PORT + 1))
# Admission limits off: every client is 127.0.0.1; the engine is what is measured.
taskset -c 0 "$BIN" serve --listen "127.0.0.1:$PORT" --threads 1 --access-log on --dev \
    --tls-cert "$TMP/cert/server.pem" --tls-key "$TMP/cert/server-key.pem" \
    --store "sqlite:$TMP/store/landing.db" --metrics-listen "127.0.0.1:$METRICS_PORT" \
    --max-connections 0 --max-connections-per-address 0 --max-handshakes-per-second 0 \
    --max-callbacks-per-address-per-minute 0 "${EXTRA[@]}" >"$TMP/server.stdout" 2>"$TMP/server.stderr" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
curl -sk -o /dev/null "https://127.0.0.1:$PORT/healthz" || { echo "connection-cost.sh: the server did not start: $(tail -n 3 "$TMP/server.stderr")" >&2; exit 1; }

# utime and stime of the server process, in clock ticks.
ticks() { awk '{ print $14, $15 }' "/proc/$SERVER_PID/stat"; }
# Store commits so far (one per batch of writes).
batches() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^landing_store_write_seconds_count/ { printf "%d", $2 }'; }
# Context switches of all the server's threads so far.
switches() { cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { printf "%d", n }'; }
HZ=$(getconf CLK_TCK)

for kind in root callback root callback; do
    if [ "$kind" = root ]; then args=(--path /); else args=(--path "/oauth/callback?itemId=cc-$RANDOM$RANDOM-" --distinct); fi
    taskset -c 1 "$TMP/handshake-load" --port "$PORT" --concurrency 32 --duration 1 "${args[@]}" >/dev/null
    b0=$(batches)
    c0=$(switches)
    read -r u0 s0 < <(ticks)
    taskset -c 1 "$TMP/handshake-load" --port "$PORT" --concurrency 32 --duration "$DURATION" "${args[@]}" >"$TMP/run.txt"
    read -r u1 s1 < <(ticks)
    c1=$(switches)
    b1=$(batches)
    n=$(grep -o 'completed=[0-9]*' "$TMP/run.txt" | cut -d= -f2)
    awk -v k="$kind" -v n="${n:-0}" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN {
        if (n == 0) { printf "%-8s no connections completed\n", k; exit }
        printf "%-8s conns=%d user=%.1f sys=%.1f total=%.1f us/conn; batches=%d (%.1f conns/batch); %.2f context switches/conn\n",
            k, n, u * 1e6 / hz / n, s * 1e6 / hz / n, (u + s) * 1e6 / hz / n, b, (b > 0 ? n / b : 0), c / n }'
done
