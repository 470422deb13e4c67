"""Generates tests/fixtures/geo.txt by running GEO commands on redis-server.

Usage: python3 tools/gen_geo.py PORT  (a scratch redis-server; its db 0 is flushed)

Fixture format, two lines per command:
  > CMD ARG...   space-separated printable arguments
  < REPLY        :N integer, $TEXT bulk, +TEXT status, -TEXT error, _ null,
                 [ITEM,ITEM,...] array
The pseudo-command SCORE key member records ZSCORE as an integer (geo scores are
integers; this avoids depending on Redis's double formatting).
"""
import math
import os
import random
import sys

from resp import Client, Error, Status

CITIES = [
    ("Palermo", 13.361389, 38.115556), ("Catania", 15.087269, 37.502669),
    ("Rome", 12.496366, 41.902782), ("Milan", 9.189982, 45.464204),
    ("Paris", 2.352222, 48.856614), ("London", -0.127758, 51.507351),
    ("Berlin", 13.404954, 52.520008), ("Madrid", -3.70379, 40.416775),
    ("Lisbon", -9.139337, 38.722252), ("Reykjavik", -21.942400, 64.146582),
    ("Oslo", 10.752245, 59.913869), ("Helsinki", 24.938379, 60.169856),
    ("Moscow", 37.617300, 55.755826), ("Istanbul", 28.978359, 41.008238),
    ("Cairo", 31.235712, 30.044420), ("Nairobi", 36.821946, -1.292066),
    ("CapeTown", 18.424055, -33.924869), ("Dubai", 55.270783, 25.204849),
    ("Mumbai", 72.877656, 19.075984), ("Singapore", 103.819836, 1.352083),
    ("Tokyo", 139.691706, 35.689487), ("Sydney", 151.209296, -33.868820),
    ("Auckland", 174.763332, -36.848460), ("Suva", 178.441895, -18.141600),
    ("Apia", -171.751990, -13.759029), ("Honolulu", -157.858333, 21.306944),
    ("Anchorage", -149.900278, 61.218056), ("Vancouver", -123.120738, 49.282729),
    ("SanFrancisco", -122.419416, 37.774929), ("NewYork", -74.005973, 40.712775),
    ("MexicoCity", -99.133208, 19.432608), ("Quito", -78.467834, -0.180653),
    ("Lima", -77.042793, -12.046374), ("SaoPaulo", -46.633309, -23.550520),
    ("BuenosAires", -58.381559, -34.603684), ("Ushuaia", -68.303040, -54.801912),
    ("Longyearbyen", 15.635602, 78.223172), ("Alert", -62.338056, 82.501389),
    ("McMurdo", 166.668235, -77.846323), ("NullIsland", 0.0, 0.0),
]

EDGES = [
    ("e1", 180, 85.05112878), ("e2", -180, -85.05112878), ("e3", 180, 0), ("e4", -180, 0),
    ("e5", 0, 85.05112878), ("e6", 0, -85.05112878), ("e7", 179.9999999, -85.0511),
    ("e8", -0.0000001, -0.0), ("e9", 0.000001, 0.000001), ("e10", -179.99999, 84.9),
    ("e11", 179.99999, 84.9), ("e12", 90, 0), ("e13", -90, 0.0000001), ("e14", 180, 1),
]


def fmt(x, digits):
    return ("%%.%df" % digits) % x


def encode_reply(reply):
    if isinstance(reply, Error):
        return "-" + reply
    if isinstance(reply, Status):
        return "+" + reply
    if isinstance(reply, int):
        return ":%d" % reply
    if reply is None:
        return "_"
    if isinstance(reply, bytes):
        text = reply.decode()
        assert not any(c in text for c in ",[] \n"), text
        return "$" + text
    if isinstance(reply, list):
        return "[" + ",".join(encode_reply(r) for r in reply) + "]"
    raise ValueError("unsupported reply %r" % (reply,))


