"""The command-line interface, against the test database."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from assessment.demo import DEMO_EMAIL, DEMO_FILE
from assessment.models import AnswerRecord, Assessment


def _count(app: Flask, model: type) -> int:
    with app.extensions["assessment"]["sessions"]() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_list_export_import_render_score(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert DEMO_EMAIL in first.output
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    assert _count(app, Assessment) == 1

    listed = runner.invoke(args=["list"]).output.strip().splitlines()
    assert len(listed) == 1
    assessment_id, _org, status, progress, title = listed[0].split("\t")
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    assert (status, title) == ("draft", demo["assessment"]["title"])
    assert progress.endswith("%")

    exported = runner.invoke(args=["export", assessment_id])
    assert exported.exit_code == 0
    data = json.loads(exported.output)
    assert data["format_version"] == 1
    assert data["assessment"]["uuid"] == assessment_id
    path = tmp_path / "demo.json"
    path.write_text(exported.output, encoding="utf-8")

    imported = runner.invoke(args=["import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert _count(app, Assessment) == 2
    new_id = imported.output.split()[2]
    assert assessment_id == json.loads(DEMO_FILE.read_text(encoding="utf-8"))["assessment"]["uuid"]
    assert assessment_id == demo["assessment"]["uuid"]
    assert new_id != assessment_id  # the UUID was taken, so the copy got a new one
    again = json.loads(runner.invoke(args=["export", new_id]).output)
    assert again["answers"] == data["answers"]

    scored = runner.invoke(args=["score", str(path)])
    result = json.loads(scored.output)
    assert result["impact_level"] == "IV"
    assert result["recommendation"] == "suspend"
    assert {r["right"] for r in result["rights"]} >= {"privacy", "assembly", "movement"}
    legality = next(s for s in result["limitation_test"] if s["step"] == "legality")
    assert legality["verdict"] == "not_met"
    legal = next(r for r in result["recommendations"] if r["id"] == "rec.legal_basis")
    assert {
        "id": "glukhin",
        "citation": "ECtHR, Glukhin v. Russia, no. 11519/20",
        "provision": "judgment of 4 July 2023 (violations of arts 8 and 10)",
    } in legal["references"]
    privacy = next(r for r in result["rights"] if r["right"] == "privacy")
    assert (privacy["inherent_label"], privacy["residual_label"]) == ("Very high", "Very high")

    pdf = tmp_path / "out.pdf"
    rendered = runner.invoke(args=["render", str(path), "-o", str(pdf)])
    assert rendered.exit_code == 0, rendered.output
    assert "Moscow" in PdfReader(str(pdf)).pages[0].extract_text()


def test_malformed_import_is_rejected_whole(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    assessment_id = runner.invoke(args=["list"]).output.split("\t")[0]
    data = json.loads(runner.invoke(args=["export", assessment_id]).output)
    data["answers"].append({"question": "cam.no_such_question", "value": "yes"})
    data["answers"][0]["value"] = {"not": "valid"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    answers_before = _count(app, AnswerRecord)
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "unknown question id 'cam.no_such_question'" in result.output
    assert f"answers[0] ({data['answers'][0]['question']})" in result.output
    assert _count(app, Assessment) == 1
    assert _count(app, AnswerRecord) == answers_before


def test_create_user_and_init_db(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert "up to date" in runner.invoke(args=["init-db"]).output
    made = runner.invoke(
        args=[
            "create-user",
            "new@example.org",
            "--organisation",
            "New Org",
            "--password",
            "a long enough password",
        ]
    )
    assert made.exit_code == 0, made.output
    weak = runner.invoke(
        args=["create-user", "b@example.org", "--organisation", "X", "--password", "short"]
    )
    assert weak.exit_code == 1
    assert "at least 12 characters" in weak.output


def test_export_of_unknown_id(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["export", "00000000-0000-0000-0000-000000000000"])
    assert result.exit_code == 1
    assert "no assessment" in result.output
