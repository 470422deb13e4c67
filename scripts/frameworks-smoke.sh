#!/usr/bin/env bash
# (Named frameworks-smoke.sh so it does not collide with the fuller scripts/frameworks.sh of the
# frameworks work; this one is the scripting branch's quick check.)
# Runs a tiny job workload of real job-queue frameworks against a Pilgrim server:
# Celery, RQ and Dramatiq (Python, installed with pip into a venv) and BullMQ (Node, npm).
# Everything is installed into a scratch directory (default /tmp/pilgrim-frameworks, or $1).
# The server is a debug build started on a free port and stopped (by PID) at the end.
#
# Each framework prints PASS or FAIL with the reason; the script exits non-zero if any failed.
# These frameworks lean on lists, hashes, sorted sets and Lua scripts (BullMQ is almost all
# EVALSHA), so a failure may come from a command family that is missing in this build.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="${1:-/tmp/pilgrim-frameworks}"
mkdir -p "$SCRATCH"
cd "$SCRATCH" || exit 1

(cd "$ROOT" && cargo build --bin pilgrim-server >/dev/null 2>&1) || { echo "build failed"; exit 1; }
BIN="$ROOT/target/debug/pilgrim-server"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no >"$SCRATCH/server.log" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT)).close()" 2>/dev/null && break
  sleep 0.1
done
URL="redis://127.0.0.1:$PORT/0"
FAILED=0
result() { # name status detail
  echo "$1: $2${3:+ ($3)}"
  [ "$2" = PASS ] || FAILED=1
}

# --- Python frameworks -------------------------------------------------------------------
if [ ! -x venv/bin/python ]; then
  python3 -m venv venv >/dev/null || { echo "venv failed"; exit 1; }
fi
venv/bin/pip install -q celery redis rq dramatiq packaging >pip.log 2>&1 || echo "pip install failed (see $SCRATCH/pip.log)"
PY=venv/bin/python

cat >fw_tasks.py <<EOF
import os
URL = os.environ["PILGRIM_URL"]

# RQ
def add(x, y):
    return x + y

# Celery
from celery import Celery
celery_app = Celery("fw_tasks", broker=URL, backend=URL)
@celery_app.task
def cadd(x, y):
    return x + y

# Dramatiq
import dramatiq, redis
from dramatiq.brokers.redis import RedisBroker
dramatiq.set_broker(RedisBroker(url=URL))
@dramatiq.actor
def dadd(x, y):
    redis.Redis.from_url(URL).set("dramatiq:result", x + y)
EOF
export PILGRIM_URL="$URL"

# RQ: enqueue, run a burst worker, read the result.
out=$(timeout 60 $PY - <<'EOF' 2>&1
import os, subprocess, sys
from redis import Redis
from rq import Queue
import fw_tasks
conn = Redis.from_url(os.environ["PILGRIM_URL"])
q = Queue(connection=conn)
job = q.enqueue(fw_tasks.add, 2, 3)
subprocess.run([os.path.join(os.path.dirname(sys.executable), "rq"), "worker", "--burst", "--url", os.environ["PILGRIM_URL"]], check=True, capture_output=True, timeout=50)
job.refresh()
print("RESULT", job.return_value() if hasattr(job, "return_value") else job.result)
EOF
)
if echo "$out" | grep -q "RESULT 5"; then result RQ PASS; else result RQ FAIL "$(echo "$out" | tail -1)"; fi

# Celery: a solo worker in the background, one task round trip.
timeout 60 venv/bin/celery -A fw_tasks.celery_app worker --pool=solo -c 1 --loglevel=warning >celery.log 2>&1 &
CELERY_PID=$!
out=$(timeout 40 $PY -c "import fw_tasks; print('RESULT', fw_tasks.cadd.delay(2, 3).get(timeout=30))" 2>&1)
kill "$CELERY_PID" 2>/dev/null; wait "$CELERY_PID" 2>/dev/null
if echo "$out" | grep -q "RESULT 5"; then result Celery PASS; else result Celery FAIL "$(echo "$out" | tail -1)"; fi

# Dramatiq: one worker process, the actor writes its result to a key.
timeout 60 venv/bin/dramatiq fw_tasks --processes 1 --threads 1 >dramatiq.log 2>&1 &
DRAMATIQ_PID=$!
out=$(timeout 40 $PY - <<'EOF' 2>&1
import os, time, redis
import fw_tasks
r = redis.Redis.from_url(os.environ["PILGRIM_URL"])
r.delete("dramatiq:result")
fw_tasks.dadd.send(2, 3)
for _ in range(300):
    v = r.get("dramatiq:result")
    if v is not None:
        print("RESULT", v.decode()); break
    time.sleep(0.1)
else:
    print("no result")
EOF
)
kill "$DRAMATIQ_PID" 2>/dev/null; wait "$DRAMATIQ_PID" 2>/dev/null
if echo "$out" | grep -q "RESULT 5"; then result Dramatiq PASS; else result Dramatiq FAIL "$(echo "$out" | tail -1)"; fi

# --- BullMQ ------------------------------------------------------------------------------
if [ ! -d node_modules/bullmq ] || [ ! -d node_modules/ioredis ]; then
  npm init -y >/dev/null 2>&1
  npm install --silent bullmq ioredis >npm.log 2>&1 || echo "npm install failed (see $SCRATCH/npm.log)"
fi
cat >bull.js <<'EOF'
const { Queue, Worker, QueueEvents } = require('bullmq');
const port = Number(process.env.PILGRIM_PORT);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
(async () => {
  const timer = setTimeout(() => { console.log('timeout'); process.exit(1); }, 30000);
  const queue = new Queue('fw', { connection });
  const events = new QueueEvents('fw', { connection });
  await events.waitUntilReady();
  const worker = new Worker('fw', async job => job.data.x + job.data.y, { connection });
  worker.on('error', e => console.log('worker error', e.message));
  const job = await queue.add('add', { x: 2, y: 3 });
  const res = await job.waitUntilFinished(events, 20000);
  console.log('RESULT', res);
  clearTimeout(timer);
  await worker.close(); await queue.close(); await events.close();
  process.exit(0);
})().catch(e => { console.log('error', e.message); process.exit(1); });
EOF
out=$(PILGRIM_PORT=$PORT timeout 60 node bull.js 2>&1)
if echo "$out" | grep -q "RESULT 5"; then result BullMQ PASS; else result BullMQ FAIL "$(echo "$out" | tail -1)"; fi

exit $FAILED