def script(rnd):
    cmds = []
    members = []

    def geoadd(key, points):
        args = ["GEOADD", key]
        for name, lon, lat in points:
            args += [str(lon), str(lat), name]
            members.append(name)
        cmds.append(args)

    geoadd("pts", CITIES)
    geoadd("pts", EDGES)
    randoms = []
    for i in range(300):
        digits = rnd.choice([1, 3, 6, 9, 12])
        lon = fmt(rnd.uniform(-180, 180), digits)
        lat = fmt(rnd.uniform(-85.05112878, 85.05112878), digits)
        randoms.append(("r%d" % i, lon, lat))
    geoadd("pts", randoms)
    # Clusters: near a city, near a pole, across the antimeridian and the equator.
    for name, (clon, clat, spread) in {"cp": (13.36, 38.11, 0.2), "cn": (20.0, 84.5, 2.0),
                                         "ca": (179.95, -10.0, 0.2), "ce": (-50.0, 0.0, 0.05),
                                         "cs": (100.0, -84.9, 1.0)}.items():
        points = []
        for i in range(40):
            lon = min(180, max(-180, clon + rnd.uniform(-spread, spread)))
            if lon > 180 - 1e-9 and rnd.random() < 0.5:
                lon = lon - 360
            lat = min(85.0511, max(-85.0511, clat + rnd.uniform(-spread, spread)))
            points.append(("%s%d" % (name, i), fmt(lon, 7), fmt(lat, 7)))
        geoadd("pts", points)
    cmds.append(["ZCARD", "pts"])

    for name in members:
        cmds.append(["SCORE", "pts", name])
    cmds.append(["GEOPOS", "pts"] + members[:60] + ["missing"])
    cmds.append(["GEOPOS", "pts"] + members[60:])
    cmds.append(["GEOHASH", "pts"] + members + ["missing"])
    cmds.append(["GEOPOS", "nokey", "a"])
    cmds.append(["GEOHASH", "nokey", "a", "b"])

    # Scores that are not geohashes.
    cmds.append(["ZADD", "odd", "-1", "neg", "1e300", "big", "inf", "pinf", "-inf", "ninf",
                 "4503599627370495", "top", "4503599627370496", "over", "9007199254740993", "odd53",
                 "18014398509481984", "two54", "1.5", "half", "-9.3e18", "vneg", "9.3e18", "vbig",
                 "18446744073709551616", "two64", "0", "zero"])
    oddm = ["neg", "big", "pinf", "ninf", "top", "over", "odd53", "two54", "half", "vneg", "vbig", "two64", "zero"]
    cmds.append(["GEOPOS", "odd"] + oddm)
    cmds.append(["GEOHASH", "odd"] + oddm)
    cmds.append(["GEODIST", "odd", "neg", "big"])

    for _ in range(300):
        a, b = rnd.choice(members), rnd.choice(members)
        unit = rnd.choice([[], ["m"], ["km"], ["mi"], ["ft"], ["KM"], ["Mi"]])
        cmds.append(["GEODIST", "pts", a, b] + unit)
    cmds.append(["GEODIST", "pts", "Palermo", "missing"])
    cmds.append(["GEODIST", "pts", "Palermo", "Catania", "furlong"])
    cmds.append(["GEODIST", "pts", "Palermo", "Palermo"])

    for bad in [("200", "100"), ("180.0000001", "0"), ("1", "85.05112879"), ("-180.00001", "1"),
                ("0", "-85.051128781"), ("inf", "0"), ("-inf", "0"), ("1.0000005", "90"), ("360", "-0.0000005")]:
        cmds.append(["GEOADD", "bad", bad[0], bad[1], "x"])

    centres = [("Palermo", 13.361389, 38.115556), ("cn0", 20.0, 84.5), ("ca0", 179.95, -10.0),
               ("ce0", -50.0, 0.0), ("cs0", 100.0, -84.9)]
    for i in range(320):
        args = ["GEOSEARCH", "pts"]
        if rnd.random() < 0.4:
            args += ["FROMMEMBER", rnd.choice(members if rnd.random() < 0.5 else [c[0] for c in centres])]
        else:
            if rnd.random() < 0.5:
                _, clon, clat = rnd.choice(centres)
                lon = min(180, max(-180, clon + rnd.uniform(-0.5, 0.5)))
                lat = min(85.05, max(-85.05, clat + rnd.uniform(-0.5, 0.5)))
            else:
                lon, lat = rnd.uniform(-180, 180), rnd.uniform(-85.05, 85.05)
            args += ["FROMLONLAT", fmt(lon, 6), fmt(lat, 6)]
        unit = rnd.choice(["m", "km", "mi", "ft"])
        scale = {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit]
        meters = math.exp(rnd.uniform(math.log(10), math.log(2.5e7)))
        size = meters / scale
        if rnd.random() < 0.6:
            args += ["BYRADIUS", fmt(size, rnd.choice([0, 2, 5]))]
        else:
            args += ["BYBOX", fmt(size * rnd.uniform(0.3, 3), 3), fmt(size * rnd.uniform(0.3, 3), 3)]
        args.append(unit)
        order = rnd.choice([None, "ASC", "DESC"])
        if order:
            args.append(order)
        if meters > 2e5 or rnd.random() < 0.3:
            args += ["COUNT", str(rnd.choice([1, 3, 10, 25]))]
            if rnd.random() < 0.3:
                args.append("ANY")
        for flag in ["WITHCOORD", "WITHDIST", "WITHHASH"]:
            if rnd.random() < 0.5:
                args.append(flag)
        cmds.append(args)
    # Many member-only searches over a denser set, to exercise cell selection broadly.
    dense = []
    for i in range(1500):
        dense.append(("d%d" % i, fmt(rnd.uniform(-180, 180), 6), fmt(rnd.uniform(-85.05, 85.05), 6)))
    for i in range(0, len(dense), 500):
        cmds.append(["GEOADD", "dense"] + [x for name, lon, lat in dense[i:i + 500] for x in (lon, lat, name)])
    for i in range(1500):
        lon, lat = rnd.uniform(-180, 180), rnd.uniform(-85.05, 85.05)
        if rnd.random() < 0.2:
            lon = rnd.choice([-1, 1]) * rnd.uniform(179, 180)
        if rnd.random() < 0.2:
            lat = rnd.choice([-1, 1]) * rnd.uniform(75, 85.05)
        unit = rnd.choice(["m", "km", "mi", "ft"])
        scale = {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit]
        size = math.exp(rnd.uniform(math.log(5e4), math.log(3e6))) / scale
        args = ["GEOSEARCH", "dense", "FROMLONLAT", fmt(lon, 5), fmt(lat, 5)]
        if rnd.random() < 0.5:
            args += ["BYRADIUS", fmt(size, 3), unit]
        else:
            args += ["BYBOX", fmt(size * rnd.uniform(0.2, 4), 3), fmt(size * rnd.uniform(0.2, 4), 3), unit]
        if rnd.random() < 0.5:
            args += ["COUNT", str(rnd.choice([1, 5, 20]))] + (["ANY"] if rnd.random() < 0.3 else [])
        cmds.append(args)

    # Ties: many members at a few identical positions, so that equal distances are
    # ordered by Redis's sort (stable merge sort, or pqsort when COUNT cuts the result).
    spots = [(fmt(rnd.uniform(-10, 10), 6), fmt(rnd.uniform(-10, 10), 6)) for _ in range(12)]
    ties = []
    for i in range(400):
        lon, lat = rnd.choice(spots)
        ties.append(("t%s" % "".join(rnd.choice("abcdefghij") for _ in range(6)), lon, lat))
    cmds.append(["GEOADD", "ties"] + [x for name, lon, lat in ties for x in (lon, lat, name)])
    for i in range(400):
        if rnd.random() < 0.5:
            lon, lat = rnd.choice(spots)
        else:
            lon, lat = fmt(rnd.uniform(-12, 12), 6), fmt(rnd.uniform(-12, 12), 6)
        args = ["GEOSEARCH", "ties", "FROMLONLAT", lon, lat, "BYRADIUS", str(rnd.randrange(100, 3500)), "km"]
        order = rnd.choice([None, "ASC", "DESC", "DESC"])
        if order:
            args.append(order)
        args += ["COUNT", str(rnd.choice([1, 2, 3, 5, 8, 13, 30, 60, 120, 250, 500]))]
        if rnd.random() < 0.15:
            args.append("ANY")
        if rnd.random() < 0.3:
            args.append("WITHDIST")
        cmds.append(args)

    # Degenerate sizes.
    cmds.append(["GEOSEARCH", "pts", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "m", "WITHDIST"])
    cmds.append(["GEOSEARCH", "pts", "FROMMEMBER", "e1", "BYBOX", "0", "0", "km", "WITHCOORD"])
    cmds.append(["GEOSEARCH", "pts", "FROMLONLAT", "180", "85.05112878", "BYRADIUS", "300", "km", "ASC", "WITHDIST"])
    cmds.append(["GEOSEARCH", "pts", "FROMLONLAT", "-180", "0", "BYBOX", "400", "400", "km", "ASC", "WITHDIST"])
    cmds.append(["GEOSEARCH", "pts", "FROMLONLAT", "0", "0", "BYRADIUS", "20037", "km", "COUNT", "5", "DESC", "WITHDIST"])
    return cmds


def main():
    client = Client(int(sys.argv[1]))
    client.call("FLUSHALL")
    cmds = script(random.Random(777))
    wire = [["ZSCORE"] + c[1:] if c[0] == "SCORE" else c for c in cmds]
    replies = client.pipeline(wire)
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "geo.txt")
    with open(path, "w") as out:
        out.write("# Generated by tools/gen_geo.py against %s\n" % client.call("INFO", "server").decode().split("\r\n")[1])
        for cmd, reply in zip(cmds, replies):
            if cmd[0] == "SCORE":
                reply = int(float(reply))
            out.write("> %s\n< %s\n" % (" ".join(cmd), encode_reply(reply)))
    print("%d commands" % len(cmds))


if __name__ == "__main__":
    main()
