"""What method 3 adds to the report, checked on its HTML (the PDF is made from
exactly this HTML; rendering it would prove nothing more here): the level's
range and the unknown answers that decide it, rights the assessor excluded,
answers that do not apply, and the record of engagement with rights-holders."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from assessment.engine.answers import OTHERS_NOT_KNOWN, Answer
from assessment.engine.bank import NOT_APPLICABLE, UNKNOWN
from assessment.engine.document import AssessmentDocument, load_document
from assessment.report.context import build_report_context
from assessment.report.render import render_html
from tests.helpers import BANK

EXAMPLES = Path(__file__).resolve().parents[1] / "assessment" / "examples"


def _junction(*changes: Answer) -> AssessmentDocument:
    """The safeguarded junction cameras of the calibration, with ``changes``."""
    document = load_document((EXAMPLES / "junction_cctv.json").read_bytes(), BANK)
    changed = {a.question_id: a for a in changes}
    answers = tuple(a for a in document.answers if a.question_id not in changed)
    return dataclasses.replace(document, answers=(*answers, *changed.values()))


def _text(document: AssessmentDocument) -> str:
    page = render_html(build_report_context(BANK, document))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_level_no_unknown_can_move_is_said_to_hold_whatever_they_turn_out_to_be() -> None:
    text = _text(_junction())
    assert "Range I whatever the unknown answers turn out to be" in text


def test_unknown_answers_that_decide_the_level_are_named_with_the_range() -> None:
    unknown_basis = Answer("lim.legal_basis", UNKNOWN)
    text = _text(_junction(unknown_basis))
    assert "I on the known answers only, IV if every unknown answer turns out worst" in text
    question = BANK.question("lim.legal_basis").text.get_text("en")
    summary = text.split("Scope and method")[1]
    assert question in summary


def test_an_excluded_right_is_shown_with_the_answers_that_would_engage_it() -> None:
    text = _text(_junction(Answer("rights.excluded", ["assembly"])))
    match = re.search(r"Excluded by the assessor; answers that would engage it: ([^.]+)", text)
    assert match is not None
    scope_question = BANK.question("desc.population_scope").text.get_text("en")
    assert scope_question in match.group(1)


def test_does_not_apply_answers_are_listed_and_never_counted_against_a_step() -> None:
    text = _text(_junction(Answer("lim.remedy_effective", NOT_APPLICABLE)))
    question = BANK.question("lim.remedy_effective").text.get_text("en")
    listed = text.split('Answered "does not apply" (1)')[1]
    assert listed.lstrip().startswith(question) or question in listed[:400]


def test_the_engagement_record_is_shown_with_what_people_said() -> None:
    row = {
        "who": "Cycling NGO of the city",
        "how": "other",
        "said": "Asked for the windows of the flats to be masked",
        "ratings_changed": "Privacy likelihood lowered after masking",
    }
    text = _text(_junction(Answer("part.engagement", [row])))
    section = text.split("Engagement with rights-holders")[-1]
    for cell in ("Cycling NGO of the city", "Asked for the windows", "Privacy likelihood lowered"):
        assert cell in section
    empty = _text(_junction(Answer("part.engagement", [])))
    assert "No engagement with affected people is recorded" in empty


def test_references_give_their_provision_in_the_language_of_the_assessment() -> None:
    english = _junction()
    english_refs = build_report_context(BANK, english)["refs"]
    russian_refs = build_report_context(BANK, dataclasses.replace(english, language="ru"))["refs"]
    assert english_refs, "the report cites no reference"
    provisions = {
        (r.citation, r.provision.get_text("en"), r.provision.get_text("ru"))
        for r in BANK.references.values()
    }
    for in_english, in_russian in zip(english_refs, russian_refs, strict=True):
        assert in_english["citation"] == in_russian["citation"]  # citations stay as published
        assert in_english["provision"] != in_russian["provision"]
        assert (
            in_english["citation"],
            in_english["provision"],
            in_russian["provision"],
        ) in provisions


def test_conditions_name_the_options_label_in_the_reports_language_not_its_value() -> None:
    """A question left out "when the camera system does live face recognition"
    says so with the option's label, never its stored value (``live_fr``)."""
    option = BANK.question("cam.functions").option("live_fr")
    assert option is not None
    english = _text(_junction())
    assert f'includes "{option.label.get_text("en")}"' in english
    assert '"live_fr"' not in english
    assert "Shown only when" in english

    russian = _text(dataclasses.replace(_junction(), language="ru"))
    assert f"«{option.label.get_text('ru')}»" in russian
    assert "live_fr" not in russian
    assert "Live face recognition" not in russian


def test_an_open_list_reads_and_others_not_known_in_the_reports_language() -> None:
    """The report's answers give an open list's options and then the phrase
    from the report's catalogue, in English and in Russian."""
    open_sources = Answer("desc.data_sources", ["cctv", OTHERS_NOT_KNOWN])
    english = _text(_junction(open_sources))
    label = BANK.question("desc.data_sources").option("cctv")
    assert label is not None
    assert f"{label.label.get_text('en')}, and others not known" in english
    russian = _text(dataclasses.replace(_junction(open_sources), language="ru"))
    assert f"{label.label.get_text('ru')}, и другие, о которых неизвестно" in russian
