"""The PDF: content checked by text extraction and rendering.  Hostile input
is tested in ``test_report_security.py``."""

from __future__ import annotations

import gc
import io
import re
import subprocess
import weakref
from pathlib import Path

import pytest
from pypdf import PdfReader

from assessment.config import DEFAULT_BANK_DIR
from assessment.demo import EXAMPLES
from assessment.engine.answers import Answer
from assessment.engine.document import AssessmentDocument, load_document
from assessment.engine.loader import load_bank_cached
from assessment.report.context import build_report_context
from assessment.report.pool import collect_after_reply
from assessment.report.render import collection_paused, render_pdf
from tests.helpers import make_document
from tests.pdf_text import pdf_pages

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))


def _document(title: str, *answers: Answer) -> AssessmentDocument:
    types = Answer("scope.programme_types", ["camera"])
    return make_document(types, *answers, title=title, programme="Программа")


def _text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


@pytest.fixture(scope="module")
def shared_pdf() -> bytes:
    """One real render shared by this module's PDF checks: a Cyrillic title and
    programme, and one-to-one verification only, so that the face-search
    questions are skipped with their condition."""
    functions = Answer("cam.functions", ["verification_fr"])
    return render_pdf(build_report_context(BANK, _document("Камеры Москвы", functions)))


def test_cyrillic_and_page_numbers_render(shared_pdf: bytes) -> None:
    text = _text(shared_pdf)
    assert "Камеры Москвы" in text
    assert "Программа" in text
    pages = len(PdfReader(io.BytesIO(shared_pdf)).pages)
    assert f"Page 2 of {pages}" in text


def test_skipped_questions_are_summarised_with_their_condition(shared_pdf: bytes) -> None:
    text = _text(shared_pdf)
    assert "Questions that did not apply" in text
    flat = " ".join(text.split())
    assert "Camera network: Functions, identification and watchlists" in flat
    assert "Who is placed on the watchlist?" not in flat  # counted, not listed
    question = BANK.question("cam.functions")
    live, retrospective = (question.option(v) for v in ("live_fr", "retrospective_fr"))
    assert live is not None
    assert retrospective is not None
    condition = (
        f'Shown only when ("What does the camera system do?" includes '
        f'"{live.label.get_text("en")}") or ("What does the camera system do?" includes '
        f'"{retrospective.label.get_text("en")}")'
    )

    def unbroken(text: str) -> str:  # pdftotext joins "one-to-|many" as "one-tomany"
        return re.sub(r"[\s-]", "", text)

    assert unbroken(condition) in unbroken(flat)


def test_the_viewer_opens_with_the_bookmarks_panel(shared_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(shared_pdf))
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert reader.outline  # and there are bookmarks to show


def test_questions_not_asked_of_a_planned_programme_are_listed_as_such() -> None:
    planned = Answer("scope.status", "planned")
    skipped = build_report_context(BANK, _document("T", planned))["skipped"]
    reasons = {item["id"]: item["reason"] for item in skipped}
    assert reasons["cam.protest_use"] == "Cannot be known before the programme runs"
    assert reasons["cam.watchlist"].startswith("Shown only when")
    running = Answer("scope.status", "running")
    skipped = build_report_context(BANK, _document("T", running))["skipped"]
    assert "cam.protest_use" not in {item["id"] for item in skipped}


SECTIONS = (
    "Contents",
    "Executive summary",
    "The most severe risks",
    "Key recommendations",
    "Scope and method",
    "Systematic description of the programme",
    "The limitation test",
    "Impact on each right",
    "Severity x likelihood: before and after safeguards",
    "Findings per programme module",
    "Information gaps",
    "Action plan",
    "Recommendations",
    "Appendix A. Every answer",
    "Appendix B. The scoring method",
    "Appendix C. References",
    "Appendix D. Change history",
)


@pytest.mark.database_agnostic
def test_issued_report_has_every_section_contents_and_bookmarks(app, browser) -> None:  # type: ignore[no-untyped-def]
    from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["seed-demo"])
    browser.post("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login")
    assessment_id = load_document(DEMO_FILE.read_bytes(), BANK).uuid
    pdf = browser.get(f"/assessments/{assessment_id}/report.pdf").data
    reader = PdfReader(io.BytesIO(pdf))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    text = " ".join(pages)
    for heading in SECTIONS:
        assert heading in text, heading
    # The table of contents lists each section with the page it starts on.
    outline = {
        item.title: reader.get_destination_page_number(item) + 1
        for item in reader.outline
        if not isinstance(item, list)
    }
    for heading in ("Executive summary", "The limitation test", "Appendix C. References"):
        assert heading in outline, heading
    contents = pages[1]
    for heading in ("Executive summary", "The limitation test", "Appendix C. References"):
        assert f"{heading}" in contents
        assert str(outline[heading]) in contents.split(heading, 1)[1][:200]
    assert "Demo Assessor" in text  # the history names who changed what
    assert "imported" in text
    assert "[1]" in text
    # References are numbered in their text, in the form the report cites them.
    references = text.split("Appendix C. References")[-1]
    assert re.search(r"\[1\] \w", references)
    assert f"Page 1 of {len(pages)}" in text


def test_cover_and_summary_pages_render_to_png(shared_pdf: bytes, tmp_path: Path) -> None:
    pdf_path = tmp_path / "r.pdf"
    pdf_path.write_bytes(shared_pdf)
    summary_page = next(
        number
        for number, page in enumerate(PdfReader(str(pdf_path)).pages, start=1)
        if "The most severe risks" in page.extract_text()
    )
    for page in (1, summary_page):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "40",
                "-f",
                str(page),
                "-l",
                str(page),
                str(pdf_path),
                str(tmp_path / f"page{page}"),
            ],
            check=True,
            timeout=60,
        )
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == 2
    assert all(png.stat().st_size > 1000 for png in pngs)


def test_heat_maps_place_each_engaged_right_once_by_its_code() -> None:
    document = load_document((EXAMPLES / "moscow_cameras.json").read_bytes(), BANK)
    context = build_report_context(BANK, document)
    rights = {right["code"]: right for right in context["rights"]}
    engaged = sorted(code for code, right in rights.items() if right["engaged"])
    assert engaged
    inherent = context["heatmap"]["inherent"]
    placed = sorted(code for row in inherent for cell in row for code in cell)
    assert placed == engaged
    for code in engaged:
        severity = int(rights[code]["severity"].split()[0])
        likelihood = int(rights[code]["likelihood"].split()[0])
        assert code in inherent[4 - severity][likelihood - 1]
    residual = context["heatmap"]["residual"]
    assert sorted(code for row in residual for cell in row for code in cell) == engaged


class _Node:
    """An object in a reference cycle, so only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_collection_is_paused_during_a_render_and_frees_its_cycles_after() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        node = _Node()
        alive = weakref.ref(node)
        del node
        assert alive() is not None
    assert gc.isenabled()
    assert alive() is None


def test_collection_can_be_left_to_the_caller() -> None:
    with collection_paused(collect=False):
        node = _Node()
        alive = weakref.ref(node)
        del node
    assert gc.isenabled()
    assert alive() is not None  # no collection at the end of the block
    gc.collect()
    assert alive() is None


def test_workers_collect_after_their_reply() -> None:
    gc.disable()  # only the scheduled collection may free the cycle
    try:
        node = _Node()
        alive = weakref.ref(node)
        del node
        timer = collect_after_reply(delay=0.0)
        timer.join(timeout=10)
        assert alive() is None
    finally:
        gc.enable()


def test_collection_resumes_when_a_render_fails() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("layout failed")
    assert gc.isenabled()


def test_collection_stays_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
