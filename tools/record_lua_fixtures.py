#!/usr/bin/env python3
"""Runs every case of tests/fixtures/cases.txt on a real Redis through EVAL and
writes tests/fixtures/expected.txt (the same cases, each followed by a line
`=>> <reply>`). The Rust test `redis_fixtures` runs the same wrapped scripts
in mlua and compares.

Usage: tools/record_fixtures.py [port]   (default 7701; Redis must be running)
"""
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def resp_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("status", rest)
        if kind == b"-":
            return ("error", rest)
        if kind == b":":
            return ("int", rest)
        if kind == b"$":
            n = int(rest)
            return ("bulk", None if n < 0 else self._exact(n))
        if kind == b"*":
            n = int(rest)
            return ("array", [self.reply() for _ in range(max(n, 0))])
        raise ValueError(line)

    def call(self, *args):
        self.sock.sendall(resp_command(*args))
        return self.reply()


def parse_cases(text):
    """Cases start at lines `### name`; lines before the first case are comments."""
    cases, name, body = [], None, []
    for line in text.splitlines():
        if line.startswith("### "):
            if name is not None:
                cases.append((name, "\n".join(body).rstrip("\n")))
            name, body = line[4:].strip(), []
        elif name is not None:
            body.append(line)
    if name is not None:
        cases.append((name, "\n".join(body).rstrip("\n")))
    return cases


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7701
    prelude = (ROOT / "prelude.lua").read_text()
    postlude = (ROOT / "postlude.lua").read_text()
    reset = (ROOT / "reset.lua").read_text()
    cases = parse_cases((ROOT / "cases.txt").read_text())
    conn = Conn(port)
    out = []
    for name, body in cases:
        script = prelude + body + "\n" + postlude
        kind, value = conn.call("EVAL", script, "0")
        if kind == "bulk":
            expected = value.decode("latin-1")
        else:
            expected = "!%s %r" % (kind, value)
        if "\n" in expected:
            raise SystemExit("multi-line reply in case %s" % name)
        out.append("### %s\n%s\n=>> %s\n" % (name, body, expected))
        rk, rv = conn.call("EVAL", reset, "0")
        assert rk == "bulk" and rv == b"ok", (rk, rv)
    (ROOT / "expected.txt").write_text("".join(out))
    print("recorded %d cases" % len(cases))


if __name__ == "__main__":
    main()
