"""The whole journey in Russian, as issue 13's tests ask: in Debian's Chromium
with JavaScript off, a person opens the landing page, switches it to Russian,
signs up, starts a Russian assessment of Moscow's quarantine cameras, answers
every section of the wizard through its forms, reviews and submits it, makes
a share link for an auditor, and the auditor downloads the report (the
"being prepared" page reloads itself until the "ready" page starts the
download).  The PDF is Russian: headings, «quotes», dates, numbers with a
narrow no-break space, /Lang ru.

Every page visited is checked with axe-core (WCAG 2.2 AA, 0 violations) and
for sideways scrolling, in Russian and in English, at a desktop width and at
390 px.  The journey runs once, in Russian at the desktop width, each page
checked as it is reached; the pages of each part of the journey are then
revisited in the three other combinations (the header's language switcher,
a phone-sized viewport) by a second profile of the same browser with the
person's cookies and JavaScript on, for axe-core only.  Forms refused for a
validation error are posted again in each combination.  The findings are
collected per combination, so that one test names every page that fails.

The app is served once for the module, on a SQLite database of its own: the
pages do not depend on the database (CI's PostgreSQL run leaves this module
out: it is ``database_agnostic`` and uses no ``migrated_engine``)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from assessment.config import Config
from assessment.db import make_engine
from assessment.engine.bank import QuestionType
from assessment.forms import field_name
from assessment.migrate import upgrade
from assessment.views import shares as share_views
from tests.browser import (
    PHONE,
    axe_violations,
    click_and_load,
    horizontal_overflow,
    js_off_context,
    read_section_page,
    serving,
    switch_language,
)
from tests.conftest import TEST_PASSWORD
from tests.helpers import BANK
from tests.pdf_text import flat_pdf_text, pdf_pages

pytestmark = pytest.mark.database_agnostic

NARROW_NBSP = "\u202f"
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = {"desktop": DESKTOP, "390px": PHONE}
COMBINATIONS = [(language, width) for language in ("ru", "en") for width in WIDTHS]
TITLE = "Камеры на карантине: Москва, 2020"
CONTINUE = ".actions button[value=continue]"

# Moscow, spring 2020: the city's face-recognition cameras checked that people
# told to stay at home did.  Answers by question (option values for choices);
# a question not listed gets "not known" where it has it, else its first option.
SCENARIO: dict[str, str | list[str]] = {
    "scope.status": "ended",
    "scope.linked": "yes",
    "scope.operator": "Департамент информационных технологий города Москвы",
    "scope.operator_type": "city",
    "scope.supplier": "NtechLab",
    "scope.assessor_position": "outside_public",
    "scope.sources": ["official", "law", "court", "media", "ngo"],
    "scope.emergency": "yes",
    "scope.derogation": "no",
    "scope.context_notes": (
        "Режим повышенной готовности введён указом мэра Москвы от 5 марта 2020 г. № 12-УМ; "
        "отступление от обязательств по МПГПП не заявлялось."
    ),
    "desc.purpose": (
        "Контроль соблюдения режима самоизоляции: камеры городской сети с распознаванием "
        "лиц сверяют прохожих со списком людей, которым предписан карантин."
    ),
    "desc.processors": "ДИТ Москвы, ГУ МВД России по г. Москве, Роспотребнадзор.",
    "desc.deployer_processes": (
        "Видеопоток, биометрические шаблоны лиц, списки заболевших и контактных лиц, "
        "сведения о совпадениях и выписанных штрафах."
    ),
    "desc.technology": "Система видеонаблюдения «Безопасный город» с модулем распознавания лиц",
    "desc.data_categories": ["biometric", "health", "video", "identity"],
    "desc.data_sources": ["cctv", "registers"],
    "desc.sharing": ["police", "health"],
    "desc.retention": "unknown",
    "desc.people_affected": "12,7 млн",  # as people write it in Russian
    "desc.population_scope": "area",
    "desc.area": "Москва",
    "desc.start_date": "2020-03-05",
    "desc.end_date": "2020-06-09",
    "desc.frequency": "continuous",
    "lim.legal_basis": "no",
    "lim.purpose_limited": "no",
    "lim.aim": "public_health",
    "lim.aim_pretext": "unknown",
    "lim.pressing_need": "yes",
    "lim.alternatives_considered": "no",
    "lim.alternatives_list": "Звонки и выборочные визиты участковых врачей.",
    "lim.intensity": "4",
    "lim.sanctions": "fine",
    "lim.targets_groups": "yes",
    "cam.functions": ["recording", "live_fr"],
    "cam.camera_count": "170 000",
    "cam.fr_cameras": "105 000",
    "cam.watchlist": "broad",
    "cam.protest_use": "yes",
    "cam.retention": "days",
    "cam.access": ["operator", "police"],
    "rights.affected": ["quarantined", "contacts", "residents"],
    "rights.vulnerable_groups": ["health_status", "elderly"],
    "rights.movement": "enforced",
    "rights.detention": "no",
    "rights.reversible": "partly",
    "rights.harms_documented": (
        "Штрафы в 4 000 рублей людям, выходившим вынести мусор; ошибочные совпадения "
        "оспаривались в суде."
    ),
    "safe.human_oversight": "Совпадение проверяет сотрудник полиции до выписки штрафа.",
    "safe.if_risks_materialise": "Отмена штрафа по жалобе; порядок не опубликован.",
    "safe.review_date": "2027-03-01",
    "safe.sign_off": "Анна Петрова, юрист",
}
ROWS = {  # the first row of each repeatable group, by column
    "part.engagement": {
        "who": "Общество защиты интернета",
        "how": "written_submission",
        "when": "2020-04-10",
        "said": "Просили опубликовать правовое основание и сроки хранения записей.",
    },
    "safe.actions": {
        "measure": "Опубликовать перечень лиц с доступом к системе",  # ROW below
        "addresses": "privacy",
        "owner": "ДИТ Москвы",
        "due": "2027-01-31",
        "status": "planned",
    },
}


ROW = ROWS["safe.actions"]
MONTHS = [
    *("января", "февраля", "марта", "апреля", "мая", "июня"),
    *("июля", "августа", "сентября", "октября", "ноября", "декабря"),
]


@dataclass(frozen=True)
class Visit:
    """A page of the journey: a URL to open (as the person, or signed out),
    optionally a form on it to post with ``fill`` (selector -> value), pressing
    ``button``, whose answer ``shows`` an element."""

    name: str
    url: str
    signed_in: bool = True
    status: int = 200
    fill: tuple[tuple[str, str], ...] = ()
    button: str = ""
    shows: str = ""
    allowed: tuple[str, ...] = ()  # axe-core rules this page breaks, knowingly


@dataclass
class Checker:
    """axe-core and the overflow check, as ``person`` sees the pages, in a
    profile with JavaScript on; what is found, per (language, width)."""

    axe: Page
    person: Page
    found: dict[tuple[str, str], list[str]] = field(
        default_factory=lambda: {combination: [] for combination in COMBINATIONS}
    )
    checked: dict[tuple[str, str], list[str]] = field(
        default_factory=lambda: {combination: [] for combination in COMBINATIONS}
    )

    def check(self, visit: Visit, language: str, width: str) -> None:
        page = self.axe
        page.set_viewport_size(WIDTHS[width])
        page.context.clear_cookies()
        if visit.signed_in:
            page.context.add_cookies(self.person.context.cookies())  # type: ignore[arg-type]
        response = page.goto(visit.url) or page.reload()  # None: the same URL, a fragment
        assert response is not None
        status = response.status
        if page.locator("html").get_attribute("lang") != language:
            switch_language(page, language)
        where = f"{visit.name} ({visit.url.split('/', 3)[-1] or '/'})"
        if status != visit.status:
            self.found[language, width].append(f"{where}: HTTP {status}, not {visit.status}")
        if visit.button:
            for selector, value in visit.fill:
                page.fill(selector, value)
            with page.expect_navigation():
                page.click(visit.button)
            assert page.locator(visit.shows).count() > 0, (visit, page.content()[:3000])
        page.wait_for_load_state()  # measured with the stylesheet applied
        overflow = horizontal_overflow(page)
        if overflow:
            self.found[language, width].append(f"{where}: {overflow} px too wide")
        # Colour contrast, by far axe-core's slowest rule, depends on the styles,
        # which are the same in both languages: it is checked in Russian only.
        skip = ("color-contrast",) if language != "ru" else ()
        for violation in axe_violations(page, (*skip, *visit.allowed)):
            self.found[language, width].append(f"{where}: {violation}")
        self.checked[language, width].append(visit.name)

    def revisit(self, visits: list[Visit]) -> None:
        """The three combinations the journey was not in, the Russian one
        last, as the person goes on in it."""
        for language, width in (("en", "desktop"), ("en", "390px"), ("ru", "390px")):
            for visit in visits:
                self.check(visit, language, width)
        self.axe.set_viewport_size(DESKTOP)


@dataclass
class Journey:
    checker: Checker
    pdf: bytes = b""


def _h1(page: Page) -> str:
    return page.locator("h1").inner_text().strip()


def _answer_section(page: Page) -> None:
    """Answer every question shown on the section page that has no answer yet,
    from the scenario, as a person does with the form's controls."""
    on_page = read_section_page(page)
    for question in BANK.section(on_page.section_id).questions:
        name = field_name(question.id)
        if question.id not in on_page.shown:
            continue
        if question.type is QuestionType.GROUP:
            row = ROWS[question.id]
            if page.input_value(f"[name='{name}-0-{question.fields[0].id}']"):
                continue  # answered before further questions came up
            for column in question.fields:
                cell = f"[name='{name}-0-{column.id}']"
                if column.id not in row:
                    continue
                if column.is_choice:
                    page.select_option(cell, row[column.id])
                else:
                    page.fill(cell, row[column.id])
            continue
        if name in on_page.answered:
            continue
        value = SCENARIO.get(question.id)
        if question.type is QuestionType.MULTIPLE_CHOICE or question.is_choice:
            options = [o.value for o in question.options]
            fallback = "unknown" if "unknown" in options else options[0]
            chosen = value if value is not None else fallback
            for option in [chosen] if isinstance(chosen, str) else chosen:
                page.check(f"[name='{name}'][value='{option}']")
        elif isinstance(value, str):
            page.fill(f"[name='{name}']", value)
        elif question.required:
            page.fill(f"[name='{name}']", "Сведений нет")


