"""The members page, for owners: members and their roles, invitations by a
one-time link, password-reset links, removal.

Links are shown once, on the page that made them, for the owner to copy; when
SMTP is configured they are also mailed to the member."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import app_config, db, require_user
from assessment.forms import ActionForm, InviteForm, RoleForm
from assessment.i18n import role_label
from assessment.models import Role, User
from assessment.services.accounts import AccountError, LastOwner, change_role, remove_member
from assessment.services.mail import MailFailed, send_mail
from assessment.services.members import (
    INVITATION_DAYS,
    RESET_HOURS,
    MemberNotFound,
    invite,
    is_expired,
    issue_reset,
    member_of,
    members_of,
    pending_invitations,
    revoke_invitation,
)

bp = Blueprint("members", __name__, url_prefix="/members")


def _page(
    *,
    invite_form: InviteForm | None = None,
    issued: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    user = require_user()
    members = members_of(db(), user.organisation_id)
    return render_template(
        "members/index.html",
        members=members,
        role_forms={m.id: RoleForm(formdata=None, role=m.role) for m in members},
        invitations=pending_invitations(db(), user.organisation_id),
        invite_form=invite_form or InviteForm(formdata=None),
        issued=issued,
        error=error,
        is_expired=is_expired,
        form=ActionForm(),
        invitation_days=INVITATION_DAYS,
        reset_hours=RESET_HOURS,
    ), status


def _mail(to: str, subject: str, body: str) -> str:
    """``"sent"``, ``"failed"`` or ``"off"`` (no SMTP configured)."""
    smtp = app_config().smtp
    if smtp is None:
        return "off"
    try:
        send_mail(smtp, to, subject, body)
    except MailFailed as error:  # the link is on the page anyway
        current_app.logger.warning("A member's e-mail could not be sent (%s)", error)
        return "failed"
    return "sent"


def _member(user_id: int) -> User:
    try:
        return member_of(db(), require_user().organisation_id, user_id)
    except MemberNotFound:
        abort(404)


@bp.route("")
def index() -> tuple[str, int]:
    return _page()


@bp.route("/invite", methods=["POST"], endpoint="invite")
def invite_member() -> tuple[str, int]:
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(invite_form=form, status=422)
    owner = require_user()
    try:
        issued = invite(db(), owner, form.email.data, Role(form.role.data))
    except AccountError as problem:
        form.email.errors.append(str(problem))
        return _page(invite_form=form, status=422)
    url = url_for("invitations.accept", token=issued.token, _external=True)
    organisation = owner.organisation.name
    mailed = _mail(
        issued.invitation.email,
        _("Invitation to %(organisation)s", organisation=organisation),
        _(
            "%(name)s invites you to join %(organisation)s in the rights-impact assessment"
            " tool as %(role)s.\n\nCreate your account with this link (valid for %(days)s"
            " days, once):\n%(url)s\n",
            name=owner.name,
            organisation=organisation,
            role=role_label(issued.invitation.role),
            days=INVITATION_DAYS,
            url=url,
        ),
    )
    return _page(
        issued={"kind": "invitation", "email": issued.invitation.email, "url": url, "mail": mailed}
    )


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"], endpoint="revoke_invitation")
def revoke_invitation_link(invitation_id: int) -> Response:
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a missing token
    try:
        revoke_invitation(db(), require_user().organisation_id, invitation_id)
    except MemberNotFound:
        abort(404)
    flash(_("The invitation was withdrawn; its link no longer works."))
    return redirect(url_for("members.index"), code=303)


@bp.route("/<int:user_id>/role", methods=["POST"], endpoint="change_role")
def change_member_role(user_id: int) -> Response | tuple[str, int]:
    member = _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _page(error=_("Choose one of the roles."), status=422)
    try:
        change_role(db(), member, Role(form.role.data))
    except LastOwner as problem:
        return _page(error=str(problem), status=409)
    if member.id == require_user().id and member.role != Role.OWNER.value:
        flash(_("You are now %(role)s; only owners manage members.", role=role_label(member.role)))
        return redirect(url_for("dashboard.index"), code=303)
    flash(_("%(name)s is now %(role)s.", name=member.name, role=role_label(member.role)))
    return redirect(url_for("members.index"), code=303)


@bp.route("/<int:user_id>/remove", methods=["POST"])
def remove(user_id: int) -> Response | tuple[str, int]:
    member = _member(user_id)
    ActionForm().validate_on_submit()
    removing_self = member.id == require_user().id
    name = member.name
    try:
        remove_member(db(), member)
    except LastOwner as problem:
        return _page(error=str(problem), status=409)
    if removing_self:
        return redirect(url_for("auth.login"), code=303)
    flash(_("%(name)s was removed and signed out everywhere.", name=name))
    return redirect(url_for("members.index"), code=303)


@bp.route("/<int:user_id>/reset", methods=["POST"])
def reset_link(user_id: int) -> tuple[str, int]:
    member = _member(user_id)
    ActionForm().validate_on_submit()
    issued = issue_reset(db(), require_user(), member)
    url = url_for("account.reset", token=issued.token, _external=True)
    with force_locale(member.language):  # the member's own language, not the owner's
        subject = _("Set a new password")
        text = _(
            "An owner of %(organisation)s has issued a link for you to set a new password in"
            " the rights-impact assessment tool (valid for %(hours)s hours, once):\n%(url)s"
            "\n\nIf you did not ask for it, tell them.\n",
            organisation=member.organisation.name,
            hours=RESET_HOURS,
            url=url,
        )
    mailed = _mail(member.email, subject, text)
    return _page(issued={"kind": "reset", "email": member.email, "url": url, "mail": mailed})
