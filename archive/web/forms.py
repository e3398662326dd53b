"""Forms of the event pages, and how any page reports a form that was not accepted."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from archive.catalogue import EventDetails


def form_status() -> int:
    """A form shown again after a POST answers 400: nothing was changed."""
    return 400 if request.method == "POST" else 200


def sentence(message) -> str:
    """Service errors are lower-case clauses; flash them as sentences."""
    text = str(message)
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


class EventForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=500)])
    start_date = DateField("First day", validators=[Optional()])
    end_date = DateField(
        "Last day", validators=[Optional()], description="Leave empty for a one-day event."
    )
    city = StringField("City", validators=[Length(max=120)])
    country = StringField("Country", validators=[Length(max=120)])
    venue = StringField("Venue", validators=[Length(max=300)])
    organisers = TextAreaField(
        "Organisers", validators=[Length(max=5000)], description="One per line, or separated by ;"
    )
    description = TextAreaField(
        "Description",
        validators=[Length(max=50_000)],
        description="Blank lines separate paragraphs.",
    )
    tags = StringField(
        "Areas of activity",
        validators=[Length(max=2000)],
        description="Separated by commas, e.g. e-government, open data",
    )

    def details(self) -> EventDetails:
        return EventDetails(
            title=self.title.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            city=self.city.data or "",
            country=self.country.data or "",
            venue=self.venue.data or "",
            organisers=self.organisers.data or "",
            description=(self.description.data or "").replace("\r\n", "\n"),
            tags=(self.tags.data or "").split(","),
        )


class NewEventForm(EventForm):
    slug = StringField(
        "Short name in addresses",
        validators=[Optional(), Length(max=120)],
        description="Lower-case letters, digits and hyphens, e.g. baku-2023. "
        "Leave empty to derive it from the title. It cannot be changed later.",
    )


class DeleteEventForm(FlaskForm):
    """The confirmation page echoes the slug, so a stray POST deletes nothing."""

    confirm = HiddenField(validators=[DataRequired()])


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField("Title or place", validators=[Optional(), Length(max=200)])
    # default="": an absent filter is "any", not an invalid choice
    year = SelectField("Year", choices=[SelectChoice("", "Any year")], default="")
    country = SelectField("Country", choices=[SelectChoice("", "Any country")], default="")
