#!/usr/bin/env python3
"""Summarize a Go CPU profile (pprof protobuf, gzipped) without Go's toolchain.

etcd serves one with --enable-pprof:
    curl -o cpu.pb.gz 'http://127.0.0.1:2379/debug/pprof/profile?seconds=8'
    scripts/pprof-top.py cpu.pb.gz [N] [FUNCTION]

Prints the N functions with the most samples of their own (flat) and in their call stacks (cumulative), and,
given a fully qualified FUNCTION, the stacks through it. Used for docs/benchmarks.md's profile of etcd.
"""
import collections
import gzip
import sys


def varint(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(buf):
    """(field number, wire type, value) of one protobuf message; lengths are sliced, not decoded."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire} is not in pprof profiles")
        yield number, wire, value


def integers(wire, value):
    """A repeated integer field, packed (wire type 2) or not."""
    if wire == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        item, i = varint(value, i)
        out.append(item)
    return out


def load(path):
    """Samples as (function names leaf first, CPU nanoseconds), from profile.proto's sample, location, function, string_table."""
    data = gzip.decompress(open(path, "rb").read())
    samples, locations, functions, strings = [], {}, {}, []
    for number, wire, value in fields(data):
        if number == 2:  # Sample: location_id (1), value (2)
            ids, values = [], []
            for n, w, v in fields(value):
                if n == 1:
                    ids += integers(w, v)
                elif n == 2:
                    values += integers(w, v)
            samples.append((ids, values[-1]))
        elif number == 4:  # Location: id (1), line (4) -> function_id (1)
            location, lines = 0, []
            for n, w, v in fields(value):
                if n == 1:
                    location = v
                elif n == 4:
                    lines += [fv for fn, _, fv in fields(v) if fn == 1]
            locations[location] = lines
        elif number == 5:  # Function: id (1), name (2, a string table index)
            function, name = 0, 0
            for n, w, v in fields(value):
                if n == 1:
                    function = v
                elif n == 2:
                    name = v
            functions[function] = name
        elif number == 6:
            strings.append(value.decode("utf-8", "replace"))
    return [([strings[functions[f]] for loc in ids for f in locations.get(loc, [])], cpu) for ids, cpu in samples]


def main():
    samples = load(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    total = sum(cpu for _, cpu in samples) or 1
    flat, cumulative = collections.Counter(), collections.Counter()
    for names, cpu in samples:
        if names:
            flat[names[0]] += cpu
        for name in set(names):
            cumulative[name] += cpu
    print(f"total {total / 1e9:.2f} s of CPU")
    print("== flat")
    for name, cpu in flat.most_common(top):
        print(f"{cpu / total * 100:6.2f}% {name}")
    print("== cumulative")
    for name, cpu in cumulative.most_common(top * 2):
        print(f"{cpu / total * 100:6.2f}% {name}")
    if len(sys.argv) > 3:
        target, stacks = sys.argv[3], collections.Counter()
        for names, cpu in samples:
            if target in names:
                k = names.index(target)
                stacks[" <- ".join(n.rsplit("/", 1)[-1] for n in names[k:k + 7])] += cpu
        print("== stacks through", target)
        for stack, cpu in stacks.most_common(25):
            print(f"{cpu / total * 100:6.2f}% {stack}")


if __name__ == "__main__":
    main()
