from __future__ import annotations

from pathlib import Path
from typing import Any

from assessment.engine.loader import load_bank
from assessment.engine.progress import PLANNED, resolve
from tests.engine.format2_bank import write_mini_bank
from tests.helpers import BANK

COMMON = {"scoping", "description", "limitation", "rights", "safeguards"}


def _modules(visibility: Any) -> set[str]:
    return {p.section.module_id for p in visibility.sections}


def test_only_chosen_programme_modules_apply() -> None:
    camera = resolve(BANK, {"scope.programme_types": ["camera"]})
    assert _modules(camera) == COMMON | {"camera"}
    both = resolve(BANK, {"scope.programme_types": ["location", "payment"]})
    assert _modules(both) == COMMON | {"location", "payment"}
    skipped = {s.question.id for s in camera.skipped}
    assert {"loc.participation", "pay.court_order"} <= skipped
    assert all(s.level == "module" for s in camera.skipped if s.question.module_id == "payment")


def test_sections_are_grouped_by_module_in_bank_order_without_empty_modules() -> None:
    camera = resolve(BANK, {"scope.programme_types": ["camera"]})
    grouped = camera.sections_by_module()
    assert set(grouped) == COMMON | {"camera"}  # no entry for location or payment
    in_bank_order = [m.id for m in BANK.modules if m.id in grouped]
    assert list(grouped) == in_bank_order
    assert [p for parts in grouped.values() for p in parts] == list(camera.sections)
    assert all(p.section.module_id == m for m, parts in grouped.items() for p in parts)


def test_follow_up_question_appears_only_when_its_condition_holds() -> None:
    base = {"scope.programme_types": ["camera"]}
    hidden = resolve(BANK, {**base, "cam.functions": ["recording", "verification_fr"]})
    assert "cam.watchlist" not in hidden.visible_question_ids
    assert "lim.biometric_basis" in hidden.visible_question_ids
    reason = next(s for s in hidden.skipped if s.question.id == "cam.watchlist")
    assert reason.level == "question"
    shown = resolve(BANK, {**base, "cam.functions": ["live_fr"]})
    assert "cam.watchlist" in shown.visible_question_ids
    recording = resolve(BANK, {**base, "cam.functions": ["recording"]})
    assert "lim.biometric_basis" not in recording.visible_question_ids


def test_question_in_another_module_can_drive_a_condition() -> None:
    base = {"scope.programme_types": ["location"]}
    crime = resolve(BANK, {**base, "lim.aim": "crime"})
    assert {"loc.deters_care", "rights.health_deterrence"}.isdisjoint(crime.visible_question_ids)
    health = resolve(BANK, {**base, "lim.aim": "public_health"})
    assert {"loc.deters_care", "rights.health_deterrence"} <= health.visible_question_ids


def test_hidden_answers_do_not_count_and_hiding_cascades() -> None:
    answers = {
        "scope.programme_types": ["payment"],
        "cam.functions": ["live_fr"],  # stored earlier, module no longer applies
        "cam.watchlist": "broad",
    }
    visibility = resolve(BANK, answers)
    assert "cam.functions" not in visibility.answers
    assert "cam.watchlist" not in visibility.visible_question_ids


def test_percent_and_missing_required() -> None:
    empty = resolve(BANK, {"scope.programme_types": ["camera"], "cam.functions": ["live_fr"]})
    total = sum(p.total for p in empty.sections)
    assert empty.percent == round(200 / total)
    assert not empty.complete
    missing = {q.id for q in empty.missing_required()}
    assert "lim.legal_basis" in missing
    assert "desc.technology" not in missing  # optional
    section = empty.section_progress("camera.limits")
    assert section is not None
    assert (section.answered, section.total) == (0, 3)
    assert empty.section_progress("payment.access") is None


def test_complete_when_every_required_visible_question_answered() -> None:
    answers: dict[str, object] = {"scope.programme_types": ["payment"]}
    for _ in range(3):  # answering may reveal follow-ups; repeat until stable
        for question in resolve(BANK, answers).missing_required():
            if question.type.value == "multiple_choice":
                answers[question.id] = [question.options[0].value]
            elif question.is_choice:
                answers[question.id] = question.options[0].value
            else:
                answers[question.id] = "text"
    visibility = resolve(BANK, answers)
    assert visibility.complete
    assert not visibility.missing_required()


def test_gap_questions_are_not_asked_of_a_planned_programme(tmp_path: Path) -> None:
    bank = load_bank(write_mini_bank(tmp_path / "questions"))
    answers = {"m.status": "planned", "m.other_uses": "yes", "m.depends_on_gap": 3}
    planned = resolve(bank, answers)
    assert "m.other_uses" not in planned.visible_question_ids
    assert "m.other_uses" not in planned.answers
    (gap,) = (s for s in planned.skipped if s.question.id == "m.other_uses")
    assert gap.level == PLANNED
    assert gap.planned
    assert gap.condition is None
    # What depends on a question not asked is hidden by its own condition.
    (follow_up,) = (s for s in planned.skipped if s.question.id == "m.depends_on_gap")
    assert follow_up.level == "question"
    assert not follow_up.planned
    # A design question is still asked.
    assert "m.authorisation" in planned.visible_question_ids

    running = resolve(bank, {**answers, "m.status": "running"})
    assert {"m.other_uses", "m.depends_on_gap"} <= running.visible_question_ids
    assert not any(s.planned for s in running.skipped)
    unanswered = resolve(bank, {})
    assert "m.other_uses" in unanswered.visible_question_ids


def test_questions_that_cannot_be_known_are_not_asked_before_the_programme_runs() -> None:
    answers = {
        "scope.programme_types": ["camera", "location"],
        "lim.aim": "public_health",
        "cam.functions": ["live_fr"],
    }
    gap = {"lim.other_uses", "cam.protest_use", "loc.deters_care", "lim.kept_after"}
    running = resolve(BANK, {**answers, "scope.status": "running"})
    assert gap <= running.visible_question_ids
    planned = resolve(BANK, {**answers, "scope.status": "planned"})
    assert gap.isdisjoint(planned.visible_question_ids)
    assert gap <= {s.question.id for s in planned.skipped if s.planned}
    # Design questions are still asked of a planned programme.
    assert {"cam.human_review", "lim.notification"} <= planned.visible_question_ids
