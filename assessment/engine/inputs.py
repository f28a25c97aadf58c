"""Bounds on what the tool accepts from outside: text a database can store,
JSON of bounded size and nesting, and numbers as people write them.

Pure Python, used wherever text or JSON enters: the web forms
(:mod:`assessment.forms`), the answer checks shared by the wizard and the
import (:mod:`assessment.engine.answers`), the exchange-document parser
(:mod:`assessment.engine.document`) and the data embedded in a report PDF.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

MAX_JSON_BYTES = 8 * 1024 * 1024
"""An exchange document, from a file or embedded in a report.  Every field
of all 154 questions of bank 2.0 filled to its limit in a three-byte script
stays under this; the demo assessment is 20 KB."""

MAX_JSON_DEPTH = 20
"""Levels of nested arrays and objects.  An exchange document has at most six
(document, answers, answer, group rows, row, a row's chosen options)."""

# PostgreSQL's text types cannot hold U+0000; no UTF-8 text can hold an
# unpaired surrogate (Python lets one into a str from a "\ud800" JSON escape or
# an undecodable command-line byte), so neither database can store one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonRejected(ValueError):
    """JSON that is not read: too large, nested too deeply, or not JSON.
    The message is for the user."""


NUL_CHARACTER = "a NUL character"
HALF_SURROGATE = "half of a surrogate pair"


def unstorable_code(text: str) -> tuple[str, str] | None:
    """The code point and kind (:data:`NUL_CHARACTER` or :data:`HALF_SURROGATE`)
    of the first character in ``text`` that the database cannot store, as
    ``("U+0000", "a NUL character")``, or ``None`` if there is none."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"U+{code:04X}", NUL_CHARACTER if code == 0 else HALF_SURROGATE


def unstorable_character(text: str) -> str | None:
    """A description of the first character in ``text`` that the database
    cannot store (``"U+0000 (a NUL character)"``), or ``None`` if there is none."""
    found = unstorable_code(text)
    return None if found is None else f"{found[0]} ({found[1]})"


def unstorable_message(text: str, what: str = "This text") -> str | None:
    """The message for the user when ``text`` (called ``what``) holds a
    character the database cannot store; ``None`` if it holds none."""
    found = unstorable_character(text)
    if found is None:
        return None
    return f"{what} contains a character that cannot be stored: {found}. Remove it and try again."


def decode_json(
    raw: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Decode JSON ``raw`` of at most ``max_bytes`` bytes (UTF-8) nested at
    most ``max_depth`` levels.

    Raises :class:`JsonRejected` naming the limit that was passed, or saying
    why the text is not JSON.
    """
    too_large = f"the JSON is larger than {max_bytes // (1024 * 1024)} MB, the limit"
    if len(raw) > max_bytes:  # a str of more characters has more bytes still
        raise JsonRejected(too_large)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
        if len(raw) > max_bytes:
            raise JsonRejected(too_large)
    too_deep = f"the JSON is nested more than {max_depth} levels deep"
    try:
        data = json.loads(raw)
    except RecursionError:  # far deeper than the limit: the decoder ran out of stack
        raise JsonRejected(too_deep) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise JsonRejected(f"not valid JSON ({error})") from None
    if _depth(data) > max_depth:
        raise JsonRejected(too_deep)
    return data


def _depth(data: Any) -> int:
    """How many levels of arrays and objects ``data`` has (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


# --- numbers as people write them ------------------------------------------------


class NumberRejected(ValueError):
    """Text that is not read as a number; ``str()`` is the message, in the
    language the number was read in, saying why and giving an example of what
    is accepted.  ``message`` is the same message as an English template with
    ``%(name)s`` placeholders filled from ``values``, for the web layer to
    translate into the interface language."""

    def __init__(self, language: str, key: str, **values: str) -> None:
        templates = _NUMBER_MESSAGES.get(language, _NUMBER_MESSAGES["en"])
        template = templates.get(key, templates["example"])
        self.message = _NUMBER_MESSAGE_KEYS.get(language, _NUMBER_MESSAGE_KEYS["en"]).get(
            key, _NUMBER_MESSAGE_KEYS["en"]["example"]
        )
        self.values = values
        super().__init__(template % values if values else template)


#: Longer text is not read as a number (a bank's largest bound has 13 digits).
NUMBER_MAX_CHARACTERS = 60
#: Spaces people put between thousands: space, no-break, narrow no-break, thin.
_GROUP_SPACES = re.compile("[ \u00a0\u202f\u2009]")
#: Words and abbreviations after a number, in English and Russian alike
#: (lower case, without a final full stop).
MULTIPLIERS: dict[str, int] = {
    **dict.fromkeys(("k", "thousand", "тыс", "тысяча", "тысячи", "тысяч"), 10**3),
    **dict.fromkeys(
        ("m", "mn", "mln", "million", "millions", "млн", "миллион", "миллиона", "миллионов"),
        10**6,
    ),
    **dict.fromkeys(
        ("bn", "billion", "billions", "млрд", "миллиард", "миллиарда", "миллиардов"), 10**9
    ),
}
_NUMBER = re.compile(
    r"(?P<sign>[-+\u2212]?)\s*(?P<digits>\d(?:[\d ,.]*\d)?)\s*(?P<word>[^\W\d_]+\.?)?", re.UNICODE
)
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:(?P<sep>[ ,])\d{3})(?:(?P=sep)\d{3})*")

#: What the messages say, by the language the number is read in; an unknown
#: language reads as English.  The keys of :data:`_NUMBER_MESSAGE_KEYS` say the
#: same in English, for the web layer to translate (assessment/i18n.py).
_NUMBER_MESSAGES = {
    "en": {
        "example": "Enter a number, for example 170000, 170,000, 170 000, 12.7 or 12.7 million.",
        "decimal_comma": "Write decimals with a point, for example 12.7; a comma separates "
        "thousands, as in 170,000.",
    },
    "ru": {
        "example": "Введите число, например 170000, 170 000, 12,7 или 12,7 млн.",
        "ambiguous": "Непонятно, что значит «%(text)s»: напишите %(thousands)s, если это тысячи, "
        "или %(decimal)s — если это дробь.",
    },
}
#: The messages of :data:`_NUMBER_MESSAGES` in English, by the language the
#: number is read in (the examples show what that language accepts).
_NUMBER_MESSAGE_KEYS = {
    "en": {
        "example": _NUMBER_MESSAGES["en"]["example"],
        "decimal_comma": _NUMBER_MESSAGES["en"]["decimal_comma"],
    },
    "ru": {
        "example": "Enter a number, for example 170000, 170 000, 12,7 or 12,7 млн.",
        "ambiguous": "It is not clear what “%(text)s” means: write %(thousands)s if it is "
        "thousands, or %(decimal)s if it is a fraction.",
    },
}
#: The decimal sign of each language; the other sign is read as it may be.
_DECIMAL_SIGN = {"en": ".", "ru": ","}


def read_number(text: str, language: str = "en") -> int | float:
    """The number ``text`` means, read as people write numbers in ``language``.

    Accepted in both languages: digits with an optional sign (``-``, ``+`` or
    the minus sign U+2212), thousands apart by spaces (ordinary, no-break, narrow no-break or
    thin: "170 000"), and a word or abbreviation after the number: k,
    thousand, тыс., m, mn, million, млн, bn, billion, млрд ("12,7 млн",
    "12.7 million", "1.5k").  In English the decimal sign is a point and a
    comma separates thousands ("170,000", "1,234.5"); "12,7" is refused.  In
    Russian the decimal sign is a comma ("12,7"); a point is read as one too
    ("12.7"), except where one to three digits are followed by a comma or a
    point and exactly three more ("170,000", "170.000"): that may be
    thousands or a fraction, and is refused.  A whole result is an ``int``.

    Raises :class:`NumberRejected` with a message in ``language`` (English for
    a language without messages) that gives an example of what is accepted.
    """
    language = language if language in _NUMBER_MESSAGES else "en"
    messages = _NUMBER_MESSAGES[language]
    decimal_sign = _DECIMAL_SIGN.get(language, ".")
    cleaned = _GROUP_SPACES.sub(" ", text).strip()
    if len(cleaned) > NUMBER_MAX_CHARACTERS:
        raise NumberRejected(language, "example")
    match = _NUMBER.fullmatch(cleaned)
    if match is None or "  " in match["digits"]:
        raise NumberRejected(language, "example")
    multiplier = 1
    if match["word"]:
        multiplier = MULTIPLIERS.get(match["word"].lower().rstrip("."), 0)
        if not multiplier:
            raise NumberRejected(language, "example")
    digits = match["digits"]
    if decimal_sign == ".":
        whole, _, fraction = digits.partition(".")
        if "." in fraction or (fraction and not fraction.isdigit()):
            raise NumberRejected(language, "example")
        if "," in whole and not _GROUPED.fullmatch(whole):
            raise NumberRejected(language, "decimal_comma")
    else:
        separators = [c for c in digits if c in ",."]
        if len(separators) > 1:
            raise NumberRejected(language, "example")
        whole, _, fraction = digits.replace(".", ",").partition(",")
        ambiguous = (
            separators
            and len(fraction) == 3
            and whole.isdigit()
            and len(whole) <= 3
            and not whole.startswith("0")
        )
        if ambiguous and "ambiguous" in messages:
            raise NumberRejected(
                language,
                "ambiguous",
                text=cleaned,
                thousands=f"{whole}\u202f{fraction}",
                decimal=f"{whole},{fraction.rstrip('0') or '0'}",
            )
    if not whole.isdigit() and not _GROUPED.fullmatch(whole):
        raise NumberRejected(language, "example")
    number = Decimal(whole.replace(" ", "").replace(",", "") + ("." + fraction if fraction else ""))
    if match["sign"] in ("-", "\u2212"):
        number = -number
    value = number * multiplier
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def number_text(value: float, language: str = "en") -> str:
    """``value`` as text for a form field that :func:`read_number` reads back,
    in ``language``, as the same value: plain digits, no exponent, and the
    language's decimal sign ("12.7"; "12,7" in Russian, where a fraction of
    exactly three digits gets a fourth, "1,1250", so as not to read as
    thousands)."""
    text = format(Decimal(repr(value)), "f") if isinstance(value, float) else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign = _DECIMAL_SIGN.get(language, ".")
    if sign == "." or "." not in text:
        return text
    whole, fraction = text.split(".")
    if len(fraction) == 3 and len(whole.lstrip("-")) <= 3 and not whole.lstrip("-").startswith("0"):
        fraction += "0"
    return f"{whole}{sign}{fraction}"
