#!/usr/bin/env bash
# Compatibility gate: runs redis-py's own test suite (the pinned release below)
# against a Redis-protocol server, once with RESP3 and once with RESP2, each run
# against its own fresh server, and compares the failures with a known-failures
# list (scripts/compat_check.py). Exit status 0 means every failing test is
# listed and every listed test still fails.
#
#   scripts/compat.sh                       # Pilgrim: cargo build --release, then target/release/pilgrim-server
#   COMPAT_SERVER=redis scripts/compat.sh   # the installed redis-server instead, to measure real Redis
#
# Settings (environment variables):
#   COMPAT_SERVER          pilgrim (default) or redis
#   COMPAT_SERVER_BIN      use this server binary as it is (no cargo build), e.g. a debug build
#   COMPAT_PROTOCOLS       RESP versions to run, default "3 2"
#   COMPAT_PORT            port of the first run's server (the next run gets PORT+1);
#                          default: free loopback ports picked by the kernel
#   COMPAT_PARALLEL        1 (default): the runs go on at the same time (one server each);
#                          0: one after the other
#   COMPAT_TEST_TIMEOUT    limit in seconds for each phase of a test (setup, call, teardown),
#                          default 30 (scripts/compat_pytest_plugin.py; a test's own timeout
#                          mark sets its call limit)
#   COMPAT_RUN_TIMEOUT     limit for one protocol's whole run in seconds, default 600
#   COMPAT_KNOWN_FAILURES  list to compare with; default tests/compat/known-failures.txt
#                          (Pilgrim) or tests/compat/redis-VERSION-failures.txt (redis)
#   COMPAT_UPDATE=1        rewrite that list from this run's results instead of checking
#   COMPAT_PYTEST_ARGS     extra pytest arguments for local iteration, e.g. "-k pubsub";
#                          listed tests that did not run are then not reported
#   COMPAT_CACHE           download/virtualenv/results directory, default .compat-cache
#   COMPAT_PYTHON          interpreter for the virtualenv, default python3 (3.11 here)
#
# Results (junit XML, pytest and server logs) stay in $COMPAT_CACHE/results/.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

REDIS_PY_VERSION=8.1.0
# sha256 of redis-8.1.0.tar.gz as published on PyPI; checked after every download.
REDIS_PY_SDIST_SHA256=6e1a19beef9225c83efd689c7e6b7da2d5215b1f42cd13b7fc3714d0a09c7b25

SERVER_KIND=${COMPAT_SERVER:-pilgrim}
PROTOCOLS=${COMPAT_PROTOCOLS:-"3 2"}
PARALLEL=${COMPAT_PARALLEL:-1}
TEST_TIMEOUT=${COMPAT_TEST_TIMEOUT:-30}
RUN_TIMEOUT=${COMPAT_RUN_TIMEOUT:-600}
CACHE=${COMPAT_CACHE:-$ROOT/.compat-cache}
PYTHON=${COMPAT_PYTHON:-python3}
read -r -a EXTRA_PYTEST_ARGS <<<"${COMPAT_PYTEST_ARGS:-}"

# The suite's test requirements, pinned (Python 3.11). The suite's
# dev_requirements.txt lists these unpinned next to linters, coverage and
# profiling tools; only what the tests import is installed here: pytest and its
# asyncio and rerun plugins, numpy (vector-set tests), pybreaker (multi-database
# client tests), redis-entraid (imported by the credential tests), opentelemetry
# (observability tests), xxhash, PyJWT; coverage only because the suite's
# pytest config names one of its warning classes in a filter. The rest are
# their dependencies, pinned too so every run installs the same set.
# pytest-timeout is left out on purpose: scripts/compat_pytest_plugin.py
# enforces the time limits instead (its docstring says why).
REQUIREMENTS='
pytest==9.2.0
pytest-asyncio==1.5.0
pytest-rerunfailures==16.7
numpy==2.4.6
pybreaker==1.4.1
redis-entraid==1.2.1
xxhash==3.6.0
PyJWT==2.13.0
coverage==7.11.0
opentelemetry-api==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-proto==1.45.2
opentelemetry-semantic-conventions==0.66b2
googleapis-common-protos==1.76.0
protobuf==7.36.2
azure-core==1.41.0
azure-identity==1.27.0
msal==1.39.0
msal-extensions==1.3.1
cryptography==50.0.2
cffi==2.1.1
pycparser==3.12
requests==2.34.2
urllib3==2.8.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
idna==3.20
typing_extensions==4.16.0
packaging==26.4
pluggy==1.7.0
iniconfig==2.3.1
Pygments==2.21.0
'

