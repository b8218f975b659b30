"""The SPARQL guard (dhs_ai_kg.sparql_guard, engine.check_query): linear time on hostile text,
update keywords in every spelling, and counting limits below pyoxigraph's crash thresholds
(bench/crash_thresholds.py measures them). Generated variants are in test_guard_fuzz.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pyoxigraph as ox
import pytest

from dhs_ai_kg.engine import Limits, QueryTooComplex, UpdateRefused, check_query
from dhs_ai_kg.sparql_guard import scan

# --- linear time -----------------------------------------------------------------------------

#: Shapes that made a backtracking or rescanning lexer quadratic (each repeated to SIZE bytes):
#: ``a.`` took 30 s at 80 KB; an unterminated string of escaped quotes was rescanned from
#: every quote.
SHAPES = {
    "name-dot": "a.",
    "name-colon": "a:",
    "pname-dot": "p:a.",
    "dquote": '"',
    "squote": "'",
    "long-squote": "'''",
    "long-dquote": '"""',
    "escaped-squote": "\\'",
    "escaped-long": "'''\\'",
    "open-iri": "<a",
    "iri-chars": "<a/b.c",
    "comment": "#",
    "bnode": "_:a.",
    "var": "?a",
    "backslash": "\\",
    "percent": "p:%",
    "number": "1.",
    "exponent": "1e",
    "langtag": "@a-",
    "mixed": "a.'\\'<a_:b.\"?c#\n",
}
#: 128 KiB (DHS_AI_KG_SCAN_KIB to change): every shape three ways takes ~5 s of CPU when the
#: lexer is linear; the old one needed ~80 s for "a." alone at this size, hours at 1 MiB.
SIZE = int(os.environ.get("DHS_AI_KG_SCAN_KIB", "128")) * 1024
CPU_SECONDS = max(20, SIZE // 1024 // 6)

SCAN_ALL = f"""
import resource, sys
from dhs_ai_kg.sparql_guard import scan
resource.setrlimit(resource.RLIMIT_CPU, ({CPU_SECONDS}, {CPU_SECONDS}))
for name, shape in {SHAPES!r}.items():
    print(name, flush=True)
    scan(shape * ({SIZE} // len(shape)))
    scan("'" + shape * ({SIZE} // len(shape)))
    scan('SELECT * WHERE {{ "' + shape * ({SIZE} // len(shape)) + " }}")
print("done", flush=True)
"""


def test_scan_is_linear_on_hostile_text():
    """Each shape, SIZE bytes, three ways; a quadratic lexer is killed by RLIMIT_CPU."""
    done = subprocess.run(
        [sys.executable, "-c", SCAN_ALL], capture_output=True, text=True, timeout=600
    )
    last = done.stdout.split()[-1] if done.stdout.split() else "(none)"
    assert done.returncode == 0, f"killed (code {done.returncode}) while scanning {last!r}"
    assert last == "done"


def test_the_cpu_limit_does_kill_a_runaway_scan():
    """Control: the same harness kills a lexer that is quadratic (the old name pattern)."""
    quadratic = (
        "import re, resource\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (1, 1))\n"
        "re.findall(r'(?:[a][a.]*)?:|.', 'a.' * 20000)\n"
    )
    done = subprocess.run([sys.executable, "-c", quadratic], capture_output=True)
    # killed by the CPU limit (SIGXCPU, or SIGKILL at the hard limit), not dead of anything else
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL), done.stderr


# --- update keywords in every spelling --------------------------------------------------------

URL = "http://127.0.0.1:9/data.ttl"


@pytest.mark.parametrize(
    "text",
    [
        f"LOAD <{URL}>",
        f"LOADSILENT<{URL}>",
        f"load silent <{URL}>",
        f"LoAd<{URL}>",
        f"PREFIX : <{URL}> LOAD :x",
        f"PREFIX : <{URL}>\nLOAD:x",
        f"PREFIX p: <{URL}> BASE <http://x/> LOAD p:",
        f"LOAD # a comment\n<{URL}>",
        f"#c\nLOAD#c\nSILENT#c\n<{URL}>",
        f"LOAD<{URL}>INTO GRAPH<http://x/g>",
        f"LOAD\t<{URL}>\rINTO\nGRAPH <http://x/g>",
        f"INSERT DATA {{ <a:b> <a:c> 1 }} ; LOAD <{URL}>",
        "INSERT DATA { <a:b> <a:c> 1 };LOAD:x",
    ],
)
def test_load_is_found_in_every_spelling(text: str):
    assert "LOAD" in scan(text).update
    with pytest.raises(UpdateRefused, match="LOAD"):
        check_query(text)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("INSERTDATA{<a:b> <a:c> 1}", "INSERT"),
        ("DELETEWHERE{?s ?p ?o}", "DELETE"),
        ("CLEARSILENT GRAPH<a:g>", "CLEAR"),
        ("DROPALL", "DROP"),
        ("CREATESILENT GRAPH<a:g>", "CREATE"),
        ("ADDSILENT DEFAULT TO<a:g>", "ADD"),
        ("MOVE<a:g>TO<a:h>", "MOVE"),
        ("COPYDEFAULT TO<a:g>", "COPY"),
        ("WITH<a:g>DELETE{?s ?p ?o}WHERE{?s ?p ?o}", "WITH"),
        ("PREFIX insert: <a:> INSERT:x", "INSERT"),
    ],
)
def test_every_update_keyword_is_found_glued(text: str, keyword: str):
    assert keyword in scan(text).update


