"""pytest plugin loaded by scripts/compat.sh into redis-py's test suite.

It changes nothing about what the tests check; it only makes the gate's
harness robust and fast:

* SIGTERM becomes KeyboardInterrupt, so when `timeout` ends an overlong run
  pytest still finishes the session: prints its summary and writes the junit
  file (the gate then fails because the run was cut short).
* The suite's conftest starts tracemalloc for the whole session (only to get
  allocation tracebacks in ResourceWarning messages; no test looks at it).
  Tracing every allocation triples the suite's CPU time, which matters on a
  2-core CI machine, so tracemalloc.start is made a no-op.
* The RESP3 and RESP2 runs go on at the same time, each against its own
  server, but a few tests bind a fixed local port (test_cwe_404's proxy on
  127.0.0.1:5380). Those tests take an exclusive lock on the file named by
  COMPAT_PORT_LOCK first, so the two runs never use the port at once.
"""

import fcntl
import os
import signal
import tracemalloc

import pytest

# Node id prefixes of the tests that listen on a fixed port.
FIXED_PORT_TESTS = ("tests/test_asyncio/test_cwe_404.py",)


def pytest_configure(config):
    tracemalloc.start = lambda *args, **kwargs: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    lock_path = os.environ.get("COMPAT_PORT_LOCK")
    if not lock_path or not item.nodeid.startswith(FIXED_PORT_TESTS):
        yield
        return
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
