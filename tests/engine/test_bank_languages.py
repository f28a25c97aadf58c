"""The current bank is complete in every language it lists (English and Russian).

Two walks, so that neither can hide a gap from the other: one over the loaded
bank (every :class:`Text` reachable from it, including the labels the loader
adds), one over the raw YAML (every language-keyed mapping and every text key,
including any the loader ignores).  Each gap is reported as ``file: path``.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.bank import Bank, Text
from assessment.engine.loader import MANIFEST_NAME, load_bank

REQUIRED_LANGUAGES = ("en", "ru")

#: Keys whose value is always a text in the current format.
TEXT_KEYS = frozenset(
    {"title", "intro", "text", "help", "planned_text", "label", "description", "provision"}
)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")

#: Fields of :class:`Bank` that are stored in the manifest.
_MANIFEST_FIELDS = ("title", "rights", "steps", "absolute", "cumulative")
#: Index views of the modules' contents: walked through ``modules`` instead.
_SKIPPED_FIELDS = frozenset({"_questions", "_sections"})


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _files(directory: Path) -> dict[str, str]:
    """The bank's files: the manifest, each catalogue (by kind) and each module."""
    manifest = _read(directory / MANIFEST_NAME)
    files = {"manifest": MANIFEST_NAME, **manifest["catalogues"]}
    files.update({name: name for name in manifest["modules"]})
    return files


def _missing(text: Mapping[str, Any], languages: tuple[str, ...]) -> list[str]:
    return [
        language
        for language in languages
        if not isinstance(text.get(language), str) or not text[language].strip()
    ]


def _key(item: Any, index: int) -> str:
    """How a path names a list item: by its id (or option value), else its index."""
    for attribute in ("id", "value"):
        name = item.get(attribute) if isinstance(item, Mapping) else getattr(item, attribute, None)
        if isinstance(name, str):
            return name
    return str(index)


def _walk_loaded(node: Any, path: str, languages: tuple[str, ...]) -> Iterator[str]:
    if isinstance(node, Text):
        # An absent optional text (no help, no intro) is empty in every language.
        if len(node) and (missing := _missing(node, languages)):
            yield f"{path} lacks {', '.join(missing)}"
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            if field.name not in _SKIPPED_FIELDS:
                yield from _walk_loaded(
                    getattr(node, field.name), f"{path}.{field.name}", languages
                )
    elif isinstance(node, tuple | list):
        for index, item in enumerate(node):
            yield from _walk_loaded(item, f"{path}[{_key(item, index)}]", languages)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk_loaded(value, f"{path}[{key}]", languages)


def loaded_gaps(directory: Path, languages: tuple[str, ...] = REQUIRED_LANGUAGES) -> list[str]:
    """Every text of the loaded bank in ``directory`` that lacks one of ``languages``,
    as ``file: path lacks LANGUAGES``."""
    bank = load_bank(directory)
    files = _files(directory)
    gaps = []
    for field in dataclasses.fields(Bank):
        if field.name in _MANIFEST_FIELDS:
            file = files["manifest"]
        elif field.name in ("references", "frameworks", "recommendations"):
            file = files[field.name]
        else:  # modules (below) and values that are not texts
            continue
        value = getattr(bank, field.name)
        gaps += (f"{file}: {gap}" for gap in _walk_loaded(value, field.name, languages))
    for module in bank.modules:
        gaps += (
            f"{module.source_file}: {g}"
            for g in _walk_loaded(module, f"module[{module.id}]", languages)
        )
    return gaps


def _is_text(node: Mapping[str, Any]) -> bool:
    return any(language in node for language in REQUIRED_LANGUAGES) and all(
        isinstance(key, str) and _LANGUAGE_CODE.match(key) for key in node
    )


def _walk_raw(node: Any, path: str, languages: tuple[str, ...]) -> Iterator[str]:
    if isinstance(node, Mapping):
        if _is_text(node):
            if missing := _missing(node, languages):
                yield f"{path} lacks {', '.join(missing)}"
            return
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in TEXT_KEYS and not isinstance(value, Mapping):
                yield f"{where} is not a text by language"
            else:
                yield from _walk_raw(value, where, languages)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_raw(item, f"{path}[{_key(item, index)}]", languages)


def raw_gaps(directory: Path, languages: tuple[str, ...] = REQUIRED_LANGUAGES) -> list[str]:
    """Every language-keyed mapping (or text key holding no such mapping) in the
    YAML files of the bank in ``directory`` that lacks one of ``languages``."""
    return [
        f"{name}: {gap}"
        for name in dict.fromkeys(_files(directory).values())
        for gap in _walk_raw(_read(directory / name), "", languages)
    ]


