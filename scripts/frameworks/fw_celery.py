"""Celery workload: Redis broker + Redis result backend.

Imported by the worker (`celery -A fw_celery worker`) for the task definition;
run as a script it is the producer: sends the jobs and checks every result.
"""
import os
import sys

from celery import Celery, chord, group
from celery.exceptions import Retry  # noqa: F401  (documents what retry raises)

URL = os.environ["FW_URL"]
N = int(os.environ.get("FW_JOBS", "20"))
# Queue name, unique per run (frameworks.sh sets FW_QUEUE) so reruns against one server do not mix.
QUEUE = os.environ.get("FW_QUEUE", "fw-celery")

app = Celery("fw_celery", broker=URL, backend=URL)
app.conf.update(
    task_default_queue=QUEUE,
    broker_connection_retry_on_startup=True,
    result_expires=600,
)


@app.task
def add(x, y):
    return x + y


@app.task
def tsum(numbers):
    return sum(numbers)


@app.task
def boom(x):
    raise ValueError(f"boom {x}")


@app.task(bind=True, max_retries=3, default_retry_delay=0.2)
def flaky(self, x):
    # Fails on the first try, succeeds on the retry.
    if self.request.retries == 0:
        raise self.retry(exc=RuntimeError("first try"))
    return x * 10


def main():
    results = [add.delay(i, 2 * i) for i in range(N)]
    bad = 0
    for i, res in enumerate(results):
        got = res.get(timeout=60)
        if got != 3 * i:
            print(f"celery: job {i}: expected {3 * i}, got {got!r}")
            bad += 1
    # A group: several jobs in one go, results collected together.
    got = group(add.s(i, 1) for i in range(5)).apply_async().get(timeout=60)
    if got != [i + 1 for i in range(5)]:
        print(f"celery: group: expected {[i + 1 for i in range(5)]}, got {got!r}")
        bad += 1
    # A chord: a group whose results feed a callback (the Redis backend counts
    # the finished parts itself).
    got = chord(add.s(i, i) for i in range(5))(tsum.s()).get(timeout=60)
    if got != sum(2 * i for i in range(5)):
        print(f"celery: chord: expected {sum(2 * i for i in range(5))}, got {got!r}")
        bad += 1
    # A delayed task (countdown), a failing one, one that retries once.
    got = add.apply_async((40, 2), countdown=1).get(timeout=60)
    if got != 42:
        print(f"celery: countdown: expected 42, got {got!r}")
        bad += 1
    res = boom.delay(7)
    try:
        res.get(timeout=60)
        print("celery: failing task: no exception")
        bad += 1
    except ValueError as e:
        if str(e) != "boom 7" or res.state != "FAILURE":
            print(f"celery: failing task: {e!r}, state {res.state}")
            bad += 1
    got = flaky.delay(4).get(timeout=60)
    if got != 40:
        print(f"celery: retried task: expected 40, got {got!r}")
        bad += 1
    print(f"celery: {N} jobs, a group, a chord, countdown, failure, retry done, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
