"""A simulated next version of the question bank, built from the archived 1.0
files so that tests do not depend on the content of the real current bank:
one question's text changed, one question added, one removed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from assessment.config import DEFAULT_BANK_DIR

ARCHIVE_1_0 = DEFAULT_BANK_DIR / "archive" / "1.0"
FIXTURES_1_0 = Path(__file__).resolve().parent / "fixtures" / "bank-1.0"
MOSCOW_1_0 = FIXTURES_1_0 / "moscow_cameras.json"

CHANGED = "desc.purpose"  # text changed
REMOVED = "desc.processors"
NEW = "desc.oversight_body"
CARRIED = "desc.deployer_processes"  # unchanged and answered in the Moscow example
SECTION = "description.purpose"  # where all four are
NEW_TEXT = "What purpose does the operator state for the programme, and where?"
NEW_QUESTION_TEXT = "Which body oversees the programme?"


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_bank_dir(tmp_path: Path, version: str = "2.0", maximum_people: int | None = None) -> Path:
    """``tmp_path/questions``: bank ``version`` as the current bank, with the
    shared schema and ``archive/1.0`` beside it.  ``maximum_people`` narrows
    the range of ``desc.people_affected`` without any other change."""
    root = tmp_path / "questions"
    shutil.copytree(ARCHIVE_1_0, root)
    shutil.copytree(DEFAULT_BANK_DIR / "schema", root / "schema")
    shutil.copytree(ARCHIVE_1_0, root / "archive" / "1.0")
    manifest = _read(root / "bank.yaml")
    manifest["version"] = version
    _write(root / "bank.yaml", manifest)
    for name in manifest["modules"]:
        module = _read(root / name)
        module["bank_version"] = version
        for section in module["sections"]:
            questions = section["questions"]
            for question in questions:
                if question["id"] == CHANGED:
                    question["text"] = {"en": NEW_TEXT}
                if question["id"] == "desc.people_affected" and maximum_people is not None:
                    question["maximum"] = maximum_people
            if section["id"] == SECTION:
                section["questions"] = [q for q in questions if q["id"] != REMOVED]
                section["questions"].append(
                    {
                        "id": NEW,
                        "type": "short_text",
                        "text": {"en": NEW_QUESTION_TEXT},
                        "required": False,
                        "rights": ["privacy"],
                        "references": ["gdpr-35-7"],
                    }
                )
        _write(root / name, module)
    return root
