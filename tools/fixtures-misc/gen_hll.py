"""Generates tests/fixtures/hll.txt by running HyperLogLog command scripts on redis-server.

Usage: python3 tools/gen_hll.py PORT  (a scratch redis-server; its db 0 is flushed)

Fixture format, two lines per command:
  > CMD ARG...   args: r:PREFIX:START:END expands to PREFIX<i> for START <= i < END,
                 h:BYTES is raw bytes, anything else is literal text
  < REPLY        i:N integer, s:TEXT status, e:TEXT error, b:BYTES bulk, n null,
                 ai:N,N,... array of integers
BYTES is hex where ~PATTERN*COUNT; stands for the hex PATTERN repeated COUNT times.
"""
import os
import random
import sys

from resp import Client, Error, Status


def pack(data):
    """Hex where a pattern of 1 to 6 bytes repeated to cover 12+ bytes is ~PATTERN*COUNT;"""
    out = []
    literal_start = 0
    i = 0
    while i < len(data):
        best = None
        for period in range(1, 7):
            pattern = data[i:i + period]
            count = 1
            while data[i + count * period:i + (count + 1) * period] == pattern:
                count += 1
            if count * period >= 12 and (best is None or count * period > best[0] * best[1]):
                best = (count, period)
        if best is None:
            i += 1
            continue
        count, period = best
        out.append(data[literal_start:i].hex())
        out.append("~%s*%d;" % (data[i:i + period].hex(), count))
        i += count * period
        literal_start = i
    out.append(data[literal_start:].hex())
    return "".join(out)


def unpack(text):
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "~":
            star = text.index("*", i)
            end = text.index(";", star)
            out += bytes.fromhex(text[i + 1:star]) * int(text[star + 1:end])
            i = end + 1
        else:
            out.append(int(text[i:i + 2], 16))
            i += 2
    return bytes(out)


def expand(token):
    if token.startswith("r:"):
        _, prefix, start, end = token.split(":")
        return [("%s%d" % (prefix, i)).encode() for i in range(int(start), int(end))]
    if token.startswith("h:"):
        return [unpack(token[2:])]
    return [token.encode()]


def encode_reply(reply):
    if isinstance(reply, Error):
        return "e:" + reply
    if isinstance(reply, Status):
        return "s:" + reply
    if isinstance(reply, int):
        return "i:%d" % reply
    if reply is None:
        return "n"
    if isinstance(reply, bytes):
        return "b:" + pack(reply)
    if isinstance(reply, list) and all(isinstance(x, int) for x in reply):
        return "ai:" + ",".join(str(x) for x in reply)
    raise ValueError("unsupported reply %r" % (reply,))


def h(data):
    return "h:" + pack(data)


def header(encoding, card=b"\x00" * 8, unused=b"\x00\x00\x00"):
    return b"HYLL" + bytes([encoding]) + unused + card


def xzero(run):
    return bytes([0x40 | ((run - 1) >> 8), (run - 1) & 0xFF])


def zero(run):
    return bytes([run - 1])


def val(value, run):
    return bytes([0x80 | ((value - 1) << 2) | (run - 1)])


STALE = b"\x00" * 7 + b"\x80"