# What cannot apply to one plain server on this machine, using the suite's own
# markers (it defines them in pyproject.toml; its conftest does not skip them by
# itself, redis-py's CI deselects them with -m).
EXCLUDED_MARKERS=(
    onlycluster         # needs a Redis Cluster (redis-py's CI runs these against a 6-node cluster)
    redismod            # needs Redis modules: RedisJSON, RediSearch, RedisTimeSeries, RedisBloom
    experimental        # experimental module commands (RedisBloom, RediSearch)
    ssl                 # needs a TLS listener and the suite's certificates (--redis-ssl-url)
    replica             # needs a replica server next to the master
    cp_integration      # needs Azure Entra ID, an external identity service
    multidb_integration # needs two clusters and two standalone servers
    fixed_client        # client-internal tests tied to redis-py's docker topology (localhost:6379,
                        # a cluster on 15379-15381, a proxy on :4000); redis-py's CI runs them apart
                        # from the per-protocol runs, and they do not exercise the server under test
)
# Whole directories/files with no marker of their own.
IGNORED_PATHS=(
    tests/test_scenario                       # Redis Enterprise plus a fault-injector service
    tests/test_asyncio/test_scenario          # (redis-py's CI ignores both too)
    tests/test_sentinel.py                    # needs three sentinels on 26379-26381, a master
    tests/test_asyncio/test_sentinel.py       # on 6379 and a replica; the rest of these files mock the sentinels
)
# Single tests that cannot pass against a server on a non-default port.
DESELECTED_TESTS=(
    # take only the host from --redis-url and connect to the default port 6379
    tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_multiple_connections
    tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_max_connections
    tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_reuse_previously_released_connection
    # open a second client with redis.Redis() / redis.asyncio.Redis() defaults, i.e. localhost:6379
    # (skipped against Redis < 7.2 by their version mark, so they only run against 7.2+ servers)
    tests/test_commands.py::TestRedisCommands::test_client_setinfo
    tests/test_commands.py::TestRedisCommands::test_client_setinfo_with_driver_info
    tests/test_asyncio/test_commands.py::TestRedisCommands::test_client_setinfo
    tests/test_asyncio/test_commands.py::TestRedisCommands::test_client_setinfo_with_driver_info
)

# Server arguments, redis-server style. Beyond the basics: listen on loopback
# only, and allow DEBUG (the suite uses DEBUG ERROR/SLEEP/...; redis-py's CI
# enables it the same way since Redis 7 turned it off by default).
server_args() { # PORT DIR
    printf '%s\0' --port "$1" --bind 127.0.0.1 --dir "$2" --save '' --appendonly no \
        --enable-debug-command yes
}

log() { printf '[compat] %s\n' "$*"; }
die() {
    log "error: $*"
    exit 2
}

RESULTS=$CACHE/results
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pilgrim-compat.XXXXXX")
declare -A SERVER_PIDS=() SERVER_PORTS=()

# Stop a process we started, by its PID: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
    local pid=$1 state
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || state=
        [[ -z $state || $state == Z ]] && break
        sleep 0.1
    done
    [[ -n ${state:-} && $state != Z ]] && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local file label
    for file in "$WORK"/pytest-pid-*; do
        [[ -e $file ]] && stop_pid "$(cat "$file")"
    done
    for label in "${!SERVER_PIDS[@]}"; do
        stop_pid "${SERVER_PIDS[$label]}"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- server under test -------------------------------------------------------
