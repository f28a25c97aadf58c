"""``flask --app app import`` with several files: each file all or nothing,
in its own transaction, and a summary at the end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import assessment.cli
from assessment.demo import EXAMPLES
from assessment.engine.document import AssessmentDocument
from assessment.models import AnswerRecord, Assessment, Organisation

FIRST = EXAMPLES / "airport_face_verification.json"
SECOND = EXAMPLES / "junction_cctv.json"
THIRD = EXAMPLES / "toll_anpr.json"


def _example(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _assessment(data: dict[str, object]) -> dict[str, str]:
    part = data["assessment"]
    assert isinstance(part, dict)
    return part


def _answers(data: dict[str, object]) -> list[dict[str, object]]:
    answers = data["answers"]
    assert isinstance(answers, list)
    return answers


def _stored(app: Flask) -> tuple[dict[str, str], int]:
    """Stored assessments as {uuid: title}, and how many answers there are."""
    with app.extensions["assessment"]["sessions"]() as session:
        rows = session.execute(select(Assessment.uuid, Assessment.title)).all()
        titles = {uuid: title for uuid, title in rows}
        answers = session.scalar(select(func.count()).select_from(AnswerRecord)) or 0
    return titles, answers


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner on a database with one organisation and no assessment."""
    cli = app.test_cli_runner()
    made = cli.invoke(
        args=[
            "create-user",
            "owner@example.org",
            "--organisation",
            "Archive",
            "--password",
            "a long enough password",
        ]
    )
    assert made.exit_code == 0, made.output
    return cli


def _malformed(tmp_path: Path) -> Path:
    """An example with an answer to a question the bank does not have."""
    data = _example(THIRD)
    _answers(data).append({"question": "cam.no_such_question", "value": "yes"})
    bad = tmp_path / "malformed.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    return bad


def test_a_malformed_file_in_the_middle_is_refused_alone(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    bad = _malformed(tmp_path)
    result = runner.invoke(args=["import", str(FIRST), str(bad), str(SECOND)])

    assert result.exit_code == 1, result.output
    assert "Imported 2 of 3 files; refused 1." in result.stdout
    assert f"Imported {FIRST} as " in result.stdout
    assert f"Imported {SECOND} as " in result.stdout
    summary = result.stderr.split("Refused, nothing of them stored:\n", 1)[1]
    (refused,) = summary.splitlines()  # one refused file, named with its reason
    assert refused.startswith(f"  {bad}: Invalid assessment file: ")
    assert refused.endswith("unknown question id 'cam.no_such_question'")

    titles, answers = _stored(app)
    valid = [_example(FIRST), _example(SECOND)]
    assert titles == {_assessment(d)["uuid"]: _assessment(d)["title"] for d in valid}
    assert answers == sum(len(_answers(d)) for d in valid)


def test_a_file_that_cannot_be_stored_leaves_nothing_and_undoes_nothing_before_it(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused_uuid = _assessment(_example(SECOND))["uuid"]
    real_import = assessment.cli.import_document

    def fail_after_writing(
        session: Session, organisation: Organisation, document: AssessmentDocument
    ) -> Assessment:
        stored = real_import(session, organisation, document)
        if document.uuid == refused_uuid:  # its rows are flushed: the rollback must drop them
            raise IntegrityError("INSERT", {}, Exception("constraint failed"))
        return stored

    monkeypatch.setattr(assessment.cli, "import_document", fail_after_writing)
    result = runner.invoke(args=["import", str(FIRST), str(SECOND), str(THIRD)])

    assert result.exit_code == 1, result.output
    assert f"  {SECOND}: not stored: constraint failed\n" in result.stderr
    assert "Imported 2 of 3 files; refused 1." in result.stdout
    titles, answers = _stored(app)
    assert set(titles) == {_assessment(_example(p))["uuid"] for p in (FIRST, THIRD)}
    assert answers == sum(len(_answers(_example(p))) for p in (FIRST, THIRD))


def test_a_directory_stands_for_its_json_files_in_name_order(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "b.json").write_bytes(FIRST.read_bytes())
    (archive / "a.json").write_bytes(SECOND.read_bytes())
    (archive / "notes.txt").write_text("not an exchange file", encoding="utf-8")
    (archive / "nested").mkdir()
    (archive / "nested" / "c.json").write_bytes(THIRD.read_bytes())
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing.json"

    result = runner.invoke(args=["import", str(archive), str(empty), str(missing)])

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert [line.split(" as ")[0] for line in lines[:2]] == [
        f"Imported {archive / 'a.json'}",
        f"Imported {archive / 'b.json'}",
    ]
    assert lines[2] == "Imported 2 of 4 files; refused 2."
    assert f"  {empty}: a directory without *.json files\n" in result.stderr
    assert f"  cannot read {missing}: No such file or directory\n" in result.stderr
    titles, _answers_stored = _stored(app)
    assert set(titles) == {_assessment(_example(p))["uuid"] for p in (FIRST, SECOND)}


def test_all_imported_exits_zero_with_the_summary(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", str(FIRST), str(SECOND)])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Imported 2 of 2 files; refused 0.\n")
    assert result.stderr == ""
    assert len(_stored(app)[0]) == 2


def test_an_unknown_organisation_stops_before_any_file(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", str(FIRST), str(SECOND), "--organisation-id", "999"])
    assert result.exit_code == 1
    assert "no organisation 999" in result.output
    assert _stored(app)[0] == {}
