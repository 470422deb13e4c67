"""Generates tests/fixtures/incrbyfloat.txt by running INCRBYFLOAT / HINCRBYFLOAT on
redis-server (whose long double arithmetic is x87 80-bit extended precision).

Usage: python3 tools/gen_float.py PORT  (a scratch redis-server; its db 0 is flushed)

Fixture format, two lines per command:
  > CMD ARG...   ARG is literal printable text, or h:HEX for anything else
  < REPLY        t:TEXT bulk, e:TEXT error, s:TEXT status, i:N integer, n null
"""
import os
import random
import sys

from resp import Client, Error, Status


def encode_arg(arg):
    if arg and all(33 <= ord(c) < 127 for c in arg) and not arg.startswith("h:"):
        return arg
    return "h:" + arg.encode().hex()


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
        return "t:" + reply.decode()
    raise ValueError("unsupported reply %r" % (reply,))


SPECIAL = [
    "inf", "-inf", "+inf", "infinity", "-Infinity", "INF", "infin", "nan", "-nan", "NaN", "nan(1)",
    "", " 1", "1 ", "\t1", "1\n", "1e", "1e+", "e5", ".", "-.", "+.5", "-.5e-3", "5.", ".5",
    "0x", "0x.8p-2", "0X1P3", "0x1p", "0x1.fffffffffffffffep16383", "0x1p16384", "0x1p-16445",
    "0x1p-16446", "0x1.8p-16446", "0x0.0000001p-16400", "0xabc.def", "0x10", "-0x.1",
    "+-1", "--1", "1_0", "1,5", "0e99999999999", "1e-99999999999", "1e99999999999", "-0", "-0.0",
    "00000000000000000001", "1.00000000000000000000000000000000001",
    "18446744073709551615", "18446744073709551616", "18446744073709551617",
    "18446744073709551618", "18446744073709551619", "36893488147419103235",
    "1.18973149535723176502e4932", "1.18973149535723176508e4932", "1.189731495357231765e4932",
    "3.64519953188247460253e-4951", "1.82259976594123730126e-4951", "1.8225997659412373013e-4951",
    "1.8225997659412373012e-4951", "3.3621031431120935063e-4932",
    "0.000003814697265625", "1.000003814697265625", "2.000003814697265625", "0.000011444091796875",
    "-0.000003814697265625", "0.00000000000000000500", "0.000000000000000005000000000000000001",
    "0.000000000000000015", "-0.000000000000000005", "1e-17", "5e-18", "4.9999999999999999e-18",
    "9223372036854775807", "-9223372036854775808", "1e19", "1e20", "123456789012345678901234567890",
    "3.0e3", "5.0e3", "1e-5", "1E5", "1e+05", "1e-0", "0.1", "0.2", "0.3", "1.1", "2.2",
]


def rand_digits(rnd, n, first_nonzero=False):
    digits = "".join(rnd.choice("0123456789") for _ in range(n))
    if first_nonzero and digits:
        digits = rnd.choice("123456789") + digits[1:]
    return digits


