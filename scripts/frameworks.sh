#!/usr/bin/env bash
# Task frameworks against a Redis-protocol server: Celery (Redis broker and
# Redis result backend), RQ, Dramatiq (Redis broker and results) and BullMQ
# each run a small job workload from start to finish (a producer enqueues
# jobs that add two numbers, a worker runs them, every result is checked).
# Prints PASS/FAIL per framework; exit status 0 only if all passed.
#
#   scripts/frameworks.sh                          # Pilgrim: cargo build --release, then target/release/pilgrim-server
#   FRAMEWORKS_SERVER=redis scripts/frameworks.sh  # the installed redis-server instead, for comparison
#
# Settings (environment variables):
#   FRAMEWORKS_SERVER      pilgrim (default) or redis: which server to start
#   FRAMEWORKS_SERVER_BIN  use this server binary as it is (no cargo build)
#   FRAMEWORKS_URL         use an already running server at this redis:// URL (nothing is
#                          started; its data is left in place: the workloads use queues named
#                          fw-<framework>-<run id> and leave their keys behind)
#   FRAMEWORKS_ONLY        frameworks to run, default "celery rq dramatiq bullmq"
#   FRAMEWORKS_JOBS        jobs per framework, default 20
#   FRAMEWORKS_PROTOCOL    2 or 3: RESP version for RQ, Dramatiq (redis-py) and BullMQ (ioredis),
#                          by `?protocol=N` in their URL; default: the clients' own (RESP3 for
#                          both redis-py 8 and ioredis 6). Celery (kombu) takes no such option
#                          and stays on redis-py's default.
#   FRAMEWORKS_TIMEOUT     limit in seconds for each workload step, default 120
#   FRAMEWORKS_CACHE       virtualenv / npm project / logs directory, default .frameworks-cache
#   FRAMEWORKS_PYTHON      interpreter for the virtualenv, default python3
#
# The workloads themselves are in scripts/frameworks/ (fw_celery.py, fw_rq.py,
# fw_dramatiq.py, fw_bullmq.js, and the pinned npm project). Logs of the last
# run (server, workers, producers) stay in $FRAMEWORKS_CACHE/logs/.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FW_DIR=$ROOT/scripts/frameworks

# Pinned versions (the npm side is pinned by scripts/frameworks/package-lock.json).
PY_REQUIREMENTS=(
    'celery[redis]==5.7.0'
    'rq==3.0.0'
    'dramatiq[redis]==2.2.1'
    'redis==8.1.0'
    'kombu==5.7.0'
)

SERVER_KIND=${FRAMEWORKS_SERVER:-pilgrim}
ONLY=${FRAMEWORKS_ONLY:-"celery rq dramatiq bullmq"}
export FW_JOBS=${FRAMEWORKS_JOBS:-20}
STEP_TIMEOUT=${FRAMEWORKS_TIMEOUT:-120}
CACHE=${FRAMEWORKS_CACHE:-$ROOT/.frameworks-cache}
PYTHON=${FRAMEWORKS_PYTHON:-python3}
VENV=$CACHE/venv
NODE_DIR=$CACHE/node
LOGS=$CACHE/logs

log() { printf '[frameworks] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------- cleanup
STARTED_PIDS=()   # process-group leaders started by this script
DATA_DIR=
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        stop_group "$pid"
    done
    if [[ -n $DATA_DIR && -d $DATA_DIR ]]; then rm -rf "$DATA_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_group PID: SIGTERM to the process group led by PID (started with
# setsid, so it holds only what this script started), SIGKILL after 15 s.
stop_group() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# start_bg LOGFILE CMD...: runs CMD in its own process group; sets BG_PID.
start_bg() {
    local logfile=$1
    shift
    setsid "$@" >"$logfile" 2>&1 &
    BG_PID=$!
    STARTED_PIDS+=("$BG_PID")
}

# ---------------------------------------------------------------- setup
setup_python() {
    local stamp=$VENV/.requirements want
    want=$(printf '%s\n' "$PYTHON" "${PY_REQUIREMENTS[@]}")
    if [[ -x $VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    log "creating virtualenv $VENV (${PY_REQUIREMENTS[*]})"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_REQUIREMENTS[@]}"
    printf '%s\n' "$want" >"$stamp"
}

setup_node() {
    command -v node >/dev/null || die "node is not installed"
    command -v npm >/dev/null || die "npm is not installed"
    mkdir -p "$NODE_DIR"
    if [[ -d $NODE_DIR/node_modules/bullmq ]] &&
        cmp -s "$FW_DIR/package-lock.json" "$NODE_DIR/package-lock.json"; then
        return 0
    fi
    log "installing the npm project (bullmq, ioredis) in $NODE_DIR"
    cp "$FW_DIR/package.json" "$FW_DIR/package-lock.json" "$NODE_DIR/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ping_server() { # PORT
    "$VENV/bin/python" - "$1" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(64).startswith(b"+PONG") else 1)
EOF
}

start_server() {
    local bin port i
    case $SERVER_KIND in
    pilgrim)
        if [[ -n ${FRAMEWORKS_SERVER_BIN:-} ]]; then
            bin=$FRAMEWORKS_SERVER_BIN
        else
            log "building Pilgrim: cargo build --release --bin pilgrim-server"
            (cd "$ROOT" && cargo build --release --bin pilgrim-server)
            bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/pilgrim-server
        fi
        ;;
    redis)
        bin=${FRAMEWORKS_SERVER_BIN:-$(command -v redis-server)} || die "redis-server is not installed"
        ;;
    *) die "FRAMEWORKS_SERVER must be pilgrim or redis, not '$SERVER_KIND'" ;;
    esac
    [[ -x $bin ]] || die "server binary $bin not found"
    DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pilgrim-frameworks.XXXXXX")
    port=$(free_port)
    start_bg "$LOGS/server.log" "$bin" --port "$port" --bind 127.0.0.1 --dir "$DATA_DIR" \
        --save '' --appendonly no
    for ((i = 0; i < 100; i++)); do
        ping_server "$port" && break
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! ping_server "$port"; then
        tail -n 20 "$LOGS/server.log" | sed 's/^/    /' >&2
        die "the server did not start"
    fi
    log "$SERVER_KIND server: $bin on 127.0.0.1:$port (pid $BG_PID, data dir $DATA_DIR)"
    FW_URL=redis://127.0.0.1:$port/0
}