@pytest.fixture(scope="module")
def journey(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    from assessment.web import create_app

    folder = tmp_path_factory.mktemp("russian-journey")
    database_url = f"sqlite:///{folder / 'journey.sqlite3'}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    application = create_app(
        Config(
            secret_key="test-secret-key-" + "x" * 32,
            database_url=database_url,
            instance_path=folder / "instance",
            testing=True,
            report_workers=1,
            report_wait_seconds=0,  # the download shows "being prepared" first
        )
    )
    person_context = js_off_context(chromium)
    axe_context = chromium.new_context(java_script_enabled=True)
    auditor_context = js_off_context(chromium)
    try:
        with serving(application) as base:
            person = person_context.new_page()
            person.set_viewport_size(DESKTOP)
            checker = Checker(axe=axe_context.new_page(), person=person)
            yield _walk(base, person, checker, auditor_context.new_page(), folder)
    finally:
        for context in (person_context, axe_context, auditor_context):
            context.close()
        application.extensions["assessment"]["renderer"].shutdown()
        application.extensions["assessment"]["engine"].dispose()


def _walk(base: str, person: Page, checker: Checker, auditor: Page, folder: Path) -> Journey:
    journey = Journey(checker)
    visits: list[Visit] = []

    def seen(visit: Visit) -> None:
        """The page the person is on (or the form posted): checked now in Russian
        at the desktop width, revisited in the other combinations later."""
        if visit not in visits:
            visits.append(visit)
            checker.check(visit, "ru", "desktop")

    # --- the landing page, switched to Russian; signing up --------------------------------
    person.goto(f"{base}/")
    assert person.locator("html").get_attribute("lang") == "en"
    switch_language(person, "ru")
    seen(Visit("landing page", f"{base}/", signed_in=False))
    person.click("main a[href='/signup']")
    assert _h1(person) == "Создайте рабочее пространство организации"
    seen(Visit("sign-up page", person.url, signed_in=False))
    seen(
        Visit(
            "sign-up page, refused",
            person.url,
            signed_in=False,
            fill=(("#organisation", "Правозащитный центр"), ("#email", "не адрес")),
            button="main form button[type=submit]",
            shows=".error-summary, .errors, [role=alert]",
        )
    )
    person.fill("#organisation", "Правозащитный центр «Открытые данные»")
    person.fill("#name", "Анна Петрова")
    person.fill("#email", "anna@example.org")
    person.fill("#password", TEST_PASSWORD)
    person.click("main form button[type=submit]")
    assert _h1(person) == "Оценки"
    seen(Visit("assessments", f"{base}/"))

    # --- a new assessment, in Russian -----------------------------------------------------
    person.click("main a[href='/assessments/new']")
    assert person.locator("select#language").input_value() == "ru"
    seen(Visit("new assessment", person.url))
    person.fill("#title", TITLE)
    person.check("input[value=camera]")
    person.click("main form button[type=submit]")
    assert "Программа и ваша роль" in _h1(person)  # the bank's texts in Russian
    sections = person.url.split("#")[0].rsplit("/", 1)[0]
    assessment_url = sections.rsplit("/sections", 1)[0]

    # --- every section of the wizard, through its forms -----------------------------------
    for _ in range(80):  # each section once, again when answers bring up further questions
        url = person.url.split("#")[0]
        if url.endswith("/review"):
            break
        assert "/sections/" in url, url
        assert person.locator("html").get_attribute("lang") == "ru"
        seen(Visit(f"section {url.rsplit('/', 1)[1]}", url))
        refused_yet = any(v.button and v.url == url for v in visits)
        if url.endswith("/camera.identification") and not refused_yet:
            person.fill(f"[name='{field_name('cam.camera_count')}']", "много")
            click_and_load(person, CONTINUE)
            assert person.locator(".error-summary").count() == 1
            assert "много" in person.input_value(f"[name='{field_name('cam.camera_count')}']")
            seen(
                Visit(
                    "section camera.identification, refused number",
                    url,
                    fill=((f"[name='{field_name('cam.camera_count')}']", "много"),),
                    button=CONTINUE,
                    shows=".error-summary",
                )
            )
            person.fill(f"[name='{field_name('cam.camera_count')}']", "")
        _answer_section(person)
        click_and_load(person, CONTINUE)
        refused = person.locator(".error-summary")
        assert refused.count() == 0, (person.url, refused.inner_text())
    else:
        raise AssertionError(f"the wizard did not reach the review page: {person.url}")

    # --- review and submit ----------------------------------------------------------------
    review_url = f"{assessment_url}/review"
    assert person.url.split("#")[0] == review_url
    assert "Не отвечено" not in person.locator("main").inner_text()
    seen(Visit("review", review_url))
    person.locator("main a[href$='/submit']").first.click()
    seen(Visit("submit confirmation", person.url))
    checker.revisit(visits)  # while the answers can still be changed
    done = len(visits)
    click_and_load(person, "main form button[type=submit]")
    assert person.url.split("#")[0] == review_url

    # --- the share page, the auditor's link -----------------------------------------------
    seen(Visit("review, submitted", review_url))
    person.click("main a[href$='/shares']")
    assert _h1(person) == "Поделиться с аудитором"
    share_url = person.url
    seen(Visit("share page", share_url))
    person.fill("#label", "Для аудитора")
    person.check("input[name=edition][value=public]")
    person.click("main form.share-form button[type=submit]")
    link = person.input_value("#share-url")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/\S+", link), link
    seen(
        Visit(
            "share page, link made",
            share_url,
            fill=(("#label", "Для аудитора"),),
            button="main form.share-form button[type=submit]",
            shows="#share-url",
        )
    )
    auditor.goto(link)
    switch_language(auditor, "ru")
    seen(Visit("shared summary", link, signed_in=False))
    checker.revisit(visits[done:])
    done = len(visits)

    # --- the auditor downloads the report --------------------------------------------------
    # The report is held at "being prepared" while that page is checked (it may have been
    # rendered in the background on submitting already); once the
    # patch is undone (first, on leaving the block), the page's next reload finds
    # the report ready and moves on to the "ready" page, which starts the download.
    with (
        auditor.expect_download(timeout=180_000) as download,
        pytest.MonkeyPatch.context() as patch,
    ):
        # not ready, even when the render on submitting has finished already
        patch.setattr(share_views, "report_download", lambda *args, **kwargs: None)
        patch.setattr(share_views, "report_ready", lambda *args, **kwargs: False)
        auditor.click("main a[href$='/report.pdf']")
        assert _h1(auditor) == "Отчёт готовится"
        assert auditor.locator("meta[http-equiv=refresh]").count() == 1
        status_url = f"{link}/report/status"
        # The page reloads itself (JavaScript may be off): axe-core's meta-refresh
        # (WCAG 2.2.1, F41), answered by the page's link that turns it off.
        seen(Visit("being prepared", status_url, False, 202, allowed=("meta-refresh",)))
        seen(Visit("being prepared, checked by hand", f"{status_url}?auto=0", False, 202))
        checker.revisit(visits[done:])
        done = len(visits)
    pdf_path = folder / "report.pdf"
    download.value.save_as(pdf_path)
    journey.pdf = pdf_path.read_bytes()
    auditor.wait_for_load_state()
    assert auditor.url == f"{link}/report/ready"
    assert "готовится" not in _h1(auditor)
    seen(Visit("report ready", auditor.url, signed_in=False))
    checker.revisit(visits[done:])
    return journey


