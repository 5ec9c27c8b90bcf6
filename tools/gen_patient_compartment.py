#!/usr/bin/env python3
"""Generates mappings/access/patient-compartment.json from the FHIR R4 Patient
CompartmentDefinition.

Usage: tools/gen_patient_compartment.py <compartmentdefinition-patient.json> [--out FILE]

The output is the data authz/compartment.h loads:

  {
    "source": "<CompartmentDefinition url>|<version>",
    "resources": { "<Type>": ["<search param>", ...], ... }
  }

Only the resource types that have parameters are listed (the others are never in a Patient's
compartment); types and parameters keep the order of the definition. Every type is written, also
those the gateway does not serve yet: the loader validates the ones it serves against the
search-parameter registry and skips the rest, so serving a new type picks up its compartment
rule from this file without regenerating it.
"""

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, 'mappings', 'access', 'patient-compartment.json')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('definition', help='compartmentdefinition-patient.json')
    ap.add_argument('--out', default=DEFAULT_OUT, help='output file (default: %(default)s)')
    args = ap.parse_args()

    with open(args.definition, encoding='utf-8') as f:
        cd = json.load(f)
    if cd.get('resourceType') != 'CompartmentDefinition' or cd.get('code') != 'Patient':
        sys.exit('%s: not the Patient CompartmentDefinition' % args.definition)
    url, version = cd.get('url'), cd.get('version')
    if not url or not version:
        sys.exit('%s: the CompartmentDefinition has no url or version' % args.definition)

    resources = []
    for entry in cd.get('resource', []):
        params = entry.get('param') or []
        if not params:
            continue
        if len(set(params)) != len(params):
            sys.exit('%s: %s lists a parameter twice' % (args.definition, entry['code']))
        resources.append((entry['code'], params))
    if not any(code == 'Patient' for code, _ in resources):
        sys.exit('%s: no parameters for Patient' % args.definition)

    # One type per line: small diffs when the definition changes.
    lines = ['{', '  "source": %s,' % json.dumps('%s|%s' % (url, version)), '  "resources": {']
    for i, (code, params) in enumerate(resources):
        comma = ',' if i + 1 < len(resources) else ''
        lines.append('    %s: [%s]%s' % (json.dumps(code), ', '.join(json.dumps(p) for p in params),
                                        comma))
    lines += ['  }', '}', '']

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    print("%s: %d resource types" % (os.path.relpath(args.out), len(resources)))


if __name__ == '__main__':
    main()
