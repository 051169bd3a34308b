from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..inputs import Form
from ..templating import LOCALES


class CustomerUserForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    organization = SelectField("Organization", coerce=int)
    locale = SelectField(
        "Locale", choices=[SelectChoice(code, name) for code, name in LOCALES.items()], default="en"
    )


class CustomerUserFilterForm(Form):
    """The grid's filters travel in the query string, so no CSRF."""

    class Meta:
        csrf = False

    q = StringField("Name or email", render_kw={"placeholder": "Contains…", "autocomplete": "off"})
    organization = SelectField("Organization", coerce=str)
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "All statuses"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Inactive"),
        ],
    )
