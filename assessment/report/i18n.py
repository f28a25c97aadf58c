"""The report's words in the assessment's language, whoever reads it.

A report is rendered in the language of its assessment, not of the person
who downloads it, and outside any web request (in the report workers), so it
has a gettext domain of its own, ``report``:
``assessment/translations/<language>/LC_MESSAGES/report.po``.  The catalogue
is compiled in memory the first time a process needs it, so there is no
``.mo`` file to keep in step with it.  English is the msgids themselves.

Besides the words, the conventions of the language: dates ("2026-12-03" in
English, day, month name and "year" in Russian), numbers (a narrow no-break space
between thousands, a decimal comma in Russian) and quotation marks
("…" in English, «…» in Russian).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from assessment.engine.bank import CONFIDENCE_LABELS, Question
from assessment.engine.display import (
    DISPLAY_LABELS,
    OTHERS_NOT_KNOWN_TEXT,
    format_number,
    format_value,
)
from assessment.engine.document import EVIDENCE_KIND_LABELS, STATUS_LABELS
from assessment.engine.scoring import (
    LEVEL_LABELS,
    RECOMMENDATION_LABELS,
    RISK_LABELS,
    VERDICT_LABELS,
)

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
DOMAIN = "report"
#: Where each report catalogue lives: ``catalogue_path("ru")``.
CATALOGUE = "{language}/LC_MESSAGES/report.po"
#: The opening and closing quotation marks of each language.
QUOTES = {"en": ('"', '"'), "ru": ("\u00ab", "\u00bb")}


def catalogue_path(language: str) -> Path:
    """Where the ``report`` catalogue of ``language`` is (it may not exist)."""
    return TRANSLATIONS_DIR / CATALOGUE.format(language=language)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The ``report`` translations into ``language``: the msgids unchanged for
    English or a language without a catalogue.  Fuzzy entries are left out.
    Raises ``OSError`` or Babel's ``PoFileError`` for an unreadable catalogue."""
    path = catalogue_path(language)
    if language == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def report_languages() -> tuple[str, ...]:
    """The languages with a ``report`` catalogue, besides English."""
    return tuple(
        sorted(p.parent.parent.name for p in TRANSLATIONS_DIR.glob(CATALOGUE.format(language="*")))
    )


def N_(message: str) -> str:  # noqa: N802  # the usual name of gettext's no-op marker
    """Mark ``message`` for the catalogue where it is defined; it is
    translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class ReportLanguage:
    """The words and conventions of one language, for the report's context."""

    code: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]

    def quote(self, text: str) -> str:
        """``text`` in the language's quotation marks."""
        opening, closing = QUOTES.get(self.code, QUOTES["en"])
        return f"{opening}{text}{closing}"

    def date(self, iso: str) -> str:
        """The day of the ISO date or timestamp ``iso``: "2026-12-03" in English,
        Babel's long format in Russian (day, month name, year); empty for an
        empty ``iso``, and ``iso`` itself if it is not a date."""
        if not iso:
            return ""
        if self.code == "en":
            return iso[:10]
        try:
            day = dt.date.fromisoformat(iso[:10])
        except ValueError:
            return iso
        return format_date(day, format="long", locale=self.code)

    def moment(self, when: dt.datetime) -> str:
        """``when`` (UTC) to the minute: "2026-12-03 10:25 UTC" in English,
        the long date, a comma and "10:25 UTC" in Russian."""
        if self.code == "en":
            return when.strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.date(when.date().isoformat())}, {when.strftime('%H:%M')} UTC"

    def number(self, value: float) -> str:
        """``value`` with a narrow no-break space between thousands and the
        language's decimal sign (see :func:`assessment.engine.display.format_number`)."""
        return format_number(value, self.code)


def answer_text(question: Question, value: Any, language: str) -> str:
    """``value`` in words in ``language``, as the review page, the report and
    the sheets show it (:func:`~assessment.engine.display.format_value`, an
    open list ending ", and others not known" in that language)."""
    others = report_language(language).gettext(OTHERS_NOT_KNOWN_TEXT)
    return format_value(question, value, language, others)


@cache
def report_language(code: str) -> ReportLanguage:
    """The :class:`ReportLanguage` of the language ``code``."""
    found = translations(code)
    return ReportLanguage(code, found.gettext, found.ngettext)


def engine_labels() -> tuple[str, ...]:
    """Every engine label the report shows (levels, risks, verdicts, ...):
    msgids of the report catalogue like the marked strings, translated
    where they are shown."""
    tables: tuple[Mapping[Any, str], ...] = (
        CONFIDENCE_LABELS,
        EVIDENCE_KIND_LABELS,
        STATUS_LABELS,
        LEVEL_LABELS,
        RECOMMENDATION_LABELS,
        RISK_LABELS,
        VERDICT_LABELS,
        DISPLAY_LABELS,
    )
    return tuple(dict.fromkeys(label for table in tables for label in table.values()))


#: Where the report's marked strings are, relative to the project: the
#: template, the report code (the sheets of exports.py too), and the two
#: engine functions that take a
#: ``translate`` function (the reasons of :func:`~assessment.engine.scoring.score`
#: and :func:`~assessment.engine.conditions.describe`).
MESSAGE_SOURCES = (
    ("templates/report/report.html", "jinja2"),
    ("assessment/report/context.py", "python"),
    ("assessment/report/changes.py", "python"),
    ("assessment/report/render.py", "python"),
    ("assessment/report/exports.py", "python"),
    ("assessment/engine/scoring.py", "python"),
    ("assessment/engine/conditions.py", "python"),
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract_report_messages(root: Path) -> dict[str | tuple[str, str], list[str]]:
    """Every msgid of the report (a ``(singular, plural)`` pair for plural
    forms) with where it is used, extracted from :data:`MESSAGE_SOURCES`
    under the project folder ``root``, plus the engine labels.  For the
    catalogue's completeness test and for updating the catalogue."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for relative, method in MESSAGE_SOURCES:
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
        extractor = "jinja2.ext.babel_extract" if method == "jinja2" else "python"
        with (root / relative).open("rb") as source:
            for line, message, _comments, _context in extract(
                extractor, source, keywords=KEYWORDS, options=options
            ):
                key = message if isinstance(message, str) else (message[0], message[1])
                found.setdefault(key, []).append(f"{relative}:{line}")
    for label in engine_labels():
        found.setdefault(label, []).append("assessment/engine (label)")
    return found


def update_catalogue(root: Path, language: str) -> list[str]:
    """Bring the ``report`` catalogue of ``language`` in step with the
    strings the report uses (extracted under the project folder ``root``):
    new msgids are added untranslated, changed ones are kept as fuzzy
    suggestions and unused ones are dropped.  Returns the msgids that now lack
    a translation (the completeness test fails until they have one)."""
    template = Catalog(domain=DOMAIN)
    for msgid, where in extract_report_messages(root).items():
        locations = [
            (path, int(line)) if line.isdigit() else (place, 0)
            for place in where
            for path, _, line in [place.rpartition(":")]
        ]
        template.add(msgid, locations=locations)
    path = catalogue_path(language)
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    catalog.update(template, no_fuzzy_matching=False)
    catalog.obsolete.clear()
    with path.open("wb") as po:
        write_po(po, catalog, width=100, include_lineno=False)
    untranslated = []
    for message in catalog:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (message.fuzzy or not all(forms)):
            untranslated.append(str(message.id))
    return untranslated


if __name__ == "__main__":  # python -m assessment.report.i18n ru
    import sys

    for missing in update_catalogue(Path(__file__).resolve().parents[2], sys.argv[1]):
        print(f"untranslated: {missing}")
