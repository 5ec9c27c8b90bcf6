#!/usr/bin/env python3
"""Generates fhir/search/generated/search_params.cpp from the FHIR R4 definitions.

Usage: tools/gen_search_params.py [--defs /work/shared/fhir-r4] [--out fhir/search/generated]
                                  [--report]

For each resource type defined in profiles-resources.json (plus the Resource-level parameters
_id, _lastUpdated, _profile, _security, _source and _tag) it compiles the FHIRPath expression
of every search parameter in search-parameters.json into simple extraction paths:

  path          dot-separated JSON member names from the resource root; a step may carry one
                equality filter written `name[field=value]` (from `.where(field='value')`).
                Choice elements are expanded to their concrete JSON names (valueQuantity).
  element_type  the FHIR type at the end of the path, looked up in the StructureDefinitions
  resolve_type  from `.where(resolve() is T)`: only references to T count

Supported FHIRPath subset: `A.b.c`, unions with `|`, `(X as T)`, `X.as(T)`, `X.ofType(T)`,
`.where(resolve() is T)` and `.where(field='value')`. Parameters using anything else, composite
and special parameters, and parameters without an expression are left out and listed (with the
reason) in a comment and in the kSkippedParams table of the generated file.
"""

import argparse
import json
import os
import re
import sys

RESOURCE_ELEMENTS = {  # Resource is not among the StructureDefinitions we get; its elements:
    'id': ['id'], 'meta': ['Meta'], 'implicitRules': ['uri'], 'language': ['code'],
}
FHIR_VERSION = '4.0.1'
RESOURCE_LEVEL_CODES = ['_id', '_lastUpdated', '_profile', '_security', '_source', '_tag']

