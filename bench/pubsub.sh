#!/usr/bin/env bash
# pubsub.sh — Pub/Sub throughput, Pilgrim vs Redis side by side in one run.
#
#   bench/pubsub.sh                      builds both binaries, starts both servers, runs, stops
#
# Scenarios (see bench/pubsub-load/src/main.rs): 1, 10 and 100 subscribers of one channel, and
# 1,000 channels with one subscriber each (100 connections of 10 channels). Four publisher
# connections pipeline PUBLISH 32 deep; every subscriber checks it got every message of its
# channels, in order. Reported: PUBLISH replies/s and messages delivered to subscribers/s
# (medians of ROUNDS runs, target order alternating), and the Pilgrim/Redis ratios.
#
# Settings: PORT_A=7291 (Pilgrim) PORT_B=7292 (Redis) ROUNDS=3 MESSAGES=200000 SIZE=16
#           PIPELINE=32 PUBLISHERS=4 CARGO_TARGET_DIR (where the release server is built)
#           PILGRIM_ARGS (extra server options, e.g. "--io-threads 2")
set -eu
cd "$(dirname "$0")/.."
PORT_A=${PORT_A:-7291}; PORT_B=${PORT_B:-7292}
ROUNDS=${ROUNDS:-3}; MESSAGES=${MESSAGES:-200000}; SIZE=${SIZE:-16}
PIPELINE=${PIPELINE:-32}; PUBLISHERS=${PUBLISHERS:-4}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release --bin pilgrim-server >&2
cargo build --release --manifest-path bench/pubsub-load/Cargo.toml >&2
LOAD=bench/pubsub-load/target/release/pubsub-load

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# shellcheck disable=SC2086
"$TARGET/release/pilgrim-server" --port "$PORT_A" --bind 127.0.0.1 --save '' --appendonly no \
  ${PILGRIM_ARGS:-} >/dev/null 2>&1 &
PIDS+=($!)
redis-server --port "$PORT_B" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
PIDS+=($!)
for p in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 100); do redis-cli -p "$p" PING >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "A = Pilgrim $(redis-cli -p "$PORT_A" INFO server | grep -o 'redis_version:[^[:space:]]*' || true)," \
     "B = $(redis-server --version | cut -d' ' -f1-3); $(nproc) cores"
"$LOAD" --target "Pilgrim=127.0.0.1:$PORT_A" --target "Redis=127.0.0.1:$PORT_B" \
  --rounds "$ROUNDS" --messages "$MESSAGES" --size "$SIZE" --pipeline "$PIPELINE" \
  --publishers "$PUBLISHERS"