case $SERVER_KIND in
pilgrim)
    DEFAULT_KNOWN=$ROOT/tests/compat/known-failures.txt
    if [[ -n ${COMPAT_SERVER_BIN:-} ]]; then
        SERVER_BIN=$COMPAT_SERVER_BIN
    else
        command -v cargo >/dev/null || die "cargo not found"
        log "building Pilgrim: cargo build --release --bin pilgrim-server"
        start=$SECONDS
        (cd "$ROOT" && cargo build --release --bin pilgrim-server)
        log "build took $((SECONDS - start))s"
        SERVER_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/pilgrim-server
    fi
    ;;
redis)
    SERVER_BIN=${COMPAT_SERVER_BIN:-$(command -v redis-server || true)}
    [[ -n $SERVER_BIN ]] || die "redis-server not found (apt-get install redis-server)"
    redis_version=$("$SERVER_BIN" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
    DEFAULT_KNOWN=$ROOT/tests/compat/redis-$redis_version-failures.txt
    ;;
*) die "COMPAT_SERVER must be 'pilgrim' or 'redis', not '$SERVER_KIND'" ;;
esac
[[ -x $SERVER_BIN ]] || die "server binary $SERVER_BIN missing"
KNOWN=${COMPAT_KNOWN_FAILURES:-$DEFAULT_KNOWN}

# --- redis-py source and virtualenv -----------------------------------------
mkdir -p "$CACHE/dist" "$RESULTS"
SDIST=$CACHE/dist/redis-$REDIS_PY_VERSION.tar.gz
sdist_ok() { [[ -f $SDIST ]] && echo "$REDIS_PY_SDIST_SHA256  $SDIST" | sha256sum --check --status; }
if ! sdist_ok; then
    log "downloading redis==$REDIS_PY_VERSION (source package)"
    rm -f "$SDIST"
    "$PYTHON" -m pip download --quiet --disable-pip-version-check \
        --no-binary :all: --no-deps "redis==$REDIS_PY_VERSION" -d "$CACHE/dist"
    sdist_ok || die "$SDIST does not match the pinned sha256"
fi

SRC=$CACHE/redis-$REDIS_PY_VERSION
if [[ ! -f $SRC/.unpacked ]]; then
    rm -rf "$SRC"
    tar -xzf "$SDIST" -C "$CACHE"
    touch "$SRC/.unpacked"
fi

VENV=$CACHE/venv
venv_key=$(printf '%s\n%s\n%s\n' "$("$PYTHON" -VV)" "$REDIS_PY_SDIST_SHA256" "$REQUIREMENTS" | sha256sum | cut -c1-16)
if [[ "$(cat "$VENV/.compat-key" 2>/dev/null)" != "$venv_key" ]]; then
    log "creating virtualenv $VENV ($("$PYTHON" --version))"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    printf '%s\n' "$REQUIREMENTS" >"$CACHE/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$CACHE/requirements.txt" "$SDIST"
    echo "$venv_key" >"$VENV/.compat-key"
fi
PY=$VENV/bin/python

# --- helpers run with the virtualenv's python --------------------------------
# Print N free loopback ports.
free_ports() {
    "$PY" - "$1" <<'EOF'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# Exit 0 when something already accepts connections on PORT.
port_in_use() {
    "$PY" - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# Wait until the server with PID answers PING on PORT, make sure it is that
# process answering (INFO's process_id, when reported), print redis_version.
# The suite's session start reads redis_version (it gates ~1000 tests on it),
# arch_bits and cluster_enabled from plain INFO and crashes without them.
await_server() {
    "$PY" - "$1" "$2" <<'EOF'
import socket, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])

def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def reply(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    if data.startswith(b"$"):
        size = int(data[1:-2]) + 2
        body = b""
        while len(body) < size:
            chunk = sock.recv(size - len(body))
            if not chunk:
                raise OSError("connection closed")
            body += chunk
        return body[:-2]
    return data[:-2]

deadline = time.monotonic() + 30
while True:
    if not alive():
        sys.exit(f"server process {pid} exited during startup")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            if reply(sock) != b"+PONG":
                raise OSError("no PONG")
            sock.sendall(b"*1\r\n$4\r\nINFO\r\n")
            info = dict(
                line.split(":", 1)
                for line in reply(sock).decode().splitlines()
                if ":" in line
            )
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"no PING reply on port {port} within 30 s")
        time.sleep(0.1)
if "process_id" in info and int(info["process_id"]) != pid:
    sys.exit(f"port {port} is answered by process {info['process_id']}, not by {pid}")
missing = [f for f in ("redis_version", "arch_bits", "cluster_enabled") if f not in info]
if missing:
    sys.exit(f"INFO lacks {', '.join(missing)}, which the suite needs at session start")
print(info["redis_version"])
EOF
}

