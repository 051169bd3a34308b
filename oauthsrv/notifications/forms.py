"""Forms of the notifications settings page."""

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..inputs import Form
from ..templating import LOCALES
from .settings import MAX_PART_LENGTH


class TemplateForm(Form):
    subject = StringField(
        "Subject", validators=[DataRequired(), Length(max=MAX_PART_LENGTH["subject"])]
    )
    body_text = TextAreaField(
        "Text body", validators=[DataRequired(), Length(max=MAX_PART_LENGTH["body_text"])]
    )
    body_html = TextAreaField(
        "HTML body", validators=[DataRequired(), Length(max=MAX_PART_LENGTH["body_html"])]
    )


class RuleForm(Form):
    is_enabled = BooleanField("Enabled")
    extra_recipients = TextAreaField(
        "Additional recipients", validators=[Length(max=4000)], render_kw={"rows": 2}
    )
    locale = SelectField(
        "Locale",
        choices=[SelectChoice("", "Owner's preferred locale (English if unavailable)")]
        + [SelectChoice(code, name) for code, name in LOCALES.items()],
        default="",
    )
