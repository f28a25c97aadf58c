"""Loading the real bank, and the one-line errors for malformed ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.config import DEFAULT_BANK_DIR, PROJECT_ROOT
from assessment.engine.bank import UNKNOWN, QuestionType
from assessment.engine.loader import BankError, load_bank


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "questions"
    shutil.copytree(DEFAULT_BANK_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_real_bank_loads_with_every_module_and_type() -> None:
    bank = load_bank(DEFAULT_BANK_DIR)
    assert bank.id == "surveillance-hria"
    assert [m.id for m in bank.modules][:3] == ["scoping", "description", "limitation"]
    assert {"camera", "location", "payment"} <= {m.id for m in bank.modules}
    used = {q.type for q in bank.questions}
    expected = set(QuestionType)
    assert expected <= used, f"bank lacks examples of {expected - used}"


def test_choice_questions_get_a_not_known_option_unless_refused() -> None:
    bank = load_bank(DEFAULT_BANK_DIR)
    assert bank.question("lim.legal_basis").option(UNKNOWN) is not None
    assert bank.question("scope.programme_types").option(UNKNOWN) is None


def test_scale_questions_have_four_levels_with_scoring() -> None:
    question = load_bank(DEFAULT_BANK_DIR).question("lim.law_precise")
    assert [o.value for o in question.options] == ["1", "2", "3", "4", UNKNOWN]
    assert question.scoring is not None
    assert dict(question.scoring.levels) == {"1": 2, "2": 1, "3": 0, "4": 0}
    assert question.verdicts["4"] == "not_met"


@pytest.mark.parametrize(
    ("file", "old", "new", "question", "problem"),
    [
        (
            "camera.yaml",
            "type: yes_no_unknown\n    text:\n      en: Must each search",
            "type: lie_detector\n    text:\n      en: Must each search",
            "cam.per_use_authorisation",
            "unknown question type 'lie_detector'",
        ),
        (
            "camera.yaml",
            "show_if:\n      question: cam.mode\n      in:",
            "show_if:\n      question: cam.human_review\n      in:",
            "cam.per_use_authorisation",
            "'cam.human_review', which is not a question defined before it",
        ),
        (
            "payment.yaml",
            "references: [np-judicial]",
            "references: [no-such-ref]",
            "pay.court_order",
            "unknown reference 'no-such-ref'",
        ),
        (
            "location.yaml",
            "rights: [liberty_remedy]\n",
            "rights: [happiness]\n",
            "loc.fine_review",
            "unknown right 'happiness'",
        ),
        (
            "description.yaml",
            "id: desc.retention",
            "id: desc.purpose",
            "desc.purpose",
            "this id is used by another question",
        ),
        (
            "limitation.yaml",
            "      levels:\n        'yes': 2\n",
            "      levels:\n        'yes': 7\n",
            "lim.purpose_limited",
            "7 is greater than the maximum of 4",
        ),
        (
            "limitation.yaml",
            "      levels:\n        'yes': 2\n",
            "      levels:\n        'yes': 3\n",
            "lim.purpose_limited",
            "safeguard level for 'yes' must be 0-2",
        ),
        (
            "payment.yaml",
            "  references: [np-judicial]\n",
            "  references: []\n",
            "pay.court_order",
            "every question needs at least one reference",
        ),
        (
            "scoping.yaml",
            "maps_to: ['gdpr35:description', 'aiact27:processes']",
            "maps_to: ['gdpr35:description', 'aiact27:nonsense']",
            "scope.operator",
            "'aiact27:nonsense', which frameworks.yaml does not define",
        ),
        (
            "location.yaml",
            "    verdicts:\n      'yes': met\n      'no': not_met\n  - id: loc.participation",
            "    verdicts:\n      'maybe': met\n      'no': not_met\n  - id: loc.participation",
            "loc.operator_basis",
            "verdict for 'maybe', which is not an option",
        ),
        (
            "scoping.yaml",
            "- id: scope.operator\n    type: short_text\n    text:",
            "- id: scope.operator\n    type: short_text\n    txt:",
            "scope.operator",
            "'txt' was unexpected",
        ),
    ],
)
def test_malformed_bank_names_file_question_and_problem(
    bank_copy: Path, file: str, old: str, new: str, question: str, problem: str
) -> None:
    _edit(bank_copy / file, old, new)
    with pytest.raises(BankError) as caught:
        load_bank(bank_copy)
    message = str(caught.value)
    assert f"questions/{file}" in message
    assert f"question {question}" in message
    assert problem in message


def test_yaml_syntax_error_gives_line(bank_copy: Path) -> None:
    _edit(bank_copy / "camera.yaml", "sections:", "sections: [")
    with pytest.raises(BankError, match=r"questions/camera\.yaml: invalid YAML at line \d+"):
        load_bank(bank_copy)


def test_unknown_format_version_is_checked_first(bank_copy: Path) -> None:
    _edit(bank_copy / "payment.yaml", "format_version: 1", "format_version: 7\nnonsense: true")
    with pytest.raises(BankError, match=r"payment\.yaml: unsupported format_version 7"):
        load_bank(bank_copy)


def test_missing_module_file(bank_copy: Path) -> None:
    (bank_copy / "location.yaml").unlink()
    with pytest.raises(BankError, match=r"questions/location\.yaml: file not found"):
        load_bank(bank_copy)


def test_module_of_another_bank_version(bank_copy: Path) -> None:
    _edit(bank_copy / "camera.yaml", "bank_version: '1.0'", "bank_version: '0.9'")
    with pytest.raises(BankError, match=r"belongs to bank surveillance-hria 0\.9"):
        load_bank(bank_copy)


def test_start_up_with_malformed_bank_prints_one_line_without_traceback(bank_copy: Path) -> None:
    _edit(bank_copy / "payment.yaml", "references: [np-judicial]", "references: [no-such-ref]")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "routes"],
        cwd=PROJECT_ROOT,
        env={
            "QUESTION_BANK_DIR": str(bank_copy),
            "SECRET_KEY": "k" * 40,
            "PATH": "/usr/bin:/bin",
            "INSTANCE_PATH": str(bank_copy.parent / "instance"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Question bank error in questions/payment.yaml, question pay.court_order: "
        "unknown reference 'no-such-ref'"
    )


def test_engine_imports_no_framework() -> None:
    code = (
        "import sys, assessment.engine.loader, assessment.engine.scoring, "
        "assessment.engine.document, assessment.engine.display, assessment.engine.progress\n"
        "bad = [m for m in ('flask', 'sqlalchemy', 'wtforms', 'weasyprint') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
