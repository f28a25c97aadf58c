"""The web interface in English and Russian: the catalogue is complete, the
compiled catalogue is the one in the source, Russian plurals, the language
switcher without JavaScript, and a Russian assessment for a Russian user."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string, session
from flask_babel import force_locale, ngettext, refresh
from sqlalchemy import select

from assessment.config import PROJECT_ROOT
from assessment.engine.bank import CONFIDENCE_LABELS
from assessment.engine.document import STATUS_LABELS
from assessment.engine.scoring import RECOMMENDATION_LABELS
from assessment.i18n import ENGINE_LABELS, ENGINE_MESSAGES, LANGUAGES, SESSION_KEY
from assessment.models import Assessment, User
from tests.conftest import TEST_PASSWORD, Browser

TRANSLATIONS = PROJECT_ROOT / "assessment" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}  # lazy_gettext, as docs/translation.md extracts

MessageKey = tuple[str | None, str]  # (context, msgid), the singular for a plural


def _key(context: str | None, msgid: str | tuple[str, ...] | list[str]) -> MessageKey:
    return context, msgid if isinstance(msgid, str) else msgid[0]


def _extracted() -> set[MessageKey]:
    """Every message the source marks for translation, found the way
    ``pybabel extract -F babel.cfg -k _l`` finds them."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: set[MessageKey] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(_key(context, message if isinstance(message, str) else message[0]))
    return found


def _catalogue(language: str) -> Any:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _translated(message: Any) -> bool:
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    return all(s.strip() for s in strings)


def _entry(message: Any) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """A message as plain values, the same whether read from a .po or a .mo."""

    def strings(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    return message.context, strings(message.id), strings(message.string)


def test_every_extracted_message_has_a_russian_translation() -> None:
    catalogue = _catalogue("ru")
    entries = {_key(m.context, m.id): m for m in catalogue if m.id}
    extracted = _extracted()
    assert len(extracted) > 300, "extraction found too little: is babel.cfg right?"
    missing = sorted(k for k in extracted if k not in entries or not _translated(entries[k]))
    assert not missing, f"not translated into Russian: {missing[:20]}"
    fuzzy = sorted(k for k, m in entries.items() if m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:20]}"


def test_russian_plurals_have_three_forms_each() -> None:
    catalogue = _catalogue("ru")
    assert catalogue.num_plurals == 3
    plurals = [m for m in catalogue if m.id and m.pluralizable]
    assert plurals
    for message in plurals:
        assert len(message.string) == 3, message.id


