"""Public report verification: anyone may upload a report PDF to learn
whether this installation issued this exact file, whether it was changed
after signing, or whether its data were altered.  The upload is read in
memory and never stored.  The signing certificate is public, with its
fingerprint, so that auditors can pin it."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from assessment.access import app_config, db, limiter
from assessment.forms import AppForm
from assessment.report.signing import CertificateInfo, SigningError, certificate_info
from assessment.report.verify import NotAReport
from assessment.services.reports import Outcome, signing_files, verify_report

bp = Blueprint("verify", __name__)

VERIFY_LIMIT_PER_ADDRESS = "20 per 10 minutes"  # uploads parsed per client address


class VerifyForm(AppForm):
    report = FileField(_l("Report (PDF)"), validators=[FileRequired(_l("Choose a PDF file."))])


def _certificate() -> CertificateInfo | None:
    try:
        return certificate_info(signing_files(app_config()))
    except SigningError:
        return None


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT_PER_ADDRESS, methods=["POST"])
def page() -> tuple[str, int] | str:
    form = VerifyForm()
    limit = app_config().max_upload_bytes
    certificate = _certificate()

    def show(result: object = None, status: int = 200) -> tuple[str, int]:
        html = render_template(
            "verify.html", form=form, result=result, limit=limit, certificate=certificate
        )
        return html, status

    if not form.validate_on_submit():
        return show()
    data = form.report.data.read(limit + 1)
    if len(data) > limit:
        form.report.errors.append(
            _(
                "The file is larger than %(size)s MB, so it was not read; a report of this"
                " tool is far smaller.",
                size=limit // (1024 * 1024),
            )
        )
        return show(status=413)
    try:
        result = verify_report(db(), data, certificate)
    except NotAReport as error:  # cannot be read within the bounds: nothing to tell about it
        form.report.errors.append(str(error))
        return show(status=422)
    unreadable = result.outcome is Outcome.UNKNOWN and result.embedded is None
    return show(result, 422 if unreadable else 200)


@bp.route("/verify/certificate.pem")
def certificate() -> Response:
    """The public signing certificate, to import into a PDF reader's trusted
    certificates once its fingerprint has been compared."""
    info = certificate_info(signing_files(app_config()))
    return Response(
        info.pem,
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="report-signing-certificate.pem"'},
    )
