"""Forms of the event pages, and how any page reports a form that was not accepted."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from archive.catalogue import EventDetails
from archive.fulltext.messages import first_message
from archive.models import VISIBILITIES, ItemKind, Visibility
from archive.programme.clock import zone_names
from archive.web.labels import VISIBILITY_NAMES, translate


def form_status() -> int:
    """A form shown again after a POST answers 400: nothing was changed."""
    return 400 if request.method == "POST" else 200


def sentence(message) -> str:
    """Service errors are lower-case clauses (a `Message` to translate); flash them as
    sentences in the request's language."""
    if isinstance(message, Exception):
        message = first_message(message)
    text = str(translate(message))
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


LANGUAGE_CODE = Regexp(
    r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", message=_l("Use a short code such as en, ru or az.")
)


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    start_date = DateField(_l("First day"), validators=[Optional()])
    end_date = DateField(
        _l("Last day"), validators=[Optional()], description=_l("Leave empty for a one-day event.")
    )
    city = StringField(_l("City"), validators=[Length(max=120)])
    country = StringField(_l("Country"), validators=[Length(max=120)])
    venue = StringField(_l("Venue"), validators=[Length(max=300)])
    organisers = TextAreaField(
        _l("Organisers"),
        validators=[Length(max=5000)],
        description=_l("One per line, or separated by ;"),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=50_000)],
        description=_l("Blank lines separate paragraphs."),
    )
    tags = StringField(
        _l("Areas of activity"),
        validators=[Length(max=2000)],
        description=_l("Separated by commas, e.g. e-government, open data"),
    )
    language = StringField(
        _l("Main language of the materials"),
        validators=[Optional(), Length(max=10), LANGUAGE_CODE],
        description=_l(
            "A short code such as en, ru or az: scans and photos are read in it "
            "(and in English), and it decides the language of short pages."
        ),
    )
    # Optional: a POST without it keeps the event's zone (catalogue.apply_details).
    timezone = SelectField(
        _l("Time zone"),
        choices=[],
        validators=[Optional()],
        description=_l("Where the event took place: its programme's times are local times there."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name) for name in zone_names()]
        if not self.is_submitted() and not self.timezone.data:
            self.timezone.data = current_app.config["DEFAULT_TIMEZONE"]

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
            timezone=self.timezone.data or "",
            language=self.language.data or None,
        )


class NewEventForm(EventForm):
    slug = StringField(
        _l("Short name in addresses"),
        validators=[Optional(), Length(max=120)],
        description=_l(
            "Lower-case letters, digits and hyphens, e.g. baku-2023. "
            "Leave empty to derive it from the title. It cannot be changed later."
        ),
    )


class DeleteEventForm(FlaskForm):
    """The confirmation page echoes the slug, so a stray POST deletes nothing."""

    confirm = HiddenField(validators=[DataRequired()])


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField(_l("Title or place"), validators=[Optional(), Length(max=200)])
    # default="": an absent filter is "any", not an invalid choice
    year = SelectField(_l("Year"), choices=[SelectChoice("", _l("Any year"))], default="")
    country = SelectField(_l("Country"), choices=[SelectChoice("", _l("Any country"))], default="")


# items: upload, edit, bulk edit, delete

VISIBILITY_CHOICES = [SelectChoice(v, VISIBILITY_NAMES[v]) for v in VISIBILITIES]
ITEM_FIELDS = ("title", "speakers", "organisation", "language", "visibility")
DECK_ONLY = ("speakers", "organisation", "language")


class DescriptionFields(FlaskForm):
    """The descriptive fields of an item; a photo's title is its caption."""

    title = StringField(_l("Title"), validators=[Length(max=500)])
    speakers = StringField(
        _l("Speakers"), validators=[Length(max=2000)], description=_l("Separated by ; or commas.")
    )
    organisation = StringField(_l("Organisation"), validators=[Length(max=300)])
    language = StringField(
        _l("Language"),
        validators=[Optional(), Length(max=10), LANGUAGE_CODE],
        description=_l("A short code such as en, ru or az; empty: detected from the text."),
    )
    visibility = SelectField(
        _l("Visibility"), choices=VISIBILITY_CHOICES, default=Visibility.SHARED
    )

    def values(self) -> dict[str, str]:
        """The fields this form has, as plain strings (what `materials.update_item` takes)."""
        return {name: (self[name].data or "").strip() for name in ITEM_FIELDS if name in self}


