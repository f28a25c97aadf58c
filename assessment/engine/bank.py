"""Typed model of a question bank.

A bank is immutable once loaded: every object here is a frozen dataclass, and
collections are tuples or read-only mappings.  Loading and validation live in
:mod:`assessment.engine.loader`; this module only describes the shapes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from assessment.engine.conditions import Condition

DEFAULT_LANGUAGE = "en"

#: Answer value reserved for "not known"; added to choice questions that allow it.
UNKNOWN = "unknown"

#: Answer value reserved for "does not apply"; added to choice questions marked
#: ``not_applicable: true`` (format 2).  Such an answer is never counted by a
#: verdict or by the risk scoring and engages no right.
NOT_APPLICABLE = "not_applicable"

#: Option values a bank may not define itself: the loader adds them.
RESERVED_OPTION_VALUES = frozenset({UNKNOWN, NOT_APPLICABLE})

#: The roles a manifest may give to bank-specific questions (``roles:``), so
#: that code never hard-codes a question id.
ROLE_NAMES = frozenset(
    {
        "programme_types",
        "status",
        "aim",
        "vulnerable_groups",
        "excluded_rights",
        "evidence_of_benefit",
        "linked_programmes",
        "engagement",
        "assessor_position",
        "sources",
        "action_plan",
        "sign_off",
    }
)

#: The value of the ``status`` role's answer for a programme not yet running.
STATUS_PLANNED = "planned"


class Text(Mapping[str, str]):
    """A text keyed by language code, e.g. ``{"en": "...", "ru": "..."}``.

    ``get_text(lang)`` falls back to English, so a partly translated bank still
    renders everywhere.
    """

    __slots__ = ("_by_language",)

    def __init__(self, by_language: Mapping[str, str]) -> None:
        self._by_language = MappingProxyType(dict(by_language))

    def __getitem__(self, language: str) -> str:
        return self._by_language[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_language)

    def __len__(self) -> int:
        return len(self._by_language)

    def __repr__(self) -> str:
        return f"Text({dict(self._by_language)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._by_language.items())))

    def get_text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The text in ``language``, else in English, else the empty string."""
        return self._by_language.get(language) or self._by_language.get(DEFAULT_LANGUAGE, "")


EMPTY_TEXT = Text({})


class QuestionType(StrEnum):
    """Every answer type the bank format knows.  The web layer maps each one to a
    form-field builder and must raise on a type it does not know."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO_UNKNOWN = "yes_no_unknown"
    SCALE4 = "scale4"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    GROUP = "group"


CHOICE_TYPES = frozenset(
    {
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.YES_NO_UNKNOWN,
        QuestionType.SCALE4,
    }
)


class Confidence(StrEnum):
    """How well an answer is established, from the assessor's side."""

    CONFIRMED = "confirmed"  # confirmed by an official source
    REPORTED = "reported"  # reported by media or NGOs
    ASSUMED = "assumed"
    UNKNOWN = "unknown"


CONFIDENCE_LABELS: Mapping[Confidence, str] = MappingProxyType(
    {
        Confidence.CONFIRMED: "Confirmed by an official source",
        Confidence.REPORTED: "Reported by media or NGOs",
        Confidence.ASSUMED: "Assumed",
        Confidence.UNKNOWN: "Unknown",
    }
)


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a choice question.

    ``rights``: the rights this answer engages; ``None`` inherits the
    question's ``rights``, ``()`` engages none.
    """

    value: str
    label: Text
    rights: tuple[str, ...] | None = None


class Weight(StrEnum):
    """How a condition counts in its limitation-test step."""

    DECISIVE = "decisive"  # not met -> the step is not met
    CONTRIBUTORY = "contributory"  # weighed against the step's other conditions


class Practice(StrEnum):
    """Whether a question asks about the programme's practice (see
    ``docs/question-bank.md``).  Questions without one are preconditions."""

    DESIGN = "design"  # can be designed in advance; asked as ``planned_text`` when planned
    GAP = "gap"  # cannot be known before the programme runs; not asked when planned


class ScoringKind(StrEnum):
    """What a question's answer does to the per-right risk (see ``docs/methodology.md``)."""

    SEVERITY = "severity"  # sets one severity dimension, level 1-4
    LIKELIHOOD = "likelihood"  # sets the likelihood, level 1-4
    SAFEGUARD = "safeguard"  # a measure in place, strength 0-2
    ACTION_PLAN = "action_plan"  # a repeatable group of measures with status


class SeverityDimension(StrEnum):
    """The UN Guiding Principles' three dimensions of severity."""

    SCALE = "scale"  # gravity of the interference
    SCOPE = "scope"  # how many people
    IRREMEDIABILITY = "irremediability"  # how hard to put right