# Element types each search parameter type can index (see fhir/search/index.cpp).
COMPATIBLE = {
    'string': {'string', 'markdown', 'HumanName', 'Address', 'code', 'id', 'uri', 'url',
               'canonical'},
    'token': {'CodeableConcept', 'Coding', 'Identifier', 'ContactPoint', 'code', 'boolean',
              'string', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid'},
    'reference': {'Reference', 'canonical', 'uri', 'url'},
    'date': {'date', 'dateTime', 'instant', 'Period', 'Timing'},
    'number': {'integer', 'decimal', 'positiveInt', 'unsignedInt'},
    'quantity': {'Quantity', 'Age', 'Duration', 'Count', 'Distance', 'SimpleQuantity',
                 'MoneyQuantity', 'Money', 'Range'},
    'uri': {'uri', 'url', 'canonical', 'oid', 'uuid'},
}
PARAM_TYPE_ENUM = {
    'number': 'kNumber', 'date': 'kDate', 'string': 'kString', 'token': 'kToken',
    'reference': 'kReference', 'quantity': 'kQuantity', 'uri': 'kUri',
}


class Unsupported(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# StructureDefinitions


class Model:
    def __init__(self, resources_json, types_json):
        self.elements = {}  # "Patient.name" -> (types, contentReference)
        self.resource_types = []
        for bundle, is_resource in ((resources_json, True), (types_json, False)):
            for entry in bundle['entry']:
                sd = entry['resource']
                # 4.0.1 only, as in tools/gen_fhir_model.py: the resources bundle we are given
                # also carries the R4B (4.3.0) SubscriptionStatus, which is no R4 type.
                if sd.get('resourceType') != 'StructureDefinition' or \
                        sd.get('fhirVersion') != FHIR_VERSION:
                    continue
                if is_resource:
                    self.resource_types.append(sd['name'])
                for el in sd['snapshot']['element']:
                    types = [t['code'] for t in el.get('type', [])]
                    self.elements[el['path']] = (types, el.get('contentReference'))
        self.resource_types.sort()

    def child(self, base_path, name):
        """Resolves member `name` under the element at `base_path` (e.g. "Patient.contact").

        Returns a list of (json_name, element_type, element_path) — several for choice elements.
        """
        if base_path == 'Resource':
            if name not in RESOURCE_ELEMENTS:
                raise Unsupported(f'no element Resource.{name}')
            t = RESOURCE_ELEMENTS[name][0]
            return [(name, t, t)]
        path = f'{base_path}.{name}'
        if path in self.elements:
            types, content_ref = self.elements[path]
            if content_ref:
                return [(name, 'BackboneElement', content_ref.lstrip('#'))]
            if len(types) != 1:
                raise Unsupported(f'element {path} has types {types}')
            t = types[0]
            if t.startswith('http://hl7.org/fhirpath/System.'):
                t = 'string'
            if t in ('BackboneElement', 'Element'):
                return [(name, t, path)]
            return [(name, t, t)]
        choice = f'{base_path}.{name}[x]'
        if choice in self.elements:
            types, _ = self.elements[choice]
            return [(name + t[0].upper() + t[1:], t, t) for t in types]
        raise Unsupported(f'no element {path}')


# ---------------------------------------------------------------------------------------------
# FHIRPath subset


TOKEN_RE = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|"
                      r"(?P<op>\(\)|[().=\[\]!<>]+))")


def tokenize(text):
    pos = 0
    out = []
    while pos < len(text):
        if text[pos:].strip() == '':
            break
        m = TOKEN_RE.match(text, pos)
        if not m:
            if text[pos:].lstrip().startswith(tuple('0123456789')):
                raise Unsupported('position indexer like [0] is not supported')
            raise Unsupported(f'cannot tokenize at {text[pos:]!r}')
        pos = m.end()
        if m.group('str') is not None:
            out.append(('str', m.group('str')[1:-1]))
        elif m.group('name') is not None:
            out.append(('name', m.group('name')))
        else:
            for ch in re.findall(r'\(\)|.', m.group('op')):
                out.append(('op', ch))
    return out


class PathParser:
    """Parses one union member into ops: ('root', T), ('step', n), ('cast', T), ('where', f, v),
    ('resolve', T)."""

    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1] != value):
            raise Unsupported(f'unexpected {tok} at token {self.i}')
        self.i += 1
        return tok

    def parse(self):
        ops = self.expr()
        if self.i != len(self.t):
            raise Unsupported(f'trailing tokens {self.t[self.i:]}')
        return ops

    def expr(self):
        if self.peek() == ('op', '('):
            self.take()
            ops = self.expr()
            self.take('name', 'as')
            ops.append(('cast', self.take('name')[1]))
            self.take('op', ')')
        else:
            root = self.take('name')[1]
            ops = [('root', root)]
        while self.peek() == ('op', '.'):
            self.take()
            name = self.take('name')[1]
            if self.peek() == ('op', '('):
                self.take()
                if name in ('as', 'ofType'):
                    ops.append(('cast', self.take('name')[1]))
                elif name == 'where':
                    if self.peek() == ('name', 'resolve'):
                        self.take()
                        self.take('op', '()')
                        self.take('name', 'is')
                        ops.append(('resolve', self.take('name')[1]))
                    else:
                        field = self.take('name')[1]
                        self.take('op', '=')
                        value = self.take('str')[1]
                        if '.' in value or ']' in value or '=' in value:
                            raise Unsupported('filter value with reserved characters')
                        ops.append(('where', field, value))
                else:
                    raise Unsupported(f'function {name}()')
                self.take('op', ')')
            elif self.peek() == ('op', '()'):
                raise Unsupported(f'function {name}()')
            else:
                ops.append(('step', name))
        return ops


def split_union(expr):
    parts, depth, cur = [], 0, ''
    for ch in expr:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == '|' and depth == 0:
            parts.append(cur.strip())
            cur = ''
        else:
            cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


