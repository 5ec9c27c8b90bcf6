#!/usr/bin/env python3
"""Checks the include graph of the project's C++ code against cmake/layers.txt.

Every C++ file outside tests/, bench/, tools/ and fuzz/ must belong to a library of the table; each
of its `#include "..."` must name a header of its own library or of one it may depend on
(directly or through its dependencies), and each `#include <...>` of a third-party library must
be one its row names. Prints every violation with file and line; exit 1 when there is one.
Usage: scripts/check-layering.py [REPO_ROOT]
"""
import os
import re
import sys

THIRD_PARTY = {  # name in layers.txt -> include prefixes
    "openssl": ("openssl/",),
    "sqlite3": ("sqlite3.h",),
    "libxml2": ("libxml/",),
    "boost": ("boost/",),
    "rapidjson": ("rapidjson/",),
}
OUTSIDE = ("tests/", "bench/", "tools/", "fuzz/", "build/")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_table(path):
    rows = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            ours, _, theirs = line.partition("|")
            words = ours.split()
            if len(words) < 3:
                sys.exit(f"{path}:{number}: expected 'name folder dependencies... [| third-party...]'")
            name, folder, deps = words[0], words[1].rstrip("/"), [d for d in words[2:] if d != "-"]
            extra = theirs.split()
            for t in extra:
                if t not in THIRD_PARTY:
                    sys.exit(f"{path}:{number}: unknown third-party library '{t}'")
            if name in rows:
                sys.exit(f"{path}:{number}: '{name}' is listed twice")
            rows[name] = {"folder": folder, "deps": deps, "third_party": set(extra), "line": number}
            order.append(name)
    for name in order:
        for dep in rows[name]["deps"]:
            if dep not in rows:
                sys.exit(f"{path}:{rows[name]['line']}: {name} depends on unknown '{dep}'")
    return rows, order


def closure(rows, name, stack=()):
    """Every library `name` may reach; exits on a cycle."""
    if name in stack:
        sys.exit("cmake/layers.txt: dependency cycle: " + " -> ".join(stack + (name,)))
    out = set()
    for dep in rows[name]["deps"]:
        out.add(dep)
        out |= closure(rows, dep, stack + (name,))
    return out


def owner(rows, path):
    best = None
    for name, row in rows.items():
        if path.startswith(row["folder"] + "/") and (
                best is None or len(row["folder"]) > len(rows[best]["folder"])):
            best = name
    return best


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    rows, order = read_table(os.path.join(root, "cmake", "layers.txt"))
    reach = {name: closure(rows, name) | {name} for name in order}
    problems = []
    checked = 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "node_modules"]
        for filename in sorted(filenames):
            if not filename.endswith((".h", ".cpp", ".hpp", ".cc")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, filename))
            if rel.startswith(OUTSIDE):
                continue
            lib = owner(rows, rel)
            if lib is None:
                problems.append(f"{rel}: belongs to no library of cmake/layers.txt")
                continue
            checked += 1
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    quoted, header = m.group(1) == '"', m.group(2)
                    if quoted and not any(header.startswith(p) for ps in THIRD_PARTY.values() for p in ps):
                        target = owner(rows, header)
                        if target is None:
                            problems.append(f"{rel}:{number}: #include \"{header}\" names no library's header")
                        elif target not in reach[lib]:
                            problems.append(
                                f"{rel}:{number}: #include \"{header}\": {lib} may not depend on {target} "
                                f"(cmake/layers.txt allows {', '.join(sorted(reach[lib] - {lib})) or 'nothing'})")
                        continue
                    for tp, prefixes in THIRD_PARTY.items():
                        if header.startswith(prefixes) and tp not in rows[lib]["third_party"]:
                            problems.append(f"{rel}:{number}: #include <{header}>: {lib} does not name {tp} "
                                            f"in cmake/layers.txt")
    for p in problems:
        print("layering: " + p)
    if problems:
        print(f"layering: {len(problems)} violation(s) in {checked} files")
        return 1
    print(f"layering: {checked} files follow cmake/layers.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
