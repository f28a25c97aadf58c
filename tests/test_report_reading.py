"""The report as an auditor reads it, checked on its HTML (the PDF is made
from exactly this HTML) and, for column widths, on WeasyPrint's layout of the
report's stylesheet (no PDF is written): headings that do not end on one
word, no "?:" after a question, the impact levels explained where the level
is shown, the change history by day and person, the questions that did not
apply summarised per section, and table columns that fit their words."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from typing import Any

import pytest
from weasyprint import CSS, HTML

from assessment.engine.answers import Answer
from assessment.engine.bank import UNKNOWN
from assessment.engine.document import AssessmentDocument, load_document
from assessment.report.context import HistoryEntry, build_report_context
from assessment.report.fetcher import ASSET_BASE, AssetOnlyURLFetcher
from assessment.report.render import (
    REPORT_CSS,
    STATIC_DIR,
    keep_last_words,
    labelled,
    render_html,
)
from tests.helpers import BANK

EXAMPLES = Path(__file__).resolve().parents[1] / "assessment" / "examples"
LANGUAGES = ("en", "ru")


def _junction(language: str, *changes: Answer) -> AssessmentDocument:
    document = load_document((EXAMPLES / "junction_cctv.json").read_bytes(), BANK)
    changed = {a.question_id: a for a in changes}
    answers = tuple(a for a in document.answers if a.question_id not in changed)
    return dataclasses.replace(document, language=language, answers=(*answers, *changed.values()))


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _section(page: str, anchor: str) -> str:
    """The HTML of the report section whose heading has the id ``anchor``."""
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


def test_labels_take_no_colon_after_a_question_mark() -> None:
    assert labelled("Who is placed on the watchlist?") == "Who is placed on the watchlist?"
    assert labelled("Кто включён в «список поиска?»") == "Кто включён в «список поиска?»"
    assert labelled("Highest residual risk") == "Highest residual risk:"
    assert labelled("<b>?") == "&lt;b&gt;?"  # escaped like any text


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_question_is_followed_by_a_colon(language: str) -> None:
    # An unknown answer puts the question among the answers behind a step.
    document = _junction(language, Answer("lim.legal_basis", UNKNOWN))
    text = _text(render_html(build_report_context(BANK, document)))
    question = BANK.question("lim.legal_basis").text.get_text(language)
    assert question.endswith("?")
    assert question in text
    assert "?:" not in text
    assert "?»:" not in text


def test_a_heading_keeps_its_last_two_words_together() -> None:
    assert keep_last_words("Appendix A. Every answer") == (
        'Appendix A. <span class="keep">Every answer</span>'
    )
    assert keep_last_words("Contents") == "Contents"
    assert keep_last_words("a <b> c") == 'a <span class="keep">&lt;b&gt; c</span>'


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_heading_of_the_report_can_end_on_a_line_of_one_word(language: str) -> None:
    page = render_html(build_report_context(BANK, _junction(language)))
    headings = re.findall(r"<(h[123])[^>]*>(.*?)</\1>", page, re.S)
    assert len(headings) > 30
    for _tag, inner in headings:
        words = _text(inner).split()
        if len(words) > 2:
            assert re.search(r'<span class="keep">[^<\s]+ [^<\s]+</span>$', inner), inner
    css = REPORT_CSS.read_text(encoding="utf-8")
    assert ".keep { white-space: nowrap; }" in css


@pytest.mark.parametrize(
    ("language", "caption", "level_four"),
    [
        ("en", "Impact levels", "Very high: the residual risk is very high"),
        ("ru", "Уровни воздействия", "Очень высокий: остаточный риск очень высокий"),
    ],
)
def test_the_summary_explains_the_impact_levels(
    language: str, caption: str, level_four: str
) -> None:
    page = render_html(build_report_context(BANK, _junction(language)))
    summary = _text(_section(page, "summary"))
    assert caption in summary
    for numeral in ("I", "II", "III", "IV"):
        assert f" {numeral} " in summary.split(caption, 1)[1]
    assert level_four in summary


def _history() -> list[HistoryEntry]:
    legal, purpose = "scoping.context", "description.purpose"
    assert BANK.has_section(legal)
    assert BANK.has_section(purpose)
    return [
        HistoryEntry("2026-12-03 09:00", "Ana", "created", 1),
        HistoryEntry("2026-12-03 09:10", "Ana", "answers saved", 2, legal, 5),
        HistoryEntry("2026-12-03 09:20", "Ana", "answers saved", 3, purpose, 7),
        HistoryEntry("2026-12-03 09:25", "Ana", "answers saved", 4, legal, 1),
        HistoryEntry("2026-12-03 09:30", "Boris", "answers saved", 5, purpose, 1),
        HistoryEntry("2026-12-04 10:00", "Ana", "submitted for review", 5),
        HistoryEntry("2026-12-04 11:00", "Ana", "something new", 6),
    ]


def _history_rows(language: str) -> list[dict[str, Any]]:
    context = build_report_context(BANK, _junction(language), history=_history())
    rows: list[dict[str, Any]] = context["history"]
    page = render_html(context)
    for row in rows:  # every row is printed as it is in the context
        assert row["what"] in _text(page)
    assert "scoping.context" not in page
    assert "description.purpose" not in page
    return rows


def test_the_change_history_is_grouped_by_day_and_person() -> None:
    legal = BANK.section("scoping.context").title.get_text("en")
    purpose = BANK.section("description.purpose").title.get_text("en")
    rows = _history_rows("en")
    assert [(r["day"], r["who"], r["revisions"]) for r in rows] == [
        ("2026-12-03", "Ana", "1\u20134"),
        ("2026-12-03", "Boris", "5"),
        ("2026-12-04", "Ana", "5\u20136"),
    ]
    assert rows[0]["what"] == f'created the assessment; 13 answers in "{legal}", "{purpose}"'
    assert rows[1]["what"] == f'1 answer in "{purpose}"'
    assert rows[2]["what"] == "submitted it for review; something new"  # unknown: as recorded


def test_the_change_history_is_in_the_reports_language() -> None:
    legal = BANK.section("scoping.context").title.get_text("ru")
    purpose = BANK.section("description.purpose").title.get_text("ru")
    rows = _history_rows("ru")
    assert rows[0]["day"] == "3 декабря 2026\u202fг."
    assert rows[0]["what"] == f"создал(а) оценку; 13 ответов: «{legal}», «{purpose}»"
    assert rows[1]["what"] == f"1 ответ: «{purpose}»"
    assert rows[2]["what"].startswith("отправил(а) на проверку")


@pytest.mark.parametrize("language", LANGUAGES)
def test_questions_that_did_not_apply_are_counted_per_section(language: str) -> None:
    functions = Answer("cam.functions", ["verification_fr"])
    context = build_report_context(BANK, _junction(language, functions))
    skipped, summary = context["skipped"], context["skipped_summary"]
    assert len(skipped) > 20
    assert sum(group["count"] for group in summary) == len(skipped)
    assert len(summary) < len(skipped) / 2
    assert len({group["section"] for group in summary}) == len(summary)  # one row each
    watchlist = BANK.question("cam.watchlist")
    section = BANK.section(watchlist.section_id).title.get_text(language)
    group = next(g for g in summary if g["section"].endswith(section))
    reason = next(s["reason"] for s in skipped if s["id"] == watchlist.id)
    assert reason in group["reasons"]
    gaps = _section(render_html(context), "gaps")
    assert watchlist.text.get_text(language) not in _text(gaps)  # counted, not listed
    assert "cam.watchlist" not in gaps


STATUSES = {
    "en": ("Planned", "In progress", "Implemented"),
    "ru": ("Запланировано", "Выполняется", "Реализовано"),
}
HEADERS = {
    "en": ("Measure", "Right it protects", "Owner", "Due", "Status"),
    "ru": ("Мера", "Защищаемое право", "Ответственный", "Срок", "Статус"),
}
RISK_HEADERS = {
    "en": ("Right", "Severity", "Likelihood", "Inherent risk", "Residual risk", "Confidence"),
    "ru": ("Право", "Тяжесть", "Вероятность", "Исходный риск", "Остаточный риск", "Достоверность"),
}


def _texts(box: Any) -> list[str]:
    if type(box).__name__ == "TextBox":
        return [box.text]
    return [text for child in getattr(box, "children", ()) for text in _texts(child)]


def _cells(box: Any) -> list[Any]:
    if type(box).__name__ == "TableCellBox":
        return [box]
    return [cell for child in getattr(box, "children", ()) for cell in _cells(child)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_table_columns_are_wide_enough_for_their_words(language: str) -> None:
    """Laid out with the report's stylesheet, no cell of the action plan or of
    the risk table breaks inside a word (it did: "P / l / a / n")."""
    measure = "Publish the retention schedule and delete footage after 31 days"
    rows = "".join(
        f"<tr><td>{measure}</td><td>Privacy</td><td>Data protection officer</td>"
        f"<td>2026-12-03</td><td>{status}</td></tr>"
        for status in STATUSES[language]
    )
    plan = "".join(f"<th>{h}</th>" for h in HEADERS[language])
    risk = "".join(f"<th>{h}</th>" for h in RISK_HEADERS[language])
    very_high = {"en": "4 Very high", "ru": "4 Очень высокий"}[language]
    rights = "".join(
        f"<tr><td><strong>R{n}</strong> {right.label.get_text(language)}</td>"
        + f"<td>{very_high}</td>" * 5
        + "</tr>"
        for n, right in enumerate(BANK.rights, 1)
    )
    page = (
        f'<html lang="{language}"><body>'
        f'<table class="plan-table"><thead><tr>{plan}</tr></thead><tbody>{rows}</tbody></table>'
        f'<table class="risk"><thead><tr>{risk}</tr></thead><tbody>{rights}</tbody></table>'
        "</body></html>"
    )
    fetcher = AssetOnlyURLFetcher(STATIC_DIR)
    stylesheet = CSS(
        string=REPORT_CSS.read_text(encoding="utf-8"),
        base_url=ASSET_BASE + "css/",
        url_fetcher=fetcher,
    )
    document = HTML(string=page, base_url=ASSET_BASE, url_fetcher=fetcher).render(
        stylesheets=[stylesheet]
    )
    cells = _cells(document.pages[0]._page_box)
    assert len(cells) == 5 * 4 + 6 * (len(BANK.rights) + 1)
    words = set(_text(page).split())
    for cell in cells:  # each line of a cell is made of whole words
        text = ""
        for line in _texts(cell):  # "non-" and "discrimination" may go on two lines
            text += line.lstrip() if text.endswith("-") else f" {line}"
        assert set(text.split()) <= words, text
