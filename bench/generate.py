"""A seeded synthetic caseload for any rulebook, as a council would export it.

    python bench/generate.py rulebooks/leicestershire.yaml 100000 -o /tmp/caseload-100k.csv

Every enum value (so every matrix cell) appears, dates spread over the last
year in both ISO and UK day-first form, booleans as yes/no words and blanks
(mostly the rulebook's default; half each for a question with no default),
and about 1 row in 100 leaves out a required field, as real exports do.
No personal data: names are "Person 123".
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from policyengine import load_rulebook  # noqa: E402

AS_OF = dt.date(2026, 11, 23)


def _date(rng: random.Random, days_back: int) -> str:
    day = AS_OF - dt.timedelta(days=rng.randint(0, days_back))
    return day.isoformat() if rng.random() < 0.5 else day.strftime("%d/%m/%Y")


def cell(spec, rng: random.Random, number: int) -> str:
    """One CSV cell for input ``spec`` (an Input)."""
    optional = not spec.required
    if optional and rng.random() < 0.25:
        return ""  # the rulebook's default
    kind = spec.type
    if spec.name == "case_id":
        return f"CASE-{number:07d}"
    if kind == "string":
        return f"Person {number}"
    if kind == "boolean":
        if isinstance(spec.default, bool):  # most people are the usual case; 15% are not
            value = spec.default if rng.random() < 0.85 else not spec.default
        else:  # a question the guidance says must be answered: no usual answer, so half each
            value = rng.random() < 0.5
        return rng.choice(("yes", "y", "true", "1") if value else ("no", "n", "false", "0"))
    if kind == "enum":
        return rng.choice(spec.values)
    if kind == "list":
        return ";".join(rng.sample(spec.values, rng.choice((0, 0, 1, 2))))
    if kind == "integer":
        low = spec.minimum if spec.minimum is not None else 0
        high = spec.maximum if spec.maximum is not None else 40
        return str(rng.randint(low, min(high, low + 60)))
    if kind == "date":
        return _date(rng, 18 * 365 if "birth" in spec.name else 400)
    raise AssertionError(kind)


def rows(book, count: int, seed: int = 2026):
    rng = random.Random(seed)
    inputs = list(book.inputs.values())
    required = [i for i, spec in enumerate(inputs) if spec.required and spec.name != "case_id"]
    yield [spec.name for spec in inputs]
    for number in range(1, count + 1):
        row = [cell(spec, rng, number) for spec in inputs]
        if required and rng.random() < 0.01:
            row[rng.choice(required)] = ""  # an incomplete row
        yield row


def write_csv(book, count: int, path: str, seed: int = 2026) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows(book, count, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rulebook")
    parser.add_argument("rows", type=int)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    write_csv(load_rulebook(args.rulebook), args.rows, args.output, args.seed)
    print(f"wrote {args.rows:,} cases to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
