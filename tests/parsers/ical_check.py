"""Reads an iCalendar feed on standard input with Python's `icalendar` (an independent parser,
not the service's writer), checks the raw lines (CRLF, at most 75 octets, no UTF-8 character split
by folding) and prints the calendar's events as JSON for the Rust test to assert on.

Exit status 2 when the parser is missing: the tests fail, never skip, without it."""

import json
import sys

try:
    from icalendar import Calendar
except ImportError as e:  # the test reports this and fails
    print(f"python3-icalendar is not installed: {e}", file=sys.stderr)
    sys.exit(2)

raw = sys.stdin.buffer.read()
problems = []
if not raw.endswith(b"\r\n"):
    problems.append("the body does not end with CRLF")
lines = raw.split(b"\r\n")[:-1]
for number, line in enumerate(lines, 1):
    if len(line) > 75:
        problems.append(f"line {number} has {len(line)} octets")
    if b"\n" in line or b"\r" in line:
        problems.append(f"line {number} holds a bare line break")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"line {number} splits a UTF-8 character")

calendar = Calendar.from_ical(raw.decode("utf-8"))
events = []
for event in calendar.walk("VEVENT"):
    events.append(
        {
            "uid": str(event["UID"]),
            "sequence": int(event["SEQUENCE"]),
            "summary": str(event["SUMMARY"]),
            "location": str(event.get("LOCATION", "")),
            "description": str(event.get("DESCRIPTION", "")),
            "status": str(event.get("STATUS", "")),
            "dtstart": event.decoded("DTSTART").isoformat(),
            "dtend": event.decoded("DTEND").isoformat(),
            "dtstamp": event.decoded("DTSTAMP").isoformat(),
            "last_modified": event.decoded("LAST-MODIFIED").isoformat(),
        }
    )
print(
    json.dumps(
        {
            "problems": problems,
            "version": str(calendar["VERSION"]),
            "prodid": str(calendar["PRODID"]),
            "events": events,
        }
    )
)
