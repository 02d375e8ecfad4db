#!/usr/bin/env python3
"""Checks that modules import only downwards, as ARCHITECTURE.md's layer table says.

The table is the fenced block marked `layers` in ARCHITECTURE.md: one line a layer, lowest
first, each a list of top-level modules of `src/`. A module may name (as `crate::x`, in a
`use` or anywhere in code, tests included) modules of lower layers only; peers on one line
may not name each other. `lib` and `main` stand above everything. Items the crate root
re-exports are charged to the module they come from (ALIASES).

Usage: layers.py [SRC_DIR [ARCHITECTURE.md]]; exits 1 and lists each offence (file:line)
when a module imports against the direction, 2 when the table or the tree cannot be read.
"""

import os
import re
import sys

# Items of the crate root and the module that defines them.
ALIASES = {"fail": "error", "Failure": "error", "Outcome": "command", "run": "lib", "report": "lib"}
ROOTS = {"lib", "main"}


def code_of(text):
    """The text with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif re.match(r'b?r#*"', text[i:i + 100]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def layers_of(architecture):
    text = open(architecture, encoding="utf-8").read()
    m = re.search(r"```layers\n(.*?)```", text, re.S)
    if not m:
        sys.exit(f"{architecture}: no ```layers block")
    rank = {}
    for level, line in enumerate(l for l in m.group(1).splitlines() if l.strip()):
        for name in re.findall(r"[a-z_]+", line.split("#")[0]):
            rank[name] = level
    return rank


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    architecture = sys.argv[2] if len(sys.argv) > 2 else "ARCHITECTURE.md"
    rank = layers_of(architecture)
    top = max(rank.values()) + 1
    for root in ROOTS:
        rank[root] = top
    offences = []
    for directory, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(directory, name)
            first = os.path.relpath(path, src).split(os.sep)[0]
            module = first[:-3] if first.endswith(".rs") else first
            if module not in rank:
                offences.append(f"{path}: module `{module}` is not in the layer table")
                continue
            code = code_of(open(path, encoding="utf-8").read())
            for number, line in enumerate(code.split("\n"), 1):
                named = re.findall(r"\bcrate::(\w+)", line)
                for group in re.findall(r"\bcrate::\{([^}]*)\}?", line):
                    named += re.findall(r"(?:^|,)\s*(\w+)", group)
                for other in named:
                    other = ALIASES.get(other, other)
                    if other == module:
                        continue
                    if other not in rank:
                        offences.append(f"{path}:{number}: `crate::{other}` is not in the layer table")
                    elif rank[other] >= rank[module]:
                        how = "a peer" if rank[other] == rank[module] else "above it"
                        offences.append(f"{path}:{number}: `{module}` names `{other}`, {how}")
    for offence in offences:
        print(offence)
    if offences:
        print(f"{len(offences)} imports against the layers of {architecture}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
