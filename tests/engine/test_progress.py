from __future__ import annotations

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.loader import load_bank_cached
from assessment.engine.progress import resolve

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))


def _modules(visibility_sections: object) -> set[str]:
    return {p.section.module_id for p in visibility_sections}  # type: ignore[attr-defined]


def test_only_chosen_programme_modules_apply() -> None:
    camera = resolve(BANK, {"scope.programme_types": ["camera"]})
    assert _modules(camera.sections) == {"scoping", "description", "limitation", "camera"}
    both = resolve(BANK, {"scope.programme_types": ["location", "payment"]})
    assert _modules(both.sections) == {
        "scoping",
        "description",
        "limitation",
        "location",
        "payment",
    }
    skipped = {s.question.id for s in camera.skipped}
    assert "loc.mandatory" in skipped
    assert "pay.court_order" in skipped
    assert all(s.level == "module" for s in camera.skipped if s.question.module_id == "payment")


def test_follow_up_question_appears_only_when_its_condition_holds() -> None:
    base = {"scope.programme_types": ["camera"]}
    hidden = resolve(BANK, {**base, "cam.live_identification": "no"})
    assert "cam.watchlist_criteria" not in hidden.visible_question_ids
    reason = next(s for s in hidden.skipped if s.question.id == "cam.watchlist_criteria")
    assert reason.level == "question"
    shown = resolve(BANK, {**base, "cam.live_identification": "yes"})
    assert "cam.watchlist_criteria" in shown.visible_question_ids


def test_hidden_answers_do_not_count_and_hiding_cascades() -> None:
    answers = {
        "scope.programme_types": ["payment"],
        "cam.live_identification": "yes",  # stored earlier, module no longer applies
        "cam.watchlist_criteria": "broad",
    }
    visibility = resolve(BANK, answers)
    assert "cam.live_identification" not in visibility.answers
    assert "cam.watchlist_criteria" not in visibility.visible_question_ids


def test_percent_and_missing_required() -> None:
    empty = resolve(BANK, {"scope.programme_types": ["camera"]})
    total = sum(p.total for p in empty.sections)
    assert empty.percent == round(100 / total)
    assert not empty.complete
    missing = {q.id for q in empty.missing_required()}
    assert "lim.specific_law" in missing
    assert "desc.people_affected" not in missing  # optional
    section = empty.section_progress("camera.accuracy")
    assert section is not None
    assert (section.answered, section.total) == (0, 2)
    assert empty.section_progress("payment.access") is None


def test_complete_when_every_required_visible_question_answered() -> None:
    answers: dict[str, object] = {"scope.programme_types": ["payment"]}
    for _ in range(3):  # answering may reveal follow-ups; repeat until stable
        for question in resolve(BANK, answers).missing_required():
            answers[question.id] = "unknown" if question.is_choice else "text"
    visibility = resolve(BANK, answers)
    assert visibility.complete
    assert not visibility.missing_required()
