#!/usr/bin/env python3
"""Compare redis-py test-suite results (pytest junit XML) with a known-failures list.

The compatibility gate (scripts/compat.sh) runs redis-py's own test suite once
per RESP version and hands the junit files to this checker. The list of tests
that are allowed to fail lives in a text file, one test per line:

    resp3 tests/test_commands.py::TestRedisCommands::test_acl_log # reason

i.e. a protocol label (the label given with --run), the pytest node id, then
" # " and a free-text reason. Lines starting with "#" and blank lines are
comments. The checker fails (exit 1) when

  * a test fails (failure or error) that is not listed           -> NEW FAILURE
  * a listed test now passes                                     -> NOW PASSES
  * a listed test is now skipped                                 -> NOW SKIPPED
  * a listed test does not appear in the results at all          -> NOT PRESENT

so the list can only ever shrink unless someone edits it on purpose.

compat.sh reruns a failed test once (pytest-rerunfailures); junit then holds
one empty <testcase> per earlier attempt. A test that needed the rerun to pass
is reported as FLAKY, which fails nothing: an unlisted one passed in the end,
and a listed one counts as still failing (sometimes). With
--update it rewrites the list from the current results instead: reasons of
entries that are still failing are kept, new entries get "TODO reason", and the
leading comment block (the header) is preserved.

Junit stores a test as (classname, name) where classname is the node id's file
path with "/" turned into "." and ".py" dropped, followed by the class chain.
The node id is rebuilt by treating the first dotted segment that starts with an
uppercase letter as the first class (pytest collects classes named Test*, and
redis-py's module and directory names are lowercase).

Standard library only: CI runs this with whatever python3 is on the machine.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REASON_SEPARATOR = " # "
TODO_REASON = "TODO reason"
DEFAULT_HEADER = """\
# Known failures of redis-py's test suite (scripts/compat.sh) against this server.
# Format: one test per line: PROTOCOL TEST_ID # reason
#   PROTOCOL is resp3 or resp2 (the run the failure belongs to), TEST_ID is the
#   pytest node id as printed by pytest, the reason says why it fails.
# The gate fails on any failure not listed here and on any listed test that no
# longer fails (passes, is skipped or is gone), so this list only shrinks.
# Regenerate from a run with: COMPAT_UPDATE=1 scripts/compat.sh
"""

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class RunResult:
    """Outcome of every test in one junit file, keyed by pytest node id."""

    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)  # <testcase> entries per id
    errors: int = 0  # testcases with an <error> element (setup/teardown/collection)

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)

    def flaky(self) -> list[str]:
        """Tests that passed only when rerun."""
        return sorted(
            test_id
            for test_id, outcome in self.outcomes.items()
            if outcome == PASSED and self.attempts[test_id] > 1
        )


def node_id(classname: str, name: str) -> str:
    """Rebuild the pytest node id from junit's (classname, name)."""
    if not classname:
        # A collection error: pytest reports the module itself as the test.
        return name.replace(".", "/") + ".py"
    segments = classname.split(".")
    first_class = next(
        (i for i, segment in enumerate(segments) if segment[:1].isupper()),
        len(segments),
    )
    path = "/".join(segments[:first_class]) + ".py"
    return "::".join([path, *segments[first_class:], name])


def parse_junit(path: Path) -> RunResult:
    result = RunResult()
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        test_id = node_id(case.get("classname", ""), case.get("name", ""))
        children = {child.tag: child for child in case}
        if "failure" in children or "error" in children:
            outcome = FAILED
            problem = children.get("failure", children.get("error"))
            message = (problem.get("message") or "").strip().splitlines()
            result.messages[test_id] = message[0][:200] if message else ""
            if "error" in children:
                result.errors += 1
        elif "skipped" in children:
            outcome = SKIPPED
        else:
            outcome = PASSED
        result.attempts[test_id] = result.attempts.get(test_id, 0) + 1
        # A node id appears more than once when the test was rerun; an earlier
        # attempt is an empty entry, so any failing entry makes the test failing.
        if result.outcomes.get(test_id) != FAILED:
            result.outcomes[test_id] = outcome
    return result


@dataclass
class KnownFailures:
    header: list[str]
    reasons: dict[tuple[str, str], str]  # (protocol label, node id) -> reason


def parse_known(path: Path) -> KnownFailures:
    if not path.exists():
        return KnownFailures(header=DEFAULT_HEADER.splitlines(), reasons={})
    header: list[str] = []
    reasons: dict[tuple[str, str], str] = {}
    in_header = True
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if in_header:
                header.append(raw)
            continue
        in_header = False
        entry, _, reason = line.partition(REASON_SEPARATOR)
        label, _, test_id = entry.strip().partition(" ")
        test_id = test_id.strip()
        if not test_id:
            sys.exit(f"{path}:{number}: expected 'PROTOCOL TEST_ID # reason', got: {raw}")
        if (label, test_id) in reasons:
            sys.exit(f"{path}:{number}: duplicate entry {label} {test_id}")
        reasons[(label, test_id)] = reason.strip() or TODO_REASON
    while header and not header[-1].strip():
        header.pop()
    return KnownFailures(header=header, reasons=reasons)


