"""Forms of the programme pages: sessions, talks, decks, imports, clocks and photo moves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from archive.programme.editing import DOWN, UP, SessionFields, TalkFields


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    day = DateField(_l("Day"), validators=[InputRequired(_l("Give the day of the session."))])
    start = TimeField(_l("Starts"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("Ends"), validators=[InputRequired(_l("Give the end time."))])
    room = StringField(_l("Room"), validators=[Length(max=200)])
    chairs = StringField(
        _l("Chairs"), validators=[Length(max=2000)], description=_l("Separated by semicolons.")
    )
    tags = StringField(
        _l("Tags"), validators=[Length(max=2000)], description=_l("Separated by commas.")
    )

    def fields(self) -> SessionFields:
        return SessionFields(
            title=self.title.data or "",
            day=self.day.data,
            start=self.start.data,
            end=self.end.data,
            room=self.room.data or "",
            chairs=self.chairs.data or "",
            tags=self.tags.data or "",
        )


class TalkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    start = TimeField(
        _l("Starts"), validators=[Optional()], description=_l("Leave empty to follow the order.")
    )
    speakers = TextAreaField(
        _l("Speakers"),
        validators=[Length(max=5000)],
        description=_l("Separated by semicolons or one per line, each as Name (Organisation)."),
    )

    def fields(self) -> TalkFields:
        speakers = (self.speakers.data or "").replace("\r\n", "\n")
        return TalkFields(title=self.title.data or "", start=self.start.data, speakers=speakers)


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf((UP, DOWN))])


class ConfirmForm(FlaskForm):
    """A POST that deletes: the button sits in a disclosure, so it takes two clicks."""

    confirm = HiddenField(validators=[AnyOf(("yes",))])


class AttachDeckForm(FlaskForm):
    deck = SelectField(_l("Presentation"), coerce=int, choices=[], validate_choice=True)


class UploadDeckForm(FlaskForm):
    file = FileField(_l("PDF"), validators=[FileRequired(_l("Choose a PDF to upload."))])


class ImportForm(FlaskForm):
    file = FileField(
        _l("Programme file"),
        validators=[FileRequired(_l("Choose a CSV file or an event.toml."))],
        description=_l("A CSV (one row per talk) or an event.toml with [[sessions]]."),
    )


class CameraOffsetForm(FlaskForm):
    make = HiddenField()
    model = HiddenField()
    serial = HiddenField()
    offset = StringField(
        _l("Correction"),
        validators=[DataRequired(_l("Give a correction such as +1:00 or -0:12."))],
        description=_l("Added to this camera's times: -0:15 when its clock ran 15 minutes fast."),
    )


class MovePhotosForm(FlaskForm):
    items = SelectMultipleField(
        _l("Photos"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Select at least one photo."))],
        invalid_choice_message=_l(
            "Some selected photos are gone from this event; reload the page."
        ),
    )
    target = SelectField(_l("Move to"), choices=[], validators=[InputRequired()])
