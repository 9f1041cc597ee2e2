"""Forms of the vision document builder and of the export buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.forms import BaseForm, choices, text_length
from portal.exports.models import DATA_FORMATS, VISION_FORMATS

FORMAT_LABELS = {
    "pdf": _l("PDF"),
    "docx": _l("Word (DOCX)"),
    "odt": _l("OpenDocument (ODT)"),
    "html": _l("Web page (HTML)"),
    "md": _l("Markdown"),
    "zip": _l("CSV files and data package (ZIP)"),
    "json": _l("JSON"),
    "xlsx": _l("Spreadsheet (XLSX)"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VisionForm(BaseForm):
    title = StringField(
        _l("Document title"),
        validators=[Optional(), text_length(0, 200)],
        description=_l("Leave empty to use the consultation's title."),
    )
    introduction = TextAreaField(
        _l("Introduction"),
        validators=[Optional(), text_length(0, 50_000)],
        description=_l("Markdown: **bold**, *italic*, lists, links and ## headings."),
        render_kw={"rows": 10},
    )
    vision = TextAreaField(
        _l("Vision statement"),
        validators=[Optional(), text_length(0, 50_000)],
        description=_l("Markdown, as above."),
        render_kw={"rows": 10},
    )
    themes = MultiCheckboxField(_l("Themes to feature"), coerce=int, validate_choice=True)
    ideas_per_theme = IntegerField(
        _l("Most supported ideas per theme"),
        default=5,
        validators=[InputRequired(), NumberRange(0, 50)],
        description=_l("Used unless you choose the ideas yourself below."),
    )
    choose_ideas = BooleanField(_l("I choose the featured ideas myself"))
    ideas = MultiCheckboxField(_l("Featured ideas"), coerce=int, validate_choice=True)
    budgets = MultiCheckboxField(_l("Budgets to show"), coerce=int, validate_choice=True)


class JobForm(BaseForm):
    format = SelectField(_l("Format"))

    def __init__(self, kind: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        formats = VISION_FORMATS if kind == "vision" else DATA_FORMATS
        self.format.choices = choices((f, FORMAT_LABELS[f]) for f in formats)