def script():
    rnd = random.Random(20240607)
    cmds = []
    add = cmds.append

    # Sizes from sparse to dense (promotion by size happens around 2000-3000 elements).
    for n in [1, 2, 3, 5, 10, 50, 100, 300, 700, 1000, 1500, 2000, 2500, 3000, 5000, 20000, 100000]:
        key = "n%d" % n
        add(["PFADD", key, "r:e:0:%d" % n])
        add(["GET", key])
        add(["PFCOUNT", key])
        add(["GET", key])
        add(["PFADD", key, "r:e:0:%d" % min(n, 50)])  # nothing changes
        add(["PFCOUNT", key])
    # Plain integers as elements, 1..100000 (dense) and 1..1000 (sparse).
    for n in [1000, 100000]:
        add(["PFADD", "ints%d" % n, "r::1:%d" % (n + 1)])
        add(["GET", "ints%d" % n])
        add(["PFCOUNT", "ints%d" % n])
    add(["PFADD", "empty"])
    add(["GET", "empty"])
    add(["PFCOUNT", "empty"])
    add(["GET", "empty"])
    add(["PFADD", "empty"])
    add(["GET", "empty"])

    # One element at a time, observing every intermediate sparse layout.
    for i in range(300):
        add(["PFADD", "inc", "x%d" % i])
        if i < 60 or i % 7 == 0:
            add(["GET", "inc"])
    add(["PFCOUNT", "inc"])
    add(["GET", "inc"])

    # Element shapes: empty, every tail length of MurmurHash64A, binary, long.
    add(["PFADD", "shapes", "h:"])
    add(["GET", "shapes"])
    for length in range(1, 20):
        add(["PFADD", "shapes", h(bytes(rnd.randrange(256) for _ in range(length)))])
        add(["GET", "shapes"])
    add(["PFADD", "shapes", h(bytes(range(256)) * 4)])
    add(["PFADD", "shapes", h("héllo wörld ✓".encode())])
    add(["GET", "shapes"])
    add(["PFCOUNT", "shapes"])

    # Random small sets, several batches per key.
    for k in range(40):
        key = "rs%d" % k
        for _ in range(rnd.randrange(1, 4)):
            count = rnd.choice([1, 2, 5, 20, 80, 200, 400])
            start = rnd.randrange(100000)
            add(["PFADD", key, "r:%s:%d:%d" % (rnd.choice("abcdef"), start, start + count)])
            add(["GET", key])
        add(["PFCOUNT", key])

    # hll-sparse-max-bytes.
    for limit in [0, 20, 100, 1000, 10000, 3000]:
        add(["CONFIG", "SET", "hll-sparse-max-bytes", str(limit)])
        key = "lim%d" % limit
        for step in range(4):
            add(["PFADD", key, "r:L:%d:%d" % (step * 300, step * 300 + [1, 30, 300, 3000][step])])
            add(["GET", key])
        add(["PFCOUNT", key])
        add(["PFMERGE", "limmerge%d" % limit, "rs1", "rs2", "rs3", "rs4", "rs5"])
        add(["GET", "limmerge%d" % limit])

    # Multi-key PFCOUNT (no cache update) and PFMERGE.
    add(["PFCOUNT", "n10", "n100", "missing"])
    add(["PFCOUNT", "n10", "n100000", "n3000"])
    add(["PFCOUNT", "missing", "n5"])
    add(["PFCOUNT", "missing", "missing2"])
    add(["GET", "n10"])
    add(["PFMERGE", "m1", "n10", "n100"])
    add(["GET", "m1"])
    add(["PFCOUNT", "m1"])
    add(["PFMERGE", "m1", "n300"])
    add(["GET", "m1"])
    add(["PFMERGE", "m2", "n100", "n100000"])
    add(["GET", "m2"])
    add(["PFCOUNT", "m2"])
    add(["PFMERGE", "m3"])
    add(["GET", "m3"])
    add(["PFMERGE", "m4", "missing", "missing2"])
    add(["GET", "m4"])
    add(["PFMERGE", "n50", "n100"])
    add(["GET", "n50"])
    add(["PFMERGE", "n50"])
    add(["GET", "n50"])
    add(["PFMERGE", "m5", "rs0", "rs1", "rs2", "rs3", "rs4", "rs5", "rs6", "rs7", "rs8", "rs9"])
    add(["GET", "m5"])
    add(["PFMERGE", "m6", "n1000", "n1500", "n700"])
    add(["GET", "m6"])
    add(["PFMERGE", "rs10", "n2000", "missing"])
    add(["GET", "rs10"])
    add(["PFMERGE", "n100000", "n5"])
    add(["GET", "n100000"])
    add(["PFCOUNT", "n100000"])

    # PFDEBUG.
    add(["PFDEBUG", "ENCODING", "n100"])
    add(["PFDEBUG", "ENCODING", "n100000"])
    add(["PFDEBUG", "DECODE", "n10"])
    add(["PFDEBUG", "DECODE", "inc"])
    add(["PFDEBUG", "DECODE", "empty"])
    add(["PFDEBUG", "DECODE", "n100000"])
    add(["PFDEBUG", "GETREG", "n3"])
    add(["GET", "n3"])
    add(["PFDEBUG", "GETREG", "n3"])
    add(["PFDEBUG", "TODENSE", "n5"])
    add(["GET", "n5"])
    add(["PFDEBUG", "TODENSE", "n5"])

    # Values that are not HyperLogLogs.
    for bad in [b"hello", b"HYLL", b"HYLL\x01" + b"\x00" * 10, b"HYLX" + b"\x01" + b"\x00" * 11 + xzero(16384),
                header(2) + xzero(16384), header(0) + b"\x00" * 100, header(0) + b"\x00" * 12289]:
        add(["SET", "bad", h(bad)])
        add(["PFADD", "bad", "a"])
        add(["PFCOUNT", "bad"])
        add(["PFCOUNT", "bad", "n10"])
        add(["PFMERGE", "bad", "n10"])
        add(["PFMERGE", "n10", "bad"])
        add(["PFDEBUG", "ENCODING", "bad"])
        add(["GET", "bad"])

    # Valid headers with corrupt or unusual registers.
    corrupt = [
        header(1),                                   # no registers at all
        header(1, STALE),
        header(1, STALE) + xzero(16384) + zero(1),   # one register too many
        header(1, STALE) + xzero(16384) + val(3, 2),  # trailing VAL: convertible, not countable
        header(1, STALE) + xzero(16383) + val(5, 4),  # VAL runs past the end
        header(1, STALE) + xzero(16000),              # too few
        header(1, STALE) + b"\x7f",                   # truncated XZERO
        header(1, STALE) + zero(64) + b"\x7f",
        header(1, STALE, b"abc") + xzero(16384),      # unused bytes are kept
        header(1, (12345).to_bytes(8, "little")) + xzero(16384),  # bogus but valid cache
        header(0, STALE) + b"\xff" * 12288,          # every register 63
        header(0, STALE) + bytes([0b11001100, 0b11110011, 0b11001111]) * 4096,  # every register 51
        header(0, STALE) + b"\x41\x10\x04" * 4096,   # every register 1
        header(0, STALE, b"xyz") + bytes(rnd.randrange(256) for _ in range(12288)),
        header(1, STALE) + val(32, 4) * 4096,        # every register 32, sparse
        header(1, STALE) + xzero(1) * 16384,          # 16384 one-register XZERO opcodes
    ]
    for i, value in enumerate(corrupt):
        key = "c%d" % i
        add(["SET", key, h(value)])
        add(["PFCOUNT", key])
        add(["GET", key])
        add(["PFCOUNT", key, "n10"])
        add(["PFADD", key, "r:q:0:3"])
        add(["GET", key])
        add(["PFADD", key, "r:q:0:200"])
        add(["GET", key])
        add(["PFCOUNT", key])
        add(["SET", key, h(value)])
        add(["PFMERGE", "cm%d" % i, key, "n5"])
        add(["GET", "cm%d" % i])
        add(["SET", key, h(value)])
        add(["PFMERGE", key, "n50"])
        add(["GET", key])
        add(["SET", key, h(value)])
        add(["PFDEBUG", "DECODE", key])
        add(["PFDEBUG", "TODENSE", key])
        add(["GET", key])

    # Random opcode soup around 16384 registers: exercises every corruption path.
    for i in range(150):
        body = b""
        covered = 0
        target = 16384 + rnd.choice([0, 0, 0, -1, 1, -5, 7, -100])
        while covered < target - 70 and len(body) < 400:
            kind = rnd.random()
            if kind < 0.3:
                run = rnd.randrange(1, 65)
                body += zero(run)
            elif kind < 0.45:
                run = rnd.randrange(1, min(16384, max(2, target - covered)) + 1)
                body += xzero(run)
            else:
                run = rnd.randrange(1, 5)
                body += val(rnd.randrange(1, 33), run)
            covered += run
        rest = target - covered
        while rest > 0:
            run = min(rest, 16384)
            body += xzero(run) if run > 64 else zero(run)
            rest -= run
        if rnd.random() < 0.2:
            body += val(rnd.randrange(1, 33), rnd.randrange(1, 5))
        value = header(1, STALE) + body
        key = "soup%d" % i
        add(["SET", key, h(value)])
        add(["PFCOUNT", key])
        add(["SET", key, h(value)])
        add(["PFADD", key, "r:s:%d:%d" % (i * 7, i * 7 + rnd.choice([1, 5, 40, 400]))])
        add(["GET", key])
        add(["SET", key, h(value)])
        add(["PFMERGE", key, "n20"])
        add(["GET", key])
        add(["PFCOUNT", key, "n20"])
    return cmds


def main():
    port = int(sys.argv[1])
    client = Client(port)
    client.call("FLUSHALL")
    client.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    cmds = script()
    replies = client.pipeline([[a for t in c for a in expand(t)] for c in cmds])
    client.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    with open(os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "hll.txt"), "w") as out:
        out.write("# Generated by tools/gen_hll.py against %s\n" % client.call("INFO", "server").decode().split("\r\n")[1])
        for cmd, reply in zip(cmds, replies):
            out.write("> %s\n< %s\n" % (" ".join(cmd), encode_reply(reply)))
    print("%d commands" % len(cmds))


if __name__ == "__main__":
    main()