@dataclass(frozen=True, slots=True)
class ScoringSpec:
    """How a question moves the risk of the rights it bears on.

    ``levels`` maps answer values (option values, ``"yes"``/``"no"``,
    scale levels as strings) to a level (1-4) or, for a safeguard, a strength
    (0 absent, 1 partial, 2 full).  ``thresholds`` does the same for a number
    question: a value at or above ``thresholds[i]`` has level ``i + 2``.
    """

    kind: ScoringKind
    levels: Mapping[str, int] = field(default_factory=dict)
    dimension: SeverityDimension | None = None
    reduces: str = "likelihood"  # a safeguard lowers "likelihood" or "severity"
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the limitation test.  ``burden_on_state``: an unknown answer
    counts against the step.  ``core``: failing it means the programme cannot
    be justified, whatever the risk scores say."""

    id: str
    label: Text
    description: Text
    references: tuple[str, ...]
    burden_on_state: bool = True
    core: bool = False
    strict_when: Condition | None = None  # while it holds, contributory counts as decisive
    weighs_residual: bool = False  # proportionality weighs the residual risk


@dataclass(frozen=True, slots=True)
class AbsoluteElement:
    """An absolute or non-derogable element: when ``when`` holds, the
    programme cannot be justified whatever the balance."""

    id: str
    label: Text
    when: Condition
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CumulativeRule:
    """When ``when`` holds (programmes or data sources combined), the
    likelihood of ``rights`` rises by ``likelihood`` before safeguards."""

    when: Condition
    rights: tuple[str, ...]
    likelihood: int


@dataclass(frozen=True, slots=True)
class FrameworkElement:
    """One element of a framework, e.g. the N&P principle of legality."""

    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Framework:
    """A standard whose elements the bank's questions map to (``maps_to``)."""

    id: str
    title: Text
    elements: tuple[FrameworkElement, ...]


@dataclass(frozen=True, slots=True)
class RecommendationRule:
    """A recommendation that applies when ``when`` holds for the answers."""

    id: str
    when: Condition
    text: Text
    rights: tuple[str, ...]
    references: tuple[str, ...]
    priority: int  # 1 (highest) - 3


@dataclass(frozen=True, slots=True)
class Reference:
    """An entry of the bank's references catalogue.  ``citation`` is the
    instrument's name as published (one language); ``provision`` says which part
    of it and why, in every language of the bank."""

    id: str
    citation: str
    provision: Text
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Right:
    """A right the bank scores, with the instruments anchoring it."""

    id: str
    label: Text
    anchors: str


@dataclass(frozen=True, slots=True)
class Question:
    """One question.  ``id`` is stable across bank versions; answers refer to it.

    ``fields`` is non-empty only for :attr:`QuestionType.GROUP`: the columns of
    a repeatable group whose answer is a list of rows.  ``verdicts`` maps option
    values to ``"met"`` / ``"not_met"``; for a group with a ``step`` its keys are
    ``"rows"`` (at least one row) and ``"empty"`` (no row).
    """

    id: str
    type: QuestionType
    text: Text
    help: Text = EMPTY_TEXT
    required: bool = True
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    rights: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    maps_to: tuple[str, ...] = ()
    scoring: ScoringSpec | None = None
    step: str | None = None
    verdicts: Mapping[str, str] = field(default_factory=dict)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    fields: tuple[Question, ...] = ()
    section_id: str = ""
    module_id: str = ""
    not_applicable: bool = False
    weight: Weight = Weight.CONTRIBUTORY
    practice: Practice | None = None
    planned_text: Text = EMPTY_TEXT

    def option(self, value: str) -> Option | None:
        """The option with ``value``, or ``None``."""
        for option in self.options:
            if option.value == value:
                return option
        return None

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES


@dataclass(frozen=True, slots=True)
class Section:
    """One wizard page: an ordered list of questions."""

    id: str
    title: Text
    intro: Text = EMPTY_TEXT
    questions: tuple[Question, ...] = ()
    show_if: Condition | None = None
    module_id: str = ""


@dataclass(frozen=True, slots=True)
class Module:
    """One file of the bank: a group of sections, e.g. the camera-network module."""

    id: str
    title: Text
    source_file: str
    sections: tuple[Section, ...] = ()
    show_if: Condition | None = None


@dataclass(frozen=True, slots=True)
class Bank:
    """A whole, validated question bank.  Build it with
    :func:`assessment.engine.loader.load_bank`; never by hand outside tests."""

    id: str
    version: str
    format_version: int
    title: Text
    languages: tuple[str, ...]
    modules: tuple[Module, ...]
    rights: tuple[Right, ...] = ()
    references: Mapping[str, Reference] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    recommendations: tuple[RecommendationRule, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)
    absolute: tuple[AbsoluteElement, ...] = ()
    cumulative: CumulativeRule | None = None
    _questions: Mapping[str, Question] = field(default_factory=dict, repr=False)
    _sections: Mapping[str, Section] = field(default_factory=dict, repr=False)

    @property
    def sections(self) -> tuple[Section, ...]:
        """Every section of every module, in wizard order."""
        return tuple(section for module in self.modules for section in module.sections)

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every top-level question, in wizard order."""
        return tuple(q for section in self.sections for q in section.questions)

    def question(self, question_id: str) -> Question:
        """The question with ``question_id``; raises ``KeyError`` if there is none."""
        return self._questions[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def role(self, name: str) -> str | None:
        """The id of the question playing role ``name`` (see :data:`ROLE_NAMES`),
        or ``None`` if this bank has none."""
        return self.roles.get(name)

    def section(self, section_id: str) -> Section:
        """The section with ``section_id``; raises ``KeyError`` if there is none."""
        return self._sections[section_id]

    def has_section(self, section_id: str) -> bool:
        return section_id in self._sections

    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)

    def right(self, right_id: str) -> Right:
        for right in self.rights:
            if right.id == right_id:
                return right
        raise KeyError(right_id)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
