"""The floor for bench/bench_web.py: a bare Flask app, served by the same
gunicorn settings as the application, that answers each measured request
with a page of the same size rendered from a Jinja template, without any
database work, session or form handling.

The sizes come from ``FLOOR_SIZES`` (JSON: page kind -> bytes), measured on
the application's own pages before the floor starts.  ``GET /floor/<kind>``
renders the page of that kind; ``POST /floor/save`` reads the form and
redirects, as a section save does; ``GET /login`` answers 200, so that the
benchmark's server start-up check works for both.
"""

from __future__ import annotations

import json
import os

from flask import Flask, abort, redirect, request
from werkzeug.wrappers import Response

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<table>{% for row in rows %}
<tr><td><a href="/floor/{{ row.link }}">{{ row.name }}</a></td>
<td>{{ row.text }}</td><td>{{ row.number }}</td></tr>
{%- endfor %}</table>
<p>{{ filler }}</p></main></body></html>
"""

app = Flask(__name__)
_template = app.jinja_env.from_string(TEMPLATE)


def _row(number: int) -> dict[str, object]:
    return {
        "link": f"item/{number}",
        "name": f"Item {number} & co",
        "text": "Text that needs <escaping> & some more words to fill the row",
        "number": number,
    }


def _page(size: int) -> tuple[list[dict[str, object]], str]:
    """Rows and a filler text with which the template renders ``size`` bytes."""
    base = len(_template.render(title="Floor", rows=[], filler="").encode())
    one = len(_template.render(title="Floor", rows=[_row(0)], filler="").encode()) - base
    count = max(0, (size - base) // one)
    rows = [_row(n) for n in range(count)]
    rendered = len(_template.render(title="Floor", rows=rows, filler="").encode())
    return rows, "x" * max(0, size - rendered)


PAGES = {
    kind: _page(int(size))
    for kind, size in json.loads(os.environ.get("FLOOR_SIZES") or "{}").items()
}


@app.get("/login")
def login() -> str:
    return "<!doctype html><title>Floor</title><p>Floor</p>"


@app.get("/floor/<kind>")
def page(kind: str) -> str:
    if kind not in PAGES:
        abort(404)
    rows, filler = PAGES[kind]
    return _template.render(title="Floor", rows=rows, filler=filler)


@app.post("/floor/save")
def save() -> Response:
    if not request.form:
        abort(400)
    return redirect("/floor/section", 302)