def compile_part(model, ops, param_type, dropped):
    """Turns ops into [(path, element_type, resolve_type)]; incompatible ends go to `dropped`."""
    if not ops or ops[0][0] != 'root':
        raise Unsupported('expression must start with a type name')
    root = ops[0][1]
    # Each candidate: (json steps list, element_type, element_path for lookups)
    cands = [([], root, root)]
    resolve_type = ''
    for op in ops[1:]:
        if resolve_type:
            raise Unsupported('resolve() filter must come last')
        if op[0] == 'step':
            nxt = []
            for steps, _, elpath in cands:
                for json_name, t, child_path in model.child(elpath, op[1]):
                    nxt.append((steps + [json_name], t, child_path))
            cands = nxt
        elif op[0] == 'cast':
            target = op[1]
            cands = [c for c in cands if c[0] and c[1] == target]
            if not cands:
                raise Unsupported(f'cast to {target} matches no element type')
        elif op[0] == 'where':
            field, value = op[1], op[2]
            nxt = []
            for steps, t, elpath in cands:
                if not steps:
                    raise Unsupported('filter on the root')
                model.child(elpath, field)  # the filtered field must exist
                steps = steps[:-1] + [f'{steps[-1]}[{field}={value}]']
                nxt.append((steps, t, elpath))
            cands = nxt
        elif op[0] == 'resolve':
            resolve_type = op[1]
            for _, t, _ in cands:
                if t != 'Reference':
                    raise Unsupported('resolve() on a non-Reference')
        else:
            raise Unsupported(f'op {op}')
    out = []
    for steps, t, _ in cands:
        if not steps:
            raise Unsupported('expression selects the resource itself')
        if t not in COMPATIBLE[param_type]:
            dropped.append(f'{".".join(steps)} ({t})')  # e.g. Observation.valueSampledData
            continue
        out.append(('.'.join(steps), t, resolve_type))
    return out


# ---------------------------------------------------------------------------------------------
# Generation


def doc_for_type(description, rtype):
    """Multi-base parameters describe each base in a markdown list; pick this type's line."""
    if not description.startswith('Multiple Resources'):
        return description.strip()
    for line in description.splitlines():
        m = re.match(r'\s*\*\s*\[(\w+)\]\([^)]*\):\s*(.*)', line)
        if m and m.group(1) == rtype:
            return m.group(2).strip()
    return description.strip()


def cstr(s):
    out = ['"']
    for ch in s:
        if ch == '\\':
            out.append('\\\\')
        elif ch == '"':
            out.append('\\"')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            continue
        elif ch == '\t':
            out.append('\\t')
        elif ord(ch) < 0x20:
            continue
        elif ord(ch) < 0x80:
            out.append(ch)
        else:
            out.append(''.join(f'\\x{b:02x}""' for b in ch.encode('utf-8')))
    out.append('"')
    return ''.join(out).replace('""""', '""')


def build(defs_dir):
    with open(os.path.join(defs_dir, 'profiles-resources.json'), encoding='utf-8') as f:
        resources = json.load(f)
    with open(os.path.join(defs_dir, 'profiles-types.json'), encoding='utf-8') as f:
        types = json.load(f)
    with open(os.path.join(defs_dir, 'search-parameters.json'), encoding='utf-8') as f:
        search = json.load(f)
    model = Model(resources, types)
    known = set(model.resource_types)

    params = []   # dicts
    skipped = []  # (type, code, reason)
    partial = []  # (type, code, reason): parameters kept without some of their paths
    for entry in search['entry']:
        sp = entry['resource']
        code, ptype, bases = sp['code'], sp['type'], sp.get('base', [])
        expr = sp.get('expression') or ''
        if bases == ['Resource'] or bases == ['DomainResource']:
            rtypes = [bases[0]]
        else:
            rtypes = [b for b in bases if b in known]
        for rtype in rtypes:
            if rtype in ('Resource', 'DomainResource') and code not in RESOURCE_LEVEL_CODES:
                skipped.append((rtype, code, 'special: no FHIRPath expression to index'
                                if not expr else 'not supported'))
                continue
            if code == 'phonetic':
                skipped.append((rtype, code,
                                'needs a phonetic matching algorithm (not implemented)'))
                continue
            if ptype in ('composite', 'special'):
                skipped.append((rtype, code, f'{ptype} parameter'))
                continue
            if not expr:
                skipped.append((rtype, code, 'no FHIRPath expression'))
                continue
            root = 'Resource' if rtype == 'Resource' else rtype
            paths = []
            dropped = []
            try:
                for part in split_union(expr):
                    if not re.match(r'\(*' + root + r'\b', part):
                        continue  # a union member for another base type
                    ops = PathParser(tokenize(part)).parse()
                    compiled = compile_part(model, ops, ptype, dropped)
                    if not compiled:
                        continue
                    paths.extend(compiled)
                if not paths:
                    raise Unsupported('no indexable path for this type')
            except Unsupported as e:
                skipped.append((rtype, code, f'expression `{expr_for(expr, rtype)}`: {e}'))
                continue
            seen = set()
            unique = []
            for p in paths:
                if p not in seen:
                    seen.add(p)
                    unique.append(p)
            params.append({
                'type': rtype, 'code': code, 'ptype': ptype, 'url': sp['url'],
                'doc': doc_for_type(sp.get('description', ''), rtype),
                'expr': expr_for(expr, rtype), 'paths': unique,
                'targets': sorted(sp.get('target', [])) if ptype == 'reference' else [],
            })
            for d in dropped:
                partial.append((rtype, code, f'path {d} not indexable as {ptype}'))
    params.sort(key=lambda p: (p['type'] != 'Resource', p['type'], p['code']))
    skipped.sort()
    partial.sort()
    return model, params, skipped, partial


