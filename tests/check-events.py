#!/usr/bin/python3
"""Validates splicewatch's JSON output against docs/events.schema.json.

    tests/check-events.py [--schema FILE] FILE...

Each FILE is either one JSON document (the ci report) or JSON Lines (trace,
enforce and stats output): every non-empty line one record. A record is
validated against the $def its `event` (trace, enforce) or `type` (stats,
ci_report) key names, so an error names the field; a record that names none
is validated against the whole schema (oneOf) and fails there. Formats are
checked too ("date-time": RFC 3339, also where the installed jsonschema has
no checker of its own for it, as Debian 12's 4.10 without
python3-rfc3339-validator).

A storm leaves 10^5 lines and more: a flat record whose shape was already
found valid is not validated again. Its shape is every key, the JSON type of
every value, the sign of every number and the value of every string but free
text (paths, comms, times, ids: FREE_TEXT), so any other value, type or key
is validated where it first appears.

Prints "FILE:LINE: where: error" and the record for every record that fails,
and exits 1 if any did (2: unreadable file or schema), 0 otherwise. Uses
Debian's python3-jsonschema (Draft202012Validator).
"""
import datetime
import json
import os
import re
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'docs',
                      'events.schema.json')
RFC3339 = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?'
                     r'([Zz]|[+-]\d{2}:\d{2})$')

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks('date-time')
def date_time(value):
    """RFC 3339 section 5.6 date-time, with real dates and times (leap second: 60)."""
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    try:
        datetime.datetime(y, mo, d, h, mi, min(s, 59))
    except ValueError:
        return False
    return s <= 60


FREE_TEXT = frozenset(('time', 'first_time', 'last_time', 'path', 'comm', 'splicer_comm', 'exe',
                       'splicer_exe', 'cgroup', 'splicer_cgroup', 'container_id',
                       'splicer_container_id', 'pod_uid', 'splicer_pod_uid', 'node'))


def shape(obj):
    """The shape of a flat record (None: not flat, validate it every time)."""
    if not isinstance(obj, dict):
        return None
    out = []
    for k, v in obj.items():
        if isinstance(v, (dict, list)):
            return None
        if isinstance(v, bool) or v is None:
            out.append((k, v))
        elif isinstance(v, (int, float)):
            out.append((k, type(v).__name__, v < 0))
        elif k in FREE_TEXT:
            out.append((k, 'str'))
        else:
            out.append((k, 'str', v))
    return tuple(out)


def load_schema(path):
    with open(path, encoding='utf-8') as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validators(schema):
    """The whole schema's validator and one per $def, keyed by the record type."""
    whole = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    per = {}
    for name in schema['$defs']:
        sub = dict(schema)
        sub.pop('oneOf', None)
        sub['$ref'] = '#/$defs/' + name
        per[name] = jsonschema.Draft202012Validator(sub, format_checker=FORMATS)
    return whole, per


def record_errors(obj, whole, per):
    kind = None
    if isinstance(obj, dict):
        for key in ('event', 'type'):
            if isinstance(obj.get(key), str) and obj[key] in per:
                kind = obj[key]
                break
    v = per[kind] if kind else whole
    errors = sorted(v.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if not kind and errors:
        return ['no record type: its "event" or "type" key names none of ' +
                ', '.join(sorted(per))]
    out = []
    for e in errors:
        where = '/'.join(str(p) for p in e.absolute_path) or '(record)'
        out.append(f'{where}: {e.message}')
    return out


def records(path):
    """(line number, text, parsed or None) of the records in the file."""
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        text = f.read()
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            return [(1, text, doc)]
    except ValueError:
        pass
    out = []
    for n, line in enumerate(text.split('\n'), 1):
        if not line.strip():
            continue
        try:
            out.append((n, line, json.loads(line)))
        except ValueError:
            out.append((n, line, None))
    return out


def main(argv):
    schema_path = SCHEMA
    if len(argv) > 2 and argv[1] == '--schema':
        schema_path = argv[2]
        argv = [argv[0]] + argv[3:]
    if len(argv) < 2:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    try:
        whole, per = validators(load_schema(schema_path))
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f'{schema_path}: {e}', file=sys.stderr)
        return 2
    bad = 0
    valid_shapes = set()
    for path in argv[1:]:
        try:
            recs = records(path)
        except OSError as e:
            print(f'{path}: {e}', file=sys.stderr)
            return 2
        for n, line, obj in recs:
            sh = shape(obj) if obj is not None else None
            if sh is not None and sh in valid_shapes:
                continue
            errs = ['not JSON'] if obj is None else record_errors(obj, whole, per)
            if not errs and sh is not None:
                valid_shapes.add(sh)
            if errs:
                bad += 1
                shown = line if len(line) <= 2000 else line[:2000] + '...'
                for e in errs:
                    print(f'{path}:{n}: {e}')
                print(f'{path}:{n}: record: {shown}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
