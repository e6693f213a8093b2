"""Fail CI when a pytest run skipped tests or did not run the browser tests.

Usage: check_junit.py REPORT.xml [--require-browser] [--require-vendor postgresql] [--require-fuzz]
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--require-browser", action="store_true")
    parser.add_argument("--require-vendor")
    parser.add_argument("--require-fuzz", action="store_true")
    args = parser.parse_args()
    root = ET.parse(args.report).getroot()  # noqa: S314
    cases = root.findall(".//testcase")
    skipped = [c for c in cases if c.find("skipped") is not None]
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    browser = [c for c in cases if "tests.browser" in c.get("classname", "")]
    vendor = [c for c in cases if c.get("name") == "test_database_is_the_one_configured"]
    fuzz = [c for c in cases if c.get("classname", "").endswith("test_api_fuzz")]
    form_fuzz = [c for c in cases if c.get("classname", "").endswith("test_form_fuzz")]
    problems = []
    if not cases:
        problems.append("no test ran")
    if skipped:
        problems.append(
            f"{len(skipped)} skipped: " + ", ".join(c.get("name", "") for c in skipped[:10])
        )
    if failed:
        problems.append(f"{len(failed)} failed")
    if args.require_browser and not browser:
        problems.append("the browser tests did not run")
    if args.require_fuzz and len(fuzz) < 10:
        problems.append(f"schemathesis ran {len(fuzz)} operations (expected the whole API)")
    if args.require_fuzz and len(form_fuzz) < 10:
        problems.append(f"the form fuzzer ran {len(form_fuzz)} forms (expected every form)")
    if args.require_vendor and not vendor:
        problems.append(f"the {args.require_vendor} check did not run")
    print(
        f"{args.report}: {len(cases)} tests, {len(browser)} in the browser, {len(skipped)} skipped"
    )
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