def expr_for(expr, rtype):
    """The part of a (multi-base) expression that applies to `rtype`."""
    parts = [p for p in split_union(expr) if p.lstrip('(').startswith(rtype + '.')]
    return ' | '.join(parts) if parts else expr


def emit(model, params, skipped, partial):
    lines = []
    w = lines.append
    w('// GENERATED by tools/gen_search_params.py from the FHIR R4 (4.0.1) definitions.')
    w('// Do not edit; re-run the generator instead.')
    w('//')
    w('// Search parameters left out (the CapabilityStatement advertises only what is indexed):')
    for rtype, code, reason in skipped:
        w(f'//   {rtype}.{code}: {reason}'.replace('*/', '* /'))
    w('//')
    w('// Parameters kept, but with union members that are not indexed:')
    for rtype, code, reason in partial:
        w(f'//   {rtype}.{code}: {reason}')
    w('')
    w('#include <cstddef>')
    w('')
    w('#include "fhir/search/registry_tables.h"')
    w('')
    w('namespace fhir::search::generated {')
    w('')
    w('const char* const kResourceTypes[] = {')
    for t in model.resource_types:
        w(f'    "{t}",')
    w('};')
    w(f'const size_t kResourceTypeCount = {len(model.resource_types)};')
    w('')
    w('const PathRow kPaths[] = {')
    first = []
    n = 0
    for p in params:
        first.append(n)
        for path, etype, resolve in p['paths']:
            w(f'    {{{cstr(path)}, "{etype}", "{resolve}"}},')
            n += 1
    w('};')
    w(f'const size_t kPathCount = {n};')
    w('')
    w('const ParamRow kParams[] = {')
    for p, start in zip(params, first):
        w(f'    {{"{p["type"]}", "{p["code"]}", ParamType::{PARAM_TYPE_ENUM[p["ptype"]]}, '
          f'{cstr(p["url"])},')
        w(f'     {cstr(p["doc"])},')
        w(f'     {cstr(p["expr"])},')
        w(f'     {start}, {len(p["paths"])}, "{",".join(p["targets"])}"}},')
    w('};')
    w(f'const size_t kParamCount = {len(params)};')
    w('')
    w('const SkippedRow kSkippedParams[] = {')
    for rtype, code, reason in skipped:
        w(f'    {{"{rtype}", "{code}", {cstr(reason)}}},')
    w('};')
    w(f'const size_t kSkippedParamCount = {len(skipped)};')
    w('')
    w('}  // namespace fhir::search::generated')
    return '\n'.join(lines) + '\n'


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('--defs', default='/work/shared/fhir-r4')
    ap.add_argument('--out', default=os.path.join(here, '..', 'fhir', 'search', 'generated'))
    ap.add_argument('--report', action='store_true', help='print statistics, write nothing')
    args = ap.parse_args()
    model, params, skipped, partial = build(args.defs)
    if args.report:
        from collections import Counter
        c = Counter((p['ptype'], t) for p in params for _, t, _ in p['paths'])
        for k, v in sorted(c.items()):
            print(k, v)
        print(len(model.resource_types), 'types,', len(params), 'params,', len(skipped), 'skipped')
        for s in skipped:
            print('SKIP', *s)
        for s in partial:
            print('PARTIAL', *s)
        return 0
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'search_params.cpp'), 'w', encoding='utf-8') as f:
        f.write(emit(model, params, skipped, partial))
    print(f'{len(model.resource_types)} resource types, {len(params)} parameters, '
          f'{len(skipped)} left out', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
