"""The report in the assessment's language: the ``report`` catalogue is
complete, a Russian assessment's report is Russian with Russian typography,
and its PDF carries Russian metadata and verifies like an English one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from pypdf import PdfReader

from assessment.config import PROJECT_ROOT
from assessment.engine.answers import Answer
from assessment.engine.bank import UNKNOWN
from assessment.engine.document import AssessmentDocument, load_document
from assessment.report.changes import Side, build_changes
from assessment.report.context import build_report_context
from assessment.report.i18n import (
    catalogue_path,
    extract_report_messages,
    report_language,
    report_languages,
)
from assessment.report.render import page_stylesheet, render_html
from assessment.report.verify import read_embedded
from tests.helpers import BANK
from tests.pdf_text import pdf_pages

EXAMPLES = PROJECT_ROOT / "assessment" / "examples"
NARROW_NBSP = "\u202f"
NOW = dt.datetime(2026, 12, 3, 9, 5, tzinfo=dt.UTC)


def _junction(language: str, *changes: Answer) -> AssessmentDocument:
    document = load_document((EXAMPLES / "junction_cctv.json").read_bytes(), BANK)
    changed = {a.question_id: a for a in changes}
    answers = tuple(a for a in document.answers if a.question_id not in changed)
    return dataclasses.replace(document, language=language, answers=(*answers, *changed.values()))


def _page(document: AssessmentDocument) -> str:
    return render_html(build_report_context(BANK, document, now=NOW))


def _text(page: str) -> str:
    """The page's text, with runs of ASCII white space as one space (no-break
    spaces are kept: they are what is checked)."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def test_every_report_string_has_a_russian_translation() -> None:
    found = extract_report_messages(PROJECT_ROOT)
    assert len(found) > 200  # the template, the report code and the engine's labels
    assert "ru" in report_languages()
    with catalogue_path("ru").open("rb") as po:
        catalog = read_po(po, locale="ru")
    missing = []
    for msgid, where in found.items():
        message = catalog.get(msgid)
        forms = (
            message.string
            if message is not None and isinstance(message.string, tuple)
            else (message.string if message is not None else "",)
        )
        if message is None or message.fuzzy or not all(forms):
            missing.append(f"{where[0]}: {msgid!r}")
    assert not missing, "untranslated in report.po:\n" + "\n".join(missing)
    problems = [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_no_text_of_the_report_template_is_left_outside_gettext() -> None:
    """Words between the tags of report.html must all be inside ``_()`` or
    ``ngettext()``: what remains once expressions, statements and tags are
    taken out is untranslatable."""
    source = (PROJECT_ROOT / "templates" / "report" / "report.html").read_text(encoding="utf-8")
    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>", "\n", source, flags=re.DOTALL)
    words = {line.strip() for line in bare.splitlines() if re.search("[A-Za-z]{2,}", line)}
    assert words == {"SHA-256"}


def test_a_russian_assessments_report_is_russian_with_russian_typography() -> None:
    people = Answer("desc.people_affected", 170000.5)
    page = _page(_junction("ru", people, Answer("lim.legal_basis", UNKNOWN)))
    text = _text(page)
    assert '<html lang="ru">' in page
    headings = {re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page)}
    for heading in (
        "Краткое изложение",
        "Проверка допустимости ограничений",
        "Пробелы в информации",
    ):
        assert heading in headings
    assert "Executive summary" not in text
    assert "Not answered" not in text
    assert "None." not in text
    assert f"Создано 23 ноября 2026{NARROW_NBSP}г." in text  # the assessment's created_at
    assert f"Сформировано 3 декабря 2026{NARROW_NBSP}г., 09:05 UTC" in text
    assert f"170{NARROW_NBSP}000,5" in text  # thousands apart, decimal comma
    assert "Ответ «неизвестно» (2)" in text  # one in the example, one here
    assert re.search(r"Показывается, только если «[^»]+» = «[^»]+»", text)
    assert "Рекомендация Приостановить программу" in text  # the legal basis is not known
    assert "Повышено до IV: основной шаг проверки допустимости ограничений не выполнен." in text
    assert '"not known"' not in page


