"""The Add and Edit dialogs. Only these fields are read: anything else posted is ignored."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.applications import MAX_NAME_LENGTH


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes posting several values under one name."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewApplicationForm(FlaskForm):
    # Removed by the view when there is nothing to choose, so a posted value is then ignored.
    organization_id = SelectField("Organization", coerce=int, validate_choice=False)
    # Trimming, length and uniqueness are the service's rules; its errors land on this field.
    name = StringField("Application Name", render_kw={"maxlength": MAX_NAME_LENGTH})
    is_active = BooleanField("Active", default=True)

    def validate_organization_id(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose one of the organizations offered.")


class EditApplicationForm(FlaskForm):
    name = StringField("Application Name", render_kw={"maxlength": MAX_NAME_LENGTH})
    is_active = BooleanField("Active")
    scopes = MultiCheckboxField("Allowed Scopes", validate_choice=False)

    def validate_scopes(self, field):
        offered = {value for value, _ in field.choices}
        if not field.data:
            raise ValidationError("Select at least one scope.")
        if not set(field.data) <= offered:
            raise ValidationError("Choose among the scopes offered.")
