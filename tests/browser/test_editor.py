"""The query editor helps (issue 9): a malformed query is told in words, on its line, and
prefixed names complete from our own classes and properties with their labels.

Debian's Chromium through Playwright against ``dhs-ai-kg serve``; every request stays on
127.0.0.1 (the terms come from our ``/query/terms.json``), and axe finds nothing serious with
the explanation shown. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

from helpers import editor_text, only_loopback
from pages import axe_results, serious
from playwright.sync_api import expect
from rdflib import RDFS, Graph, URIRef

ROOT = Path(__file__).resolve().parents[2]
DAK = "https://w3id.org/dhs-ai-kg/ontology#"
ONTOLOGY = Graph().parse(ROOT / "ontology" / "dhs-ai-kg.ttl")
VOCABULARY = Graph().parse(ROOT / "server" / "dhs_ai_kg_server" / "data" / "vocabulary-labels.ttl")


def label(graph: Graph, iri: str) -> str:
    """The English label ``graph`` gives ``iri``."""
    return str(graph.value(URIRef(iri), RDFS.label))


def open_editor(page, server: str) -> None:
    page.goto(server + "query")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")


def cm(page, script: str):
    """Evaluate ``script`` with ``cm`` bound to the editor's CodeMirror."""
    return page.evaluate(
        "() => { const cm = document.querySelector('#editor .CodeMirror').CodeMirror; "
        f"return {script}; }}"
    )


def test_a_typed_malformed_query_is_told_in_words_on_its_line(page, server, shoot):
    open_editor(page, server)
    page.keyboard.type("SELECT * WHERE { ?org schma:name ?name }")
    page.keyboard.press("Control+Enter")
    problem = page.locator("#query-problem")
    expect(problem).to_contain_text(
        "Line 1, column 23: The prefix `schma:` on line 1 is not declared (did you mean `schema:`?)"
    )
    expect(problem).to_have_attribute("role", "alert")
    expect(problem.locator("details pre")).to_contain_text("error at 1:")  # the parser's own
    # The line is marked three ways: background, the exact text underlined, a "!" in the gutter.
    expect(page.locator("#editor .kg-problem-line")).to_have_count(1)
    expect(page.locator("#editor .kg-problem-mark")).to_have_text("schma:")
    expect(page.locator("#editor .kg-problem-gutter")).to_have_text("!")
    # One checker only: YASQE's live one is off, so it cannot disagree with the server's.
    expect(page.locator("#editor .parseErrorIcon")).to_have_count(0)
    assert cm(page, "[cm.hasFocus(), cm.getCursor().line, cm.getCursor().ch]") == [True, 0, 22]
    shoot(page, "query-syntax-explained")
    # Editing the text takes the explanation and the marks away.
    page.keyboard.type("e")
    expect(problem).to_be_hidden()
    expect(page.locator("#editor .kg-problem-mark")).to_have_count(0)
    expect(page.locator("#editor .kg-problem-gutter")).to_have_count(0)
    only_loopback(page, server)


def test_the_marked_line_is_the_one_named(page, server):
    open_editor(page, server)
    text = "SELECT ?org WHERE {\n  ?org a schema:Organization\n  ?org rdfs:label ?label .\n}"
    cm(page, f"cm.setValue({text!r})")
    page.locator("#run").click()
    expect(page.locator("#query-problem")).to_contain_text(
        "Line 3, column 3: A `.` or `;` is probably missing before `?org` on line 3."
    )
    assert cm(page, "[0, 1, 2, 3].map(n => cm.lineInfo(n).bgClass || '')") == [
        "",
        "",
        "kg-problem-line",
        "",
    ]
    page.locator("#go-to-problem").click()
    assert cm(page, "[cm.hasFocus(), cm.getCursor().line]") == [True, 2]
    only_loopback(page, server)


def hints(page) -> list[str]:
    """The completion list's entries as shown."""
    items = page.locator(".CodeMirror-hints li")
    expect(items.first).to_be_visible()
    return items.all_inner_texts()


def test_a_prefixed_name_completes_from_our_ontology_with_labels(page, server, shoot):
    open_editor(page, server)
    page.keyboard.type("SELECT * WHERE { ?org dak:lea")
    shown = hints(page)
    expected = f"dak:leads {label(ONTOLOGY, DAK + 'leads')} (property)"
    assert expected in [" ".join(s.split()) for s in shown]
    assert all(s.startswith("dak:le") for s in shown)
    shoot(page, "query-completion")
    page.locator(".CodeMirror-hints li", has_text="dak:leads").click()
    assert editor_text(page) == "SELECT * WHERE { ?org dak:leads"
    only_loopback(page, server)


def test_a_class_completes_under_the_query_s_own_prefix(page, server):
    open_editor(page, server)
    cm(page, "cm.setValue('PREFIX o: <http://www.w3.org/ns/org#>\\nSELECT * WHERE { ?x a ')")
    cm(page, "cm.setCursor(cm.lineCount() - 1, 1000)")
    page.keyboard.type("o:Organizatio")
    shown = [" ".join(s.split()) for s in hints(page)]
    organization = label(VOCABULARY, "http://www.w3.org/ns/org#Organization")
    assert f"o:Organization {organization} (class)" in shown
    page.keyboard.press("Enter")
    assert editor_text(page).endswith("?x a o:Organization")
    only_loopback(page, server)


def test_the_explanation_passes_axe(page, server):
    open_editor(page, server)
    page.keyboard.type("SELEC * WHERE { ?s ?p ?o }")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#query-problem")).to_contain_text("did you mean SELECT?")
    assert serious(axe_results(page)) == []
