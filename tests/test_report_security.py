"""Every user-controlled field of the report, in every section, filled with
markup that would fetch something if it were not escaped: image, object and
attachment tags, CSS ``@import`` and ``url()``, links to a local server that
answers with redirects, and ``data:`` payloads.  The PDF must show all of it
as literal text, fetch nothing but the bundled fonts and hold no image or
attachment but the embedded assessment."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from assessment.engine.answers import Answer
from assessment.engine.bank import Question, QuestionType
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import resolve
from assessment.report.context import HistoryEntry
from assessment.report.fetcher import ASSET_BASE, AssetOnlyURLFetcher, RefusedURL
from assessment.report.render import STATIC_DIR, render_report
from tests.helpers import BANK, make_document
from tests.pdf_text import flat_pdf_text

FONTS = {ASSET_BASE + "fonts/DejaVuSans.ttf", ASSET_BASE + "fonts/DejaVuSans-Bold.ttf"}


class RedirectingServer:
    """A local web server that records every request and answers each with a
    redirect to a local file, so a single fetch would show up here."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                hits.append(self.path)
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RedirectingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[RedirectingServer]:
    with RedirectingServer() as running:
        yield running


def hazards(base: str, n: int) -> list[str]:
    """Markup that fetches, in every form the report must neutralise."""
    return [
        f'<img src="{base}/i{n}">',
        f'<link rel="attachment" href="{base}/a{n}">',
        f"<style>@import url({base}/s{n});</style>",
        f'<p style="background:url({base}/u{n})">',
        f'<object data="{base}/o{n}"></object>',
        f'<svg><image href="{base}/v{n}"/></svg>',
        '<img src="data:image/svg+xml;base64,PHN2Zy8+">',
        '<a rel="attachment" href="data:text/plain;base64,eA==">',
        f"@import url({base}/p{n}); url({base}/q{n})",
        '<img src="file:///etc/passwd">',
        f'<iframe src="{base}/f{n}"></iframe>',
    ]