start_server() { # LABEL PORT
    local label=$1 port=$2 dir version
    port_in_use "$port" && die "port $port is already in use"
    dir=$(mktemp -d "$WORK/data-$label.XXXXXX")
    local -a args
    mapfile -d '' args < <(server_args "$port" "$dir")
    "$SERVER_BIN" "${args[@]}" >"$RESULTS/server-$label.log" 2>&1 &
    SERVER_PIDS[$label]=$!
    SERVER_PORTS[$label]=$port
    if ! version=$(await_server "$port" "${SERVER_PIDS[$label]}"); then
        tail -n 20 "$RESULTS/server-$label.log" | sed 's/^/    /'
        die "server for $label did not start"
    fi
    log "$label server: $SERVER_BIN ${args[*]} (pid ${SERVER_PIDS[$label]}, redis_version:$version)"
}

MARK_EXPR=""
for marker in "${EXCLUDED_MARKERS[@]}"; do
    MARK_EXPR+="${MARK_EXPR:+ and }not $marker"
done
SELECTION=(-m "$MARK_EXPR")
for path in "${IGNORED_PATHS[@]}"; do SELECTION+=("--ignore=$path"); done
for test in "${DESELECTED_TESTS[@]}"; do SELECTION+=("--deselect=$test"); done

# One protocol's run. The suite's URL options all point at this run's server
# (--redis-mod-url too, so nothing reaches a stranger on the default 6479).
# A failed test is run once more right away: a few client-side tests have
# 50 ms timing margins that a loaded 2-core machine misses now and then; the
# checker prints the tests that passed only on the rerun as FLAKY. Tests
# stopped by a time limit are not rerun (a hang would only cost twice the time).
# Native tracebacks: pytest's own styles parse the whole source file of every
# traceback entry, which made a run with 250 failures take 20x longer (566 s
# against 24 s for tests/test_commands.py alone).
run_suite() { # PROTOCOL -> $RESULTS/junit-respN.xml, pytest-respN.log, status-respN
    local proto=$1 label=resp$1 start=$SECONDS rc=0 url
    url=redis://127.0.0.1:${SERVER_PORTS[$label]}/0
    rm -f "$RESULTS/junit-$label.xml"
    (
        cd "$SRC"
        # pycache outside the repository and the unpacked source
        export PYTHONPATH=$ROOT/scripts PYTHONPYCACHEPREFIX=$CACHE/pycache
        export COMPAT_PORT_LOCK=$WORK/fixed-port.lock
        exec timeout --kill-after=60 "$RUN_TIMEOUT" "$PY" -m pytest \
            -p compat_pytest_plugin -p no:cacheprovider \
            --redis-url="$url" --redis-mod-url="$url" --protocol="$proto" \
            --compat-timeout="$TEST_TIMEOUT" --basetemp="$WORK/pytest-$label" \
            --reruns 1 --rerun-except 'Timeout \(>' \
            --junitxml="$RESULTS/junit-$label.xml" --tb=native -rfE \
            "${SELECTION[@]}" "${EXTRA_PYTEST_ARGS[@]}"
    ) >"$RESULTS/pytest-$label.log" 2>&1 &
    echo $! >"$WORK/pytest-pid-$label"
    wait $! || rc=$?
    rm -f "$WORK/pytest-pid-$label"
    echo "$rc $((SECONDS - start))" >"$RESULTS/status-$label"
}

