"""Validates xAPI statements (a JSON array on standard input) with Python's `jsonschema` against
`xapi-statement.schema.json` (written from ADL's xAPI specification, not from the service's code),
plus the Score rules a schema cannot say (min < max, min <= raw <= max). Prints
{"count": n, "errors": [...]} as JSON.

Exit status 2 when the validator is missing: the tests fail, never skip, without it."""

import json
import os
import sys

try:
    import jsonschema
except ImportError as e:
    print(f"python3-jsonschema is not installed: {e}", file=sys.stderr)
    sys.exit(2)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "xapi-statement.schema.json"), encoding="utf-8") as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

statements = json.load(sys.stdin)
errors = []
for n, statement in enumerate(statements):
    for error in validator.iter_errors(statement):
        path = "/".join(str(p) for p in error.absolute_path)
        errors.append(f"statement {n} at /{path}: {error.message}")
    score = statement.get("result", {}).get("score", {})
    lo, hi, raw = score.get("min"), score.get("max"), score.get("raw")
    if lo is not None and hi is not None and not lo < hi:
        errors.append(f"statement {n}: score min {lo} is not below max {hi}")
    if raw is not None and ((lo is not None and raw < lo) or (hi is not None and raw > hi)):
        errors.append(f"statement {n}: score raw {raw} is outside min and max")
print(json.dumps({"count": len(statements), "errors": errors}))