def test_compiled_catalogue_matches_the_source() -> None:
    """The committed .mo is the .po compiled (``pybabel compile``): nothing
    translated in the .po is missing or different in what the app reads."""
    source = _catalogue("ru")
    with (TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = read_mo(mo)
    expected = {_entry(m) for m in source if m.id and _translated(m)}
    actual = {_entry(m) for m in compiled if m.id}
    assert actual == expected, "run: pybabel compile -d assessment/translations"


def test_engine_labels_are_marked_for_translation() -> None:
    """The engine's English labels are translated through the copies marked
    in assessment/i18n.py: a label added to the engine must be added there."""
    assert set(CONFIDENCE_LABELS.values()) <= ENGINE_LABELS
    assert set(STATUS_LABELS.values()) <= ENGINE_LABELS
    assert set(RECOMMENDATION_LABELS.values()) <= ENGINE_LABELS
    engine_strings = {
        node.value
        for name in ("answers.py", "inputs.py")
        for node in ast.walk(ast.parse((PROJECT_ROOT / "assessment" / "engine" / name).read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }  # adjacent literals are one constant here, as they are to Python
    for message in ENGINE_MESSAGES:
        assert message in engine_strings, f"no longer the engine's message: {message}"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 оценка"), (2, "2 оценки"), (5, "5 оценок"), (21, "21 оценка"), (12, "12 оценок")],
)
def test_russian_plural_forms(app: Flask, count: int, expected: str) -> None:
    with app.test_request_context("/"), force_locale("ru"):
        shown = ngettext("%(count)s assessment", "%(count)s assessments", count, count=count)
    assert shown == expected


def test_templates_follow_a_language_forced_within_the_request(app: Flask) -> None:
    """Templates keep the request's catalogue once found; force_locale (as for a
    member's own language) still switches it, leaving it switches back, and a
    language chosen anew within the request (refresh) is followed too."""
    page = (
        "{{ _('Sections') }} / {{ pgettext('verb', 'Comment') }}"
        " / {{ ngettext('%(count)s assessment', '%(count)s assessments', 5, count=5) }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        before = render_template_string(page)
        with force_locale("ru"):
            forced = render_template_string(page)
        after = render_template_string(page)
        session[SESSION_KEY] = "ru"  # as the language switcher does, then Flask-Babel's refresh
        refresh()
        switched = render_template_string(page)
    assert before == after == "Sections / Comment / 5 assessments"
    assert forced == switched == "Разделы / Комментировать / 5 оценок"


def test_english_plural_forms(app: Flask) -> None:
    with app.test_request_context("/"), force_locale("en"):
        one = ngettext("%(count)s assessment", "%(count)s assessments", 1, count=1)
        two = ngettext("%(count)s assessment", "%(count)s assessments", 2, count=2)
    assert (one, two) == ("1 assessment", "2 assessments")


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', html)
    assert match, "no <html lang>"
    return match.group(1)


def _switch(browser: Browser, language: str, page: str) -> Any:
    """Press the switcher's button for ``language`` on ``page``, as a browser
    without JavaScript does: the form's hidden fields and its token."""
    browser.get(page)
    next_field = re.search(r'<input name="next" type="hidden" value="([^"]*)"', browser.last_html)
    assert next_field, "no language switcher on the page"
    return browser.client.post(
        "/language",
        data={
            "csrf_token": browser.token(),
            "next": next_field.group(1).replace("&amp;", "&"),
            "language": language,
        },
    )


def test_visitor_switches_language_in_the_session(
    make_browser: Callable[[], Browser],
) -> None:
    visitor = make_browser()
    page = visitor.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert '<button type="submit" name="language" value="ru" lang="ru" class="link">Русский' in page
    switched = _switch(visitor, "ru", "/login")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/login", "back to the same page"
    russian = visitor.get("/login").get_data(as_text=True)
    assert _html_lang(russian) == "ru"
    assert "Войти" in russian
    assert "Sign in" not in russian
    assert "Создайте рабочее пространство организации" in russian
    other = make_browser().get("/login").get_data(as_text=True)
    assert _html_lang(other) == "en", "another visitor keeps English"
    back = _switch(visitor, "en", "/verify?x=1")
    assert back.headers["Location"] == "/verify?x=1", "the query string is kept"
    assert _html_lang(visitor.get("/login").get_data(as_text=True)) == "en"


def test_switcher_refuses_unknown_languages_and_foreign_targets(
    make_browser: Callable[[], Browser],
) -> None:
    visitor = make_browser()
    visitor.get("/login")
    token = visitor.token()
    assert (
        visitor.client.post(
            "/language", data={"csrf_token": token, "language": "xx", "next": "/login"}
        ).status_code
        == 400
    )
    away = visitor.client.post(
        "/language",
        data={"csrf_token": token, "language": "ru", "next": "https://evil.example/"},
    )
    assert away.status_code == 302
    assert away.headers["Location"] == "/"
    no_token = make_browser().client.post("/language", data={"language": "ru", "next": "/"})
    assert no_token.status_code == 400


def test_accept_language_is_the_visitors_default(make_browser: Callable[[], Browser]) -> None:
    visitor = make_browser()
    page = visitor.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert _html_lang(page.get_data(as_text=True)) == "ru"
    page = visitor.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert _html_lang(page.get_data(as_text=True)) == "en"


def _user(app: Flask, email: str) -> User:
    with app.extensions["assessment"]["sessions"]() as session:
        user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _sign_up(browser: Browser, email: str, **kwargs: Any) -> None:
    response = browser.post(
        "/signup",
        {"organisation": "Watchdog", "name": "Ana", "email": email, "password": TEST_PASSWORD},
        page="/signup",
        **kwargs,
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_signed_in_users_language_is_kept_on_their_account(
    app: Flask, make_browser: Callable[[], Browser]
) -> None:
    first = make_browser()
    _sign_up(first, "ana@example.org")
    assert _user(app, "ana@example.org").language == "en", "no Accept-Language: English"
    assert _switch(first, "ru", "/").headers["Location"] == "/"
    assert _user(app, "ana@example.org").language == "ru"
    dashboard = first.get("/").get_data(as_text=True)
    assert _html_lang(dashboard) == "ru"
    assert "Оценки" in dashboard
    assert "Начать оценку" in dashboard
    assert "владелец" in dashboard, "the role is named in Russian"
    elsewhere = make_browser()  # another browser, another session cookie
    elsewhere.post("/login", {"email": "ana@example.org", "password": TEST_PASSWORD}, page="/login")
    assert _html_lang(elsewhere.get("/").get_data(as_text=True)) == "ru"
    elsewhere.post("/logout", {})
    after = elsewhere.get("/login").get_data(as_text=True)
    assert _html_lang(after) == "ru", "signing out keeps the language for the sign-in page"


def test_signup_takes_the_browsers_language(
    app: Flask, make_browser: Callable[[], Browser]
) -> None:
    _sign_up(make_browser(), "ivan@example.org", headers={"Accept-Language": "ru"})
    assert _user(app, "ivan@example.org").language == "ru"
    chosen = make_browser()
    _switch(chosen, "ru", "/signup")
    _sign_up(chosen, "olga@example.org", headers={"Accept-Language": "en"})
    assert _user(app, "olga@example.org").language == "ru", "the switcher wins over the browser"


@pytest.fixture
def russian_user(make_browser: Callable[[], Browser]) -> Browser:
    browser = make_browser()
    _sign_up(browser, "ana@example.org", headers={"Accept-Language": "ru"})
    return browser


def _new_assessment(browser: Browser, language: str | None) -> tuple[Any, str]:
    data: dict[str, Any] = {"title": "Камеры", "programme": "", "programme_types": ["camera"]}
    if language is not None:
        data["language"] = language
    response = browser.post("/assessments/new", data, page="/assessments/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response, response.headers["Location"]


def _assessment_language(app: Flask, title: str = "Камеры") -> str:
    with app.extensions["assessment"]["sessions"]() as session:
        found = session.scalar(select(Assessment).where(Assessment.title == title))
    assert found is not None
    return found.language


def test_new_assessment_language_defaults_to_the_users_own(
    app: Flask, russian_user: Browser
) -> None:
    form = russian_user.get("/assessments/new").get_data(as_text=True)
    assert "Язык вопросов и отчёта" in form
    assert re.search(r'<option selected value="ru">Русский</option>', form)
    _new_assessment(russian_user, None)
    assert _assessment_language(app) == "ru"


def test_wizard_for_a_russian_assessment_and_a_russian_user(
    app: Flask, russian_user: Browser
) -> None:
    _response, section_url = _new_assessment(russian_user, "ru")
    page = russian_user.get(section_url).get_data(as_text=True)
    assert _html_lang(page) == "ru"
    for chrome in ("Сохранить и продолжить", "Примечание, источник и достоверность", "Разделы"):
        assert chrome in page
    assert "Save &amp; continue" not in page
    assert 'lang="ru"' in page
    saved = russian_user.post(section_url, {"action": "exit"})
    assert saved.status_code == 302
    review = russian_user.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Ваши ответы сохранены." in review


def test_english_user_sees_bank_texts_marked_in_the_assessments_language(
    make_browser: Callable[[], Browser],
) -> None:
    browser = make_browser()
    _sign_up(browser, "eve@example.org")
    _response, section_url = _new_assessment(browser, "ru")
    page = browser.get(section_url).get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Save &amp; continue" in page
    assert re.search(r'<h1 lang="ru">', page), "the section title is marked as Russian"


def test_languages_have_catalogues() -> None:
    for language in LANGUAGES:
        if language != "en":  # the source language needs none
            assert Path(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").is_file()


def test_form_validation_messages_follow_the_interface_language(
    make_browser: Callable[[], Browser],
) -> None:
    """WTForms' own messages come from its Russian catalogue (Flask-WTF's i18n)."""
    visitor = make_browser()
    _switch(visitor, "ru", "/signup")
    refused = visitor.post("/signup", {"organisation": "", "name": "", "email": "", "password": ""})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "Обязательное поле." in page
    assert "This field is required." not in page


def test_command_line_stays_english_outside_requests(app: Flask) -> None:
    """Commands run in an app context without a request: English, no error."""
    from assessment.services.passwords import WeakPassword, check_new_password

    with app.app_context(), pytest.raises(WeakPassword, match="at least 12 characters"):
        check_new_password("short")
