"""The scoring method: its rules, its properties over generated answer sets,
and the three programmes of the seeds as the public record supports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.engine.answers import OTHERS_NOT_KNOWN, allows_others_not_known
from assessment.engine.bank import (
    NOT_APPLICABLE,
    UNKNOWN,
    Confidence,
    Question,
    QuestionType,
    ScoringKind,
)
from assessment.engine.document import AssessmentDocument, load_document
from assessment.engine.scoring import (
    ACTION_POINTS,
    EVIDENCE_POINTS,
    INSUFFICIENT,
    MET,
    NOT_MET,
    PARTLY_MET,
    RISK_MATRIX,
    UNKNOWN_OUTCOME,
    Role,
    ScoringResult,
    score,
)
from tests.helpers import BANK

EXAMPLES = Path(__file__).resolve().parents[2] / "assessment" / "examples"
RECOMMENDATION_RANK = {
    "proceed": 0,
    "proceed_with_conditions": 1,
    "do_not_proceed": 2,
    "suspend": 2,
}


def _fixture(name: str) -> tuple[AssessmentDocument, ScoringResult]:
    document = load_document((EXAMPLES / name).read_bytes(), BANK)
    return document, score(BANK, document.answer_values(), document.confidences())


# --- rules --------------------------------------------------------------------------


def test_risk_matrix_is_monotone_and_weighs_severity_first() -> None:
    for severity in range(1, 5):
        for likelihood in range(1, 5):
            level = RISK_MATRIX[severity][likelihood]
            if severity < 4:
                assert RISK_MATRIX[severity + 1][likelihood] >= level
            if likelihood < 4:
                assert RISK_MATRIX[severity][likelihood + 1] >= level
    assert RISK_MATRIX[4][1] == 3  # maximum severity is high risk however unlikely
    assert RISK_MATRIX[1][4] == 2


def test_severity_takes_the_worst_dimension() -> None:
    base = {"scope.programme_types": ["camera"], "cam.functions": ["verification_fr"]}
    plain = score(BANK, base).right("privacy")
    assert (plain.dimensions["scale"], plain.severity) == (2, 2)
    sanctioned = score(BANK, {**base, "lim.sanctions": "criminal"}).right("liberty_remedy")
    assert (sanctioned.dimensions["irremediability"], sanctioned.severity) == (4, 4)


def test_a_vulnerable_group_raises_only_the_rights_its_exposure_bears_on() -> None:
    base = {
        "scope.programme_types": ["location"],
        "loc.data_source": ["gps"],
        "rights.movement": "monitored",
    }
    elderly = score(BANK, {**base, "rights.vulnerable_groups": ["elderly"]})
    plain = score(BANK, base)
    assert elderly.right("movement").severity == plain.right("movement").severity + 1
    assert elderly.right("movement").vulnerability_uplift
    assert elderly.right("privacy").severity == plain.right("privacy").severity
    assert not elderly.right("privacy").vulnerability_uplift
    activists = score(BANK, {**base, "rights.vulnerable_groups": ["activists"]})
    assert activists.right("privacy").vulnerability_uplift


def test_rights_are_engaged_by_the_options_chosen() -> None:
    recording = score(BANK, {"scope.programme_types": ["camera"], "cam.functions": ["recording"]})
    assert recording.right("privacy").engaged
    assert not recording.right("assembly").engaged
    live = score(BANK, {"scope.programme_types": ["camera"], "cam.functions": ["live_fr"]})
    assert live.right("assembly").engaged
    assert "cam.functions" in live.right("assembly").engaged_by
    noted = score(
        BANK,
        {
            "scope.programme_types": ["camera"],
            "cam.functions": ["recording"],
            "scope.context_notes": "Protests took place nearby.",
        },
    )
    assert not noted.right("assembly").engaged  # free text documents, it does not engage


def test_an_excluded_right_is_listed_with_what_engages_it_but_not_counted() -> None:
    answers = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "rights.excluded": ["assembly"],
    }
    result = score(BANK, answers)
    assembly = result.right("assembly")
    assert (assembly.excluded, assembly.engaged, assembly.counted) == (True, True, False)
    assert "cam.functions" in assembly.engaged_by
    assert any("Excluded by the assessor" in reason for reason in result.reasons)


def test_safeguards_are_credited_by_the_evidence_behind_them() -> None:
    base = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "cam.watchlist": "undefined",
    }
    guards = {
        "lim.judicial_authorisation": "court",
        "lim.minimisation": "yes",
        "lim.access_logging": "yes",
        "lim.independent_oversight": "yes",
    }
    without = score(BANK, base).right("privacy")
    on_paper = score(BANK, {**base, **guards}).right("privacy")
    confirmed = score(BANK, {**base, **guards}, {q: Confidence.CONFIRMED for q in guards}).right(
        "privacy"
    )
    assert on_paper.inherent == confirmed.inherent == without.inherent
    # 4 full safeguards: 4 x 2 x 2 = 16 points on paper, 4 x 2 x 4 = 32 confirmed.
    assert (on_paper.likelihood_reduction, confirmed.likelihood_reduction) == (2, 3)
    assert confirmed.residual <= on_paper.residual < without.residual
    item = next(t for t in confirmed.trace if t.question_id == "lim.minimisation")
    assert (item.role, item.effect) == (Role.SAFEGUARD, 2 * EVIDENCE_POINTS[Confidence.CONFIRMED])


def test_an_unknown_safeguard_counts_as_absent_and_is_traced() -> None:
    base = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "lim.security": "yes",
        "lim.access_logging": "yes",
    }
    confidence = {q: Confidence.CONFIRMED for q in ("lim.security", "lim.access_logging")}
    unknown = score(BANK, {**base, "lim.minimisation": "unknown"}, confidence).right("privacy")
    absent = score(BANK, {**base, "lim.minimisation": "no"}, confidence).right("privacy")
    assert unknown.likelihood_reduction == absent.likelihood_reduction
    item = next(t for t in unknown.trace if t.question_id == "lim.minimisation")
    assert (item.role, item.effect, item.unknown) == (Role.SAFEGUARD, 0, True)


def test_implemented_action_plan_measures_count_as_safeguards() -> None:
    base = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "cam.watchlist": "undefined",
    }
    rows = [
        {
            "measure": "Judge authorises each search",
            "addresses": "privacy",
            "status": "implemented",
        },
        {"measure": "Delete templates daily", "addresses": "privacy", "status": "implemented"},
        {"measure": "Publish statistics", "addresses": "privacy", "status": "planned"},
    ]
    before = score(BANK, base).right("privacy")
    after = score(BANK, {**base, "safe.actions": rows}).right("privacy")
    assert after.likelihood_reduction == before.likelihood_reduction + 1  # 2 x 4 points
    assert any(t.role is Role.ACTION_PLAN and t.effect == 2 * ACTION_POINTS for t in after.trace)


LEGAL = {
    "scope.programme_types": ["payment"],
    "lim.legal_basis": "yes",
    "lim.law_public": "yes",
    "lim.law_precise": 1,
    "lim.purpose_limited": "yes",
    "pay.statutory_gateway": "yes",
    "pay.bank_secrecy": "yes",
}


def test_decisive_and_contributory_conditions() -> None:
    assert score(BANK, LEGAL).step("legality").verdict == MET
    no_law = score(BANK, {**LEGAL, "lim.legal_basis": "no"}).step("legality")
    assert no_law.verdict == NOT_MET  # decisive: no legal basis at all
    one_flaw = score(BANK, {**LEGAL, "lim.purpose_limited": "no"}).step("legality")
    assert one_flaw.verdict == PARTLY_MET  # one contributory failure among met conditions
    assert ("lim.purpose_limited", "no", NOT_MET) in one_flaw.trace
    flawed = {**LEGAL, "lim.purpose_limited": "no", "lim.law_precise": 4, "pay.bank_secrecy": "no"}
    many = score(BANK, {**flawed, "lim.law_public": "no"}).step("legality")
    assert many.verdict == NOT_MET  # failures outnumber what is met
    assert not many.presumed


def test_the_burden_of_proof_fails_unknown_preconditions_only() -> None:
    unknown_law = score(BANK, {**LEGAL, "lim.legal_basis": "unknown"}).step("legality")
    assert (unknown_law.verdict, unknown_law.presumed) == (NOT_MET, True)
    participation = score(BANK, {**LEGAL, "lim.consultation": "unknown"}).step("participation")
    assert participation.verdict == INSUFFICIENT  # no burden on the state here
    running = {**LEGAL, "scope.status": "running", "lim.independent_oversight": "yes"}
    practice = {"lim.judicial_authorisation": "unknown", "lim.independent_audit": "yes"}
    assert score(BANK, {**running, **practice}).step("oversight").verdict == PARTLY_MET
    planned = score(BANK, {**running, **practice, "scope.status": "planned"}).step("oversight")
    assert planned.verdict == INSUFFICIENT  # cannot be shown before the programme runs
    assert ("lim.judicial_authorisation", UNKNOWN, "gap") in planned.trace


def test_not_applicable_is_not_counted() -> None:
    answers = {
        **LEGAL,
        "lim.independent_oversight": "yes",
        "lim.independent_audit": "yes",
        "pay.court_order": "yes",
    }
    result = score(BANK, {**answers, "lim.judicial_authorisation": NOT_APPLICABLE})
    oversight = result.step("oversight")
    assert oversight.verdict == MET
    assert ("lim.judicial_authorisation", NOT_APPLICABLE, "not_applicable") in oversight.trace
    assert "lim.judicial_authorisation" in result.not_applicable


def test_strict_necessity_makes_every_condition_decisive() -> None:
    necessity = {
        "lim.pressing_need": "yes",
        "lim.effectiveness_evidence": "yes",
        "lim.necessity_justification": "no",
        "lim.evaluation_plan": "yes",
    }
    recording = {"scope.programme_types": ["camera"], "cam.functions": ["recording"], **necessity}
    assert score(BANK, recording).step("necessity").verdict == PARTLY_MET
    face = score(BANK, {**recording, "cam.functions": ["live_fr"]}).step("necessity")
    assert (face.verdict, face.strict) == (NOT_MET, True)


def test_a_very_high_residual_risk_needs_shown_benefit_to_be_proportionate() -> None:
    answers = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "desc.population_scope": "everyone",
        "scope.operator_type": "security",
        "lim.fair_balance": "yes",
        "lim.narrowed": "yes",
        "lim.other_uses": "no",
        "cam.watchlist": "targeted",
        "cam.protest_use": "no",
    }
    result = score(BANK, answers)
    assert max(r.residual for r in result.rights if r.counted) == 4
    assert result.step("proportionality").verdict == NOT_MET
    assert ("residual", 4, NOT_MET) in result.step("proportionality").trace
    shown = score(
        BANK,
        {**answers, "lim.effectiveness_evidence": "yes"},
        {"lim.effectiveness_evidence": Confidence.CONFIRMED},
    )
    assert shown.step("proportionality").verdict == PARTLY_MET


def test_an_absolute_element_cannot_be_balanced_away() -> None:
    answers = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["recording"],
        "scope.emergency": "yes",
        "lim.targets_groups": "yes",
    }
    result = score(BANK, answers)
    assert "emergency_discrimination" in result.absolute
    assert result.impact_numeral == "IV"
    assert result.recommendation == "do_not_proceed"
    assert any("Cannot be balanced away" in reason for reason in result.reasons)


def test_combined_programmes_raise_likelihood() -> None:
    alone = {"scope.programme_types": ["payment"], "pay.sensitive": "yes"}
    combined = score(BANK, {**alone, "scope.linked": "yes"}).right("privacy")
    single = score(BANK, {**alone, "scope.linked": "no"}).right("privacy")
    assert combined.likelihood == single.likelihood + 1
    assert any(t.role is Role.CUMULATIVE for t in combined.trace)


def test_the_level_is_reported_with_its_range_and_the_unknowns_behind_it() -> None:
    answers = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["recording"],
        "lim.legal_basis": "unknown",
    }
    result = score(BANK, answers)
    low, high = result.level_range
    assert low < result.impact_level == high == 4
    assert "lim.legal_basis" in result.unknown_decisive
    assert any("because of unknown answers" in reason for reason in result.reasons)
    assert 0 < result.completeness < 100


def test_a_failed_core_step_is_not_offset_by_low_risk() -> None:
    """Every right at low risk, but no legal basis: still level IV, do not proceed."""
    answers = {
        "scope.programme_types": ["location"],
        "lim.legal_basis": "no",
        "loc.data_source": ["bluetooth"],
        "loc.participation": "voluntary",
    }
    result = score(BANK, answers)
    assert max(r.residual for r in result.rights) < 4
    assert result.impact_numeral == "IV"
    assert result.recommendation == "do_not_proceed"
    assert any("Legality" in reason for reason in result.reasons)
    running = score(BANK, {**answers, "scope.status": "running"})
    assert running.recommendation == "suspend"


def test_recommendations_are_triggered_by_answers_and_carry_references() -> None:
    result = score(BANK, {"scope.programme_types": ["location"], "loc.automated_fines": "yes"})
    rec = next(r for r in result.recommendations if r.id == "rec.automated_fines")
    assert "hrw-2020" in rec.references
    assert rec.rights == ("liberty_remedy",)
    quiet = score(BANK, {"scope.programme_types": ["location"], "loc.automated_fines": "no"})
    assert "rec.automated_fines" not in {r.id for r in quiet.recommendations}


def test_assumed_facts_lower_confidence() -> None:
    answers = {
        "scope.programme_types": ["camera"],
        "cam.functions": ["live_fr"],
        "cam.protest_use": "yes",
        "cam.chilling": "yes",
    }
    sure = score(BANK, answers, {q: Confidence.CONFIRMED for q in answers}).right("assembly")
    guessed = score(BANK, answers, {q: Confidence.ASSUMED for q in answers}).right("assembly")
    assert (sure.confidence, guessed.confidence) == ("high", "low")
    assert sure.residual == guessed.residual


def test_result_serialises_with_its_trace() -> None:
    data = score(
        BANK, {"scope.programme_types": ["camera"], "cam.functions": ["live_fr"]}
    ).to_dict()
    privacy = next(r for r in data["rights"] if r["right"] == "privacy")
    assert {
        "question": "cam.functions",
        "value": ["live_fr"],
        "role": "scale",
        "effect": 4,
        "unknown": False,
    } in privacy["trace"]
    assert len(data["limitation_test"]) == 12


# --- properties ---------------------------------------------------------------------

SCORED = [q for q in BANK.questions if q.scoring and q.scoring.kind is not ScoringKind.ACTION_PLAN]


def _value_strategy(question: Question) -> st.SearchStrategy[Any]:
    values = [o.value for o in question.options]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        known = [v for v in values if v not in (UNKNOWN, NOT_APPLICABLE)]
        alone = [[v] for v in values if v in (UNKNOWN, NOT_APPLICABLE)]
        chosen = st.lists(st.sampled_from(known), min_size=1, unique=True)
        return chosen | st.sampled_from(alone) if alone else chosen
    if question.type is QuestionType.GROUP:
        row = {f.id: f.options[0].value if f.is_choice else "2020-01-01" for f in question.fields}
        return st.sampled_from([[row], []])
    if question.type is QuestionType.SCALE4:
        return st.sampled_from([1, 2, 3, 4, UNKNOWN])
    if question.type is QuestionType.NUMBER:
        return st.integers(min_value=0, max_value=20_000_000)
    return st.sampled_from(values)


CANDIDATES = [*SCORED, *(q for q in BANK.questions if q.step and not q.scoring)]


def _answers(types: list[str], questions: list[Question]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.fixed_dictionaries({q.id: _value_strategy(q) for q in questions})
    return values.map(lambda picked: {"scope.programme_types": types, **picked})


# Sparse sets (up to 12 answers) so that one changed answer can show in a maximum.
answer_sets = st.tuples(
    st.lists(st.sampled_from(["camera", "location", "payment"]), min_size=1, unique=True),
    st.lists(st.sampled_from(CANDIDATES), max_size=12, unique_by=lambda q: q.id),
).flatmap(lambda drawn: _answers(*drawn))
PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _safest(question: Question) -> Any:
    spec = question.scoring
    assert spec is not None
    if spec.thresholds:
        return 0
    pick = max if spec.kind is ScoringKind.SAFEGUARD else min
    value = pick(spec.levels, key=lambda v: spec.levels[v])
    if question.type is QuestionType.SCALE4:
        return int(value)
    return [value] if question.type is QuestionType.MULTIPLE_CHOICE else value


def _no_higher(after: ScoringResult, before: ScoringResult) -> None:
    for a, b in zip(after.rights, before.rights, strict=True):
        assert a.residual <= b.residual, a.right_id
    assert after.impact_level <= before.impact_level
    assert RECOMMENDATION_RANK[after.recommendation] <= RECOMMENDATION_RANK[before.recommendation]


SAFEGUARDS = [q for q in SCORED if q.scoring and q.scoring.kind is ScoringKind.SAFEGUARD]
UNKNOWABLE = [q for q in SCORED if q.type is not QuestionType.NUMBER and q.option(UNKNOWN)]


@PROPERTY_SETTINGS
@given(answers=answer_sets, question=st.sampled_from(SAFEGUARDS))
def test_adding_a_safeguard_never_raises_residual_risk(
    answers: dict[str, Any], question: Question
) -> None:
    stronger = {**answers, question.id: _safest(question)}
    _no_higher(score(BANK, stronger), score(BANK, answers))


@PROPERTY_SETTINGS
@given(answers=answer_sets, question=st.sampled_from(UNKNOWABLE))
def test_unknown_in_place_of_a_safe_answer_never_lowers_risk(
    answers: dict[str, Any], question: Question
) -> None:
    safe = score(BANK, {**answers, question.id: _safest(question)})
    unknown_value = [UNKNOWN] if question.type is QuestionType.MULTIPLE_CHOICE else UNKNOWN
    unknown = score(BANK, {**answers, question.id: unknown_value})
    _no_higher(safe, unknown)
    for a, b in zip(safe.rights, unknown.rights, strict=True):
        assert a.inherent <= b.inherent, a.right_id


@PROPERTY_SETTINGS
@given(answers=answer_sets)
def test_scoring_is_deterministic(answers: dict[str, Any]) -> None:
    first = score(BANK, answers)
    assert score(BANK, answers) == first
    assert score(BANK, dict(reversed(list(answers.items())))) == first


# --- the seeds ----------------------------------------------------------------------


def test_moscow_camera_network_for_quarantine_enforcement() -> None:
    """Expected: impact level IV, suspend.

    Live one-to-many face recognition over about 100,000 cameras scans everyone
    in Moscow's streets (severity scale 4, scope 4); breaking quarantine risked
    prosecution or deportation (irremediability 4).  Glukhin v. Russia (2023)
    found no detailed legal rules and no prior authorisation, so legality fails
    on evidence, not by presumption.  The aim (public health) is legitimate:
    use against protesters is purpose creep, which weighs on legality and
    proportionality, not on the aim (Glukhin did not fault the aim).  No
    safeguard is on the record, so residual risk stays very high for privacy
    and assembly.  The programme was running, so the recommendation is to
    suspend it.
    """
    document, result = _fixture("moscow_cameras.json")
    assert document.title.startswith("Moscow facial-recognition")
    assert (result.impact_numeral, result.recommendation) == ("IV", "suspend")
    privacy, assembly = result.right("privacy"), result.right("assembly")
    assert (privacy.inherent, privacy.residual) == (4, 4)
    assert privacy.dimensions == {"scale": 4, "scope": 4, "irremediability": 4}
    assert assembly.residual == 4
    legality = result.step("legality")
    assert legality.verdict == NOT_MET
    assert not legality.presumed
    assert ("lim.legal_basis", "no", NOT_MET) in legality.trace
    assert result.step("legitimate_aim").verdict == MET
    proportionality = result.step("proportionality")
    assert proportionality.verdict == NOT_MET
    assert ("cam.protest_use", "yes", NOT_MET) in proportionality.trace
    ids = {r.id for r in result.recommendations}
    assert {"rec.legal_basis", "rec.live_fr", "rec.protests", "rec.human_review"} <= ids


def test_location_tracking_of_carriers_and_contacts() -> None:
    """Expected: impact level IV, suspend.

    Mandatory tracking with penalties, random selfie demands and automatic
    fines without prior review (HRW, 21 May 2020) make liberty and remedy a
    very high risk; documented wrongful fines (about 54,000 fines among about
    70,000 users) confirm the likelihood.  No rule limits the purpose of the
    data, so legality fails on evidence; that no specific law for taking
    operators' data is shown would fail it by presumption as well (the burden
    of proof lies with the state).
    """
    _document, result = _fixture("location_tracking.json")
    assert (result.impact_numeral, result.recommendation) == ("IV", "suspend")
    liberty = result.right("liberty_remedy")
    assert (liberty.likelihood, liberty.residual) == (4, 4)
    legality = result.step("legality")
    assert (legality.verdict, legality.presumed) == (NOT_MET, False)
    assert ("lim.purpose_limited", "no", NOT_MET) in legality.trace
    assert ("loc.operator_basis", "unknown", UNKNOWN_OUTCOME) in legality.trace
    assert result.step("notification_remedy").verdict == NOT_MET
    ids = {r.id for r in result.recommendations}
    assert {"rec.automated_fines", "rec.wrongful_fines", "rec.mandatory_app"} <= ids


def test_card_data_tracing() -> None:
    """Expected: impact level IV, suspend, with low confidence.

    The record says only that card data were combined with phone data to
    trace contacts.  Transactions can reveal political, religious and health
    information (EDPB 06/2020), so severity for privacy and association is at
    its maximum.  Nothing shows a statutory gateway, a court order or bank-
    secrecy exception: with the burden on the state, oversight fails by
    presumption; legality fails on evidence, as nothing limits the purpose of
    the data.  Most findings rest on unknown or assumed facts, so
    their confidence is low: the report says what information is missing
    rather than calling the programme safe.
    """
    _document, result = _fixture("card_data_tracing.json")
    assert (result.impact_numeral, result.recommendation) == ("IV", "suspend")
    assert result.right("privacy").severity == 4
    assert result.right("privacy").confidence == "low"
    oversight, legality = result.step("oversight"), result.step("legality")
    assert (oversight.verdict, oversight.presumed) == (NOT_MET, True)
    assert (legality.verdict, legality.presumed) == (NOT_MET, False)
    assert {"rec.pay_court_order", "rec.pay_sensitive"} <= {r.id for r in result.recommendations}


# --- "these, and others not known" ---------------------------------------------------

OPENABLE = [q for q in BANK.questions if allows_others_not_known(q)]
VERDICT_RANK = {MET: 0, INSUFFICIENT: 1, PARTLY_MET: 1, NOT_MET: 2}


def _known_lists(question: Question) -> st.SearchStrategy[list[str]]:
    known = [o.value for o in question.options if o.value not in (UNKNOWN, NOT_APPLICABLE)]
    return st.lists(st.sampled_from(known), min_size=1, unique=True)


def _no_better(opened: ScoringResult, closed: ScoringResult) -> None:
    for a, b in zip(opened.rights, closed.rights, strict=True):
        assert a.inherent >= b.inherent, a.right_id
        assert a.residual >= b.residual, a.right_id
    for a_step, b_step in zip(opened.steps, closed.steps, strict=True):
        assert VERDICT_RANK[a_step.verdict] >= VERDICT_RANK[b_step.verdict], a_step.step_id
        if b_step.verdict == NOT_MET:
            assert a_step.verdict == NOT_MET
    assert opened.impact_level >= closed.impact_level
    assert opened.level_range[1] >= closed.level_range[1]
    assert RECOMMENDATION_RANK[opened.recommendation] >= RECOMMENDATION_RANK[closed.recommendation]


@PROPERTY_SETTINGS
@given(
    answers=answer_sets,
    picked=st.sampled_from(OPENABLE).flatmap(lambda q: st.tuples(st.just(q), _known_lists(q))),
)
def test_an_open_list_never_scores_better_than_the_same_list_closed(
    answers: dict[str, Any], picked: tuple[Question, list[str]]
) -> None:
    """docs/methodology.md §6: an open list is the chosen options and a "not
    known" for the others, and the worse reading counts."""
    question, chosen = picked
    closed = score(BANK, {**answers, question.id: chosen})
    opened = score(BANK, {**answers, question.id: [*chosen, OTHERS_NOT_KNOWN]})
    _no_better(opened, closed)
    # On the known answers only, an open list is its chosen options.
    assert opened.level_range[0] == closed.level_range[0]


def test_an_open_list_reads_the_others_as_not_known() -> None:
    """A severity question answered with its mildest option, left open: each
    right it can engage is engaged at the "not known" level at least."""
    base = {"scope.programme_types": ["camera"]}
    mildest = min(
        (o for o in BANK.question("cam.functions").options if o.value != UNKNOWN),
        key=lambda o: BANK.question("cam.functions").scoring.levels.get(o.value, 9),  # type: ignore[union-attr]
    ).value
    closed = score(BANK, {**base, "cam.functions": [mildest]})
    opened = score(BANK, {**base, "cam.functions": [mildest, OTHERS_NOT_KNOWN]})
    unknown = score(BANK, {**base, "cam.functions": [UNKNOWN]})
    for o, u in zip(opened.rights, unknown.rights, strict=True):
        assert o.engaged == u.engaged, o.right_id
        assert o.inherent >= u.inherent, o.right_id
    assert opened.impact_level > closed.impact_level or any(
        o.inherent > c.inherent for o, c in zip(opened.rights, closed.rights, strict=True)
    )
    traced = [t for r in opened.rights for t in r.trace if t.question_id == "cam.functions"]
    assert traced
    assert all(t.unknown for t in traced)