def test_a_prefix_named_like_an_update_keyword_is_fine_in_a_query():
    query = "PREFIX load: <http://x/> SELECT * WHERE { ?s load:p ?o ; <http://x/LOAD> ?w }"
    assert scan(query).keywords == ()
    check_query(query)


# --- counting limits --------------------------------------------------------------------------


def group(body: str) -> str:
    return "SELECT * WHERE { " + body + " }"


def chain(operator: str, operand: str = "1", tail: str = " > 0") -> Callable[[int], str]:
    return lambda n: group(f"FILTER({f' {operator} '.join([operand] * (n + 1))}{tail})")


#: Shapes that crash pyoxigraph 0.5.13 (or plan for over 10 s) at the count given — measured
#: by bench/crash_thresholds.py — and the word the refusal must name.
CHAINS: dict[str, tuple[Callable[[int], str], int, str]] = {
    "not": (lambda n: group(f"FILTER({'!' * n}true)"), 9_472, "'!'"),
    "or": (chain("||", "true", ""), 9_472, "'||'"),
    "and": (chain("&&", "true", ""), 9_472, "'&&'"),
    "plus": (chain("+"), 6_912, "'+'"),
    "minus": (chain("-"), 6_912, "'-'"),
    "times": (chain("*"), 6_912, "'*'"),
    "divide": (chain("/"), 6_912, "'/'"),
    "union": (lambda n: group(" UNION ".join(["{}"] * (n + 1))), 6_656, "'UNION'"),
    "optional": (lambda n: group("OPTIONAL {} " * n), 6_656, "'OPTIONAL'"),
    "minus-group": (lambda n: group("MINUS {} " * n), 2_688, "'MINUS'"),
    "bind": (lambda n: group(" ".join(f"BIND(1 AS ?v{i})" for i in range(n))), 2_688, "'BIND'"),
    "filter": (lambda n: group("FILTER(true) " * n), 9_472, "'FILTER'"),
    "alternative": (lambda n: group(f"?s {'|'.join(['<a:p>'] * (n + 1))} ?o"), 11_264, "path"),
    "inverse": (lambda n: group(f"?s {'|'.join(['^<a:p>'] * n)} ?o"), 11_264, "path"),
    "sequence": (lambda n: group(f"?s {'/'.join(['<a:p>'] * (n + 1))} ?o"), 296, "path"),
    "triples": (lambda n: group("?s ?p ?o . " * n), 104, "triple patterns"),
    "objects": (lambda n: group("?s <a:p> " + ", ".join(["1"] * n)), 152, "triple patterns"),
    "braces": (lambda n: "SELECT * WHERE " + "{" * n + "}" * n, 2_240, "nested"),
    "parens": (lambda n: group(f"FILTER({'(' * n}1{')' * n})"), 4_736, "nested"),
    "calls": (lambda n: group(f"FILTER({'STR(' * n}1{')' * n})"), 960, "nested"),
    "brackets": (lambda n: group("?s " + "<a:p> [ " * n + "<a:p> 1" + " ]" * n), 400, "nested"),
    "subselect": (
        lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n,
        2_560,
        "nested",
    ),
    # ?a<1+…&&?b>0 is a less-than to Oxigraph, an IRI to a lexer: the + inside still count.
    "hidden-in-iri": (
        lambda n: group(f"FILTER(?a<{'+'.join(['1'] * (n + 1))}&&?b>0)"),
        6_912,
        "'+'",
    ),
}


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_a_chain_at_its_crash_count_is_refused_naming_the_kind(kind: str):
    make, crashes_at, named = CHAINS[kind]
    with pytest.raises(QueryTooComplex, match="limit is") as refused:
        check_query(make(crashes_at))
    assert named in str(refused.value)


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_a_short_chain_passes_and_runs(kind: str):
    query = CHAINS[kind][0](20)
    check_query(query)
    result = ox.Store().query(query)
    assert isinstance(result, ox.QuerySolutions)
    list(result)


#: Kinds that are slow to plan rather than crashing: their limits sit nearer (the timeout is
#: behind them).
SLOW = {"sequence", "triples", "objects", "brackets"}


@pytest.mark.parametrize("kind", sorted(set(CHAINS) - SLOW))
def test_a_crashing_chain_is_refused_at_a_tenth_of_its_crash_count(kind: str):
    make, crashes_at, _ = CHAINS[kind]
    with pytest.raises(QueryTooComplex):
        check_query(make(crashes_at // 10 + 1))


def test_limits_can_be_lifted():
    query = CHAINS["union"][0](600)
    with pytest.raises(QueryTooComplex, match="600 occurrences of 'UNION'"):
        check_query(query)
    check_query(query, Limits(max_union=1_000))
