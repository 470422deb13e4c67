"""Dramatiq workload: Redis broker + Redis results backend.

Imported by the worker (`dramatiq fw_dramatiq`) for the actor; run as a
script it is the producer: sends the messages and waits for every result."""
import os
import sys

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq import group, pipeline
from dramatiq.results import ResultFailure, Results
from dramatiq.results.backends import RedisBackend

URL = os.environ["FW_URL"]
N = int(os.environ.get("FW_JOBS", "20"))
# Queue name, unique per run (frameworks.sh sets FW_QUEUE) so reruns against one server do not mix.
QUEUE = os.environ.get("FW_QUEUE", "fw-dramatiq")

broker = RedisBroker(url=URL)
broker.add_middleware(Results(backend=RedisBackend(url=URL)))
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name=QUEUE, store_results=True, max_retries=0)
def add(x, y):
    return x + y


@dramatiq.actor(queue_name=QUEUE, store_results=True, max_retries=1, min_backoff=100, max_backoff=200)
def boom(x):
    raise ValueError(f"boom {x}")


def main():
    messages = [add.send(i, 2 * i) for i in range(N)]
    bad = 0
    for i, msg in enumerate(messages):
        got = msg.get_result(block=True, timeout=60_000)
        if got != 3 * i:
            print(f"dramatiq: job {i}: expected {3 * i}, got {got!r}")
            bad += 1
    # A delayed message, a failing actor (retried once, then its result
    # raises), a group and a pipeline.
    got = add.send_with_options(args=(40, 2), delay=500).get_result(block=True, timeout=60_000)
    if got != 42:
        print(f"dramatiq: delayed: expected 42, got {got!r}")
        bad += 1
    msg = boom.send(7)
    try:
        msg.get_result(block=True, timeout=60_000)
        print("dramatiq: failing actor: no error")
        bad += 1
    except ResultFailure as e:
        if "boom 7" not in str(e):
            print(f"dramatiq: failing actor: {e!r}")
            bad += 1
    g = group(add.message(i, 1) for i in range(5)).run()
    got = list(g.get_results(block=True, timeout=60_000))
    if got != [i + 1 for i in range(5)]:
        print(f"dramatiq: group: expected {[i + 1 for i in range(5)]}, got {got!r}")
        bad += 1
    got = pipeline([add.message(1, 2), add.message(3)]).run().get_result(block=True, timeout=60_000)
    if got != 6:
        print(f"dramatiq: pipeline: expected 6, got {got!r}")
        bad += 1
    print(f"dramatiq: {N} jobs, delayed, failing, group, pipeline done, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
