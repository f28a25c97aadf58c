"""The languages of the web interface (Flask-Babel) and which one a request gets.

The interface language is chosen per person: a signed-in user's own
``users.language``; for a visitor who is not signed in, the one chosen with
the language switcher (kept in the session cookie), else the best match of
the browser's ``Accept-Language``, else English.  The catalogues are in
``assessment/translations/<language>/LC_MESSAGES/messages.po`` (see
docs/translation.md).  An assessment has its own language, that of its bank
texts and its report; it need not be the interface's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from babel.support import NullTranslations
from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from assessment.access import current_user
from assessment.engine.answers import AnswerValueError
from assessment.engine.bank import CONFIDENCE_LABELS, Confidence
from assessment.engine.display import format_number
from assessment.engine.inputs import NumberRejected
from assessment.models import Role
from assessment.services.workflow import status_label

DEFAULT_LANGUAGE: Final = "en"

# Each language under its own name, as the switcher shows it (never translated).
LANGUAGES: Final[Mapping[str, str]] = MappingProxyType({"en": "English", "ru": "Русский"})

SESSION_KEY: Final = "language"

ROLE_LABELS: Final = MappingProxyType(
    {
        Role.OWNER.value: _l("owner"),
        Role.EDITOR.value: _l("editor"),
        Role.REVIEWER.value: _l("reviewer"),
        Role.VIEWER.value: _l("viewer"),
    }
)


def N_(text: str) -> str:  # noqa: N802  # gettext's name for "extract this, translate later"
    """``text`` unchanged, marked for extraction; translated where it is shown."""
    return text


# The engine's own English labels (the engine knows no Flask), marked here so
# that extraction finds them; tests/test_i18n.py fails when these drift apart.
ENGINE_LABELS: Final = frozenset(
    {
        N_("Confirmed by an official source"),
        N_("Reported by media or NGOs"),
        N_("Assumed"),
        N_("Unknown"),
        N_("Draft"),
        N_("In review"),
        N_("Approved"),
        N_("Issued"),
        N_("Submitted"),
        N_("Proceed"),
        N_("Proceed only with conditions"),
        N_("Do not proceed"),
        N_("Suspend the programme"),
    }
)

# The engine's answer-checking messages (assessment/engine/answers.py), marked
# here for the same reason; those with values are templates that
# :func:`engine_message` fills in the interface language.
ENGINE_MESSAGES: Final = frozenset(
    {
        N_("'%(item)s' is not one of the listed options."),
        N_("This question cannot be answered 'and others not known'."),
        N_("Choose the options you know of with 'And others not known', or choose 'Not known'."),
        N_("Keep this under %(limit)s characters (now %(length)s)."),
        N_("Enter a number of at least %(minimum)s."),
        N_("Enter a number of at most %(maximum)s."),
        N_("Row %(row)s is not a set of fields."),
        N_("Row %(row)s has unknown fields: %(fields)s."),
        N_("Row %(row)s, %(field)s: %(error)s"),
        N_("Row %(row)s: %(field)s is required."),
        N_("Keep the note under %(limit)s characters."),
        N_("Keep the source under %(limit)s characters."),
        N_("Confidence must be one of: %(allowed)s."),
        N_("Choose one of the listed options."),
        N_("Choose at least one of the listed options."),
        N_("An option was chosen twice."),
        N_("'Not known' cannot be combined with other options."),
        N_("'Does not apply' cannot be combined with other options."),
        N_("Answer yes, no or not known."),
        N_("Choose a level from 1 to 4, or not known."),
        N_("Enter text."),
        N_("Enter a number, for example 170000 or 2.5."),
        N_("Enter a date as YYYY-MM-DD."),
        N_("Enter a real date as YYYY-MM-DD, e.g. 2020-03-30."),
        N_("Add at least one row."),
        N_(
            "This text contains a character that cannot be stored: %(code)s (%(kind)s). "
            "Remove it and try again."
        ),
        N_(
            "The note contains a character that cannot be stored: %(code)s (%(kind)s). "
            "Remove it and try again."
        ),
        N_(
            "The source contains a character that cannot be stored: %(code)s (%(kind)s). "
            "Remove it and try again."
        ),
        N_("a NUL character"),
        N_("half of a surrogate pair"),
    }
)

# The messages of a number that is not read (assessment/engine/inputs.py), by the
# language it was read in.
NUMBER_MESSAGES: Final = frozenset(
    {
        N_("Enter a number, for example 170000, 170,000, 170 000, 12.7 or 12.7 million."),
        N_(
            "Write decimals with a point, for example 12.7; a comma separates "
            "thousands, as in 170,000."
        ),
        N_("Enter a number, for example 170000, 170 000, 12,7 or 12,7 млн."),
        N_(
            "It is not clear what “%(text)s” means: write %(thousands)s if it is "
            "thousands, or %(decimal)s if it is a fraction."
        ),
    }
)


babel = Babel()


def supported(language: object) -> str | None:
    """``language`` if it is a language of the interface, else ``None``."""
    return language if isinstance(language, str) and language in LANGUAGES else None


def browser_language() -> str:
    """The interface language the request's ``Accept-Language`` prefers, else English."""
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def visitor_language() -> str:
    """The language of a visitor who is not signed in: the one chosen with the
    switcher in this browser, else :func:`browser_language`."""
    return supported(session.get(SESSION_KEY)) or browser_language()