# ---------------------------------------------------------------- workloads
# Each returns 0 on success; output goes to $LOGS/<framework>-*.log.
PY() { (cd "$FW_DIR" && timeout "$STEP_TIMEOUT" "$VENV/bin/python" "$@"); }

run_celery() {
    local worker rc=0
    start_bg "$LOGS/celery-worker.log" bash -c "cd '$FW_DIR' && exec '$VENV/bin/celery' -A fw_celery worker \
        -Q '$FW_QUEUE' --concurrency=2 --loglevel=INFO"
    worker=$BG_PID
    PY fw_celery.py >"$LOGS/celery-producer.log" 2>&1 || rc=1
    kill -0 "$worker" 2>/dev/null || { echo "celery: the worker exited early" >>"$LOGS/celery-producer.log"; rc=1; }
    stop_group "$worker"
    return $rc
}

run_rq() {
    export FW_RQ_IDS=$LOGS/rq-ids.txt
    PY fw_rq.py enqueue >"$LOGS/rq-producer.log" 2>&1 || return 1
    (cd "$FW_DIR" && timeout "$STEP_TIMEOUT" "$VENV/bin/rq" worker --burst --url "$FW_URL" "$FW_QUEUE") \
        >"$LOGS/rq-worker.log" 2>&1 || { echo "rq: worker exited with $?" >>"$LOGS/rq-producer.log"; return 1; }
    PY fw_rq.py check >>"$LOGS/rq-producer.log" 2>&1
}

run_dramatiq() {
    local worker rc=0
    start_bg "$LOGS/dramatiq-worker.log" bash -c "cd '$FW_DIR' && exec '$VENV/bin/dramatiq' fw_dramatiq \
        --processes 1 --threads 2 --queues '$FW_QUEUE'"
    worker=$BG_PID
    PY fw_dramatiq.py >"$LOGS/dramatiq-producer.log" 2>&1 || rc=1
    kill -0 "$worker" 2>/dev/null || { echo "dramatiq: the worker exited early" >>"$LOGS/dramatiq-producer.log"; rc=1; }
    stop_group "$worker"
    return $rc
}

run_bullmq() {
    (cd "$FW_DIR" && NODE_PATH=$NODE_DIR/node_modules timeout "$STEP_TIMEOUT" node fw_bullmq.js) \
        >"$LOGS/bullmq-producer.log" 2>&1
}

# ---------------------------------------------------------------- main
mkdir -p "$CACHE"
rm -rf "$LOGS"
mkdir -p "$LOGS"
setup_python
setup_node
if [[ -n ${FRAMEWORKS_URL:-} ]]; then
    FW_URL=$FRAMEWORKS_URL
    SERVER_KIND="server at $(sed -E 's#//([^/@]*)@#//***@#' <<<"$FW_URL")"
    log "using the running server at $FW_URL"
else
    start_server
fi
export FW_URL
BASE_URL=$FW_URL

# Queue names carry a run id, so runs against one server (FRAMEWORKS_URL) do not mix.
RUN_ID=$(date +%s)-$$
declare -A RESULT ELAPSED
failed=0
for fw in $ONLY; do
    declare -F "run_$fw" >/dev/null || die "unknown framework '$fw'"
done
for fw in $ONLY; do
    log "running $fw"
    export FW_QUEUE=fw-$fw-$RUN_ID
    FW_URL=$BASE_URL
    if [[ -n ${FRAMEWORKS_PROTOCOL:-} && $fw != celery ]]; then
        FW_URL+=$([[ $BASE_URL == *\?* ]] && echo '&' || echo '?')protocol=$FRAMEWORKS_PROTOCOL
    fi
    started=$SECONDS
    if "run_$fw"; then
        RESULT[$fw]=PASS
    else
        RESULT[$fw]=FAIL
        failed=1
        for f in "$LOGS/$fw"-*.log; do
            log "--- last lines of $f"
            tail -n 25 "$f" | sed 's/^/    /' >&2
        done
    fi
    ELAPSED[$fw]=$((SECONDS - started))
done
if [[ -z ${FRAMEWORKS_URL:-} ]] && ! kill -0 "${STARTED_PIDS[0]}" 2>/dev/null; then
    log "the server is no longer running; last lines of $LOGS/server.log:"
    tail -n 25 "$LOGS/server.log" | sed 's/^/    /' >&2
    failed=1
fi

echo "frameworks against $SERVER_KIND${FRAMEWORKS_PROTOCOL:+ (RESP$FRAMEWORKS_PROTOCOL where the client allows)}:"
for fw in $ONLY; do
    printf '  %-9s %s  (%ss)\n' "$fw" "${RESULT[$fw]}" "${ELAPSED[$fw]}"
done
exit $failed
