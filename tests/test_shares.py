"""Share links for auditors: create, use, expire, revoke, and who may."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select, text, update

from assessment.logs import RedactShareTokens
from assessment.models import ShareLink, ShareUse, as_utc
from assessment.services import shares as shares_service
from assessment.services.shares import record_use
from tests.conftest import Browser

LINK = re.compile(
    r'class="share-url" type="text" readonly value="http://localhost(/s/[A-Za-z0-9_-]+)"'
)


def _create(browser: Browser, assessment_id: str, **fields: str) -> tuple[int, str | None]:
    page = f"/assessments/{assessment_id}/shares"
    response = browser.post(page, {"days": "7", "edition": "full", **fields}, page=page)
    match = LINK.search(response.get_data(as_text=True))
    return response.status_code, match.group(1) if match else None


def _uses(app: Flask) -> list[str]:
    with app.extensions["assessment"]["sessions"]() as session:
        return list(session.scalars(select(ShareUse.what).order_by(ShareUse.id)))


def test_share_link_lifecycle(app: Flask, browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"], title="Shared camera review")
    status, path = _create(browser, assessment_id, edition="public", label="Audit office")
    assert status == 200
    assert path is not None
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 40

    with app.extensions["assessment"]["sessions"]() as session:
        dump = " ".join(str(row) for row in session.execute(text("SELECT * FROM share_links")))
    assert token not in dump  # only a hash is stored

    auditor = Browser(app.test_client())  # no account
    summary = auditor.get(path)
    assert summary.status_code == 200
    html = summary.get_data(as_text=True)
    assert "Shared camera review" in html
    assert "Download the public edition" in html
    pdf = auditor.get(f"{path}/report.pdf")
    assert pdf.status_code == 200
    cover = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Public edition" in " ".join(cover.split())
    assert _uses(app) == ["summary", "pdf (public)"]

    manage = browser.get(f"/assessments/{assessment_id}/shares").get_data(as_text=True)
    assert "Audit office" in manage
    assert "Active" in manage
    assert "PDF downloaded (public edition)" in manage
    assert token not in manage  # shown once only, when created

    link_id = int(re.search(r"/shares/(\d+)/revoke", manage).group(1))  # type: ignore[union-attr]
    revoked = browser.post(f"/assessments/{assessment_id}/shares/{link_id}/revoke", {})
    assert revoked.status_code == 303
    gone = auditor.get(path)
    assert gone.status_code == 410
    assert "revoked" in gone.get_data(as_text=True)
    assert auditor.get(f"{path}/report.pdf").status_code == 410
    assert _uses(app) == ["summary", "pdf (public)"]  # refused uses are not counted as uses


def test_expired_and_unknown_links_get_a_clear_page(
    app: Flask, browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    _, path = _create(browser, assessment_id)
    assert path is not None
    with app.extensions["assessment"]["sessions"]() as session:
        session.execute(
            update(ShareLink).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
        session.commit()
    expired = Browser(app.test_client()).get(path)
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)
    unknown = Browser(app.test_client()).get("/s/" + "A" * 43)
    assert unknown.status_code == 404
    assert "not valid" in unknown.get_data(as_text=True)
    assert "Expired" in browser.get(f"/assessments/{assessment_id}/shares").get_data(as_text=True)


def test_validity_period_is_checked(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    status, path = _create(browser, assessment_id, days="365")
    assert status == 422
    assert path is None
    assert "between 1 and 90 days" in browser.last_html


def test_only_the_owning_organisation_creates_or_revokes(
    app: Flask, make_browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    owner = signup(make_browser(), "owner@example.org", "Owner Org")
    assessment_id = start_assessment(owner, ["camera"])
    _, path = _create(owner, assessment_id)
    manage = owner.get(f"/assessments/{assessment_id}/shares").get_data(as_text=True)
    link_id = re.search(r"/shares/(\d+)/revoke", manage).group(1)  # type: ignore[union-attr]

    intruder = signup(make_browser(), "intruder@example.org", "Other Org")
    intruder.get("/")
    token = intruder.token()
    for url in (
        f"/assessments/{assessment_id}/shares",
        f"/assessments/{assessment_id}/shares/{link_id}/revoke",
    ):
        response = intruder.client.post(
            url, data={"csrf_token": token, "days": "7", "edition": "full"}
        )
        assert response.status_code == 404, url
    assert intruder.get(f"/assessments/{assessment_id}/shares").status_code == 404
    own_id = start_assessment(intruder, ["camera"])
    cross = intruder.post(
        f"/assessments/{own_id}/shares/{link_id}/revoke", {}, page=f"/assessments/{own_id}/shares"
    )
    assert cross.status_code == 404  # a link of another assessment, even via one's own
    assert Browser(app.test_client()).get(path).status_code == 200  # still live


def test_tokens_are_redacted_from_logs(app: Flask) -> None:
    werkzeug = logging.getLogger("werkzeug")
    assert any(isinstance(f, RedactShareTokens) for f in werkzeug.filters)
    assert any(isinstance(f, RedactShareTokens) for f in app.logger.filters)
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        (
            "127.0.0.1",
            "GET /s/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/report.pdf HTTP/1.1",
            "200",
        ),
        None,
    )
    RedactShareTokens().filter(record)
    line = record.getMessage()
    assert "abcdefghijklmnop" not in line
    assert "GET /s/[token]/report.pdf" in line


def _counts(app: Flask) -> list[tuple[str, int]]:
    with app.extensions["assessment"]["sessions"]() as session:
        rows = session.execute(select(ShareUse.what, ShareUse.count).order_by(ShareUse.id))
        return [(what, count) for what, count in rows]


def _link(app: Flask) -> ShareLink:
    with app.extensions["assessment"]["sessions"]() as session:
        link = session.scalars(select(ShareLink)).one()
        session.expunge(link)
        return link


def test_many_views_stay_a_few_rows(app: Flask, browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    _, path = _create(browser, assessment_id, label="Audit office")
    assert path is not None
    manage_url = f"/assessments/{assessment_id}/shares"
    auditor = Browser(app.test_client())
    assert auditor.get(path).status_code == 200
    before = len(browser.get(manage_url).data)

    with app.extensions["assessment"]["sessions"]() as session:
        link = session.merge(_link(app))
        for _ in range(1_499):
            record_use(session, link, "summary")
        for _ in range(7):
            record_use(session, link, "pdf (full)")
        session.commit()
    assert auditor.get(path).status_code == 200

    assert _counts(app) == [("summary", 1_501), ("pdf (full)", 7)]
    manage = browser.get(manage_url).get_data(as_text=True)
    assert len(manage.encode()) - before < 1_000  # one more row, not 1,507
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>([^<]+)</td><td>(\d+)</td>", manage)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert sorted(rows) == [
        (today, "PDF downloaded (full edition)", "7"),
        (today, "Summary viewed", "1501"),
    ]


def test_uses_are_counted_per_utc_day_with_first_and_last_time(
    app: Flask, browser, signup, start_assessment, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    _, path = _create(browser, assessment_id)
    assert path is not None
    auditor = Browser(app.test_client())
    moments = [
        dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)
        for day, hour, minute in ((1, 8, 5), (1, 23, 59), (2, 0, 1), (2, 9, 30), (2, 17, 45))
    ]
    clock = moments[:1]
    monkeypatch.setattr(shares_service, "utcnow", lambda: clock[0])
    for moment in moments:
        clock[0] = moment
        assert auditor.get(path).status_code == 200
    monkeypatch.undo()

    with app.extensions["assessment"]["sessions"]() as session:
        rows = session.execute(
            select(ShareUse.day, ShareUse.count, ShareUse.first_at, ShareUse.last_at).order_by(
                ShareUse.day
            )
        ).all()
    assert [(day.isoformat(), count) for day, count, _, _ in rows] == [
        ("2026-03-01", 2),
        ("2026-03-02", 3),
    ]
    assert [
        (as_utc(first).strftime("%H:%M"), as_utc(last).strftime("%H:%M"))
        for *_, first, last in rows
    ] == [
        ("08:05", "23:59"),
        ("00:01", "17:45"),
    ]
    manage = browser.get(f"/assessments/{assessment_id}/shares").get_data(as_text=True)
    assert (
        "<tr><td>2026-03-02</td><td>Summary viewed</td><td>3</td><td>00:01</td><td>17:45</td></tr>"
        in manage
    )
    assert manage.index("2026-03-02") < manage.index("2026-03-01")  # latest day first


def test_concurrent_views_lose_no_counts(app: Flask, browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    _, path = _create(browser, assessment_id)
    assert path is not None
    threads, views = 6, 10
    start = threading.Barrier(threads)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def view() -> None:
        client = app.test_client()
        try:
            start.wait()
            for _ in range(views):
                statuses.append(client.get(path).status_code)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    workers = [threading.Thread(target=view) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert statuses == [200] * threads * views
    assert _counts(app) == [("summary", threads * views)]


def test_the_share_page_offers_the_public_edition_and_a_link_to_copy(
    app: Flask, browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    page = f"/assessments/{assessment_id}/shares"
    form = browser.get(page).get_data(as_text=True)
    public = re.search(r'<input type="radio" id="edition-public"[^>]*>', form)
    full = re.search(r'<input type="radio" id="edition-full"[^>]*>', form)
    assert public
    assert "checked" in public.group(0)
    assert full
    assert "checked" not in full.group(0)
    assert form.index("edition-public") < form.index("edition-full"), "the default comes first"

    created = browser.post(page, {"days": "7", "label": "Auditor"}, page=page)  # no edition sent
    html = created.get_data(as_text=True)
    field = re.search(
        r'<input id="share-url" class="share-url" type="text" readonly value="([^"]+)"', html
    )
    assert field, "the link is in a read-only field, to select and copy without JavaScript"
    assert re.fullmatch(r"http://localhost/s/[A-Za-z0-9_-]{40,}", field.group(1))
    assert '<label for="share-url">' in html
    with app.extensions["assessment"]["sessions"]() as session:
        assert list(session.scalars(select(ShareLink.edition))) == ["public"]

    listed = browser.get(page).get_data(as_text=True)
    assert listed.count('class="never-used"') == 1
    assert "Never used" in listed
    path = field.group(1).removeprefix("http://localhost")
    for _ in range(2):
        assert Browser(app.test_client()).get(path).status_code == 200
    used = browser.get(page).get_data(as_text=True)
    assert "Never used" not in used
    assert re.search(r"Used 2 times, last on \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)", used)
