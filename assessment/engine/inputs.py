"""Bounds on what the tool accepts from outside: text a database can store,
and JSON of bounded size and nesting.

Pure Python, used wherever text or JSON enters: the web forms
(:mod:`assessment.forms`), the answer checks shared by the wizard and the
import (:mod:`assessment.engine.answers`), the exchange-document parser
(:mod:`assessment.engine.document`) and the data embedded in a report PDF.
"""

from __future__ import annotations

import json
import re
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


def unstorable_character(text: str) -> str | None:
    """A description of the first character in ``text`` that the database
    cannot store (``"U+0000 (a NUL character)"``), or ``None`` if there is none."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "a NUL character" if code == 0 else "half of a surrogate pair"
    return f"U+{code:04X} ({kind})"


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
