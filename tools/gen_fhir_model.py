#!/usr/bin/env python3
"""Generates fhir/model/generated/r4_model.cpp from the official FHIR R4 definitions.

Inputs (in --fhir-dir): profiles-types.json, profiles-resources.json, valuesets.json.
Output: compact constant tables (see fhir/model/tables.h for their layout): one string pool,
the datatypes and resource types, their snapshot elements laid out so that the children of
every node are one contiguous range, the allowed types of every element, the expanded codes of
every REQUIRED binding, the invariants (for their human text) and all R4 resource type names.

The build never runs this script; it compiles the committed output. Re-run it after changing
the inputs and commit the result:

    python3 tools/gen_fhir_model.py [--fhir-dir DIR] [--out FILE] [--check]

Python 3 standard library only. The output is deterministic.
"""

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNBOUNDED = 0xFFFFFFFF
FHIR_VERSION = "4.0.1"
SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
RESOURCE_TYPES_CS = "http://hl7.org/fhir/resource-types"

# Must match fhir::model::PrimitiveType in fhir/model/model.h.
PRIMITIVES = {
    "base64Binary": "kBase64Binary", "boolean": "kBoolean", "canonical": "kCanonical",
    "code": "kCode", "date": "kDate", "dateTime": "kDateTime", "decimal": "kDecimal",
    "id": "kId", "instant": "kInstant", "integer": "kInteger", "markdown": "kMarkdown",
    "oid": "kOid", "positiveInt": "kPositiveInt", "string": "kString", "time": "kTime",
    "unsignedInt": "kUnsignedInt", "uri": "kUri", "url": "kUrl", "uuid": "kUuid",
    "xhtml": "kXhtml",
}
# Element flag bits: must match fhir::model::internal::ElementFlag in fhir/model/tables.h.
F_SUMMARY, F_MODIFIER, F_CHOICE, F_ARRAY, F_CONTENT_REF = 1, 2, 4, 8, 16
MAX_CHILDREN = 128  # fhir::model::internal::kMaxChildren


def load_bundle(path):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    return [e["resource"] for e in bundle.get("entry", []) if "resource" in e]


def load_definitions(path):
    """The StructureDefinitions of a bundle by id, 4.0.1 ones only.

    The profiles-resources.json we are given also carries one R4B (4.3.0) definition,
    SubscriptionStatus: no R4 resource type (R4's resource-types code system does not list it),
    so it must not be validated, stored or served as one.
    """
    return {r["id"]: r for r in load_bundle(path)
            if r["resourceType"] == "StructureDefinition" and r.get("fhirVersion") == FHIR_VERSION}


class StringPool:
    """Deduplicated strings, referenced as (offset, size) into one char array."""

    def __init__(self):
        self.index = {}
        self.data = bytearray()

    def ref(self, s):
        if s not in self.index:
            self.index[s] = (len(self.data), len(s.encode("utf-8")))
            self.data += s.encode("utf-8")
        off, size = self.index[s]
        return "{%d,%d}" % (off, size)


class ValueSetExpander:
    """Expands ValueSets from valuesets.json. Returns None when it cannot be done locally."""

    def __init__(self, resources):
        self.value_sets = {}
        self.code_systems = {}
        for r in resources:
            if r["resourceType"] == "ValueSet":
                self.value_sets[r["url"]] = r
            elif r["resourceType"] == "CodeSystem":
                self.code_systems[r["url"]] = r

    @staticmethod
    def _all_concepts(concepts, out):
        for c in concepts or []:
            out.append(c["code"])
            ValueSetExpander._all_concepts(c.get("concept"), out)

    def _part(self, part, stack):
        """Codes of one include/exclude entry as a set of (system, code), or None."""
        if "filter" in part:
            return None
        codes = None
        if "valueSet" in part:
            for url in part["valueSet"]:
                sub = self.expand(url, stack)
                if sub is None:
                    return None
                codes = sub if codes is None else codes & sub
        system = part.get("system")
        if system is not None:
            if "concept" in part:
                own = {(system, c["code"]) for c in part["concept"]}
            else:
                cs = self.code_systems.get(system)
                if cs is None or cs.get("content") != "complete":
                    return None
                listed = []
                self._all_concepts(cs.get("concept"), listed)
                own = {(system, c) for c in listed}
            codes = own if codes is None else codes & own
        return codes

    def expand(self, url, stack=()):
        url = url.split("|")[0]
        vs = self.value_sets.get(url)
        if vs is None or url in stack or "compose" not in vs:
            return None
        stack = stack + (url,)
        codes = set()
        for inc in vs["compose"].get("include", []):
            part = self._part(inc, stack)
            if part is None:
                return None
            codes |= part
        for exc in vs["compose"].get("exclude", []):
            part = self._part(exc, stack)
            if part is None:
                return None
            codes -= part
        return codes

    def resource_names(self):
        cs = self.code_systems[RESOURCE_TYPES_CS]
        names = []
        self._all_concepts(cs.get("concept"), names)
        return sorted(set(names))