# --- run ---------------------------------------------------------------------
read -r -a protocols <<<"$PROTOCOLS"
for proto in "${protocols[@]}"; do
    [[ $proto == 2 || $proto == 3 ]] || die "COMPAT_PROTOCOLS may only contain 2 and 3"
done
if [[ -n ${COMPAT_PORT:-} ]]; then
    ports=()
    for i in "${!protocols[@]}"; do ports+=($((COMPAT_PORT + i))); done
else
    read -r -a ports <<<"$(free_ports "${#protocols[@]}")"
fi
for i in "${!protocols[@]}"; do
    start_server "resp${protocols[$i]}" "${ports[$i]}"
done

log "redis-py $REDIS_PY_VERSION suite: pytest -m \"$MARK_EXPR\" (+ ${#IGNORED_PATHS[@]} ignored paths, ${#DESELECTED_TESTS[@]} deselected tests); limits: ${TEST_TIMEOUT}s per test phase, ${RUN_TIMEOUT}s per run"
suite_start=$SECONDS
if [[ $PARALLEL == 1 ]]; then
    log "running RESP ${protocols[*]} at the same time; logs in $RESULTS"
    run_pids=()
    for proto in "${protocols[@]}"; do
        run_suite "$proto" &
        run_pids+=($!)
    done
    for pid in "${run_pids[@]}"; do wait "$pid"; done
else
    for proto in "${protocols[@]}"; do
        log "running RESP$proto; log in $RESULTS/pytest-resp$proto.log"
        run_suite "$proto"
    done
fi
log "suite runs took $((SECONDS - suite_start))s in total"

# --- results -----------------------------------------------------------------
healthy=1
checker_runs=()
for proto in "${protocols[@]}"; do
    label=resp$proto
    pid=${SERVER_PIDS[$label]}
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || state=
    if [[ -z $state || $state == Z ]]; then
        healthy=0
        log "RESP$proto: the server (pid $pid) exited during the run; last lines of its log:"
        tail -n 20 "$RESULTS/server-$label.log" | sed 's/^/    /'
    fi
    stop_pid "$pid"
    unset "SERVER_PIDS[$label]"

    read -r rc seconds <"$RESULTS/status-$label" || { rc=255 seconds='?'; }
    summary=$(grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$RESULTS/pytest-$label.log" | tail -n 1) ||
        summary="(no pytest summary line; see $RESULTS/pytest-$label.log)"
    log "RESP$proto: pytest exit status $rc after ${seconds}s (log: $RESULTS/pytest-$label.log)"
    echo "$summary"
    case $rc in
    0 | 1) ;; # all passed / some tests failed: the checker decides
    124 | 137)
        healthy=0
        log "RESP$proto: run cut short after ${RUN_TIMEOUT}s (COMPAT_RUN_TIMEOUT)"
        ;;
    *)
        healthy=0
        log "RESP$proto: pytest did not complete normally (interrupted, collection or usage error)"
        tail -n 15 "$RESULTS/pytest-$label.log" | sed 's/^/    /'
        ;;
    esac
    [[ -f $RESULTS/junit-$label.xml ]] && checker_runs+=(--run "$label=$RESULTS/junit-$label.xml")
done

checker_args=(--known "$KNOWN")
[[ ${#EXTRA_PYTEST_ARGS[@]} -gt 0 ]] && checker_args+=(--allow-missing)
if [[ ${COMPAT_UPDATE:-0} == 1 ]]; then
    [[ $healthy == 1 ]] || die "not updating $KNOWN from runs that did not complete normally"
    checker_args+=(--update)
fi
verdict=0
if [[ ${#checker_runs[@]} -gt 0 ]]; then
    "$PY" "$ROOT/scripts/compat_check.py" "${checker_args[@]}" "${checker_runs[@]}" || verdict=$?
else
    verdict=1
fi
if [[ $healthy != 1 ]]; then
    log "compat gate FAILED: a run or a server did not complete normally (see above)"
    exit 1
fi
exit "$verdict"