def select_language() -> str:
    """The interface language of this request (see the module's docstring);
    English outside a request (the command line)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    user = current_user()
    if user is not None and (chosen := supported(user.language)) is not None:
        return chosen
    return visitor_language()


def interface_language() -> str:
    """The language code of the interface the request is shown in."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def role_label(role: str | None) -> str:
    """``role`` in words in the interface language (the code itself if unknown)."""
    label = ROLE_LABELS.get(role or "")
    return str(label) if label is not None else (role or "")


def ui_status_label(status: str) -> str:
    """:func:`~assessment.services.workflow.status_label` in the interface language."""
    return str(gettext(status_label(status)))


def confidence_labels() -> dict[Confidence, str]:
    """The confidence levels in words, in the interface language."""
    return {level: gettext(label) for level, label in CONFIDENCE_LABELS.items()}


def engine_message(message: str | AnswerValueError | NumberRejected) -> str:
    """An engine's message in the interface language: one of
    :data:`ENGINE_MESSAGES` or :data:`NUMBER_MESSAGES` translated, with the
    values of an :class:`AnswerValueError` or :class:`NumberRejected` filled
    in (numbers as the interface language writes them, "20 000" in Russian; a
    message within the message translated too).  Any other message is shown
    as the engine wrote it."""
    if isinstance(message, str):
        return str(gettext(message)) if message in ENGINE_MESSAGES else message
    if message.message == "%(error)s":  # a number's message, passed on as it is
        return _message_value(message.values["error"], interface_language())
    known = message.message in ENGINE_MESSAGES or message.message in NUMBER_MESSAGES
    if not known:
        return str(message)
    language = interface_language()
    values = {name: _message_value(value, language) for name, value in message.values.items()}
    # gettext with values formats with "%"; a template without any is used as it is.
    return str(gettext(message.message, **values)) if values else str(gettext(message.message))


def _message_value(value: object, language: str) -> str:
    if isinstance(value, AnswerValueError | NumberRejected):
        return engine_message(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, language)
    return str(value)


def text_lang(language: str) -> Markup:
    """A ``lang`` attribute for text in ``language`` (a bank text in the
    assessment's language), or nothing when that is the interface's."""
    if language == interface_language():
        return Markup("")
    return Markup(' lang="%s"') % language


def _request_translations() -> NullTranslations:
    """The message catalogue of the request's language, looked up once per
    request and language: it is kept with the locale it is for, so that a
    language switched within the request (``force_locale``, ``refresh``) gets
    its own."""
    if not has_app_context():
        empty: NullTranslations = get_translations()  # Flask-Babel's empty catalogue
        return empty
    locale = get_locale()
    kept: tuple[object, NullTranslations] | None = g.get("ui_catalogue")
    if kept is None or kept[0] is not locale:
        kept = (locale, get_translations())
        g.ui_catalogue = kept
    return kept[1]


def install_i18n(app: Flask) -> None:
    """Set up Flask-Babel (catalogues under ``assessment/translations``) and the
    template globals the language switcher and ``<html lang>`` use."""
    babel.init_app(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories="translations",  # relative to the package
        locale_selector=select_language,
    )
    # Templates look their texts up in the request's catalogue, found once per
    # request (a page makes some 80 lookups) rather than through Flask-Babel's
    # context each time; force_locale() and refresh() still switch it.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # the i18n extension's
        gettext=lambda text: _request_translations().ugettext(text),
        ngettext=lambda one, many, n: _request_translations().ungettext(one, many, n),
        pgettext=lambda context, text: _request_translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: _request_translations().unpgettext(
            context, one, many, n
        ),
        newstyle=True,
    )
    app.jinja_env.globals["interface_languages"] = LANGUAGES
    app.jinja_env.globals["interface_language"] = interface_language
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["text_lang"] = text_lang
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
