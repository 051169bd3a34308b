"""The Add and Edit dialogs. Only these fields are read: anything else posted is ignored."""

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..inputs import Form
from ..services.applications import CLIENT_AUTH_METHODS, MAX_NAME_LENGTH, OVERLAPS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes posting several values under one name."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def check_scopes(field) -> None:
    """At least one scope, and only scopes the application's API offers."""
    offered = {value for value, _ in field.choices}
    if not field.data:
        raise ValidationError("Select at least one scope.")
    if not set(field.data) <= offered:
        raise ValidationError("Choose among the scopes offered.")


class NewApplicationForm(Form):
    # Removed by the view when there is nothing to choose, so a posted value is then ignored.
    organization_id = SelectField("Organization", coerce=int, validate_choice=False)
    # Trimming, length and uniqueness are the service's rules; its errors land on this field.
    name = StringField("Application Name", render_kw={"maxlength": MAX_NAME_LENGTH})
    is_active = BooleanField("Active", default=True)
    # The view offers the owner's API scopes, all checked by default (as before the field).
    scopes = MultiCheckboxField("Allowed Scopes", validate_choice=False)
    # Sent by the dialog with the checkboxes: without it (a client posting only the name, as
    # before scopes were offered here) the application gets every scope; with it, none
    # checked is an error, not "all".
    scopes_offered = HiddenField(default="1")

    def validate_organization_id(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose one of the organizations offered.")

    def validate_scopes(self, field):
        if not self.scopes_offered.raw_data:
            field.data = [value for value, _ in field.choices]
        check_scopes(field)


class EditApplicationForm(Form):
    name = StringField("Application Name", render_kw={"maxlength": MAX_NAME_LENGTH})
    is_active = BooleanField("Active")
    scopes = MultiCheckboxField("Allowed Scopes", validate_choice=False)
    # Absent from a post (a client of the dialog before this field): the method stays as it is.
    client_auth_method = RadioField(
        "Client authentication",
        choices=[SelectChoice(value, label) for value, label in CLIENT_AUTH_METHODS.items()],
        validate_choice=False,
    )
    # The key rules (PEM, JWK or JWKS; HTTPS URL) are the service's; its errors land here.
    public_keys = TextAreaField("Public key (PEM, JWK or JWKS)")
    jwks_url = StringField("or JWKS URL", render_kw={"inputmode": "url"})

    def validate_scopes(self, field):
        check_scopes(field)


class RegenerateSecretForm(Form):
    """When the current secret stops: now (the default) or after one of the overlaps."""

    keep_old = RadioField(
        "The current secret",
        choices=[SelectChoice("", "stops working now")]
        + [SelectChoice(key, f"keeps working for {label}") for key, (_, label) in OVERLAPS.items()],
        default="",
    )