def test_the_journey_ends_with_a_russian_report(journey: Journey) -> None:
    """The downloaded report, read by pdftotext: the title, Russian headings,
    «quotes» and the date written out in Russian; read by pypdf, which keeps the
    narrow no-break spaces that pdftotext turns into spaces: thousands apart in
    the numbers typed in Russian, before the year's abbreviation; /Lang ru."""
    pdf = journey.pdf
    assert pdf.startswith(b"%PDF")
    text = flat_pdf_text(pdf)
    first = " ".join(pdf_pages(pdf)[0].split())
    assert TITLE in first, first
    for heading in ("Краткое изложение", "Проверка допустимости ограничений", "План действий"):
        assert heading in text, heading
    for english in ("Executive summary", "Not answered", "Page "):
        assert english not in text, english
    assert "«Открытые данные»" in first  # the organisation's name as typed
    assert "Ответ «неизвестно»" in text  # the report's own «quotes»
    reader = PdfReader(io.BytesIO(pdf))
    made = reader.metadata.creation_date.astimezone(dt.UTC)
    written = f"{made.day} {MONTHS[made.month - 1]} {made.year}"
    assert f"Сформировано {written} г., " in text, written  # the day WeasyPrint wrote it
    assert ROW["measure"] in text  # the action plan's row, typed in Russian
    assert reader.trailer["/Root"]["/Lang"] == "ru"
    assert "оценка воздействия" in str(reader.metadata.title)
    exact = "\n".join(page.extract_text() for page in reader.pages[:8])
    assert f"{written}{NARROW_NBSP}г." in exact
    assert f"12{NARROW_NBSP}700{NARROW_NBSP}000" in exact  # "12,7 млн", as typed


EVERY_COMBINATION = {  # besides each section of the wizard
    "landing page",
    "sign-up page",
    "sign-up page, refused",
    "assessments",
    "new assessment",
    "section camera.identification, refused number",  # with its error summary
    "review",
    "submit confirmation",
    "review, submitted",
    "share page",
    "share page, link made",
    "shared summary",
    "being prepared",
    "being prepared, checked by hand",
    "report ready",
}


@pytest.mark.parametrize(("language", "width"), COMBINATIONS)
def test_every_page_passes_axe_and_fits(journey: Journey, language: str, width: str) -> None:
    """axe-core finds no violation and nothing scrolls sideways, on every page
    of the journey in this language at this width."""
    checked = journey.checker.checked[language, width]
    assert set(checked) >= EVERY_COMBINATION, EVERY_COMBINATION - set(checked)
    sections = [name for name in checked if name.startswith("section ")]
    assert len(sections) > 25, sections  # every section of a camera programme
    found = journey.checker.found[language, width]
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)
