#!/usr/bin/env python3
"""The functions a cache hit runs, as a symbol ordering file for the linker (lld's
`--symbol-ordering-file`), so that they sit side by side at the start of .text and a hit maps a
few pages of the binary instead of pieces of most of it.

    hot-order.py LINK_MAP CALLGRIND_OUT > ORDER

LINK_MAP is lld's `-Map` of the binary that was profiled; CALLGRIND_OUT is
`valgrind --tool=callgrind --dump-instr=yes` of one cache hit of that same binary (it may be
stripped: only addresses are read from it). Prints the symbols of every input section that holds
an executed instruction, in address order. scripts/hot-order.sh runs the whole thing.
"""

import bisect
import re
import sys

# lld's map: VMA LMA Size Align, then the name indented 0 (output section), 8 (input
# section) or 16 (symbol) more spaces.
SECTION_SYMBOL = re.compile(r":\(\.text\.(?:unlikely\.|hot\.|startup\.|exit\.)?([^)\s]+)\)$")
LINE = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ ( *)(\S.*)$")


def sections(path):
    """Input sections of .text: [start, end, [symbols]], sorted by start."""
    out = []
    in_text = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            indent, name = len(m.group(3)), m.group(4)
            if indent == 0:
                in_text = name == ".text"
            elif in_text and indent == 8:
                start, size = int(m.group(1), 16), int(m.group(2), 16)
                # `object:(.text.SYMBOL)`: with one section per function (rustc's default)
                # the section is named after its function's mangled symbol.
                sm = SECTION_SYMBOL.search(name)
                out.append([start, start + size, [sm.group(1)] if sm else []])
            elif in_text and indent == 16 and out and not out[-1][2]:
                # A section of several functions (C code): the map prints their names
                # demangled, which only C names survive; Rust ones are in the section name.
                if "::" not in name and " " not in name:
                    out[-1][2].append(name)
    out.sort()
    return out


def executed(path):
    """Every instruction address callgrind saw in the main object (`ob=` of the binary)."""
    addrs = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^(0x[0-9a-f]+)\s", line)
            if m:
                addrs.add(int(m.group(1), 16))
    return addrs


def main():
    secs = sections(sys.argv[1])
    starts = [s[0] for s in secs]
    hot = set()
    for a in executed(sys.argv[2]):
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and secs[i][0] <= a < secs[i][1]:
            hot.add(i)
    seen = set()
    for i in sorted(hot):
        for sym in secs[i][2]:
            if sym not in seen:
                seen.add(sym)
                print(sym)


if __name__ == "__main__":
    main()
