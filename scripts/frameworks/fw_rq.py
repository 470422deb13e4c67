"""RQ workload: the producer enqueues the jobs, then `rq worker --burst`
runs them (started by frameworks.sh), then `check` reads every result."""
import os
import sys

from redis import Redis
from rq import Queue

URL = os.environ["FW_URL"]
N = int(os.environ.get("FW_JOBS", "20"))
# Queue name, unique per run (frameworks.sh sets FW_QUEUE) so reruns against one server do not mix.
QUEUE = os.environ.get("FW_QUEUE", "fw-rq")


def add(x, y):
    return x + y


def boom(x):
    raise ValueError(f"boom {x}")


def enqueue():
    q = Queue(QUEUE, connection=Redis.from_url(URL))
    ids = [q.enqueue("fw_rq.add", i, 2 * i).id for i in range(N)]
    # A job that fails, and one that depends on the first add job.
    ids.append(q.enqueue("fw_rq.boom", 7).id)
    ids.append(q.enqueue("fw_rq.add", 100, 1, depends_on=ids[0]).id)
    with open(os.environ["FW_RQ_IDS"], "w") as f:
        f.write("\n".join(ids))
    print(f"rq: enqueued {len(ids)} jobs, queue length {len(q)}")
    return 0


def check():
    from rq.job import Job

    conn = Redis.from_url(URL)
    with open(os.environ["FW_RQ_IDS"]) as f:
        ids = f.read().split()
    bad = 0
    boom_id, dep_id = ids[-2:]
    ids = ids[:-2]
    job = Job.fetch(boom_id, connection=conn)
    if job.get_status() != "failed" or "ValueError: boom 7" not in (job.latest_result().exc_string or ""):
        print(f"rq: failing job: status {job.get_status()}")
        bad += 1
    from rq.registry import FailedJobRegistry

    if boom_id not in FailedJobRegistry(QUEUE, connection=conn).get_job_ids():
        print("rq: failing job is not in the FailedJobRegistry")
        bad += 1
    job = Job.fetch(dep_id, connection=conn)
    if job.get_status() != "finished" or job.return_value() != 101:
        print(f"rq: dependent job: status {job.get_status()}, result {job.return_value()!r}")
        bad += 1
    for i, job_id in enumerate(ids):
        job = Job.fetch(job_id, connection=conn)
        status = job.get_status()
        got = job.return_value()
        if status != "finished" or got != 3 * i:
            print(f"rq: job {i}: status {status}, expected {3 * i}, got {got!r}")
            bad += 1
    q = Queue(QUEUE, connection=conn)
    if len(q) != 0:
        print(f"rq: queue still holds {len(q)} jobs")
        bad += 1
    print(f"rq: {len(ids)} jobs + a failing and a dependent job checked, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit({"enqueue": enqueue, "check": check}[sys.argv[1]]())
