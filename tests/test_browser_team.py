"""A team of three takes an assessment from draft to an issued, signed
report in real Chromium with JavaScript off, as issue 12's "done" asks: the
owner signs up and invites an editor and a reviewer by links copied from the
page; the editor answers, attaches an evidence file and submits; the
reviewer comments and requests changes; the editor makes them and submits
again; the reviewer approves; the owner issues.  The signed PDF passes
pyHanko's validation and /verify; a reassessment shows what changed.

axe-core checks the pages of the workflow, comments, evidence, history and
members as the people reach them, in the states they see them in (a context
with JavaScript on, for axe only, takes the person's cookies and opens the
same URL, or posts the same form to show a validation error)."""

from __future__ import annotations

import datetime as dt
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter

from assessment.config import Config
from assessment.engine.bank import QuestionType
from assessment.forms import field_name
from assessment.report.signing import CERTIFICATE_NAME
from tests.browser import (
    axe_violations,
    axe_violations_as,
    click_and_load,
    js_off_context,
    read_section_page,
)
from tests.conftest import TEST_PASSWORD
from tests.helpers import BANK
from tests.pdf_text import pdf_pages

OPERATOR = "scope.operator"
FIRST_SECTION = "scoping.programme"
TEXT_ANSWERS = {QuestionType.NUMBER: "12000", QuestionType.DATE: "2026-01-15"}


def _h1(page: Page) -> str:
    return page.locator("h1").inner_text()


def _submit(page: Page) -> None:
    """Press the main form's submit button (the page's only main form)."""
    click_and_load(page, "main form:not(.inline) button[type=submit] >> nth=0")


def _answer_required(page: Page) -> None:
    """Answer every required question on this section page that has no answer
    yet: the first option of a choice, a short text, a number or a date.  The
    page is read once (as a browser would send its form) to know which."""
    on_page = read_section_page(page)
    for question in BANK.section(on_page.section_id).questions:
        name = field_name(question.id)
        if not question.required or question.id not in on_page.shown or name in on_page.answered:
            continue
        field = page.locator(f"[name='{name}']")
        if question.is_choice or question.type is QuestionType.MULTIPLE_CHOICE:
            field.first.check()
        else:
            field.fill(TEXT_ANSWERS.get(question.type, "Answered in the browser"))


def _answer_every_section(page: Page) -> None:
    """From the section page ``page`` is on, answer and save each page in
    turn ("Save & continue") until the wizard reaches the review page."""
    for _ in range(80):  # each section once, again when answers bring up further questions
        if page.url.endswith("/review"):
            return
        _answer_required(page)
        click_and_load(page, ".actions button[value=continue]")
    raise AssertionError(f"the wizard did not reach the review page: {page.url}")


def _save_operator(page: Page, section_url: str, value: str) -> None:
    page.goto(section_url)
    page.fill(f"[name='{field_name(OPERATOR)}']", value)
    click_and_load(page, ".actions button[value=exit]")


def _accept(chromium: Browser, link: str, name: str) -> tuple[BrowserContext, Page]:
    """The invited person opens the link in a browser of their own and joins."""
    context = js_off_context(chromium)
    page = context.new_page()
    page.goto(link)
    assert _h1(page) == "Join Watchdog"
    page.fill("#name", name)
    page.fill("#password", TEST_PASSWORD)
    _submit(page)
    assert _h1(page) == "Assessments"
    return context, page


def _invite(owner: Page, email: str, role: str) -> str:
    """The owner makes an invitation link on the members page; the link shown."""
    owner.fill("#email", email)
    owner.select_option("#role", role)
    click_and_load(owner, "text=Make an invitation link")
    link = owner.locator("code.share-url").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invite/\S+", link), link
    return link


def _axe_after_post(
    person: Page,
    axe_page: Page,
    url: str,
    fill: dict[str, str],
    button: str,
    shows: str = ".errors, [role=alert]",
) -> list[str]:
    """Post the form of the page at ``url`` from the axe context as ``person``,
    with ``fill`` (selector -> value) typed in, and return the violations of
    the answer, which ``shows`` an element (by default a validation error:
    nothing changed)."""
    axe_page.context.clear_cookies()
    axe_page.context.add_cookies(person.context.cookies())  # type: ignore[arg-type]  # same shape
    axe_page.goto(url)
    for selector, value in fill.items():
        axe_page.fill(selector, value)
    with axe_page.expect_navigation():
        axe_page.click(button)
    assert axe_page.locator(shows).count() > 0, axe_page.content()[:2000]
    return axe_violations(axe_page)


