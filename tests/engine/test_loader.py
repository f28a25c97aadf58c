"""Loading the real bank, and the one-line errors for malformed ones."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.config import DEFAULT_BANK_DIR, PROJECT_ROOT
from assessment.engine.bank import NOT_APPLICABLE, UNKNOWN, Practice, QuestionType, Weight
from assessment.engine.conditions import evaluate
from assessment.engine.loader import BankError, load_bank
from tests.engine.format2_bank import write_mini_bank


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


def test_real_bank_is_format2_with_its_roles_weights_and_absolute_elements() -> None:
    bank = load_bank(DEFAULT_BANK_DIR)
    assert (bank.format_version, bank.version) == (2, "2.0")
    assert dict(bank.roles) == {
        "programme_types": "scope.programme_types",
        "status": "scope.status",
        "aim": "lim.aim",
        "vulnerable_groups": "rights.vulnerable_groups",
        "excluded_rights": "rights.excluded",
        "evidence_of_benefit": "lim.effectiveness_evidence",
        "linked_programmes": "scope.linked",
        "engagement": "part.engagement",
        "assessor_position": "scope.assessor_position",
        "sources": "scope.sources",
        "action_plan": "safe.actions",
        "sign_off": "safe.sign_off",
    }
    decisive = {q.id for q in bank.questions if q.weight is Weight.DECISIVE}
    assert decisive == {
        "lim.legal_basis",
        "lim.biometric_basis",
        "lim.aim",
        "lim.aim_pretext",
        "loc.operator_basis",
        "pay.statutory_gateway",
        "lim.pressing_need",
        "lim.less_intrusive_works",
        "lim.targets_groups",
    }
    assert [e.id for e in bank.absolute] == [
        "opinion",
        "emergency_discrimination",
        "privacy_essence",
    ]
    assert bank.cumulative is not None
    assert bank.cumulative.rights == ("privacy", "movement", "association")
    assert evaluate(bank.cumulative.when, {"scope.programme_types": ["camera", "payment"]})
    assert not evaluate(bank.cumulative.when, {"scope.programme_types": ["camera"]})
    necessity = bank.step("necessity")
    assert necessity.strict_when is not None
    assert evaluate(necessity.strict_when, {"cam.functions": ["recording", "live_fr"]})
    assert not evaluate(necessity.strict_when, {"cam.functions": ["recording", "anpr"]})
    assert bank.step("proportionality").weighs_residual
    judicial = bank.question("lim.judicial_authorisation")
    assert [o.value for o in judicial.options] == [
        "court",
        "independent",
        "operator",
        "no_one",
        NOT_APPLICABLE,
        UNKNOWN,
    ]
    assert dict(judicial.verdicts) == {
        "court": "met",
        "independent": "met",
        "operator": "not_met",
        "no_one": "not_met",
    }
    groups = {o.value: o.rights for o in bank.question("rights.vulnerable_groups").options}
    assert groups["none"] == ()
    assert groups["elderly"] == ("non_discrimination", "health", "movement")
    assert groups["migrants"] == ("movement", "liberty_remedy", "non_discrimination")
    assert all(o.rights == () for o in bank.question("rights.excluded").options)
    for question in bank.questions:
        if question.practice is Practice.DESIGN:
            assert question.planned_text.get_text(), question.id
    engagement = bank.question("part.engagement")
    assert (engagement.step, dict(engagement.verdicts)) == (
        "participation",
        {"rows": "met", "empty": "not_met"},
    )


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
            "show_if:\n      any:\n      - question: cam.functions\n",
            "show_if:\n      any:\n      - question: cam.human_review\n",
            "cam.fr_cameras",
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
    _edit(bank_copy / "payment.yaml", "format_version: 2", "format_version: 7\nnonsense: true")
    with pytest.raises(
        BankError, match=r"payment\.yaml: unsupported format_version 7 \(this program reads 1, 2\)"
    ):
        load_bank(bank_copy)


def test_missing_module_file(bank_copy: Path) -> None:
    (bank_copy / "location.yaml").unlink()
    with pytest.raises(BankError, match=r"questions/location\.yaml: file not found"):
        load_bank(bank_copy)


def test_module_of_another_bank_version(bank_copy: Path) -> None:
    _edit(bank_copy / "camera.yaml", "bank_version: '2.0'", "bank_version: '0.9'")
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


# --- Format 2 -------------------------------------------------------------------------------


@pytest.fixture
def mini_bank(tmp_path: Path) -> Path:
    return write_mini_bank(tmp_path / "questions")


def test_format2_fields_load_with_their_defaults(mini_bank: Path) -> None:
    bank = load_bank(mini_bank)
    assert bank.format_version == 2
    assert dict(bank.roles) == {
        "status": "m.status",
        "programme_types": "m.functions",
        "engagement": "m.engagement",
    }
    assert bank.role("status") == "m.status"
    assert bank.role("aim") is None

    authorisation = bank.question("m.authorisation")
    assert [o.value for o in authorisation.options] == ["court", "no_one", NOT_APPLICABLE, UNKNOWN]
    assert authorisation.not_applicable
    assert authorisation.weight is Weight.DECISIVE
    assert authorisation.practice is Practice.DESIGN
    assert authorisation.planned_text.get_text() == "Who will authorise each use?"

    other_uses = bank.question("m.other_uses")
    assert other_uses.weight is Weight.CONTRIBUTORY
    assert other_uses.practice is Practice.GAP
    assert not other_uses.not_applicable
    assert other_uses.option(NOT_APPLICABLE) is None

    functions = bank.question("m.functions")
    assert [(o.value, o.rights) for o in functions.options] == [
        ("recording", ()),
        ("live_fr", ("privacy", "expression")),
        ("anpr", None),
        (NOT_APPLICABLE, None),
        (UNKNOWN, None),
    ]
    linked = bank.question("m.linked")
    assert [(o.value, o.rights) for o in linked.options] == [
        ("yes", None),
        ("no", ()),
        (UNKNOWN, None),
    ]
    scale = bank.question("m.depends_on_gap")
    assert [(o.value, o.rights) for o in scale.options][:2] == [("1", ()), ("2", None)]
    assert [o.value for o in scale.options][-2:] == [NOT_APPLICABLE, UNKNOWN]

    assert dict(bank.question("m.engagement").verdicts) == {"rows": "met", "empty": "not_met"}

    necessity, proportionality = bank.steps
    assert necessity.strict_when is not None
    assert evaluate(necessity.strict_when, {"m.functions": ["live_fr"]})
    assert not evaluate(necessity.strict_when, {"m.functions": ["recording"]})
    assert not necessity.weighs_residual
    assert proportionality.weighs_residual
    assert proportionality.strict_when is None

    (absolute,) = bank.absolute
    assert absolute.id == "opinion"
    assert absolute.label.get_text() == "Freedom of opinion"
    assert absolute.references == ("ref-a",)
    assert evaluate(absolute.when, {"m.opinions": "yes"})
    assert bank.cumulative is not None
    assert bank.cumulative.rights == ("privacy", "movement")
    assert bank.cumulative.likelihood == 1
    assert evaluate(bank.cumulative.when, {"m.linked": "yes"})


def _as_format1(mini_bank: Path) -> None:
    """Turn the mini bank into a format-1 bank: no format-2 key left."""
    manifest = (mini_bank / "bank.yaml").read_text(encoding="utf-8")
    manifest = manifest[: manifest.index("roles:\n")]
    manifest = re.sub(r"  (strict_when|weighs_residual): .*\n", "", manifest)
    (mini_bank / "bank.yaml").write_text(manifest, encoding="utf-8")
    module = (mini_bank / "main.yaml").read_text(encoding="utf-8")
    module = re.sub(
        r"    (not_applicable|weight|practice|planned_text|option_rights): .*\n", "", module
    )
    module = re.sub(r", rights: \[[a-z, ]*\]", "", module)
    module = module.replace("m.status", "scope.status")
    module = module.replace("    verdicts: {rows: met, empty: not_met}\n", "")
    module = module.replace("    step: proportionality\n    fields:", "    fields:")
    (mini_bank / "main.yaml").write_text(module, encoding="utf-8")
    for path in mini_bank.glob("*.yaml"):
        _edit(path, "format_version: 2", "format_version: 1")


def test_format1_bank_gets_default_roles_and_no_format2_fields(mini_bank: Path) -> None:
    _as_format1(mini_bank)
    bank = load_bank(mini_bank)
    assert bank.format_version == 1
    assert dict(bank.roles) == {"status": "scope.status"}
    assert bank.absolute == ()
    assert bank.cumulative is None
    for question in bank.questions:
        # Format 1 knew no weights: any failing condition failed its step.
        assert question.weight is (Weight.DECISIVE if question.step else Weight.CONTRIBUTORY)
        assert question.practice is None
        assert question.planned_text == {}
        assert not question.not_applicable
        assert all(option.rights is None for option in question.options)
        assert NOT_APPLICABLE not in {option.value for option in question.options}
    assert all(s.strict_when is None and not s.weighs_residual for s in bank.steps)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "    - {value: anpr, label: {en: Number plates}}",
            "    - {value: anpr, label: {en: Number plates}, rights: []}",
            "question m.functions: 'rights of an option'",
        ),
        (
            "    text: {en: 'Linked?'}\n",
            "    text: {en: 'Linked?'}\n    option_rights: {'no': []}\n",
            "question m.linked: 'option_rights'",
        ),
        (
            "    text: {en: 'Opinions?'}\n",
            "    text: {en: 'Opinions?'}\n    not_applicable: true\n",
            "question m.opinions: 'not_applicable'",
        ),
        (
            "    step: necessity\n",
            "    step: necessity\n    weight: decisive\n",
            "question m.authorisation: 'weight'",
        ),
        (
            "    step: proportionality\n    verdicts: {'yes': not_met, 'no': met}\n",
            "    step: proportionality\n    verdicts: {'yes': not_met, 'no': met}\n"
            "    practice: gap\n",
            "question m.other_uses: 'practice'",
        ),
    ],
)
def test_format1_module_cannot_use_format2_fields(
    mini_bank: Path, old: str, new: str, problem: str
) -> None:
    _as_format1(mini_bank)
    _edit(mini_bank / "main.yaml", old, new)
    with pytest.raises(BankError) as caught:
        load_bank(mini_bank)
    assert str(caught.value) == (
        f"Question bank error in questions/main.yaml, {problem} needs format_version 2"
    )


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("steps:\n", "roles:\n  status: scope.status\nsteps:\n", "'roles'"),
        (
            "  references: [ref-a]\n- id: proportionality",
            "  references: [ref-a]\n  weighs_residual: false\n- id: proportionality",
            "step necessity: 'weighs_residual'",
        ),
    ],
)
def test_format1_manifest_cannot_use_format2_keys(
    mini_bank: Path, old: str, new: str, problem: str
) -> None:
    _as_format1(mini_bank)
    _edit(mini_bank / "bank.yaml", old, new)
    with pytest.raises(BankError) as caught:
        load_bank(mini_bank)
    assert str(caught.value) == (
        f"Question bank error in questions/bank.yaml: {problem} needs format_version 2"
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "question", "problem"),
    [
        (
            "main.yaml",
            "    - {value: planned, label: {en: Planned}}",
            "    - {value: not_applicable, label: {en: Planned}}",
            "m.status",
            "the option value 'not_applicable' is reserved; use not_applicable",
        ),
        (
            "main.yaml",
            "    verdicts: {court: met, no_one: not_met}",
            "    verdicts: {court: met, no_one: not_met, not_applicable: met}",
            "m.authorisation",
            "verdict for 'not_applicable', which is not an option",
        ),
        (
            "main.yaml",
            "    type: scale4\n",
            "    type: scale4\n    scoring: {kind: likelihood, levels: {not_applicable: 1}}\n",
            "m.depends_on_gap",
            "scoring level for 'not_applicable', which is not an option",
        ),
        (
            "main.yaml",
            "    - {value: anpr, label: {en: Number plates}}",
            "    - {value: anpr, label: {en: Number plates}, rights: [happiness]}",
            "m.functions",
            "an option names unknown right 'happiness'",
        ),
        (
            "main.yaml",
            "    option_rights: {'no': []}",
            "    option_rights: {'maybe': []}",
            "m.linked",
            "option_rights for 'maybe', which is not an option",
        ),
        (
            "main.yaml",
            "    option_rights: {'no': []}",
            "    option_rights: {'no': [happiness]}",
            "m.linked",
            "an option names unknown right 'happiness'",
        ),
        (
            "main.yaml",
            "    allow_unknown: false\n",
            "    allow_unknown: false\n    option_rights: {planned: []}\n",
            "m.status",
            "'option_rights' is for yes_no_unknown and scale4",
        ),
        (
            "main.yaml",
            "    - {id: who, type: short_text, text: {en: Who}}",
            "    - {id: who, type: short_text, text: {en: Who}, not_applicable: true}",
            "who",
            "only a choice question can offer 'not_applicable'",
        ),
        (
            "main.yaml",
            "    text: {en: 'Opinions?'}\n",
            "    text: {en: 'Opinions?'}\n    weight: decisive\n",
            "m.opinions",
            "only a question with a 'step' has a 'weight'",
        ),
        (
            "main.yaml",
            "    weight: decisive\n",
            "    weight: overwhelming\n",
            "m.authorisation",
            "'overwhelming' is not one of ['decisive', 'contributory']",
        ),
        (
            "main.yaml",
            "    planned_text: {en: 'Who will authorise each use?'}\n",
            "",
            "m.authorisation",
            "'planned_text' goes with 'practice: design', and only with it",
        ),
        (
            "main.yaml",
            "    practice: gap\n",
            "    practice: gap\n    planned_text: {en: 'Will it be?'}\n",
            "m.other_uses",
            "'planned_text' goes with 'practice: design', and only with it",
        ),
        (
            "main.yaml",
            "    planned_text: {en: 'Who will authorise each use?'}\n",
            "    planned_text: {en: 'Who will?', de: 'Wer?'}\n",
            "m.authorisation",
            "text in language 'de', which bank.yaml does not list",
        ),
        (
            "main.yaml",
            "    - {id: who, type: short_text, text: {en: Who}}",
            "    - {id: who, type: short_text, text: {en: Who}, practice: gap}",
            "who",
            "a field inside a group cannot have 'practice'",
        ),
        (
            "main.yaml",
            "    verdicts: {rows: met, empty: not_met}",
            "    verdicts: {rows: met}",
            "m.engagement",
            "the verdicts of a group are 'rows' and 'empty', both",
        ),
        (
            "main.yaml",
            "    verdicts: {rows: met, empty: not_met}",
            "    verdicts: {rows: met, empty: partly}",
            "m.engagement",
            "'partly' is not one of ['met', 'not_met']",
        ),
    ],
)
def test_malformed_format2_question(
    mini_bank: Path, file: str, old: str, new: str, question: str, problem: str
) -> None:
    _edit(mini_bank / file, old, new)
    with pytest.raises(BankError) as caught:
        load_bank(mini_bank)
    message = str(caught.value)
    assert f"questions/{file}" in message
    assert f"question {question}" in message
    assert problem in message


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "  engagement: m.engagement\n",
            "  engagement: m.engagement\n  mood: m.status\n",
            "unknown role 'mood' (known roles: action_plan, aim, assessor_position,",
        ),
        (
            "  status: m.status\n",
            "  status: m.state\n",
            "role status names 'm.state', which is not a question",
        ),
        (
            "  strict_when: {question: m.functions, includes: live_fr}",
            "  strict_when: {question: m.function, includes: live_fr}",
            "strict_when of step necessity refers to 'm.function', which is not a question",
        ),
        (
            "  strict_when: {question: m.functions, includes: live_fr}",
            "  strict_when: {question: m.functions, resembles: live_fr}",
            "strict_when of step necessity:",
        ),
        (
            "  when: {question: m.opinions, equals: 'yes'}",
            "  when: {question: m.beliefs, equals: 'yes'}",
            "when of absolute element opinion refers to 'm.beliefs', which is not a question",
        ),
        (
            "  label: {en: Freedom of opinion}\n  when: {question: m.opinions, equals: 'yes'}\n"
            "  references: [ref-a]",
            "  label: {en: Freedom of opinion}\n  when: {question: m.opinions, equals: 'yes'}\n"
            "  references: [ref-b]",
            "absolute element opinion: unknown reference 'ref-b'",
        ),
        (
            "  references: [ref-a]\ncumulative:",
            "  references: [ref-a]\n- id: opinion\n  label: {en: Again}\n"
            "  when: {question: m.opinions, equals: 'no'}\n  references: [ref-a]\ncumulative:",
            "an absolute element id is defined twice",
        ),
        (
            "  when: {question: m.linked, equals: 'yes'}\n  rights: [privacy, movement]",
            "  when: {question: m.link, equals: 'yes'}\n  rights: [privacy, movement]",
            "when of cumulative refers to 'm.link', which is not a question",
        ),
        (
            "  rights: [privacy, movement]\n  likelihood: 1",
            "  rights: [privacy, happiness]\n  likelihood: 1",
            "cumulative: unknown right 'happiness'",
        ),
        (
            "  likelihood: 1",
            "  likelihood: 5",
            "5 is greater than the maximum of 3",
        ),
        (
            "  weighs_residual: true",
            "  weighs_residual: sometimes",
            "'sometimes' is not of type 'boolean'",
        ),
    ],
)
def test_malformed_format2_manifest(mini_bank: Path, old: str, new: str, problem: str) -> None:
    _edit(mini_bank / "bank.yaml", old, new)
    with pytest.raises(BankError) as caught:
        load_bank(mini_bank)
    message = str(caught.value)
    assert message.startswith("Question bank error in questions/bank.yaml: ")
    assert problem in message


def test_catalogue_texts_are_keyed_by_language() -> None:
    bank = load_bank(DEFAULT_BANK_DIR)
    glukhin = bank.references["glukhin"]
    assert glukhin.citation == "ECtHR, Glukhin v. Russia, no. 11519/20"
    assert glukhin.provision.get_text("en").startswith("judgment of 4 July 2023")
    assert glukhin.provision.get_text("ru").startswith("постановление от 4 июля 2023")
    siracusa = next(f for f in bank.frameworks if f.id == "siracusa")
    assert siracusa.title.get_text("ru").startswith("Сиракузские принципы")
    assert siracusa.elements[0].label == {
        "en": "Prescribed by law (§§15-18)",
        "ru": "Предусмотрено законом (§§ 15–18)",
    }


def test_format1_catalogue_strings_are_english(mini_bank: Path) -> None:
    _as_format1(mini_bank)
    _edit(mini_bank / "references.yaml", "provision: {en: art. 1}", "provision: art. 1")
    _edit(mini_bank / "frameworks.yaml", "title: {en: A framework}", "title: A framework")
    _edit(mini_bank / "frameworks.yaml", "label: {en: One}", "label: One")
    bank = load_bank(mini_bank)
    assert bank.references["ref-a"].provision == {"en": "art. 1"}
    assert bank.frameworks[0].title == {"en": "A framework"}
    assert bank.frameworks[0].elements[0].label.get_text("ru") == "One"


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "references.yaml",
            "provision: {en: art. 1}",
            "provision: art. 1",
            "provision of reference ref-a: a plain string needs format_version 1",
        ),
        (
            "frameworks.yaml",
            "title: {en: A framework}",
            "title: A framework",
            "title of framework fw: a plain string needs format_version 1",
        ),
        (
            "frameworks.yaml",
            "label: {en: One}",
            "label: One",
            "label of element fw:one: a plain string needs format_version 1",
        ),
        (
            "references.yaml",
            "provision: {en: art. 1}",
            "provision: {en: art. 1, de: Art. 1}",
            "provision of reference ref-a: text in language 'de', which bank.yaml does not list",
        ),
    ],
)
def test_malformed_catalogue_text(
    mini_bank: Path, file: str, old: str, new: str, problem: str
) -> None:
    _edit(mini_bank / file, old, new)
    with pytest.raises(BankError) as caught:
        load_bank(mini_bank)
    assert str(caught.value).startswith(f"Question bank error in questions/{file}: {problem}")
