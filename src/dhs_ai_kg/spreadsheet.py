"""SELECT results as a CSV file that spreadsheet software opens cleanly.

Not the SPARQL 1.1 CSV format (``format=csv`` stays that, byte for byte): this one is for
people. Decisions, each tested in tests/test_spreadsheet.py:

- **UTF-8 with a byte-order mark.** Excel reads a CSV without one in the machine's legacy code
  page (``Sø`` and ``—`` come out garbled); with it, Excel, LibreOffice and Numbers read UTF-8.
  Python reads it with ``encoding="utf-8-sig"`` (plain ``utf-8`` keeps ``\\ufeff`` in the first
  header).
- **A header row** of the variable names (without ``?``), then one row per solution; an unbound
  value is an empty cell; an IRI is written in full, a literal as its text (no ``@en`` or
  ``^^xsd:``), a blank node as ``_:label``.
- **Formula injection guard** (OWASP "CSV Injection"): a cell starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is prefixed with ``'`` so no spreadsheet runs it as a
  formula; a numeric literal (``-5``, ``+1.5E3``) is left as it is: it is a number, not a formula.
- CRLF line ends (RFC 4180), every cell quoted only when needed (Python's :mod:`csv`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

BOM = "\ufeff"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = frozenset(
    XSD + name
    for name in [
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
)
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cell(term: Mapping[str, Any] | None) -> str:
    """One SPARQL JSON term as a safe spreadsheet cell."""
    if term is None:
        return ""
    value = str(term.get("value", ""))
    if term.get("type") == "bnode":
        return "_:" + value
    numeric = term.get("datatype") in NUMERIC and NUMBER.fullmatch(value)
    if value.startswith(TRIGGERS) and not numeric:
        return "'" + value
    return value


def results_csv(results: Mapping[str, Any]) -> bytes:
    """SPARQL JSON SELECT ``results`` as spreadsheet CSV bytes (BOM, header, guarded cells)."""
    variables: Sequence[str] = results["head"].get("vars", [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell({"type": "literal", "value": name}) for name in variables])
    for row in results.get("results", {}).get("bindings", []):
        writer.writerow([cell(row.get(name)) for name in variables])
    return (BOM + buffer.getvalue()).encode("utf-8")
