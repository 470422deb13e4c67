"""Dramatiq workload: Redis broker + Redis results backend.

Imported by the worker (`dramatiq fw_dramatiq`) for the actor; run as a
script it is the producer: sends the messages and waits for every result."""
import os
import sys

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

URL = os.environ["FW_URL"]
N = int(os.environ.get("FW_JOBS", "20"))

broker = RedisBroker(url=URL)
broker.add_middleware(Results(backend=RedisBackend(url=URL)))
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="fw-dramatiq", store_results=True, max_retries=0)
def add(x, y):
    return x + y


def main():
    messages = [add.send(i, 2 * i) for i in range(N)]
    bad = 0
    for i, msg in enumerate(messages):
        got = msg.get_result(block=True, timeout=60_000)
        if got != 3 * i:
            print(f"dramatiq: job {i}: expected {3 * i}, got {got!r}")
            bad += 1
    print(f"dramatiq: {N} jobs done, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