def test_the_english_report_keeps_its_words_and_numbers() -> None:
    text = _text(_page(_junction("en", Answer("desc.people_affected", 170000.5))))
    assert "Created 2026-11-23" in text
    assert "Generated 2026-12-03 09:05 UTC" in text
    assert f"170{NARROW_NBSP}000.5" in text
    assert "Executive summary" in text
    assert "Краткое" not in text


def test_the_running_header_and_page_numbers_are_in_the_reports_language() -> None:
    assert '"Page " counter(page) " of " counter(pages)' in page_stylesheet("en")
    russian = page_stylesheet("ru")
    assert '"Стр. " counter(page) " из " counter(pages)' in russian
    assert "Оценка воздействия" in russian


def test_dates_numbers_and_quotes_by_language() -> None:
    russian, english = report_language("ru"), report_language("en")
    assert russian.date("2026-03-01T10:00:00+00:00") == f"1 марта 2026{NARROW_NBSP}г."
    assert english.date("2026-03-01T10:00:00+00:00") == "2026-03-01"
    assert russian.date("") == ""
    assert russian.date("not a date") == "not a date"
    assert russian.number(1234567.25) == f"1{NARROW_NBSP}234{NARROW_NBSP}567,25"
    assert english.number(1234567.25) == f"1{NARROW_NBSP}234{NARROW_NBSP}567.25"
    assert russian.quote("да") == "«да»"
    assert english.quote("yes") == '"yes"'
    assert russian.ngettext("%(num)d byte", "%(num)d bytes", 3) == "%(num)d байта"
    assert russian.ngettext("%(num)d byte", "%(num)d bytes", 5) == "%(num)d байт"


@pytest.mark.database_agnostic
def test_a_russian_report_pdf_is_russian_and_verifies(app: Flask, tmp_path: Path) -> None:
    """One real render: the text, the metadata and /Lang are Russian, and the
    tool's verify function accepts the file and its embedded data."""
    source = json.loads((EXAMPLES / "card_data_tracing.json").read_text(encoding="utf-8"))
    source["assessment"]["language"] = "ru"
    exchange = tmp_path / "card-ru.json"
    exchange.write_text(json.dumps(source), encoding="utf-8")
    out = tmp_path / "card-ru.pdf"
    runner = app.test_cli_runner()
    rendered = runner.invoke(args=["render", str(exchange), "-o", str(out)])
    assert rendered.exit_code == 0, rendered.output
    pdf = out.read_bytes()

    text = "\f".join(pdf_pages(pdf))
    for words in ("Краткое изложение", "Приложение A. Все ответы", "Стр. 1 из", "г."):
        assert words in text
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "ru"
    meta = reader.metadata
    assert meta is not None
    assert meta.title.endswith("оценка воздействия на права человека")
    assert (meta.subject or "").startswith("Оценка воздействия на права человека")
    assert "слежка" in meta["/Keywords"]

    embedded = read_embedded(pdf)
    assert embedded.intact  # the printed hash is found after the Russian label
    assert json.loads(embedded.data)["assessment"]["language"] == "ru"
    verified = runner.invoke(args=["verify", str(out)])
    assert verified.exit_code == 0, verified.output


def test_the_comparison_with_the_last_issued_report_is_in_russian() -> None:
    before = _junction("ru")
    after = dataclasses.replace(
        _junction("ru", Answer("lim.legal_basis", UNKNOWN, note="Закон отменён")), revision=2
    )
    changes = build_changes(Side(BANK, before), Side(BANK, after))
    changes["base"] = before.revision
    context = build_report_context(BANK, after, now=NOW, changes=changes)
    text = _text(render_html(context))
    section = text.split("Изменения с последнего выпущенного отчёта")[-1]
    assert "По сравнению с редакцией 1, последним выпущенным отчётом: изменён 1 ответ;" in section
    assert "Изменено: ответ, примечание, источник, достоверность;" in section
    assert "примечание теперь: Закон отменён;" in section
    assert "источник теперь: нет; достоверность теперь: не указана" in section
    assert "Выполнено Не выполнено (изменено)" in section  # legality: its verdict changed
