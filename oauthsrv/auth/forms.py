from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class SwitchOrganizationForm(FlaskForm):
    organization_id = IntegerField("Organization", validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """CSRF only, for buttons that POST."""