class ItemForm(DescriptionFields):
    """Editing one item; photos have a caption and a visibility only."""

    # No default: a POST without the field is refused rather than read as "clear everything".
    visibility = SelectField(
        _l("Visibility"), choices=VISIBILITY_CHOICES, validators=[InputRequired()]
    )

    def __init__(self, *args, kind: str = ItemKind.PRESENTATION, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == ItemKind.PHOTO:
            self.title.label.text = _l("Caption")
            self.title.description = _l("Also the photo's text for screen readers and search.")
            for name in DECK_ONLY:
                delattr(self, name)
        else:
            self.title.description = _l("Leave empty to show the file name.")
            self.language.description = _l("A short code such as en, ru or az.")


class UploadForm(DescriptionFields):
    """The upload page without JavaScript: one multipart POST with every file."""

    event = SelectField(_l("Event"), choices=[], validators=[DataRequired(_l("Choose an event."))])
    files = MultipleFileField(
        _l("Files"), validators=[FileRequired(_l("Choose at least one file."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title.description = _l("Only used when you upload a single file.")


class QuickEventForm(FlaskForm):
    """A new event from the upload page: the essentials, the rest on its edit page."""

    title = StringField(_l("Title of the new event"), validators=[DataRequired(), Length(max=500)])
    start_date = DateField(_l("First day"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Length(max=120)])
    country = StringField(_l("Country"), validators=[Length(max=120)])

    def details(self) -> EventDetails:
        return EventDetails(
            title=self.title.data or "",
            start_date=self.start_date.data,
            city=self.city.data or "",
            country=self.country.data or "",
        )


class SelectionForm(FlaskForm):
    """Items ticked on an event page; the view sets the choices to the event's items."""

    items = SelectMultipleField(
        _l("Items"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Select at least one item."))],
        invalid_choice_message=_l("Some selected items are gone from this event; reload the page."),
    )


class BulkEditForm(SelectionForm):
    """Set fields of several items at once; an empty field leaves the items' values alone."""

    speakers = StringField(
        _l("Speakers"), validators=[Length(max=2000)], description=_l("Separated by ; or commas.")
    )
    organisation = StringField(_l("Organisation"), validators=[Length(max=300)])
    language = StringField(
        _l("Language"),
        validators=[Optional(), Length(max=10), LANGUAGE_CODE],
        description=_l("e.g. en"),
    )
    visibility = SelectField(
        _l("Visibility"),
        choices=[SelectChoice("", _l("Leave unchanged")), *VISIBILITY_CHOICES],
        default="",
    )

    def changes(self) -> dict[str, str]:
        """Only the fields that were filled in."""
        names = ("speakers", "organisation", "language", "visibility")
        return {name: value for name in names if (value := (self[name].data or "").strip())}


class DeleteItemsForm(SelectionForm):
    """The confirmation page sends the ids back with `confirm`, so a stray POST deletes nothing."""

    confirm = HiddenField(validators=[DataRequired()])


# versions


class VersionUploadForm(FlaskForm):
    """A corrected file for an existing presentation or photo, with a note on what changed."""

    file = FileField(_l("New file"), validators=[FileRequired(_l("Choose the corrected file."))])
    note = TextAreaField(
        _l("What changed"),
        validators=[Length(max=2000)],
        description=_l("Shown in the list of versions, e.g. “typo on slide 4 corrected”."),
    )


class RestoreVersionForm(FlaskForm):
    """ "Make current again" on the list of versions."""

    note = HiddenField(validators=[Length(max=2000)])


# share links and bundles


class ShareLinkForm(FlaskForm):
    """A share link: the chosen items (choices set by the view), recipient and safeguards."""

    items = SelectMultipleField(
        _l("Materials"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Choose at least one presentation or photo."))],
        invalid_choice_message=_l("Some chosen items cannot be shared; reload the page."),
    )
    recipient = StringField(
        _l("Recipient"),
        validators=[DataRequired(_l("Say who the link is for.")), Length(max=200)],
        description=_l(
            "A name and, if you like, an organisation: shown on the page the link "
            "opens and recorded with every visit."
        ),
    )
    expires_on = DateField(
        _l("Works until (inclusive)"), validators=[DataRequired(_l("Give the last day."))]
    )
    password = PasswordField(
        _l("Password (optional)"),
        validators=[Optional(), Length(min=8, max=200)],
        description=_l("At least 8 characters; send it through another channel."),
        render_kw={"autocomplete": "new-password"},
    )
    max_downloads = IntegerField(
        _l("Download limit (optional)"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description=_l("Each file and each ZIP counts as one download; the link stops after."),
    )
    message = TextAreaField(
        _l("Message to the recipient (optional)"), validators=[Length(max=2000)]
    )


class BundleForm(FlaskForm):
    """Decks and photos ticked across events, for one ZIP; choices set by the view."""

    items = SelectMultipleField(
        _l("Materials"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Tick at least one presentation or photo."))],
        invalid_choice_message=_l("Some ticked items are no longer available; reload the page."),
    )
    org = HiddenField()
