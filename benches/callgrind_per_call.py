#!/usr/bin/env python3
"""Instructions per call of one function, from a callgrind output file.

    valgrind --tool=callgrind --callgrind-out-file=cg.out \
        "$CARGO_TARGET_DIR"/release/deps/peers-<hash> --bench --profile-time 3 '^task/ours$'
    python3 benches/callgrind_per_call.py cg.out 'peers::ours::task$'

Prints the calls made to the functions whose name matches the pattern, their inclusive
instruction count, and the ratio. Build with `CARGO_PROFILE_BENCH_DEBUG=true` so that the
names are there.
"""
import re
import sys


def main(path, pattern):
    pat = re.compile(pattern)
    names = {}
    calls = 0
    inclusive = 0
    target = None
    expect_cost = False
    with open(path) as f:
        for line in f:
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name.strip()
                if kind == "cfn":
                    target = names.get(ident)
                expect_cost = False
                continue
            m = re.match(r"calls=(\d+)", line)
            if m:
                expect_cost = bool(target and pat.search(target))
                if expect_cost:
                    calls += int(m.group(1))
                continue
            if expect_cost:
                # The line after `calls=` is the call's position and its inclusive cost.
                parts = line.split()
                if len(parts) >= 2:
                    inclusive += int(parts[1])
                expect_cost = False
    if calls == 0:
        sys.exit(f"no calls to a function matching {pattern!r} in {path}")
    print(f"calls={calls} inclusive={inclusive} per_call={inclusive / calls:.0f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