def test_the_bank_lists_english_and_russian() -> None:
    assert set(REQUIRED_LANGUAGES) <= set(load_bank(DEFAULT_BANK_DIR).languages)


def test_every_loaded_text_has_english_and_russian() -> None:
    gaps = loaded_gaps(DEFAULT_BANK_DIR)
    assert not gaps, "texts lacking a language:\n" + "\n".join(gaps)


def test_every_text_in_the_yaml_has_english_and_russian() -> None:
    gaps = raw_gaps(DEFAULT_BANK_DIR)
    assert not gaps, "texts lacking a language:\n" + "\n".join(gaps)


def test_the_walks_reach_every_kind_of_text() -> None:
    """Guards against a walk that silently visits nothing: with Russian asked in
    a language no text has, each kind of text shows up as a gap."""
    gaps = "\n".join(loaded_gaps(DEFAULT_BANK_DIR, ("xx",)))
    for expected in (
        "bank.yaml: title lacks xx",
        "bank.yaml: rights[privacy].label",
        "bank.yaml: steps[legality].description",
        "bank.yaml: absolute[",
        "references.yaml: references[glukhin].provision",
        "frameworks.yaml: frameworks[np].title",
        "frameworks.yaml: frameworks[np].elements[legality].label",
        "recommendations.yaml: recommendations[rec.legal_basis].text",
        "camera.yaml: module[camera].title",
        ".sections[",
        ".intro lacks",
        ".help lacks",
        ".planned_text lacks",
        ".options[unknown].label",
        ".fields[",
    ):
        assert expected in gaps, expected


@dataclasses.dataclass(frozen=True)
class _Removal:
    file: str
    after: str  # the line just before the ``ru:`` line to remove
    loaded: str  # the gap the loaded walk reports
    raw: str  # the gap the YAML walk reports


_REMOVALS = (
    _Removal(
        "references.yaml",
        "    en: judgment of 4 July 2023 (violations of arts 8 and 10)",
        "references.yaml: references[glukhin].provision lacks ru",
        "references.yaml: references[glukhin].provision lacks ru",
    ),
    _Removal(
        "frameworks.yaml",
        "      en: Legality",
        "frameworks.yaml: frameworks[np].elements[legality].label lacks ru",
        "frameworks.yaml: frameworks[np].elements[legality].label lacks ru",
    ),
    _Removal(
        "bank.yaml",
        "    en: Privacy and data protection",
        "bank.yaml: rights[privacy].label lacks ru",
        "bank.yaml: rights[privacy].label lacks ru",
    ),
)


@pytest.mark.parametrize("removal", _REMOVALS, ids=lambda r: r.file)
def test_a_missing_russian_text_is_reported_with_its_place(
    tmp_path: Path, removal: _Removal
) -> None:
    bank_dir = tmp_path / "questions"
    shutil.copytree(DEFAULT_BANK_DIR, bank_dir)
    path = bank_dir / removal.file
    lines = path.read_text(encoding="utf-8").split("\n")
    at = lines.index(removal.after) + 1
    assert lines[at].lstrip().startswith("ru: ")
    del lines[at]
    path.write_text("\n".join(lines), encoding="utf-8")

    assert loaded_gaps(bank_dir) == [removal.loaded]
    assert raw_gaps(bank_dir) == [removal.raw]


def test_a_missing_option_label_in_a_module_is_reported_with_its_place(tmp_path: Path) -> None:
    bank_dir = tmp_path / "questions"
    shutil.copytree(DEFAULT_BANK_DIR, bank_dir)
    module = _read(bank_dir / "camera.yaml")
    section = module["sections"][0]
    question = next(q for q in section["questions"] if "options" in q)
    option = question["options"][0]
    del option["label"]["ru"]
    (bank_dir / "camera.yaml").write_text(
        yaml.safe_dump(module, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    where = f"sections[{section['id']}].questions[{question['id']}].options[{option['value']}]"

    assert loaded_gaps(bank_dir) == [f"camera.yaml: module[camera].{where}.label lacks ru"]
    assert raw_gaps(bank_dir) == [f"camera.yaml: {where}.label lacks ru"]


def test_a_text_the_loader_does_not_read_is_still_checked() -> None:
    """The YAML walk sees texts under any key, and a text key without one."""
    document = {"extra": [{"id": "x", "note": {"en": "Only English"}}], "help": "Plain"}
    assert list(_walk_raw(document, "", REQUIRED_LANGUAGES)) == [
        "extra[x].note lacks ru",
        "help is not a text by language",
    ]
