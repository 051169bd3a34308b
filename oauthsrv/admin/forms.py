"""Forms of the administration pages. Only these fields are read."""

from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..applications.forms import MultiCheckboxField
from ..inputs import Form
from ..services.accounts import MIN_PASSWORD_LENGTH
from ..templating import LOCALES

SET_PASSWORD, SEND_LINK = "set", "link"
PASSWORD_CHOICES = [
    SelectChoice(SEND_LINK, "Give the user a one-time link to set it (shown once, valid 3 days)"),
    SelectChoice(SET_PASSWORD, "Set it now"),
]


class PasswordChoiceMixin:
    """A password set by the administrator, or a one-time link for the user to set it."""

    password_choice = RadioField("Password", choices=PASSWORD_CHOICES, default=SEND_LINK)
    password = PasswordField(
        "New password", render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH}
    )

    def validate_password(self, field):
        if (
            self.password_choice.data == SET_PASSWORD
            and len(field.data or "") < MIN_PASSWORD_LENGTH
        ):
            raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")


class UserForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    email = EmailField("Primary Email", validators=[DataRequired(), Length(max=255)])
    organizations = MultiCheckboxField("Organizations", coerce=int)
    is_admin = BooleanField("Administrator")
    locale = SelectField(
        "Locale", choices=[SelectChoice(code, name) for code, name in LOCALES.items()], default="en"
    )

    def validate_organizations(self, field):
        if not field.data:
            raise ValidationError("Choose at least one organization.")


class NewUserForm(PasswordChoiceMixin, UserForm):
    pass


class ResetPasswordForm(PasswordChoiceMixin, Form):
    pass


class SetPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField("Repeat the password", render_kw={"autocomplete": "new-password"})

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("The two passwords differ.")


class UserFilterForm(Form):
    """The grid's filters travel in the query string, so no CSRF."""

    class Meta:
        csrf = False

    q = StringField("Name or email", render_kw={"placeholder": "Contains…", "autocomplete": "off"})
    organization = SelectField("Organization", validate_choice=False)
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "All statuses"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Inactive"),
        ],
        validate_choice=False,
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("", "All roles"),
            SelectChoice("admin", "Administrator"),
            SelectChoice("user", "User"),
        ],
        validate_choice=False,
    )


class OrganizationForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    is_global_access = BooleanField("Global access")