def _pdf_file(path: Path) -> Path:
    """A one-page PDF, an evidence file."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    with path.open("wb") as out:
        writer.write(out)
    return path


def test_a_team_of_three_takes_an_assessment_to_a_signed_report(
    live_server: str, chromium: Browser, axe_page: Page, config: Config, tmp_path: Path
) -> None:
    base = live_server
    contexts: list[BrowserContext] = []
    try:
        # --- the owner signs up and invites an editor and a reviewer ---------------------
        owner_context = js_off_context(chromium)
        contexts.append(owner_context)
        owner = owner_context.new_page()
        owner.goto(f"{base}/signup")
        owner.fill("#organisation", "Watchdog")
        owner.fill("#name", "Ana")
        owner.fill("#email", "ana@example.org")
        owner.fill("#password", TEST_PASSWORD)
        _submit(owner)
        assert _h1(owner) == "Assessments"
        owner.click("text=Members")
        assert _h1(owner) == "Members"
        editor_link = _invite(owner, "ed@example.org", "editor")
        reviewer_link = _invite(owner, "rita@example.org", "reviewer")
        assert axe_violations_as(owner, axe_page, f"{base}/members") == [], "members page"
        assert (
            _axe_after_post(
                owner, axe_page, f"{base}/members", {"#email": " "}, "text=Make an invitation link"
            )
            == []
        ), "members page, invitation refused"
        assert (  # one more editor is invited (never joins): the page with the link shown
            _axe_after_post(
                owner,
                axe_page,
                f"{base}/members",
                {"#email": "sam@example.org"},
                "text=Make an invitation link",
                shows="code.share-url",
            )
            == []
        ), "members page with an invitation link"

        axe_page.context.clear_cookies()  # the acceptance page, as the invited person sees it
        axe_page.goto(editor_link)
        assert axe_violations(axe_page) == [], "invitation acceptance page"
        editor_context, editor = _accept(chromium, editor_link, "Ed")
        reviewer_context, reviewer = _accept(chromium, reviewer_link, "Rita")
        contexts += [editor_context, reviewer_context]

        # --- the editor answers, attaches evidence, submits -------------------------------
        editor.click("text=Start an assessment")
        editor.fill("#title", "Junction cameras")
        editor.check("input[value=camera]")
        _submit(editor)
        section_url = editor.url.split("#")[0]
        assert section_url.endswith(f"/sections/{FIRST_SECTION}")
        assessment_url = section_url.rsplit("/sections/", 1)[0]
        editor.goto(f"{assessment_url}/submit")  # too early: what is missing, no form
        assert "still need" in editor.content()
        assert editor.locator("main form").count() == 0
        assert axe_violations_as(editor, axe_page, status=409) == [], "submit, answers missing"

        editor.goto(section_url)
        _answer_every_section(editor)
        editor.goto(section_url)
        evidence = _pdf_file(tmp_path / "court-order.pdf")
        editor.set_input_files(f"[id='evidence-file-{OPERATOR}']", evidence)
        click_and_load(editor, f"button[form='evidence-upload-{OPERATOR}']")
        assert "Attached court-order.pdf" in editor.content()
        assert editor.locator(f"[id='{OPERATOR}'] .evidence-list li").count() == 1
        assert axe_violations_as(editor, axe_page) == [], "section with an evidence list"

        editor.goto(f"{assessment_url}/review")
        submit_links = editor.locator("main a:text-is('Submit for review')")
        assert submit_links.count() > 0, editor.locator(".review-summary").inner_text()
        submit_links.first.click()
        assert _h1(editor) == "Submit for review"
        assert axe_violations_as(editor, axe_page) == [], "submit confirmation"
        _submit(editor)
        assert "Submitted for review" in editor.content()

        # --- the reviewer comments and requests changes -----------------------------------
        reviewer.goto(f"{assessment_url}/questions/{OPERATOR}/comments")
        reviewer.fill("#comment-text", "Which police department runs the cameras?")
        click_and_load(reviewer, "text=Post comment")
        assert "Your comment is posted" in reviewer.content()
        assert axe_violations_as(reviewer, axe_page) == [], "comments page with a thread"

        reviewer.goto(f"{assessment_url}/review")
        reviewer.click("main a:text-is('Request changes')")
        assert _h1(reviewer) == "Request changes"
        assert axe_violations_as(reviewer, axe_page) == [], "request-changes page"
        assert (
            _axe_after_post(
                reviewer, axe_page, reviewer.url, {"#changes": " "}, "text=Send back to the editors"
            )
            == []
        ), "request-changes page, refused"
        reviewer.fill("#changes", "Name the operator precisely.")
        _submit(reviewer)
        assert "Sent back to the editors" in reviewer.content()

        # --- the editor makes the changes and submits again -------------------------------
        editor.goto(section_url)
        assert "Changes requested" in editor.content()
        assert "Name the operator precisely." in editor.content()
        assert "Which police department runs the cameras?" in editor.content()
        review_url = f"{assessment_url}/review"
        assert axe_violations_as(editor, axe_page, review_url) == [], "review, changes requested"
        _save_operator(editor, section_url, "City police, traffic department")
        editor.goto(f"{assessment_url}/questions/{OPERATOR}/comments")
        click_and_load(editor, "text=Resolve thread")
        assert "Thread resolved" in editor.content()
        assert "resolved by Ed" in editor.content()
        editor.goto(f"{assessment_url}/submit")
        _submit(editor)
        assert "Submitted for review" in editor.content()

        # --- the editor may not approve; the reviewer approves ----------------------------
        refused = editor.goto(f"{assessment_url}/approve")
        assert refused is not None
        assert refused.status == 403
        assert axe_violations_as(editor, axe_page, status=403) == [], "refused approval"
        reviewer.goto(f"{assessment_url}/review")
        reviewer.click("main a:text-is('Approve')")
        assert _h1(reviewer) == "Approve and sign off"
        assert axe_violations_as(reviewer, axe_page) == [], "approve page"
        assert (
            _axe_after_post(
                reviewer,
                axe_page,
                reviewer.url,
                {"#position": " "},
                "button:text-is('Approve and sign off')",
            )
            == []
        ), "approve page, refused"
        reviewer.fill("#position", "Legal adviser")
        _submit(reviewer)
        assert "Approved." in reviewer.content()

        # --- the owner issues --------------------------------------------------------------
        owner.goto(f"{assessment_url}/review")
        assert "Approved by Rita, Legal adviser" in owner.locator("main").inner_text()
        assert axe_violations_as(owner, axe_page) == [], "review page, approved"
        owner.click("main a:text-is('Issue')")
        assert _h1(owner) == "Issue the assessment"
        assert axe_violations_as(owner, axe_page) == [], "issue page"
        assert (
            _axe_after_post(
                owner, axe_page, owner.url, {"#reassess_by": "2001-01-01"}, "main form button"
            )
            == []
        ), "issue page, refused"
        reassess_by = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=300)).isoformat()
        owner.fill("#reassess_by", reassess_by)
        _submit(owner)
        assert "Issued." in owner.content()
        assert f"Reassess by {reassess_by}" in owner.locator("main").inner_text()

        # --- the issued report: signed, signed off by the reviewer, verified here ----------
        with owner.expect_download(timeout=180_000) as download:
            owner.click("text=Download the PDF report")
            assert "The report is being prepared" in owner.content()  # then reloads itself
        pdf_path = tmp_path / "issued.pdf"
        download.value.save_as(pdf_path)
        pdf = pdf_path.read_bytes()
        certificate = load_cert_from_pemder(
            str(Path(config.instance_path) / "signing" / CERTIFICATE_NAME)
        )
        [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        # pyHanko runs its own asyncio loop, which cannot run inside Playwright's: another thread
        with ThreadPoolExecutor(max_workers=1) as thread:
            status = thread.submit(  # the diff analysis takes minutes on a whole report
                validate_pdf_signature,
                signature,
                ValidationContext(trust_roots=[certificate], allow_fetching=False),
                skip_diff=True,
            ).result()
        assert status.bottom_line
        assert status.intact
        assert status.valid
        assert status.trusted  # the installation's certificate, pinned
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        cover = " ".join(pdf_pages(pdf_path.read_bytes())[0].split())
        assert "Approved by Rita" in cover, cover
        assert "Legal adviser" in cover

        verifier_context = js_off_context(chromium)  # anyone may verify: an auditor
        contexts.append(verifier_context)
        verifier = verifier_context.new_page()
        verifier.goto(f"{base}/verify")
        verifier.set_input_files("#report", pdf_path)
        _submit(verifier)
        verdict = verifier.locator("section.verdict")
        assert verdict.get_attribute("data-outcome") == "issued"
        assert "this exact file was issued here" in verdict.inner_text()
        axe_page.context.clear_cookies()  # the verdict, checked as the auditor sees it
        axe_page.goto(f"{base}/verify")
        axe_page.set_input_files("#report", pdf_path)
        axe_page.click("main form button[type=submit]")
        assert axe_page.locator("section.verdict[data-outcome=issued]").count() == 1
        assert axe_violations(axe_page) == [], "verify page, issued here"

        # --- a reassessment shows what changed ---------------------------------------------
        editor.goto(f"{assessment_url}/review")
        editor.click("main a:text-is('Open a reassessment')")
        _submit(editor)
        assert "Reassessment opened" in editor.content()
        _save_operator(editor, section_url, "Regional police")
        editor.goto(f"{assessment_url}/review")
        editor.click("text=Compare revisions")
        change = editor.locator(f"[id='change-{OPERATOR}']")
        assert "City police, traffic department" in change.inner_text()
        assert "Regional police" in change.inner_text()
        assert axe_violations_as(editor, axe_page) == [], "compare page"
        editor.click("text=Audit log")
        log = editor.locator("main").inner_text()
        for step in (
            "Ed: Submitted the assessment for review",
            "Rita: Requested changes",
            "Rita: Approved and signed off the assessment",
            "Ana: Issued the assessment",
            "Ed: Opened a reassessment",
        ):
            assert step in log, step
        assert axe_violations_as(editor, axe_page) == [], "audit log"
    finally:
        for context in contexts:
            context.close()
