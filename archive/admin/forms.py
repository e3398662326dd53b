"""Forms of the administration pages."""

from __future__ import annotations

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
from archive.models import ROLES, Organisation

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


def organisation_choices() -> list[SelectChoice]:
    names = db.session.scalars(select(Organisation.name).order_by(func.lower(Organisation.name)))
    return [SelectChoice("", "None"), *(SelectChoice(name) for name in names)]


class OrganisationFields(FlaskForm):
    """An existing organisation from a list, or a new one typed in; not both."""

    organisation = SelectField("Organisation", choices=[SelectChoice("", "None")], default="")
    new_organisation = StringField(
        "Or a new organisation",
        validators=[Length(max=200)],
        description="Created when the account is saved. Partners need an organisation.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = organisation_choices()

    def validate_new_organisation(self, field):
        if (field.data or "").strip() and self.organisation.data:
            raise ValidationError("Choose an existing organisation or type a new one, not both.")

    def organisation_name(self) -> str | None:
        return (self.new_organisation.data or "").strip() or self.organisation.data or None


class NewPasswordFields(FlaskForm):
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=f"Passwords need at least {MIN_PASSWORD} characters (at most 200).",
            ),
        ],
        description=f"At least {MIN_PASSWORD} characters. Tell the person through another channel.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class UserForm(OrganisationFields):
    display_name = StringField("Display name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)


class NewUserForm(UserForm, NewPasswordFields):
    username = StringField(
        "User name",
        validators=[DataRequired(), Length(min=2, max=80)],
        description="Letters, digits and . _ @ -; used to sign in.",
        render_kw={"autocomplete": "off"},
    )


class PasswordResetForm(NewPasswordFields):
    """An admin sets a new password; every session of the account ends."""


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Name or organisation", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], default="")


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])


class GrantEventForm(FlaskForm):
    event = SelectField("Event", validators=[DataRequired()], choices=[])


class GrantOrganisationForm(FlaskForm):
    organisation = SelectField("Organisation", validators=[DataRequired()], choices=[])


class RevokeForm(FlaskForm):
    """Revoke buttons on the organisation page and on the event page return to their page."""

    back = SelectField(
        choices=[SelectChoice("organisation"), SelectChoice("event")], default="organisation"
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = SearchField("Actor", validators=[Optional(), Length(max=80)])
    action = SelectField("Action", choices=[SelectChoice("", "Any action")], default="")
    target_type = SelectField("Target type", choices=[SelectChoice("", "Any type")], default="")
    organisation = SelectField(
        "Organisation", choices=[SelectChoice("", "Any organisation")], default=""
    )
    event = SelectField("Event", choices=[SelectChoice("", "Any event")], default="")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class SharingForm(FlaskForm):
    """Whether an organisation's partners may make share links to what they see."""

    may_share = BooleanField("Its partners may make share links to what they see")