def write_known(path: Path, known: KnownFailures) -> None:
    lines = list(known.header) or DEFAULT_HEADER.splitlines()
    entries = sorted(known.reasons.items())
    if entries:
        lines.append("")
    for (label, test_id), reason in entries:
        if REASON_SEPARATOR in test_id:
            sys.exit(f"test id contains '{REASON_SEPARATOR}', cannot be listed: {test_id}")
        lines.append(f"{label} {test_id}{REASON_SEPARATOR}{reason}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def load_runs(specs: list[str]) -> dict[str, RunResult]:
    runs: dict[str, RunResult] = {}
    for spec in specs:
        label, sep, file_name = spec.partition("=")
        if not sep or not label or not file_name:
            sys.exit(f"--run expects LABEL=JUNIT_XML, got {spec!r}")
        junit = Path(file_name)
        if not junit.is_file():
            sys.exit(f"{label}: junit file {junit} does not exist (did the test run start?)")
        try:
            runs[label] = parse_junit(junit)
        except ET.ParseError as error:
            sys.exit(f"{label}: cannot parse {junit}: {error}")
        if not runs[label].outcomes:
            sys.exit(f"{label}: {junit} holds no test results")
    return runs


def check(known: KnownFailures, runs: dict[str, RunResult], allow_missing: bool) -> list[str]:
    """Return one line per problem; an empty list means the gate passes."""
    problems: list[str] = []
    for label, run in runs.items():
        for test_id, outcome in sorted(run.outcomes.items()):
            if outcome == FAILED and (label, test_id) not in known.reasons:
                problems.append(
                    f"NEW FAILURE  {label} {test_id}\n             {run.messages.get(test_id, '')}"
                )
    for (label, test_id), reason in sorted(known.reasons.items()):
        if label not in runs:
            continue  # that protocol was not run this time
        outcome = runs[label].outcomes.get(test_id)
        if outcome == PASSED and runs[label].attempts[test_id] > 1:
            continue  # failed, then passed on the rerun: still failing now and then
        if outcome == PASSED:
            problems.append(f"NOW PASSES   {label} {test_id}  (listed: {reason}) -> remove it from the list")
        elif outcome == SKIPPED:
            problems.append(f"NOW SKIPPED  {label} {test_id}  (listed: {reason}) -> remove it from the list")
        elif outcome is None and not allow_missing:
            problems.append(f"NOT PRESENT  {label} {test_id}  (listed: {reason}) -> remove it from the list")
    return problems


def update(
    known: KnownFailures, runs: dict[str, RunResult], allow_missing: bool
) -> tuple[KnownFailures, list[str]]:
    """New list: every failing test of the given runs, old reasons kept."""
    reasons: dict[tuple[str, str], str] = {}
    changes: list[str] = []
    for key, reason in known.reasons.items():
        label, test_id = key
        run = runs.get(label)
        keep = (
            run is None  # that protocol was not run this time
            or (allow_missing and test_id not in run.outcomes)
            or run.outcomes.get(test_id) == FAILED
            or test_id in run.flaky()
        )
        if keep:
            reasons[key] = reason
        else:
            changes.append(f"removed  {label} {test_id}  (was: {reason})")
    for label, run in runs.items():
        for test_id, outcome in sorted(run.outcomes.items()):
            if outcome == FAILED and (label, test_id) not in reasons:
                reasons[(label, test_id)] = TODO_REASON
                changes.append(f"added    {label} {test_id}  ({run.messages.get(test_id, '')})")
    return KnownFailures(header=known.header, reasons=reasons), changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--known", required=True, type=Path, help="known-failures list")
    parser.add_argument(
        "--run",
        action="append",
        required=True,
        metavar="LABEL=JUNIT_XML",
        help="results of one run, e.g. resp3=junit-resp3.xml (repeatable)",
    )
    parser.add_argument("--update", action="store_true", help="rewrite the list from these results")
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="listed tests absent from the results are fine (runs of a subset, e.g. with -k)",
    )
    args = parser.parse_args()

    known = parse_known(args.known)
    runs = load_runs(args.run)
    for label, run in runs.items():
        listed = sum(1 for (lab, _) in known.reasons if lab == label)
        print(
            f"{label}: {run.count(PASSED)} passed, {run.count(FAILED)} failed "
            f"({run.errors} of them errors), {run.count(SKIPPED)} skipped; "
            f"{listed} listed as known failures"
        )

    if args.update:
        new_known, changes = update(known, runs, args.allow_missing)
        write_known(args.known, new_known)
        for change in changes:
            print(change)
        todo = sum(1 for reason in new_known.reasons.values() if reason == TODO_REASON)
        print(
            f"updated {args.known}: {len(new_known.reasons)} entries, {len(changes)} changed"
            + (f", {todo} need a reason (marked '{TODO_REASON}')" if todo else "")
        )
        return 0

    for label, run in runs.items():
        for test_id in run.flaky():
            listed = "listed" if (label, test_id) in known.reasons else "not listed"
            print(f"FLAKY        {label} {test_id}  (failed, then passed on the rerun; {listed})")
    problems = check(known, runs, args.allow_missing)
    for problem in problems:
        print(problem)
    if problems:
        new = sum(1 for p in problems if p.startswith("NEW FAILURE"))
        print(
            f"compat gate FAILED: {new} new failures, {len(problems) - new} listed tests "
            f"no longer failing (list: {args.known})"
        )
        return 1
    print(f"compat gate passed: every failure is listed in {args.known}, every listed test still fails")
    return 0


if __name__ == "__main__":
    sys.exit(main())
