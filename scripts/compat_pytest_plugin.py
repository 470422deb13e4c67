"""pytest plugin loaded by scripts/compat.sh into redis-py's test suite.

It changes nothing about what the tests check; it makes the gate's harness
robust against a server that hangs, and fast enough for a 2-core CI machine:

* Time limits (--compat-timeout), in place of pytest-timeout, which is not
  installed. Each phase of a test (setup, call, teardown) gets its own SIGALRM
  that keeps firing every REPEAT_SECONDS after the limit until the phase ends;
  a test's own `timeout` mark sets its call limit. pytest-timeout falls short
  here in three ways: its single alarm spans the whole test protocol, so it can
  go off while pytest formats a report or writes junit (an INTERNALERROR that
  ends the run); it fires once, and pytest-asyncio's cleanup after a failed
  async fixture can swallow that and then wait forever; and its "thread"
  method, which some of the suite's marks ask for, ends the whole process
  (os._exit), losing every result. Here a server that never replies costs a
  failed test, not the run.
* ast.parse runs under a lock with the garbage collector paused. CPython
  before 3.11.8 keeps the AST converter's recursion counter in shared state
  (python/cpython#106905): a second ast.parse in another thread, or in a
  finalizer run by the collector (an asyncio task logging its traceback, whose
  caret markers come from ast.parse), corrupts it, and pytest's traceback
  formatting dies with "SystemError: AST constructor recursion depth
  mismatch", an INTERNALERROR that aborts the run. Tests against a server that
  hangs or drops connections trigger exactly that.
* SIGTERM becomes KeyboardInterrupt, so when `timeout` ends an overlong run
  pytest still finishes the session: prints its summary and writes the junit
  file (the gate then fails because the run was cut short).
* The suite's conftest starts tracemalloc for the whole session (only to get
  allocation tracebacks in ResourceWarning messages; no test looks at it).
  Tracing every allocation triples the suite's CPU time, so tracemalloc.start
  is made a no-op.
* The RESP3 and RESP2 runs go on at the same time, each against its own
  server, but a few tests bind a fixed local port (test_cwe_404's proxy on
  127.0.0.1:5380). Those tests take an exclusive lock on the file named by
  COMPAT_PORT_LOCK first, so the two runs never use the port at once.
"""

import ast
import contextlib
import fcntl
import gc
import os
import signal
import threading
import tracemalloc

import pytest

# After a phase's time limit, the alarm repeats at this interval.
REPEAT_SECONDS = 5.0

# Node id prefixes of the tests that listen on a fixed port.
FIXED_PORT_TESTS = ("tests/test_asyncio/test_cwe_404.py",)

_PARSE_LOCK = threading.RLock()
_UNSERIALIZED_PARSE = ast.parse


def serialized_parse(*args, **kwargs):
    with _PARSE_LOCK:
        collector_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return _UNSERIALIZED_PARSE(*args, **kwargs)
        finally:
            if collector_was_enabled:
                gc.enable()


def pytest_addoption(parser):
    parser.addoption(
        "--compat-timeout",
        type=float,
        default=0.0,
        help="time limit in seconds for each phase of a test (setup, call, teardown); "
        "0 means none. A test's timeout mark sets its call limit.",
    )
    # The suite's pyproject.toml sets pytest-timeout's ini option; declare it
    # so pytest does not warn about an unknown option. It is not used.
    parser.addini("timeout", "pytest-timeout's default limit (unused, see --compat-timeout)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds, method=None): call time limit, enforced by compat_pytest_plugin"
    )
    ast.parse = serialized_parse
    tracemalloc.start = lambda *args, **kwargs: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def limit_seconds(item, phase) -> float:
    if phase == "call":
        mark = item.get_closest_marker("timeout")
        if mark is not None:
            seconds = mark.args[0] if mark.args else mark.kwargs.get("timeout")
            if seconds is not None:
                return float(seconds)
    return item.config.getoption("compat_timeout")


@contextlib.contextmanager
def phase_limit(item, phase):
    seconds = limit_seconds(item, phase)
    if seconds <= 0:
        yield
        return

    def expire(signum, frame):
        # "Timeout (>" is what compat.sh tells pytest-rerunfailures not to rerun.
        pytest.fail(f"Timeout (>{seconds}s) in {phase} (compat_pytest_plugin)", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expire)
    # Keep firing until the phase ends: cleanup code that swallows the first
    # interruption must not be able to wait forever.
    signal.setitimer(signal.ITIMER_REAL, seconds, min(seconds, REPEAT_SECONDS))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with phase_limit(item, "setup"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with phase_limit(item, "call"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with phase_limit(item, "teardown"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    lock_path = os.environ.get("COMPAT_PORT_LOCK")
    if not lock_path or not item.nodeid.startswith(FIXED_PORT_TESTS):
        return (yield)
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            return (yield)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
