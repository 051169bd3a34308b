from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from ..inputs import Form, IdField


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class SwitchOrganizationForm(Form):
    organization_id = IdField("Organization", validators=[DataRequired()])


class ConfirmForm(Form):
    """CSRF only, for buttons that POST."""
