"""Comments per question: threads of replies, resolved and reopened; seen
by every member beside the question (wizard section, review page); posted
by editors, reviewers and owners, never by viewers or another organisation;
checked, escaped and never logged; absent from the public edition, listed
unresolved in the full one."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment.models import Assessment, Comment
from assessment.services.comments import COMMENT_MAX
from tests.history_helpers import LEGAL_BASIS, LEGALITY, Team, make_team, page_text, report_text

THREAD = "/assessments/{id}/questions/" + LEGAL_BASIS + "/comments"


@pytest.fixture
def team(app: Flask, make_browser, signup) -> Team:  # type: ignore[no-untyped-def]
    return make_team(app, make_browser, signup)


def _url(team: Team) -> str:
    return THREAD.format(id=team.assessment_id)


def _post(team: Team, role: str, text: str) -> int:
    url = _url(team)
    return int(team.members[role].post(url, {"text": text}, page=url).status_code)


def _comment_ids(team: Team) -> list[int]:
    page = team.members["owner"].get(_url(team)).get_data(as_text=True)
    return [int(n) for n in re.findall(r'<li id="comment-(\d+)"', page)]


def _count(app: Flask) -> int:
    with app.extensions["assessment"]["sessions"]() as session:
        return int(session.scalar(select(func.count(Comment.id))) or 0)


def test_a_thread_is_posted_replied_to_resolved_and_reopened(app: Flask, team: Team) -> None:
    assert _post(team, "editor", "Is the bylaw still in force?") == 302
    (first,) = _comment_ids(team)
    reviewer = team.members["reviewer"]
    reply_url = f"/assessments/{team.assessment_id}/comments/{first}/replies"
    response = reviewer.post(reply_url, {"text": "It was repealed in March."}, page=_url(team))
    assert response.status_code == 302
    first_id, reply_id = _comment_ids(team)
    nested = f"/assessments/{team.assessment_id}/comments/{reply_id}/replies"
    assert (
        reviewer.post(nested, {"text": "Source: the gazette."}, page=_url(team)).status_code == 302
    )
    page = team.members["viewer"].get(_url(team)).get_data(as_text=True)
    # threaded: the reply to the reply sits inside the reply, inside the first comment
    thread = page.split(f'id="comment-{first_id}"')[1]
    assert thread.index("It was repealed in March.") < thread.index("Source: the gazette.")
    assert re.search(r"It was repealed in March\.</p>.*?<ol class=\"comments\">", thread, re.S)

    resolve = f"/assessments/{team.assessment_id}/comments/{reply_id}/resolve"
    assert team.members["owner"].post(resolve, {}, page=_url(team)).status_code == 302
    text = page_text(team.members["viewer"].get(_url(team)).get_data(as_text=True))
    assert "resolved by Ana" in text
    reopen = f"/assessments/{team.assessment_id}/comments/{first_id}/reopen"
    assert team.members["editor"].post(reopen, {}, page=_url(team)).status_code == 302
    text = page_text(team.members["viewer"].get(_url(team)).get_data(as_text=True))
    assert "resolved by" not in text
    with app.extensions["assessment"]["sessions"]() as session:
        assert session.scalars(select(Assessment)).one().revision == 1  # comments make no revision


def test_comments_are_shown_beside_the_question_in_the_section_and_the_review(
    app: Flask, team: Team
) -> None:
    assert _post(team, "reviewer", "Please attach the bylaw.") == 302
    section = (
        team.members["editor"]
        .get(f"/assessments/{team.assessment_id}/sections/{LEGALITY}")
        .get_data(as_text=True)
    )
    question_block = re.split(r'<div class="question[ "]', section.split(f'id="{LEGAL_BASIS}"')[1])[
        0
    ]
    assert "Please attach the bylaw." in question_block
    assert "Comments: 1 open, 0 resolved" in page_text(question_block)
    review = team.members["viewer"].get(f"/assessments/{team.assessment_id}/review")
    text = page_text(review.get_data(as_text=True))
    assert "Please attach the bylaw." in text
    assert "1 open comment thread" in text


def test_viewers_read_comments_but_cannot_post_resolve_or_reply(app: Flask, team: Team) -> None:
    assert _post(team, "owner", "Owner's question") == 302
    (first,) = _comment_ids(team)
    viewer = team.members["viewer"]
    page = viewer.get(_url(team)).get_data(as_text=True)
    assert "Owner&#39;s question" in page
    assert "Post comment" not in page
    assert "Resolve thread" not in page
    assert _post(team, "viewer", "A viewer's comment") == 403
    base = f"/assessments/{team.assessment_id}/comments/{first}"
    for path in ("replies", "resolve"):
        assert viewer.post(f"{base}/{path}", {"text": "x"}, page=_url(team)).status_code == 403
    assert _count(app) == 1
    assert "resolved by" not in page_text(viewer.get(_url(team)).get_data(as_text=True))


def test_another_organisation_gets_404_and_changes_nothing(
    app: Flask, team: Team, make_browser, signup
) -> None:  # type: ignore[no-untyped-def]
    assert _post(team, "editor", "Internal remark") == 302
    (first,) = _comment_ids(team)
    intruder = signup(make_browser(), "eve@example.org", "Elsewhere")
    intruder.get("/")
    assert intruder.get(_url(team)).status_code == 404
    base = f"/assessments/{team.assessment_id}/comments/{first}"
    for url in (_url(team), f"{base}/replies", f"{base}/resolve", f"{base}/reopen"):
        response = intruder.post(url, {"text": "Intrusion"}, page="/")
        assert response.status_code == 404, url
    assert _count(app) == 1
    # nor may another organisation's comment be reached through one's own assessment
    intruder_assessment = (
        intruder.post(
            "/assessments/new",
            {"title": "Theirs", "programme": "P", "programme_types": ["camera"]},
            page="/assessments/new",
        )
        .headers["Location"]
        .split("/")[2]
    )
    stolen = f"/assessments/{intruder_assessment}/comments/{first}/resolve"
    assert intruder.post(stolen, {}, page="/").status_code == 404


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("   ", "Write something before posting."),
        ("x" * (COMMENT_MAX + 1), f"Keep the comment under {COMMENT_MAX:,} characters"),
        ("before\x00after", "contains a NUL character"),
    ],
)
def test_a_refused_comment_says_why_and_keeps_what_was_typed(
    app: Flask, team: Team, typed: str, message: str
) -> None:
    url = _url(team)
    response = team.members["editor"].post(url, {"text": typed}, page=url)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    kept = re.search(r'<textarea id="comment-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert kept is not None
    assert kept.group(1) == typed
    assert _count(app) == 0


def test_a_refused_reply_keeps_its_text_in_the_reply_form(app: Flask, team: Team) -> None:
    assert _post(team, "editor", "First") == 302
    (first,) = _comment_ids(team)
    reply = f"/assessments/{team.assessment_id}/comments/{first}/replies"
    response = team.members["reviewer"].post(
        reply, {"text": "y" * (COMMENT_MAX + 5)}, page=_url(team)
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'<textarea id="reply-{first}"[^>]*>y{{{COMMENT_MAX + 5}}}</textarea>', page)
    assert "<details open>" in page.split(f'id="comment-{first}"')[1]


def test_comment_text_is_escaped_and_never_logged(
    app: Flask, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> marker-7f3a'
    caplog.set_level(logging.DEBUG)
    assert _post(team, "editor", hostile) == 302
    for url in (
        _url(team),
        f"/assessments/{team.assessment_id}/review",
        f"/assessments/{team.assessment_id}/sections/{LEGALITY}",
    ):
        page = team.members["editor"].get(url).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "<img src=x" not in page
    assert "marker-7f3a" not in caplog.text
    full = report_text(app, team.assessment_id, "full")
    assert hostile in full  # shown as text in the report (page_text unescapes it)


def test_comments_stay_out_of_the_public_edition_and_unresolved_ones_are_in_the_full(
    app: Flask, team: Team
) -> None:
    assert _post(team, "reviewer", "Open question about the bylaw") == 302
    assert _post(team, "editor", "Settled remark about the gazette") == 302
    open_id, settled_id = _comment_ids(team)
    reply = f"/assessments/{team.assessment_id}/comments/{open_id}/replies"
    assert (
        team.members["editor"]
        .post(reply, {"text": "Reply still pending"}, page=_url(team))
        .status_code
        == 302
    )
    resolve = f"/assessments/{team.assessment_id}/comments/{settled_id}/resolve"
    assert team.members["owner"].post(resolve, {}, page=_url(team)).status_code == 302

    full = report_text(app, team.assessment_id, "full")
    listed = full.split("Unresolved comments")[-1].split("Appendix A.")[0]
    assert "Rita" in listed
    assert "Open question about the bylaw" in listed
    assert "Reply still pending" in listed
    assert "Settled remark" not in full
    history = full.split("Appendix D. Change history")[-1]
    assert "comment" not in history.lower()

    public = report_text(app, team.assessment_id, "public")
    for text in ("Open question", "Reply still pending", "Settled remark", "Unresolved comments"):
        assert text not in public
    assert "comment" not in public.split("Appendix D. Change history")[-1].lower()


@pytest.mark.database_agnostic
def test_a_full_report_is_not_served_from_the_cache_once_comments_change(
    app: Flask, team: Team
) -> None:
    """The PDF for one revision is cached; a comment changes the full
    edition's unresolved list, so the next full download is a new render,
    and the public edition, which has no comments, stays the same file."""
    owner = team.members["owner"]
    pdf = f"/assessments/{team.assessment_id}/report.pdf"
    first_full = owner.get(pdf).data
    first_public = owner.get(f"{pdf}?edition=public").data
    assert first_full.startswith(b"%PDF")
    assert _post(team, "reviewer", "A comment after the download") == 302
    assert owner.get(pdf).data != first_full
    assert owner.get(f"{pdf}?edition=public").data == first_public