class HostileText:
    """Builds field values: each carries a unique marker word (to prove the
    field reached the report) followed by as many hazards as fit."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.fields: dict[str, str] = {}  # marker -> the field it was put in
        self.question: dict[str, str] = {}  # marker -> question id, for answer fields

    def __call__(self, field: str, room: int, question_id: str | None = None) -> str:
        n = len(self.fields)
        marker = f"Z{n}Z"
        self.fields[marker] = field
        if question_id is not None:
            self.question[marker] = question_id
        kinds = hazards(self.base, n)
        start = n % len(kinds)
        text = marker
        for hazard in kinds[start:] + kinds[:start]:
            if len(text) + 1 + len(hazard) > room:
                break
            text = f"{text} {hazard}"
        return text


def _value(question: Question, hostile: HostileText, owner: str = "") -> Any:
    kind = question.type
    if kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        room = question.max_length or (200 if kind == QuestionType.SHORT_TEXT else 2_000)
        return hostile(question.id, room, owner or question.id)
    if kind == QuestionType.GROUP:
        rows = []
        for row in range(3):
            values: dict[str, Any] = {}
            for field in question.fields:
                if field.type == QuestionType.SHORT_TEXT:
                    values[field.id] = hostile(f"{question.id}[{row}].{field.id}", 200, question.id)
                else:
                    values[field.id] = _value(field, hostile, question.id)
            rows.append(values)
        return rows
    if kind == QuestionType.YES_NO_UNKNOWN:
        return "yes"
    if kind == QuestionType.SINGLE_CHOICE:
        return question.options[0].value
    if kind == QuestionType.MULTIPLE_CHOICE:
        return [question.options[0].value]
    if kind == QuestionType.NUMBER:
        return 1
    if kind == QuestionType.DATE:
        return "2020-03-01"
    if kind == QuestionType.SCALE4:
        return 2
    raise AssertionError(f"no value for question type {kind}")


def hostile_document(hostile: HostileText) -> tuple[AssessmentDocument, list[str]]:
    """Every question answered, every free-text field, note and source hostile;
    returns the document and the markers that must appear in the report."""
    answers = []
    for section in BANK.sections:
        for question in section.questions:
            value = _value(question, hostile)
            if question.id == "scope.programme_types":
                value = ["camera", "location", "payment"]
            note = hostile(f"{question.id} note", 400, question.id)
            source = hostile(f"{question.id} source", 400, question.id)
            answers.append(Answer(question.id, value, note=note, source=source))
    document = make_document(
        *answers,
        title=hostile("title", 200),
        programme=hostile("programme", 200),
    )
    document = replace(document, organisation=hostile("organisation", 200))
    visible = resolve(BANK, document.answer_values()).visible_question_ids
    expected = [
        marker
        for marker in hostile.fields
        if marker not in hostile.question or hostile.question[marker] in visible
    ]
    return document, expected


def _images(pdf: bytes) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get("/XObject", {})
        count += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    return count


@pytest.mark.parametrize("edition", ["full", "public"])
def test_hostile_text_in_every_field_renders_as_text_and_fetches_nothing(
    server: RedirectingServer, edition: str
) -> None:
    hostile = HostileText(server.base)
    document, expected = hostile_document(hostile)
    history = [
        HistoryEntry(
            at="2020-03-01 10:00", who=hostile("history who", 200), action="created", revision=1
        ),
        HistoryEntry(
            at="2020-03-02 10:00", who="Ana", action=hostile("history what", 200), revision=2
        ),
    ]
    expected += list(hostile.fields)[-2:]
    fetcher = AssetOnlyURLFetcher(STATIC_DIR)

    pdf = render_report(BANK, document, fetcher=fetcher, edition=edition, history=history).pdf

    assert server.hits == []
    assert fetcher.refused == []
    assert set(fetcher.requested) <= FONTS
    text = flat_pdf_text(pdf)
    missing = [f"{m} ({hostile.fields[m]})" for m in expected if f"{m} " not in text + " "]
    assert missing == [], "fields missing from the report"
    assert f'<img src="{server.base}/i' in text
    assert f"@import url({server.base}/" in text
    assert '<img src="data:image/svg+xml;base64,PHN2Zy8+">' in text
    assert '<link rel="attachment" href=' in text
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == ["assessment.json"]
    assert _images(pdf) == 0


def test_unescaped_markup_still_fetches_nothing(server: RedirectingServer) -> None:
    """Defence in depth: even markup that reached WeasyPrint unescaped (a
    template bug) cannot fetch, because the fetcher refuses every URL that is
    not a bundled asset, data: URLs included."""
    markup = "".join(hazards(server.base, 0))
    fetcher = AssetOnlyURLFetcher(STATIC_DIR)
    head = f"<style>@import url({server.base}/head);</style>"
    html = f"<html><head>{head}</head><body>{markup}</body></html>"

    pdf = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).write_pdf()

    assert server.hits == []
    assert fetcher.requested, "WeasyPrint asked for nothing: the markup was not parsed"
    assert set(fetcher.requested) == set(fetcher.refused)
    for scheme in (server.base, "data:", "file:"):
        assert any(url.startswith(scheme) for url in fetcher.refused), scheme
    assert not PdfReader(io.BytesIO(pdf)).attachments
    assert _images(pdf) == 0


def test_fetcher_follows_no_redirect_and_opens_no_connection(server: RedirectingServer) -> None:
    fetcher = AssetOnlyURLFetcher(STATIC_DIR)
    for url in (server.base + "/redirect", ASSET_BASE.replace("https", "http") + "fonts/x.ttf"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert server.hits == []


def test_fetcher_refuses_everything_but_bundled_assets() -> None:
    fetcher = AssetOnlyURLFetcher(STATIC_DIR)
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.org/a.css",
        "data:text/css,body{}",
        ASSET_BASE + "../app.py",
        ASSET_BASE + "css/%2e%2e/x.css",
        ASSET_BASE + "fonts/missing.ttf",
        ASSET_BASE + "fonts/DejaVu-LICENSE.txt",
    ):
        try:
            fetcher.fetch(url)
        except ValueError:
            continue
        raise AssertionError(f"fetched {url}")
    assert fetcher.fetch(ASSET_BASE + "fonts/DejaVuSans.ttf").read(4) == b"\x00\x01\x00\x00"
