#!/usr/bin/env python3
"""Assembles the seed corpus of every fuzz target (fuzz/targets.txt) into OUT/<target>/:

  * the target's own seeds, fuzz/corpus/<target>/ (handwritten, plus what fuzzing found worth
    keeping), and its regression inputs, fuzz/regressions/<target>/;
  * the repository files the row names as sources (tests/testdata: the official R4 examples,
    the EHR goldens, the KITH message corpus);
  * for JSON sources, every resource inside them as a seed of its own (Bundle entries,
    contained resources, Parameters parts), because libFuzzer cuts a seed longer than the
    target's max_len and a cut resource only exercises the parser's error paths.

Files are named by their source path; sources longer than max_len are left out (their
resources still come in). scripts/fuzz.sh runs this before fuzzing; OUT is scratch (default
build/fuzz/seeds). Usage: fuzz/make_corpus.py [OUT] [TARGET...]
"""
import json
import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BOOKKEEPING = {".gitkeep", "README.md"}


def read_targets():
    rows = []
    with open(os.path.join(ROOT, "fuzz", "targets.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, max_len, dictionary, *sources = line.split()
            rows.append((name, int(max_len), [s for s in sources if s != "-"]))
    return rows


def files_of(source):
    directory, _, suffix = source.partition(":")
    base = os.path.join(ROOT, directory)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name in BOOKKEEPING or not name.endswith(suffix):
                continue
            yield os.path.join(dirpath, name)


def resources_in(value):
    """Every resource nested in a JSON value (not the value itself)."""
    found = []

    def walk(v, top):
        if isinstance(v, dict):
            if not top and isinstance(v.get("resourceType"), str):
                found.append(v)
            for child in v.values():
                walk(child, False)
        elif isinstance(v, list):
            for child in v:
                walk(child, False)

    walk(value, True)
    return found


def assemble(out, name, max_len, sources):
    target_dir = os.path.join(out, name)
    shutil.rmtree(target_dir, ignore_errors=True)
    os.makedirs(target_dir)
    count = 0

    def put(label, data):
        nonlocal count
        if len(data) > max_len:
            return
        label = label.replace(os.sep, "__")
        with open(os.path.join(target_dir, label), "wb") as f:
            f.write(data)
        count += 1

    for own in (os.path.join("fuzz", "corpus", name), os.path.join("fuzz", "regressions", name)):
        for path in files_of(own):
            with open(path, "rb") as f:
                put(os.path.relpath(path, ROOT), f.read())
    for source in sources:
        for path in files_of(source):
            rel = os.path.relpath(path, ROOT)
            with open(path, "rb") as f:
                data = f.read()
            put(rel, data)
            if path.endswith(".json"):
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                for i, resource in enumerate(resources_in(value)):
                    text = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
                    put("%s#%d" % (rel, i), text.encode("utf-8"))
    return count


def main(argv):
    out = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "build", "fuzz",
                                                                         "seeds")
    wanted = set(argv[2:])
    for name, max_len, sources in read_targets():
        if wanted and name not in wanted:
            continue
        print("%-14s %5d seeds" % (name, assemble(out, name, max_len, sources)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
