"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from archive.accounts import MIN_PASSWORD
from archive.extensions import db
from archive.models import ROLES, Organisation, Role
from archive.web.labels import ROLE_NAMES

ROLE_CHOICES = [SelectChoice(role, ROLE_NAMES[role]) for role in ROLES]


def organisation_choices() -> list[SelectChoice]:
    names = db.session.scalars(select(Organisation.name).order_by(func.lower(Organisation.name)))
    return [SelectChoice("", _l("None")), *(SelectChoice(name) for name in names)]


class OrganisationFields(FlaskForm):
    """An existing organisation from a list, or a new one typed in; not both."""

    organisation = SelectField(
        _l("Organisation"), choices=[SelectChoice("", _l("None"))], default=""
    )
    new_organisation = StringField(
        _l("Or a new organisation"),
        validators=[Length(max=200)],
        description=_l("Created when the account is saved. Partners need an organisation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = organisation_choices()

    def validate_new_organisation(self, field):
        if (field.data or "").strip() and self.organisation.data:
            raise ValidationError(
                _l("Choose an existing organisation or type a new one, not both.")
            )

    def organisation_name(self) -> str | None:
        return (self.new_organisation.data or "").strip() or self.organisation.data or None


class NewPasswordFields(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l(
                    "Passwords need at least %(num)d characters (at most 200).", num=MIN_PASSWORD
                ),
            ),
        ],
        description=_l(
            "At least %(num)d characters. Tell the person through another channel.",
            num=MIN_PASSWORD,
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class UserForm(OrganisationFields):
    display_name = StringField(_l("Display name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class NewUserForm(UserForm, NewPasswordFields):
    # The least powerful role unless the admin chooses another: never Admin by accident.
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.RESEARCHER)
    username = StringField(
        _l("User name"),
        validators=[DataRequired(), Length(min=2, max=80)],
        description=_l("Letters, digits and . _ @ -; used to sign in."),
        render_kw={"autocomplete": "off"},
    )


class PasswordResetForm(NewPasswordFields):
    """An admin sets a new password; every session of the account ends."""


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Name or organisation"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES], default=""
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class GrantEventForm(FlaskForm):
    event = SelectField(_l("Event"), validators=[DataRequired()], choices=[])


class GrantOrganisationForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], choices=[])


class RevokeForm(FlaskForm):
    """Revoke buttons on the organisation page and on the event page return to their page."""

    back = SelectField(
        choices=[SelectChoice("organisation"), SelectChoice("event")], default="organisation"
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = SearchField(_l("Actor"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("Action"), choices=[SelectChoice("", _l("Any action"))], default="")
    target_type = SelectField(
        _l("Target type"), choices=[SelectChoice("", _l("Any type"))], default=""
    )
    organisation = SelectField(
        _l("Organisation"), choices=[SelectChoice("", _l("Any organisation"))], default=""
    )
    event = SelectField(_l("Event"), choices=[SelectChoice("", _l("Any event"))], default="")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class SharingForm(FlaskForm):
    """Whether an organisation's partners may make share links to what they see."""

    may_share = BooleanField(_l("Its partners may make share links to what they see"))
