"""Load and validate a question bank from ``questions/``.

The bank is a manifest (``bank.yaml``) naming its module files, each checked
against a JSON Schema in ``questions/schema/`` and then against the rules a
schema cannot express (unique ids, conditions that point backwards to known
questions, known rights and references, a field builder for every type).

Every problem surfaces as one :class:`BankError` naming the file, the question
(where there is one) and the problem, so start-up can print a single line
instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from assessment.engine.bank import (
    NOT_APPLICABLE,
    RESERVED_OPTION_VALUES,
    ROLE_NAMES,
    UNKNOWN,
    AbsoluteElement,
    Bank,
    CumulativeRule,
    Framework,
    FrameworkElement,
    Module,
    Option,
    Practice,
    Question,
    QuestionType,
    RecommendationRule,
    Reference,
    Right,
    ScoringKind,
    ScoringSpec,
    Section,
    SeverityDimension,
    Step,
    Text,
    Weight,
)
from assessment.engine.conditions import (
    Condition,
    ConditionSyntaxError,
    parse_condition,
    referenced_questions,
)
from assessment.engine.inputs import JsonRejected, decode_json

SUPPORTED_FORMAT_VERSIONS = frozenset({1, 2})
MANIFEST_NAME = "bank.yaml"
SCHEMA_DIR_NAME = "schema"

_UNKNOWN_LABEL = Text({"en": "Not known", "ru": "Неизвестно"})
_NOT_APPLICABLE_LABEL = Text(
    {"en": "Does not apply", "ru": "Не применимо"}  # noqa: RUF001 - a Russian word
)

#: Keys that only a format-2 file may use, per place.
_FORMAT2_QUESTION_KEYS = ("not_applicable", "weight", "practice", "planned_text", "option_rights")
_FORMAT2_STEP_KEYS = ("strict_when", "weighs_residual")
_FORMAT2_MANIFEST_KEYS = ("roles", "absolute", "cumulative")

#: Roles a bank without ``roles:`` gets, for the questions of this id it has.
DEFAULT_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "programme_types": "scope.programme_types",
        "status": "scope.status",
        "vulnerable_groups": "rights.vulnerable_groups",
        "assessor_position": "scope.assessor_position",
        "sources": "scope.sources",
        "action_plan": "safe.actions",
        "sign_off": "safe.sign_off",
    }
)
_GROUP_VERDICT_KEYS = frozenset({"rows", "empty"})
_YES_NO_LABELS = {
    "yes": Text({"en": "Yes", "ru": "Да"}),
    "no": Text({"en": "No", "ru": "Нет"}),
}
_SCALE_LABELS = {
    1: Text({"en": "1 - Negligible", "ru": "1 - Незначительный"}),
    2: Text({"en": "2 - Limited", "ru": "2 - Ограниченный"}),
    3: Text({"en": "3 - Significant", "ru": "3 - Значительный"}),
    4: Text({"en": "4 - Maximum", "ru": "4 - Максимальный"}),
}


class BankError(Exception):
    """A question bank that cannot be used.  ``str()`` is one complete message."""

    def __init__(self, file: str, problem: str, question_id: str | None = None) -> None:
        self.file = file
        self.question_id = question_id
        self.problem = problem
        where = f"{file}, question {question_id}" if question_id else file
        super().__init__(f"Question bank error in {where}: {problem}")


def load_bank(
    directory: Path | str, schema_dir: Path | str | None = None, display: str | None = None
) -> Bank:
    """Load the bank whose manifest is ``directory/bank.yaml``.

    The JSON Schemas are read from ``schema_dir`` (default:
    ``directory/schema``); an archived bank version shares the current bank's.
    ``display`` is how messages name the folder (default: its name).

    Raises :class:`BankError` for a missing or unreadable file, YAML syntax
    errors, an unsupported ``format_version``, schema violations and broken
    cross-references.
    """
    directory = Path(directory)
    return _Loader(
        directory,
        Path(schema_dir) if schema_dir is not None else directory / SCHEMA_DIR_NAME,
        display or directory.name,
    ).load()


@cache
def load_bank_cached(directory: str) -> Bank:
    """:func:`load_bank`, once per directory for the life of the process."""
    return load_bank(directory)


#: libyaml's safe loader where PyYAML was built with it (ten times faster on the
#: bank), else the pure-Python one; both build only plain data.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, display: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BankError(display, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BankError(display, f"cannot read the file ({error})") from None
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise BankError(display, f"invalid YAML{line}: {problem}") from None


def _schema(schema_dir: Path, name: str) -> dict[str, Any]:
    path = schema_dir / name
    try:
        loaded: dict[str, Any] = decode_json(path.read_bytes())
    except (OSError, JsonRejected) as error:
        raise BankError(f"{SCHEMA_DIR_NAME}/{name}", f"cannot read the schema ({error})") from None
    return loaded


def _question_at(data: Any, path: Sequence[Any]) -> str | None:
    """The id of the innermost question enclosing the JSON ``path`` in ``data``."""
    found: str | None = None
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping) and "type" in node and isinstance(node.get("id"), str):
            found = node["id"]
    return found


def _schema_problem(error: jsonschema.ValidationError) -> str:
    location = "/".join(str(step) for step in error.absolute_path)
    return f"{error.message} (at {location or 'top level'})"


def _check_format_version(data: Any, display: str) -> None:
    if not isinstance(data, Mapping):
        raise BankError(display, "the file must hold a mapping at the top level")
    version = data.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_FORMAT_VERSIONS))
        raise BankError(
            display, f"unsupported format_version {version!r} (this program reads {supported})"
        )


class _Loader:
    def __init__(self, directory: Path, schema_dir: Path, prefix: str) -> None:
        self.directory = directory
        self.prefix = prefix
        self.manifest_validator = jsonschema.Draft202012Validator(
            _schema(schema_dir, "manifest.schema.json")
        )
        self.module_validator = jsonschema.Draft202012Validator(
            _schema(schema_dir, "module.schema.json")
        )
        catalogues = _schema(schema_dir, "catalogues.schema.json")
        self.catalogue_validators = {
            kind: jsonschema.Draft202012Validator(
                {"$ref": f"#/$defs/{kind}_file", "$defs": catalogues["$defs"]}
            )
            for kind in ("references", "frameworks", "recommendations")
        }
        self.steps: set[str] = set()
        self.framework_elements: set[str] = set()
        self.questions: dict[str, Question] = {}
        self.sections: dict[str, Section] = {}
        self.rights: set[str] = set()
        self.references: set[str] = set()
        self.languages: tuple[str, ...] = ()
        self.file_format = 1

    def _display(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def load(self) -> Bank:
        display = self._display(MANIFEST_NAME)
        manifest = _read_yaml(self.directory / MANIFEST_NAME, display)
        _check_format_version(manifest, display)
        self._validate(self.manifest_validator, manifest, display)
        self.bank_id = manifest["id"]
        self._check_format2_keys(manifest, _FORMAT2_MANIFEST_KEYS, manifest, display, None)
        for raw_step in manifest["steps"]:
            self._check_format2_keys(
                raw_step, _FORMAT2_STEP_KEYS, manifest, display, f"step {raw_step['id']}: "
            )

        rights = tuple(Right(r["id"], Text(r["label"]), r["anchors"]) for r in manifest["rights"])
        if len({r.id for r in rights}) != len(rights):
            raise BankError(display, "a right id is defined twice")
        self.rights = {r.id for r in rights}
        self.languages = tuple(manifest["languages"])
        if "en" not in self.languages:
            raise BankError(display, "languages must include 'en'")
        files = manifest["catalogues"]
        references = self._load_references(files["references"])
        self.references = set(references)
        frameworks = self._load_frameworks(files["frameworks"])
        self.framework_elements = {
            f"{framework.id}:{element.id}"
            for framework in frameworks
            for element in framework.elements
        }
        steps = self._steps(manifest["steps"], display)
        self.steps = {step.id for step in steps}

        modules = tuple(
            self._load_module(name, manifest["id"], manifest["version"])
            for name in manifest["modules"]
        )
        module_ids = [m.id for m in modules]
        if len(set(module_ids)) != len(module_ids):
            raise BankError(display, "two module files declare the same module id")
        recommendations = self._load_recommendations(files["recommendations"])
        steps = self._step_conditions(steps, manifest["steps"], display)
        roles = self._roles(manifest.get("roles"), display)
        absolute = self._absolute(manifest.get("absolute", ()), display)
        cumulative = self._cumulative(manifest.get("cumulative"), display)
        return Bank(
            id=manifest["id"],
            version=manifest["version"],
            format_version=manifest["format_version"],
            title=Text(manifest["title"]),
            languages=self.languages,
            modules=modules,
            rights=rights,
            references=MappingProxyType(references),
            steps=steps,
            frameworks=frameworks,
            recommendations=recommendations,
            roles=MappingProxyType(roles),
            absolute=absolute,
            cumulative=cumulative,
            _questions=MappingProxyType(self.questions),
            _sections=MappingProxyType(self.sections),
        )

    def _check_format2_keys(
        self,
        raw: Mapping[str, Any],
        keys: Sequence[str],
        file_data: Mapping[str, Any],
        display: str,
        owner: str | None,
        question_id: str | None = None,
    ) -> None:
        """Refuse a format-2 key in a file that declares ``format_version: 1``."""
        if file_data.get("format_version") != 1:
            return
        for key in keys:
            if key in raw:
                where = owner or ""
                raise BankError(display, f"{where}'{key}' needs format_version 2", question_id)

    def _step_conditions(
        self, steps: tuple[Step, ...], raw_steps: list[Mapping[str, Any]], display: str
    ) -> tuple[Step, ...]:
        """``steps`` with their ``strict_when`` conditions, once every question is known."""
        return tuple(
            replace(
                step,
                strict_when=self._manifest_condition(
                    raw.get("strict_when"), display, f"strict_when of step {step.id}"
                ),
                weighs_residual=raw.get("weighs_residual", False),
            )
            for step, raw in zip(steps, raw_steps, strict=True)
        )

    def _manifest_condition(self, data: Any, display: str, owner: str) -> Condition | None:
        """A condition of the manifest, checked like ``show_if`` against every question."""
        if data is None:
            return None
        try:
            condition = parse_condition(data)
        except ConditionSyntaxError as error:
            raise BankError(display, f"{owner}: {error}") from None
        for referenced in referenced_questions(condition):
            if referenced not in self.questions:
                raise BankError(
                    display, f"{owner} refers to '{referenced}', which is not a question"
                )
        return condition

    def _roles(self, raw: Mapping[str, Any] | None, display: str) -> dict[str, str]:
        if raw is None:
            return {name: qid for name, qid in DEFAULT_ROLES.items() if qid in self.questions}
        roles: dict[str, str] = {}
        for name, question_id in raw.items():
            if name not in ROLE_NAMES:
                known = ", ".join(sorted(ROLE_NAMES))
                raise BankError(display, f"unknown role '{name}' (known roles: {known})")
            if question_id not in self.questions:
                raise BankError(
                    display, f"role {name} names '{question_id}', which is not a question"
                )
            roles[name] = question_id
        return roles

    def _check_references(self, references: Sequence[str], display: str, owner: str) -> None:
        for reference in references:
            if reference not in self.references:
                raise BankError(display, f"{owner}: unknown reference '{reference}'")

    def _absolute(
        self, raw_elements: Sequence[Mapping[str, Any]], display: str
    ) -> tuple[AbsoluteElement, ...]:
        elements = []
        for raw in raw_elements:
            owner = f"absolute element {raw['id']}"
            self._check_references(raw["references"], display, owner)
            when = self._manifest_condition(raw["when"], display, f"when of {owner}")
            if when is None:
                raise BankError(display, f"{owner} needs 'when'")
            elements.append(
                AbsoluteElement(
                    id=raw["id"],
                    label=Text(raw["label"]),
                    when=when,
                    references=tuple(raw["references"]),
                )
            )
        if len({e.id for e in elements}) != len(elements):
            raise BankError(display, "an absolute element id is defined twice")
        return tuple(elements)

    def _cumulative(self, raw: Mapping[str, Any] | None, display: str) -> CumulativeRule | None:
        if raw is None:
            return None
        when = self._manifest_condition(raw["when"], display, "when of cumulative")
        if when is None:
            raise BankError(display, "cumulative needs 'when'")
        for right in raw["rights"]:
            if right not in self.rights:
                raise BankError(display, f"cumulative: unknown right '{right}'")
        return CumulativeRule(
            when=when, rights=tuple(raw["rights"]), likelihood=raw.get("likelihood", 1)
        )

    def _steps(self, raw_steps: list[Mapping[str, Any]], display: str) -> tuple[Step, ...]:
        steps = []
        for raw in raw_steps:
            for reference in raw["references"]:
                if reference not in self.references:
                    raise BankError(display, f"step {raw['id']}: unknown reference '{reference}'")
            steps.append(
                Step(
                    id=raw["id"],
                    label=Text(raw["label"]),
                    description=Text(raw["description"]),
                    references=tuple(raw["references"]),
                    burden_on_state=raw.get("burden_on_state", True),
                    core=raw.get("core", False),
                )
            )
        if len({s.id for s in steps}) != len(steps):
            raise BankError(display, "a step id is defined twice")
        return tuple(steps)

    def _validate(
        self, validator: jsonschema.Draft202012Validator, data: Any, display: str
    ) -> None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            raise BankError(
                display, _schema_problem(error), _question_at(data, error.absolute_path)
            )

    def _catalogue(self, name: str, kind: str) -> tuple[str, Any]:
        display = self._display(name)
        data = _read_yaml(self.directory / name, display)
        _check_format_version(data, display)
        error = jsonschema.exceptions.best_match(self.catalogue_validators[kind].iter_errors(data))
        if error is not None:
            raise BankError(display, _schema_problem(error))
        if data["bank"] != self.bank_id:
            raise BankError(display, f"belongs to bank {data['bank']}, not {self.bank_id}")
        return display, data

    def _load_references(self, name: str) -> dict[str, Reference]:
        display, data = self._catalogue(name, "references")
        references: dict[str, Reference] = {}
        for entry in data["references"]:
            if entry["id"] in references:
                raise BankError(display, f"reference '{entry['id']}' is defined twice")
            references[entry["id"]] = Reference(
                entry["id"],
                entry["citation"],
                self._catalogue_text(
                    entry["provision"], data, display, f"provision of reference {entry['id']}"
                ),
                entry.get("url"),
            )
        return references

    def _catalogue_text(
        self, raw: str | Mapping[str, str], file_data: Mapping[str, Any], display: str, owner: str
    ) -> Text:
        """A catalogue text: ``{en: ..., ru: ...}``; a format-1 file may give a
        plain string, which is English.  Raises :class:`BankError` for a plain
        string in a format-2 file or a language ``bank.yaml`` does not list."""
        if isinstance(raw, str):
            if file_data.get("format_version") != 1:
                raise BankError(
                    display, f"{owner}: a plain string needs format_version 1; give {{en: ...}}"
                )
            return Text({"en": raw})
        for language in raw:
            if language not in self.languages:
                raise BankError(
                    display,
                    f"{owner}: text in language '{language}', which bank.yaml does not list",
                )
        return Text(raw)

    def _load_frameworks(self, name: str) -> tuple[Framework, ...]:
        display, data = self._catalogue(name, "frameworks")
        frameworks = tuple(
            Framework(
                f["id"],
                self._catalogue_text(f["title"], data, display, f"title of framework {f['id']}"),
                tuple(
                    FrameworkElement(
                        e["id"],
                        self._catalogue_text(
                            e["label"], data, display, f"label of element {f['id']}:{e['id']}"
                        ),
                    )
                    for e in f["elements"]
                ),
            )
            for f in data["frameworks"]
        )
        if len({f.id for f in frameworks}) != len(frameworks):
            raise BankError(display, "a framework id is defined twice")
        return frameworks

    def _load_recommendations(self, name: str) -> tuple[RecommendationRule, ...]:
        display, data = self._catalogue(name, "recommendations")
        rules = []
        for raw in data["recommendations"]:
            owner = f"recommendation {raw['id']}"
            try:
                condition = parse_condition(raw["when"])
            except ConditionSyntaxError as error:
                raise BankError(display, f"{owner}: {error}") from None
            for referenced in referenced_questions(condition):
                if referenced not in self.questions:
                    raise BankError(display, f"{owner} refers to unknown question '{referenced}'")
            for right in raw["rights"]:
                if right not in self.rights:
                    raise BankError(display, f"{owner}: unknown right '{right}'")
            for reference in raw["references"]:
                if reference not in self.references:
                    raise BankError(display, f"{owner}: unknown reference '{reference}'")
            rules.append(
                RecommendationRule(
                    raw["id"],
                    condition,
                    Text(raw["text"]),
                    tuple(raw["rights"]),
                    tuple(raw["references"]),
                    raw["priority"],
                )
            )
        if len({r.id for r in rules}) != len(rules):
            raise BankError(display, "a recommendation id is defined twice")
        return tuple(rules)

    def _condition(self, data: Any, display: str, owner: str, question_id: str | None) -> Any:
        if data is None:
            return None
        try:
            condition = parse_condition(data)
        except ConditionSyntaxError as error:
            raise BankError(display, f"show_if of {owner}: {error}", question_id) from None
        for referenced in referenced_questions(condition):
            if referenced not in self.questions:
                raise BankError(
                    display,
                    f"show_if of {owner} refers to '{referenced}', which is not a question "
                    "defined before it",
                    question_id,
                )
        return condition

    def _load_module(self, name: str, bank_id: str, bank_version: str) -> Module:
        display = self._display(name)
        data = _read_yaml(self.directory / name, display)
        _check_format_version(data, display)
        self._validate(self.module_validator, data, display)
        self.file_format = data["format_version"]
        if data["bank"] != bank_id or str(data["bank_version"]) != bank_version:
            raise BankError(
                display,
                f"belongs to bank {data['bank']} {data['bank_version']}, but bank.yaml is "
                f"{bank_id} {bank_version}",
            )
        module_id = data["module"]["id"]
        module_condition = self._condition(
            data["module"].get("show_if"), display, f"module {module_id}", None
        )
        sections = []
        for raw_section in data["sections"]:
            section_id = raw_section["id"]
            if section_id in self.sections:
                raise BankError(display, f"section id '{section_id}' is used twice")
            condition = self._condition(
                raw_section.get("show_if"), display, f"section {section_id}", None
            )
            questions = tuple(
                self._question(raw, display, module_id, section_id)
                for raw in raw_section["questions"]
            )
            section = Section(
                id=section_id,
                title=Text(raw_section["title"]),
                intro=Text(raw_section.get("intro", {})),
                questions=questions,
                show_if=condition,
                module_id=module_id,
            )
            self.sections[section_id] = section
            sections.append(section)
        return Module(
            id=module_id,
            title=Text(data["module"]["title"]),
            source_file=name,
            sections=tuple(sections),
            show_if=module_condition,
        )

    def _question(
        self,
        raw: Mapping[str, Any],
        display: str,
        module_id: str,
        section_id: str,
        *,
        in_group: bool = False,
    ) -> Question:
        question_id = raw["id"]

        def fail(problem: str) -> BankError:
            return BankError(display, problem, question_id)

        if question_id in self.questions:
            raise fail("this id is used by another question")
        if self.file_format == 1:
            format2_keys = [key for key in _FORMAT2_QUESTION_KEYS if key in raw]
            if any("rights" in option for option in raw.get("options", ())):
                format2_keys.append("rights of an option")
            if format2_keys:
                raise fail(f"'{format2_keys[0]}' needs format_version 2")
        try:
            question_type = QuestionType(raw["type"])
        except ValueError:
            known = ", ".join(t.value for t in QuestionType)
            raise fail(f"unknown question type '{raw['type']}' (known types: {known})") from None
        for language in (*raw["text"], *raw.get("help", {}), *raw.get("planned_text", {})):
            if language not in self.languages:
                raise fail(f"text in language '{language}', which bank.yaml does not list")
        for right in raw.get("rights", ()):
            if right not in self.rights:
                raise fail(f"unknown right '{right}'")
        for reference in raw.get("references", ()):
            if reference not in self.references:
                raise fail(f"unknown reference '{reference}'")
        if not in_group and not raw.get("references"):
            raise fail("every question needs at least one reference")
        if not in_group and not raw.get("rights"):
            raise fail("every question needs the rights it bears on")
        for element in raw.get("maps_to", ()):
            if element not in self.framework_elements:
                raise fail(f"maps_to names '{element}', which frameworks.yaml does not define")

        options = self._options(raw, question_type, fail)
        fields: tuple[Question, ...] = ()
        if question_type is QuestionType.GROUP:
            if in_group:
                raise fail("a group cannot contain another group")
            if "fields" not in raw:
                raise fail("a group needs 'fields'")
            fields = tuple(
                self._question(f, display, module_id, section_id, in_group=True)
                for f in raw["fields"]
            )
            field_ids = [f.id for f in fields]
            if len(set(field_ids)) != len(field_ids):
                raise fail("two fields of this group share an id")
        elif "fields" in raw:
            raise fail("only a group question may have 'fields'")
        minimum, maximum = raw.get("minimum"), raw.get("maximum")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise fail("minimum is greater than maximum")

        condition = None
        if not in_group:
            condition = self._condition(raw.get("show_if"), display, "this question", question_id)
        elif "show_if" in raw:
            raise fail("a field inside a group cannot have show_if")

        option_values = {o.value for o in options}
        scoring = self._scoring(raw.get("scoring"), question_type, option_values, fields, fail)
        step = raw.get("step")
        verdicts: dict[str, str] = dict(raw.get("verdicts", {}))
        if (step is None) != (not verdicts):
            raise fail("'step' and 'verdicts' go together")
        if step is not None and step not in self.steps:
            raise fail(f"unknown limitation-test step '{step}'")
        if question_type is QuestionType.GROUP and verdicts:
            if set(verdicts) != _GROUP_VERDICT_KEYS:
                raise fail("the verdicts of a group are 'rows' and 'empty', both")
        else:
            for value in verdicts:
                if value not in option_values or value in RESERVED_OPTION_VALUES:
                    raise fail(f"verdict for '{value}', which is not an option of this question")
        # A format-1 bank knew no weights: any failing condition failed its step.
        format1_step = self.file_format == 1 and step is not None
        default_weight = Weight.DECISIVE if format1_step else Weight.CONTRIBUTORY
        weight = Weight(raw.get("weight", default_weight))
        if "weight" in raw and step is None:
            raise fail("only a question with a 'step' has a 'weight'")
        practice = Practice(raw["practice"]) if "practice" in raw else None
        if practice is not None and in_group:
            raise fail("a field inside a group cannot have 'practice'")
        if (practice is Practice.DESIGN) != ("planned_text" in raw):
            raise fail("'planned_text' goes with 'practice: design', and only with it")

        question = Question(
            id=question_id,
            type=question_type,
            text=Text(raw["text"]),
            help=Text(raw.get("help", {})),
            required=raw.get("required", True),
            options=options,
            show_if=condition,
            rights=tuple(raw.get("rights", ())),
            references=tuple(raw.get("references", ())),
            maps_to=tuple(raw.get("maps_to", ())),
            scoring=scoring,
            step=step,
            verdicts=MappingProxyType(verdicts),
            max_length=raw.get("max_length"),
            minimum=minimum,
            maximum=maximum,
            fields=fields,
            section_id=section_id,
            module_id=module_id,
            not_applicable=raw.get("not_applicable", False),
            weight=weight,
            practice=practice,
            planned_text=Text(raw.get("planned_text", {})),
        )
        if not in_group:
            self.questions[question_id] = question
        return question

    def _options(
        self, raw: Mapping[str, Any], question_type: QuestionType, fail: Any
    ) -> tuple[Option, ...]:
        allow_unknown = raw.get("allow_unknown", True)
        option_rights = {str(k): v for k, v in raw.get("option_rights", {}).items()}
        if option_rights and question_type not in (
            QuestionType.YES_NO_UNKNOWN,
            QuestionType.SCALE4,
        ):
            raise fail("'option_rights' is for yes_no_unknown and scale4; give options 'rights'")
        if question_type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            if "options" not in raw:
                raise fail(f"a {question_type.value} question needs 'options'")
            values = [o["value"] for o in raw["options"]]
            if len(set(values)) != len(values):
                raise fail("two options share a value")
            if UNKNOWN in values:
                raise fail(f"the option value '{UNKNOWN}' is reserved; use allow_unknown")
            if NOT_APPLICABLE in values:
                raise fail(f"the option value '{NOT_APPLICABLE}' is reserved; use not_applicable")
            options = [
                Option(o["value"], Text(o["label"]), self._rights(o.get("rights"), fail))
                for o in raw["options"]
            ]
        elif question_type is QuestionType.YES_NO_UNKNOWN:
            if "options" in raw:
                raise fail("a yes_no_unknown question has fixed options")
            options = [Option(v, label) for v, label in _YES_NO_LABELS.items()]
            allow_unknown = True
        elif question_type is QuestionType.SCALE4:
            if "options" in raw:
                raise fail("a scale4 question has fixed levels 1-4")
            options = [Option(str(level), label) for level, label in _SCALE_LABELS.items()]
        else:
            if "options" in raw:
                raise fail(f"a {question_type.value} question takes no options")
            if raw.get("not_applicable"):
                raise fail("only a choice question can offer 'not_applicable'")
            return ()
        if option_rights:
            fixed = {o.value for o in options}
            for value in option_rights:
                if str(value) not in fixed:
                    raise fail(f"option_rights for '{value}', which is not an option")
            options = [
                replace(o, rights=self._rights(option_rights.get(o.value), fail))
                if o.value in option_rights
                else o
                for o in options
            ]
        if raw.get("not_applicable"):
            options.append(Option(NOT_APPLICABLE, _NOT_APPLICABLE_LABEL))
        if allow_unknown:
            options.append(Option(UNKNOWN, _UNKNOWN_LABEL))
        return tuple(options)

    def _rights(self, raw: Sequence[str] | None, fail: Any) -> tuple[str, ...] | None:
        """An option's own rights (``None``: the question's), each a known right."""
        if raw is None:
            return None
        for right in raw:
            if right not in self.rights:
                raise fail(f"an option names unknown right '{right}'")
        return tuple(raw)

    def _scoring(
        self,
        raw: Mapping[str, Any] | None,
        question_type: QuestionType,
        option_values: set[str],
        fields: tuple[Question, ...],
        fail: Any,
    ) -> ScoringSpec | None:
        if raw is None:
            return None
        kind = ScoringKind(raw["kind"])
        levels: dict[str, int] = {str(k): v for k, v in raw.get("levels", {}).items()}
        thresholds = tuple(raw.get("thresholds", ()))
        dimension = raw.get("dimension")
        if (kind is ScoringKind.SEVERITY) != (dimension is not None):
            raise fail("a severity question needs a 'dimension', and only it")
        if "reduces" in raw and kind is not ScoringKind.SAFEGUARD:
            raise fail("only a safeguard 'reduces' something")
        if kind is ScoringKind.ACTION_PLAN:
            self._check_action_plan(question_type, fields, fail)
            return ScoringSpec(kind)
        if question_type is QuestionType.NUMBER:
            if levels or not thresholds or list(thresholds) != sorted(thresholds):
                raise fail("a number question is scored by 3 ascending 'thresholds'")
        else:
            if thresholds:
                raise fail("only a number question is scored by thresholds")
            if not levels:
                raise fail("a scored question needs 'levels' for its answers")
            low, high = (0, 2) if kind is ScoringKind.SAFEGUARD else (1, 4)
            for value, level in levels.items():
                if value not in option_values or value in RESERVED_OPTION_VALUES:
                    raise fail(f"scoring level for '{value}', which is not an option")
                if not low <= level <= high:
                    raise fail(f"{kind.value} level for '{value}' must be {low}-{high}")
        return ScoringSpec(
            kind=kind,
            levels=MappingProxyType(levels),
            dimension=SeverityDimension(dimension) if dimension else None,
            reduces=raw.get("reduces", "likelihood"),
            thresholds=thresholds,
        )

    def _check_action_plan(
        self, question_type: QuestionType, fields: tuple[Question, ...], fail: Any
    ) -> None:
        if question_type is not QuestionType.GROUP:
            raise fail("an action_plan question must be a group")
        by_id = {f.id: f for f in fields}
        addresses, status = by_id.get("addresses"), by_id.get("status")
        if addresses is None or status is None:
            raise fail("an action plan group needs fields 'addresses' and 'status'")
        unknown_rights = {o.value for o in addresses.options} - self.rights - RESERVED_OPTION_VALUES
        if unknown_rights:
            raise fail(f"'addresses' offers unknown rights: {', '.join(sorted(unknown_rights))}")
        if status.option("implemented") is None:
            raise fail("'status' needs an option 'implemented'")
