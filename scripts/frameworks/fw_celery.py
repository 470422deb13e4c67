"""Celery workload: Redis broker + Redis result backend.

Imported by the worker (`celery -A fw_celery worker`) for the task definition;
run as a script it is the producer: sends the jobs and checks every result.
"""
import os
import sys

from celery import Celery, group

URL = os.environ["FW_URL"]
N = int(os.environ.get("FW_JOBS", "20"))

app = Celery("fw_celery", broker=URL, backend=URL)
app.conf.update(
    task_default_queue="fw-celery",
    broker_connection_retry_on_startup=True,
    result_expires=600,
)


@app.task
def add(x, y):
    return x + y


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
    print(f"celery: {N} jobs + 1 group of 5 done, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
