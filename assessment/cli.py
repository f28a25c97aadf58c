"""Command-line interface: ``flask --app app COMMAND``.

Commands that change data run in one transaction and leave nothing behind
when they fail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assessment.config import Config
from assessment.db import transaction
from assessment.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet, UnknownBankVersion, load_exchange
from assessment.engine.document import (
    EDITIONS,
    AssessmentDocument,
    DocumentError,
    canonical_json,
)
from assessment.engine.inputs import MAX_JSON_BYTES
from assessment.engine.scoring import score
from assessment.migrate import upgrade
from assessment.models import Organisation, Role, User
from assessment.report.pool import Renderer, RenderFailed, ReportRenderer, lower_priority
from assessment.report.render import RenderedReport, render_report
from assessment.report.signing import (
    CertificateInfo,
    SigningError,
    certificate_info,
    sign_report,
)
from assessment.report.verify import NotAReport, ReadingBusy, read_report
from assessment.services.accounts import (
    AccountError,
    WeakPassword,
    add_user,
    create_organisation_with_user,
    normalise_email,
    set_password,
)
from assessment.services.assessments import (
    AssessmentNotFound,
    get_by_uuid,
    import_document,
    list_for_organisation,
    to_document,
    visibility_of,
)
from assessment.services.reports import (
    idle_assessments,
    prepare_reports,
    record_rendered_file,
    signing_files,
    verify_report,
)
from assessment.services.summaries import refresh_summary


def _bank() -> Bank:
    """The current question bank."""
    bank: Bank = current_app.extensions["assessment"]["bank"]
    return bank


def _banks() -> BankSet:
    """Every installed question-bank version."""
    banks: BankSet = current_app.extensions["assessment"]["banks"]
    return banks


def _bank_of(document: AssessmentDocument) -> Bank:
    """The bank version ``document`` was validated against (it is installed)."""
    return _banks().get(document.bank_id, document.bank_version)


def _sessions() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = current_app.extensions["assessment"]["sessions"]
    return factory


def _read_input(path: str) -> bytes:
    """The bytes of ``path``: an exchange JSON file of at most
    :data:`~assessment.engine.inputs.MAX_JSON_BYTES`, or a report PDF no
    larger than an upload to ``/verify``.  Never reads more than that, so
    ``/dev/zero`` or a huge file is refused, not loaded."""
    pdf_limit = current_app.extensions["assessment"]["config"].max_upload_bytes
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max(MAX_JSON_BYTES, pdf_limit) + 1)
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    limit = pdf_limit if raw.startswith(b"%PDF-") else MAX_JSON_BYTES
    if len(raw) > limit:
        kind = "a report PDF" if raw.startswith(b"%PDF-") else "an exchange file"
        raise click.ClickException(
            f"{path}: larger than {limit // (1024 * 1024)} MB, the limit for {kind}; not read"
        )
    return raw


def _read_document(path: str) -> AssessmentDocument:
    """An exchange JSON file, or a report PDF whose embedded data are intact,
    validated against the bank version it names (which must be installed).
    A PDF is read as :func:`~assessment.report.verify.read_report` reads
    uploads: within limits, in a child process with a time limit."""
    raw = _read_input(path)
    try:
        if raw.startswith(b"%PDF-"):
            embedded = read_report(raw)
            if not embedded.intact:
                raise click.ClickException(
                    f"{path}: the embedded data do not match the report's fingerprint; not imported"
                )
            raw = embedded.data
        return load_exchange(raw, _banks())
    except (DocumentError, NotAReport, ReadingBusy) as error:
        raise click.ClickException(f"{path}: {error}") from None


def _only_organisation(session: Session) -> Organisation:
    """The one organisation of the database, for commands that need one.
    Raises :class:`click.ClickException` saying what to do when there is
    none or more than one."""
    organisations = session.scalars(select(Organisation).order_by(Organisation.id).limit(11)).all()
    if not organisations:
        raise click.ClickException(
            "there is no organisation to import into yet: create one with "
            "'flask --app app create-user EMAIL --organisation NAME', then import again"
        )
    if len(organisations) > 1:
        shown = ", ".join(f"{o.id} ({o.name})" for o in organisations[:10])
        more = ", ..." if len(organisations) > 10 else ""
        raise click.ClickException(
            f"there are several organisations ({shown}{more}): choose one with --organisation-id ID"
        )
    return organisations[0]


def _target_organisation(session: Session, organisation_id: int | None) -> Organisation:
    """Organisation ``organisation_id``, or the only one when it is ``None``.
    Raises :class:`click.ClickException` when there is no such organisation,
    or none or several to choose from."""
    if organisation_id is None:
        return _only_organisation(session)
    found = session.get(Organisation, organisation_id)
    if found is None:
        raise click.ClickException(f"no organisation {organisation_id}")
    return found


def _import_paths(arguments: tuple[str, ...]) -> list[str]:
    """The files ``import`` reads, in order: each argument as given, except
    that a directory stands for the ``*.json`` files directly in it, sorted
    by name (a directory without any stays in the list, to be refused)."""
    paths: list[str] = []
    for argument in arguments:
        folder = Path(argument)
        found = sorted(p for p in folder.glob("*.json") if p.is_file()) if folder.is_dir() else []
        if found:
            paths.extend(str(p) for p in found)
        else:
            paths.append(argument)
    return paths


def _import_file(path: str, organisation_id: int) -> str:
    """Import ``path`` into organisation ``organisation_id`` in a transaction
    of its own; the new assessment's UUID.  Raises
    :class:`click.ClickException` naming ``path`` and the reason when the
    file cannot be read, is not a valid exchange file or intact report, or
    cannot be stored; then nothing of it is stored."""
    if Path(path).is_dir():
        raise click.ClickException(f"{path}: a directory without *.json files")
    document = _read_document(path)
    try:
        with transaction(_sessions()) as session:
            organisation = _target_organisation(session, organisation_id)
            assessment = import_document(session, organisation, document)
            refresh_summary(session, assessment, _banks())
            return assessment.uuid
    except SQLAlchemyError as error:
        # The driver's message (its values already hidden, see assessment.db).
        reason = str(error.orig) if isinstance(error, DBAPIError) else type(error).__name__
        raise click.ClickException(f"{path}: not stored: {reason}") from None


def _config() -> Config:
    config: Config = current_app.extensions["assessment"]["config"]
    return config


def _certificate() -> CertificateInfo:
    try:
        return certificate_info(signing_files(_config()))
    except SigningError as error:
        raise click.ClickException(f"reports cannot be signed: {error}") from None


def _echo_certificate() -> None:
    info = _certificate()
    click.echo(f"Reports are signed by: {info.subject}")
    click.echo(f"Certificate SHA-256 fingerprint: {info.fingerprint}")
    click.echo(f"Valid from {info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}.")


def register_cli(app: Flask) -> None:
    """Attach every command to ``app``."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create the database or migrate it to the latest schema, and the
        installation's report-signing key if there is none."""
        upgrade(current_app.extensions["assessment"]["engine"])
        click.echo("Database is up to date.")
        _echo_certificate()

    @app.cli.command("certificate")
    @click.option("--pem", is_flag=True, help="Print the certificate itself (PEM).")
    def certificate_command(pem: bool) -> None:
        """Show the certificate reports are signed with, and its SHA-256
        fingerprint for auditors to pin (made now if missing)."""
        if pem:
            sys.stdout.buffer.write(_certificate().pem)
            return
        _echo_certificate()

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", default="", help="Display name.")
    @click.option(
        "--organisation",
        "organisation_name",
        default=None,
        help="Create a new organisation with this name.",
    )
    @click.option(
        "--organisation-id", type=int, default=None, help="Join an existing organisation."
    )
    @click.option(
        "--role",
        type=click.Choice([role.value for role in Role]),
        default=None,
        help="Role in an existing organisation (default editor); a new one's first user is owner.",
    )
    @click.password_option(help="Prompted for when not given.")
    def create_user(
        email: str,
        name: str,
        organisation_name: str | None,
        organisation_id: int | None,
        role: str | None,
        password: str,
    ) -> None:
        """Create a user, in a new or an existing organisation."""
        if organisation_name is not None and role not in (None, Role.OWNER.value):
            raise click.UsageError("the first user of a new organisation is its owner")
        if (organisation_name is None) == (organisation_id is None):
            raise click.UsageError("give exactly one of --organisation or --organisation-id")
        try:
            with transaction(_sessions()) as session:
                if organisation_id is not None:
                    organisation = session.get(Organisation, organisation_id)
                    if organisation is None:
                        raise click.ClickException(f"no organisation {organisation_id}")
                    user = add_user(
                        session, organisation, name, email, password, Role(role or "editor")
                    )
                else:
                    user = create_organisation_with_user(
                        session, organisation_name or "", name or email, email, password
                    )
                click.echo(
                    f"Created {user.email} ({user.role}) in organisation {user.organisation_id}."
                )
        except (AccountError, WeakPassword) as error:
            raise click.ClickException(str(error)) from None

    @app.cli.command("set-password")
    @click.argument("email")
    @click.password_option(help="Prompted for when not given.")
    def set_password_command(email: str, password: str) -> None:
        """Give an account a new password; it is signed out everywhere."""
        try:
            with transaction(_sessions()) as session:
                user = session.scalar(select(User).where(User.email == normalise_email(email)))
                if user is None:
                    raise click.ClickException(f"no account {email}")
                set_password(session, user, password)
                click.echo(f"New password set for {user.email}; all its sessions have ended.")
        except (AccountError, WeakPassword) as error:
            raise click.ClickException(str(error)) from None

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo organisation, account and example assessment (once)."""
        with transaction(_sessions()) as session:
            _user, assessment, created = seed_demo(session, _banks())
            state = "created" if created else "already present"
            click.echo(f"Demo data {state}: assessment {assessment.uuid}")
        click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")

    @app.cli.command("list")
    def list_command() -> None:
        """One assessment per line: id, organisation, status, progress, title."""
        banks = _banks()
        with transaction(_sessions()) as session:
            for organisation in session.scalars(select(Organisation).order_by(Organisation.id)):
                for assessment in list_for_organisation(session, organisation.id):
                    pinned = (assessment.bank_id, assessment.bank_version)
                    progress = (
                        f"{visibility_of(assessment, banks.get(*pinned)).percent}%"
                        if banks.has(*pinned)
                        else "-"
                    )
                    click.echo(
                        f"{assessment.uuid}\t{organisation.id}\t{assessment.status}\t"
                        f"{progress}\t{assessment.title}"
                    )

    @app.cli.command("export")
    @click.argument("assessment_id")
    def export_command(assessment_id: str) -> None:
        """Print assessment ASSESSMENT_ID as exchange JSON."""
        with transaction(_sessions()) as session:
            try:
                assessment = get_by_uuid(session, assessment_id)
            except AssessmentNotFound:
                raise click.ClickException(f"no assessment {assessment_id}") from None
            sys.stdout.buffer.write(canonical_json(to_document(assessment)) + b"\n")

    @app.cli.command("import")
    @click.argument("files", nargs=-1, required=True, type=click.Path())
    # A FILE may also be a report PDF (its embedded data are imported if intact)
    # or a directory (every *.json file in it, in name order; not its subdirectories).
    @click.option(
        "--organisation-id",
        type=int,
        default=None,
        help="Target organisation (required when there is more than one).",
    )
    def import_command(files: tuple[str, ...], organisation_id: int | None) -> None:
        """Create an assessment from each exchange JSON FILE or report PDF
        (a directory stands for the *.json files in it); each file all or nothing.

        Files are imported one after another, each in its own transaction: a
        refused file leaves nothing behind and does not undo the files before
        it.  With several files a summary follows, and the exit code is 1 when
        any file was refused.
        """
        with transaction(_sessions()) as session:
            target = _target_organisation(session, organisation_id).id
        if len(files) == 1 and not Path(files[0]).is_dir():
            assessment_id = _import_file(files[0], target)
            click.echo(f"Imported as {assessment_id} into organisation {target}.")
            return
        imported = 0
        refused: list[str] = []
        paths = _import_paths(files)
        for path in paths:
            try:
                assessment_id = _import_file(path, target)
            except click.ClickException as error:
                refused.append(error.message)
                click.echo(f"Refused: {error.message}", err=True)
                continue
            imported += 1
            click.echo(f"Imported {path} as {assessment_id} into organisation {target}.")
        click.echo(f"Imported {imported} of {len(paths)} files; refused {len(refused)}.")
        if refused:
            click.echo("Refused, nothing of them stored:", err=True)
            for message in refused:
                click.echo(f"  {message}", err=True)
            raise SystemExit(1)

    @app.cli.command("render")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False),
        help="Where to write the PDF.",
    )
    @click.option(
        "--edition",
        type=click.Choice(EDITIONS),
        default="full",
        help="'public' leaves out the notes and sources marked confidential.",
    )
    def render_command(file: str, output: str, edition: str) -> None:
        """Render the PDF report straight from an exchange JSON FILE, signed
        with the installation's key and recorded as issued, so that `verify`
        and /verify know this exact file."""
        document = _read_document(file)
        files = signing_files(_config())
        certificate = _certificate()
        rendered = render_report(_bank_of(document), document, edition=edition)
        try:
            report = RenderedReport(sign_report(rendered.pdf, files), rendered.sha256)
        except SigningError as error:
            raise click.ClickException(f"the report cannot be signed: {error}") from None
        with transaction(_sessions()) as session:
            record_rendered_file(session, document, report, edition, certificate)
            Path(output).write_bytes(report.pdf)
        click.echo(f"Wrote {output}, signed by {certificate.subject}.")

    @app.cli.command("verify")
    @click.argument("report", type=click.Path(dir_okay=False))
    def verify_command(report: str) -> None:
        """Check a report PDF: was this exact file issued here, and if not,
        what was changed?

        Exit codes: 0 this exact file was issued here; 3 the embedded data are
        intact but the file was changed after signing; 4 the data were
        altered; 5 not a report issued by this tool here; 1 the file cannot
        be read.
        """
        raw = _read_input(report)
        certificate = _certificate()
        with transaction(_sessions()) as session:
            try:
                result = verify_report(session, raw, certificate)
            except (NotAReport, ReadingBusy) as error:
                raise click.ClickException(f"{report}: {error}") from None
        click.echo(f"{result.outcome.value.upper()}: {result.headline}")
        for line in result.summary():
            click.echo(line)
        click.echo(f"SHA-256 of the file: {result.file_sha256}")
        if result.embedded is not None:
            click.echo(f"SHA-256 of the embedded data: {result.embedded.sha256}")
        raise SystemExit(result.exit_code)

    @app.cli.command("render-idle")
    @click.option(
        "--minutes",
        type=click.FloatRange(min=0),
        default=None,
        help="Unchanged for at least this long (default: REPORT_IDLE_MINUTES, 30).",
    )
    def render_idle_command(minutes: float | None) -> None:
        """Render both editions of the report of every assessment that has not
        changed for a while (and changed in the last 30 days) and is not in the
        report store yet, so that its download is ready.  Renders here, one at
        a time at lower CPU priority; with REPORT_QUEUE=rq, hands them to the
        workers instead.  For a systemd timer (docs/deployment.md)."""
        config = _config()
        lower_priority(config.report_nice)
        renderer: Renderer
        queued = config.report_queue == "rq" and config.redis_url is not None
        if queued and config.redis_url is not None:
            from assessment.report.queue import QueuedRenderer

            renderer = QueuedRenderer(config.redis_url, config.report_cache_dir)
        else:
            renderer = ReportRenderer(_banks(), config.bank_dir, workers=0)
        try:
            signing = signing_files(config)
        except SigningError as error:
            raise click.ClickException(f"reports cannot be signed: {error}") from None
        done = failed = 0
        session = _sessions()()
        try:
            for assessment in idle_assessments(
                session, config.report_idle_minutes if minutes is None else minutes
            ):
                try:
                    bank = _banks().get(assessment.bank_id, assessment.bank_version)
                except UnknownBankVersion:
                    continue  # its download says why it cannot be opened here
                for _edition, pending in prepare_reports(
                    session,
                    bank,
                    assessment,
                    renderer,
                    config.report_cache_dir,
                    signing,
                    evidence_dir=config.evidence_dir,
                    embed_limit=config.evidence_embed_max_bytes,
                    banks=_banks(),
                ):
                    if queued:
                        done += 1
                        continue
                    try:
                        pending.result()
                        done += 1
                    except RenderFailed as error:
                        failed += 1
                        click.echo(f"Not rendered: {error}", err=True)
        finally:
            session.close()
            renderer.shutdown()
        click.echo(f"{'Queued' if queued else 'Rendered'} {done} reports; {failed} failed.")
        if failed:
            raise SystemExit(1)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Render reports for the app servers (REPORT_QUEUE=rq): an RQ worker
        on REDIS_URL's queue "reports", at lower CPU priority, writing into the
        report store (REPORT_STORE_DIR) and signing with the installation's key."""
        config = _config()
        if not config.redis_url:
            raise click.ClickException("the worker needs REDIS_URL: the Redis its jobs come from")
        try:
            signing = signing_files(config)
        except SigningError as error:
            raise click.ClickException(f"reports cannot be signed: {error}") from None
        from assessment.report.queue import run_worker  # rq only where it is used

        run_worker(
            config.redis_url,
            _banks(),
            config.report_cache_dir,
            signing,
            burst=burst,
            nice=config.report_nice,
        )

    @app.cli.command("score")
    @click.argument("file", type=click.Path(dir_okay=False))
    def score_command(file: str) -> None:
        """Print the scoring result of an exchange JSON FILE as JSON."""
        document = _read_document(file)
        bank = _bank_of(document)
        data = score(
            bank, document.answer_values(), document.confidences(), document.language
        ).to_dict()
        for recommendation in data["recommendations"]:
            recommendation["references"] = [
                {
                    "id": r,
                    "citation": bank.references[r].citation,
                    "provision": bank.references[r].provision.get_text(document.language),
                }
                for r in recommendation["references"]
            ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
