"""Public report verification: anyone may upload a report PDF to learn
whether its embedded data are intact and whether this installation issued
it.  The upload is read in memory and never stored."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_wtf.file import FileField, FileRequired

from assessment.access import app_config, db, limiter
from assessment.forms import AppForm
from assessment.report.verify import NotAReport
from assessment.services.reports import verify_report

bp = Blueprint("verify", __name__)

VERIFY_LIMIT_PER_ADDRESS = "20 per 10 minutes"  # uploads parsed per client address


class VerifyForm(AppForm):
    report = FileField("Report (PDF)", validators=[FileRequired("Choose a PDF file.")])


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT_PER_ADDRESS, methods=["POST"])
def page() -> tuple[str, int] | str:
    form = VerifyForm()
    limit = app_config().max_upload_bytes
    if not form.validate_on_submit():
        return render_template("verify.html", form=form, result=None, limit=limit)
    data = form.report.data.read(limit + 1)
    if len(data) > limit:
        form.report.errors.append(
            f"The file is larger than {limit // (1024 * 1024)} MB, so it was not read;"
            " a report of this tool is far smaller."
        )
        return render_template("verify.html", form=form, result=None, limit=limit), 413
    try:
        result = verify_report(db(), data)
    except NotAReport as error:
        form.report.errors.append(str(error))
        return render_template("verify.html", form=form, result=None, limit=limit), 422
    return render_template("verify.html", form=form, result=result, limit=limit)