def rand_number(rnd):
    kind = rnd.random()
    sign = rnd.choice(["", "", "", "-", "+"])
    if kind < 0.15:
        return sign + str(rnd.randrange(0, 100000))
    if kind < 0.40:
        return sign + rand_digits(rnd, rnd.randrange(0, 7), True) + "." + rand_digits(rnd, rnd.randrange(1, 21))
    if kind < 0.55:
        mantissa = rand_digits(rnd, rnd.randrange(1, 4), True) + "." + rand_digits(rnd, rnd.randrange(0, 8))
        return sign + mantissa + rnd.choice("eE") + rnd.choice(["", "+", "-"]) + str(rnd.randrange(0, 31))
    if kind < 0.65:
        mantissa = rand_digits(rnd, 1, True) + "." + rand_digits(rnd, rnd.randrange(0, 25))
        exponent = rnd.randrange(-4960, 4936) if rnd.random() < 0.25 else rnd.randrange(-400, 400)
        return sign + mantissa + "e" + str(exponent)
    if kind < 0.75:
        digits = rand_digits(rnd, rnd.randrange(20, 300), True)
        point = rnd.randrange(0, len(digits))
        return sign + digits[:point] + "." + digits[point:]
    if kind < 0.76:
        digits = rand_digits(rnd, rnd.randrange(1000, 5118), True)
        return digits[:rnd.randrange(0, 50)] + "." + digits[50:]
    if kind < 0.85:
        mantissa = "".join(rnd.choice("0123456789abcdefABCDEF") for _ in range(rnd.randrange(1, 24)))
        if rnd.random() < 0.5:
            point = rnd.randrange(0, len(mantissa) + 1)
            mantissa = mantissa[:point] + "." + mantissa[point:]
            if mantissa == ".":
                mantissa = "0."
        exponent = "p%d" % rnd.randrange(-200, 200) if rnd.random() < 0.6 else ""
        return sign + rnd.choice(["0x", "0X"]) + mantissa + exponent
    if kind < 0.93:
        # Integers around powers of two (ties when converted to 64 bits).
        power = rnd.randrange(60, 130)
        return sign + str(2 ** power + rnd.randrange(-5, 6) * 2 ** (power - 64))
    return rnd.choice(SPECIAL)


def script():
    rnd = random.Random(4242)
    cmds = []
    for value in SPECIAL:
        cmds.append(["SET", "s", "0"])
        cmds.append(["INCRBYFLOAT", "s", value])
        cmds.append(["SET", "s", value])
        cmds.append(["INCRBYFLOAT", "s", "0"])
        cmds.append(["INCRBYFLOAT", "s", "1.5"])
    cmds.append(["SET", "s", "1" + "0" * 5118])
    cmds.append(["INCRBYFLOAT", "s", "1"])
    cmds.append(["SET", "s", "1" + "0" * 5119])
    cmds.append(["INCRBYFLOAT", "s", "1"])
    cmds.append(["INCRBYFLOAT", "missing", "1" + "0" * 5119])
    cmds.append(["INCRBYFLOAT", "missing", "0." + "0" * 5000 + "1"])
    for seq in range(400):
        key = "k%d" % seq
        if rnd.random() < 0.3:
            cmds.append(["SET", key, rand_number(rnd)])
        for _ in range(rnd.randrange(1, 12)):
            cmds.append(["INCRBYFLOAT", key, rand_number(rnd)])
        cmds.append(["GET", key])
    # Sums that cancel, or that reach the top of the range.
    for seq in range(20):
        key = "c%d" % seq
        a = rand_number(rnd)
        cmds.append(["INCRBYFLOAT", key, a])
        cmds.append(["INCRBYFLOAT", key, a[1:] if a.startswith("-") else "-" + a.lstrip("+")])
        cmds.append(["INCRBYFLOAT", key, "1.18973149535723176502e4932"])
        cmds.append(["INCRBYFLOAT", key, "1e4931"])
        cmds.append(["INCRBYFLOAT", key, "-1.18973149535723176502e4932"])
    for seq in range(150):
        key = "h%d" % (seq % 7)
        field = "f%d" % seq
        if rnd.random() < 0.3:
            cmds.append(["HSET", key, field, rnd.choice([rand_number(rnd), "abc", "12", "-7", ""])])
        for _ in range(rnd.randrange(1, 6)):
            cmds.append(["HINCRBYFLOAT", key, field, rand_number(rnd)])
        cmds.append(["HGET", key, field])
    return cmds


def main():
    client = Client(int(sys.argv[1]))
    client.call("FLUSHALL")
    cmds = script()
    replies = client.pipeline(cmds)
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "incrbyfloat.txt")
    with open(path, "w") as out:
        out.write("# Generated by tools/gen_float.py against %s\n" % client.call("INFO", "server").decode().split("\r\n")[1])
        for cmd, reply in zip(cmds, replies):
            out.write("> %s\n< %s\n" % (" ".join(encode_arg(a) for a in cmd), encode_reply(reply)))
    print("%d commands" % len(cmds))


if __name__ == "__main__":
    main()
