"""An entity page's source mark reveals the sentence that states a statement, and leads to
the passage highlighted on the release page (tests/fixtures/source-page: statements grounded
as decided, quotes that overlap and hold markup), with no JavaScript of ours involved."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, running_server
from helpers import only_loopback
from playwright.sync_api import expect

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "source-page"


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production server (``run``) over the fixture resources on a free loopback port."""
    port = free_port()
    script = textwrap.dedent(
        f"""
        from dhs_ai_kg_server import Listen, run
        run(Listen(host="127.0.0.1", port={port}), app_config={{"RESOURCES": {str(FIXTURE)!r}}})
        """
    )
    log = tmp_path_factory.mktemp("fixture-server") / "server.log"
    with running_server([sys.executable, "-c", script], port, log) as base:
        yield base


def test_a_source_mark_reveals_the_sentence_and_leads_to_its_highlighted_passage(
    page, fixture_server, shoot
):
    page.goto(fixture_server + "id/org/alpha")
    row = page.locator("#statement-a3048eb16040")
    quote = row.locator("blockquote.stated q")
    expect(quote).to_be_hidden()  # closed <details>: the sentence is one click away
    row.locator("summary").click()
    expect(quote).to_be_visible()
    expect(quote).to_have_text("Alpha Org leads the Beta Campaign")
    shoot(page, "source-mark-open")

    row.get_by_role("link", name="in the release").click()
    page.wait_for_url("**/source/release#annotation-alpha-leads")
    target = page.locator(":target")
    expect(target).to_have_attribute("id", "annotation-alpha-leads")
    assert target.evaluate("e => e.tagName") == "MARK"
    expect(target).to_be_in_viewport()
    whole = page.locator('mark[data-annotation="annotation-alpha-leads"]').all_inner_texts()
    assert "".join(whole) == "Alpha Org leads the Beta Campaign"
    crossing = page.locator('mark[data-annotation="annotation-beta-opposes"]').all_inner_texts()
    assert "".join(crossing).endswith('<script>alert("x")</script> & other tools')
    assert page.dialogs == []  # the quoted <script> is text: nothing ran
    shoot(page, "source-release-anchor")
    only_loopback(page, fixture_server)