def cxx_string_literal_lines(data, width=96):
    lines = []
    cur = ""
    cur_len = 0
    prev_octal = False
    for b in data:
        ch = chr(b)
        if ch == '"' or ch == "\\":
            piece = "\\" + ch
        elif 32 <= b < 127 and ch != "?":
            piece = ch
            if prev_octal and ch.isdigit():
                piece = '""' + ch  # an octal escape must not absorb the following digit
        else:
            piece = "\\%03o" % b
        prev_octal = piece.startswith("\\") and piece[1:].isdigit()
        cur += piece
        cur_len += 1
        if cur_len >= width:
            lines.append('"%s"' % cur)
            cur, cur_len, prev_octal = "", 0, False
    if cur:
        lines.append('"%s"' % cur)
    return lines


class Generator:
    def __init__(self, fhir_dir):
        self.types = load_definitions(os.path.join(fhir_dir, "profiles-types.json"))
        self.resources = load_definitions(os.path.join(fhir_dir, "profiles-resources.json"))
        self.expander = ValueSetExpander(load_bundle(os.path.join(fhir_dir, "valuesets.json")))
        self.pool = StringPool()
        self.all_defs = dict(self.types)
        self.all_defs.update(self.resources)
        self.type_names = sorted(self.all_defs)
        self.type_index = {n: i for i, n in enumerate(self.type_names)}
        self.elements = []  # dicts, filled in place
        self.type_rows = []
        self.typeref_rows = []
        self.typeref_lists = {}
        self.targets = []
        self.bindings = []
        self.binding_index = {}
        self.invariants = {}

    # ----- elements -----

    @staticmethod
    def _snapshot(sd):
        return [e for e in sd["snapshot"]["element"] if "sliceName" not in e]

    def _type_code(self, sd, el, t):
        code = t["code"]
        if code.startswith("http://hl7.org/fhirpath/System."):
            for ext in t.get("extension", []):
                if ext["url"] == FHIR_TYPE_EXT:
                    code = ext["valueUrl"]
        # Resource.id is an `id` (the snapshot reports its FHIRPath system type, String).
        if sd["kind"] == "resource" and el["path"] == sd["type"] + ".id":
            code = "id"
        return code

    def _typerefs(self, sd, el):
        rows = []
        for t in el.get("type", []):
            code = self._type_code(sd, el, t)
            target = -1
            for prof in t.get("profile", []):
                name = prof.rsplit("/", 1)[-1]
                if name in self.type_index:
                    target = self.type_index[name]
            if target < 0 and code in self.type_index and code not in ("BackboneElement",
                                                                       "Element"):
                target = self.type_index[code]
            names = [p.rsplit("/", 1)[-1] for p in t.get("targetProfile", [])]
            rows.append((code, target, tuple(names)))
        key = tuple(rows)
        if key not in self.typeref_lists:
            begin = len(self.typeref_rows)
            for code, target, names in rows:
                tbegin = len(self.targets)
                self.targets.extend(names)
                self.typeref_rows.append((code, target, tbegin, len(names)))
            self.typeref_lists[key] = (begin, len(rows))
        return self.typeref_lists[key]

    def _binding(self, el):
        b = el.get("binding")
        if not b or b.get("strength") != "required" or "valueSet" not in b:
            return -1
        url = b["valueSet"].split("|")[0]
        if url not in self.binding_index:
            codes = self.expander.expand(url)
            self.binding_index[url] = len(self.bindings)
            self.bindings.append((url, codes))
        return self.binding_index[url]

    def _collect_invariants(self, el):
        # One row per distinct rule of a key, on the first element path it is found on. Most
        # keys are one rule repeated on many elements (ele-1, qty-3); R4 also reuses a key for
        # different rules (inv-1 on Parameters.parameter, Task and TestReport.setup.action).
        for c in el.get("constraint", []):
            rule = (c["key"], c.get("severity", "error"), c.get("human", ""),
                    c.get("expression", ""))
            if rule not in self.invariants:
                self.invariants[rule] = el["path"]

    def _layout(self, sd):
        """Lays out the elements of one definition; returns (begin, count) of the top level."""
        elements = self._snapshot(sd)
        root = elements[0]["path"]
        by_parent = {}
        by_path = {}
        for el in elements:
            self._collect_invariants(el)
            by_path[el["path"]] = el
            if el is elements[0]:
                continue
            if sd["kind"] == "primitive-type" and el["path"] == root + ".value":
                continue  # the primitive's value is the JSON value itself
            by_parent.setdefault(el["path"].rsplit(".", 1)[0], []).append(el)
        groups = {}

        def alloc(parent_path):
            children = by_parent.get(parent_path, [])
            if len(children) > MAX_CHILDREN:
                raise SystemExit("too many children under " + parent_path)
            begin = len(self.elements)
            rows = []
            for el in children:
                row = {"el": el}
                self.elements.append(row)
                rows.append(row)
            groups[parent_path] = (begin, len(children))
            return rows

        top = alloc(root)
        queue = list(top)
        while queue:
            row = queue.pop(0)
            path = row["el"]["path"]
            if path in by_parent:
                queue.extend(alloc(path))
        for row in self.elements[groups[root][0]:]:
            self._fill_row(sd, row, groups, by_path)
        return groups[root]

    def _fill_row(self, sd, row, groups, by_path):
        el = row["el"]
        path = el["path"]
        name = path.rsplit(".", 1)[-1]
        flags = 0
        if name.endswith("[x]"):
            name = name[:-3]
            flags |= F_CHOICE
        if el.get("isSummary"):
            flags |= F_SUMMARY
        if el.get("isModifier"):
            flags |= F_MODIFIER
        base_max = el.get("base", {}).get("max", el.get("max", "1"))
        if base_max not in ("0", "1"):
            flags |= F_ARRAY
        definition = el
        definition_path = path
        if "contentReference" in el:
            flags |= F_CONTENT_REF
            definition_path = el["contentReference"].lstrip("#")
            definition = by_path[definition_path]
        children = groups.get(definition_path, (0, 0))
        row.update({
            "name": name, "path": path, "definition_path": definition_path,
            "min": int(el.get("min", 0)),
            "max": UNBOUNDED if el.get("max", "1") == "*" else int(el.get("max", "1")),
            "flags": flags, "types": self._typerefs(sd, definition),
            "children": children, "binding": self._binding(definition),
        })

    # ----- output -----

    def build(self):
        for name in self.type_names:
            sd = self.all_defs[name]
            kind = {"primitive-type": "kPrimitive", "complex-type": "kComplex",
                    "resource": "kResource"}[sd["kind"]]
            primitive = PRIMITIVES.get(name, "kNone") if kind == "kPrimitive" else "kNone"
            begin, count = self._layout(sd)
            base = sd.get("baseDefinition", "").rsplit("/", 1)[-1]
            if sd.get("derivation") == "constraint":
                base = sd["type"]
            self.type_rows.append((name, kind, primitive, begin, count, base))

    def render(self):
        p = self.pool
        out = []
        w = out.append
        w("// Generated by tools/gen_fhir_model.py from FHIR R4 4.0.1 \u2014 do not edit.")
        w("// Inputs: profiles-types.json, profiles-resources.json, valuesets.json.")
        w("// Layout: fhir/model/tables.h. Lookup API: fhir/model/model.h.")
        w("// clang-format off")
        w("")
        w('#include "fhir/model/tables.h"')
        w("")
        w("namespace fhir::model::internal {")
        w("namespace {")
        w("using enum TypeKind;")
        w("using enum PrimitiveType;")
        w("}  // namespace")
        w("")
        body = []
        b = body.append

        b("const TypeRow kTypes[] = {")
        for name, kind, primitive, begin, count, base in self.type_rows:
            b("  {%s,%s,%s,%d,%d,%s},  // %s" % (p.ref(name), kind, primitive, begin, count,
                                                 p.ref(base), name))
        b("};")
        b("const uint32_t kTypeCount = %d;" % len(self.type_rows))
        b("")
        b("const ElementRow kElements[] = {")
        for row in self.elements:
            b("  {%s,%s,%s,%d,%s,%d,%d,%d,%d,%d,%d}," % (
                p.ref(row["name"]), p.ref(row["path"]), p.ref(row["definition_path"]),
                row["min"], "kUnbounded" if row["max"] == UNBOUNDED else str(row["max"]),
                row["flags"], row["types"][0], row["types"][1], row["children"][0],
                row["children"][1], row["binding"]))
        b("};")
        b("")
        b("const TypeRefRow kTypeRefs[] = {")
        for code, target, tbegin, tcount in self.typeref_rows:
            b("  {%s,%d,%d,%d}," % (p.ref(code), target, tbegin, tcount))
        b("};")
        b("const uint32_t kTypeRefCount = %d;" % len(self.typeref_rows))
        b("")
        b("const Str kTargets[] = {")
        for i in range(0, len(self.targets), 8):
            b("  " + ",".join(p.ref(t) for t in self.targets[i:i + 8]) + ",")
        b("};")
        b("const uint32_t kTargetCount = %d;" % len(self.targets))
        b("")
        codes_out = []
        systems_out = []
        binding_out = []
        for url, codes in self.bindings:
            if codes is None:
                binding_out.append((url, 0, 0, 0, 0, 0))
                continue
            ordered = sorted(codes, key=lambda sc: (sc[1].encode(), sc[0].encode()))
            systems = sorted({s for s, _ in codes}, key=lambda s: s.encode())
            binding_out.append((url, 1, len(codes_out), len(ordered), len(systems_out),
                                len(systems)))
            codes_out.extend(ordered)
            systems_out.extend(systems)
        b("const BindingRow kBindings[] = {")
        for url, checkable, cb, cc, sb, sc in binding_out:
            b("  {%s,%s,%d,%d,%d,%d}," % (p.ref(url), "true" if checkable else "false", cb, cc,
                                         sb, sc))
        b("};")
        b("const uint32_t kBindingCount = %d;" % len(binding_out))
        b("")
        b("const CodeRow kCodes[] = {")
        for i in range(0, len(codes_out), 4):
            b("  " + "".join("{%s,%s}," % (p.ref(c), p.ref(s)) for s, c in codes_out[i:i + 4]))
        b("};")
        b("const uint32_t kCodeCount = %d;" % len(codes_out))
        b("")
        b("const Str kSystems[] = {")
        for i in range(0, len(systems_out), 8):
            b("  " + ",".join(p.ref(s) for s in systems_out[i:i + 8]) + ",")
        b("};")
        b("")
        names = self.expander.resource_names()
        b("const Str kResourceNames[] = {")
        for i in range(0, len(names), 8):
            b("  " + ",".join(p.ref(s) for s in names[i:i + 8]) + ",")
        b("};")
        b("const uint32_t kResourceNameCount = %d;" % len(names))
        b("")
        b("const InvariantRow kInvariants[] = {")
        rows = sorted(((key, context, severity, human, expression)
                       for (key, severity, human, expression), context
                       in self.invariants.items()),
                      key=lambda r: (r[0].encode(), r[1].encode()))
        for key, context, severity, human, expression in rows:
            b("  {%s,%s,%s,%s,%s}," % (p.ref(key), p.ref(severity), p.ref(human),
                                       p.ref(expression), p.ref(context)))
        b("};")
        b("const uint32_t kInvariantCount = %d;" % len(self.invariants))
        b("")
        max_children = max([r[4] for r in self.type_rows] +
                           [r["children"][1] for r in self.elements])
        b("static_assert(%d <= kMaxChildren);" % max_children)

        w("const char kStringPool[] =")
        lines = cxx_string_literal_lines(bytes(p.data))
        for line in lines[:-1]:
            w("    " + line)
        w("    " + lines[-1] + ";")
        w("const uint32_t kStringPoolSize = %d;" % len(p.data))
        w("")
        out.extend(body)
        w("")
        w("}  // namespace fhir::model::internal")
        return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fhir-dir", default=os.path.join(REPO, "..", "shared", "fhir-r4"))
    parser.add_argument("--out",
                        default=os.path.join(REPO, "fhir", "model", "generated", "r4_model.cpp"))
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the output file is not up to date instead of writing it")
    args = parser.parse_args()
    gen = Generator(args.fhir_dir)
    gen.build()
    text = gen.render()
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print("%s is out of date; run tools/gen_fhir_model.py" % args.out, file=sys.stderr)
            return 1
        return 0
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d types, %d elements, %d bindings, %d codes, %d bytes of strings" % (
        args.out, len(gen.type_rows), len(gen.elements), len(gen.bindings),
        sum(len(c) for _, c in gen.bindings if c), len(gen.pool.data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
