"""Rendering email templates in Jinja's sandbox, and the shipped default templates."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"
DEFAULT_LOCALE = "en"
# Caps on what an administrator's template may produce, so a typo cannot exhaust memory.
MAX_SEQUENCE = 100_000
MAX_EXPONENT = 100
MAX_OUTPUT = 200_000


class RenderError(ValueError):
    """A template that does not render; the message says why, for the administrator."""


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also refusing `*` and `**` results too big to be an email."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent larger than {MAX_EXPONENT}")
        if operator == "*" and _repeats_too_much(left, right):
            raise SecurityError(f"result longer than {MAX_SEQUENCE}")
        return super().call_binop(context, operator, left, right)


def _repeats_too_much(left, right) -> bool:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            return len(sequence) * count > MAX_SEQUENCE
    return False


# Only the variables passed in exist: StrictUndefined turns any other name into an error.
_TEXT_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_HTML_ENV = _Sandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)
for _env in (_TEXT_ENV, _HTML_ENV):
    _env.globals.clear()  # no range(), lipsum(), dict(), ...: the listed variables and nothing else

PARTS = {
    "subject": ("Subject", _TEXT_ENV),
    "body_text": ("Text", _TEXT_ENV),
    "body_html": ("HTML", _HTML_ENV),
}


def render_part(part: str, source: str, context: dict) -> str:
    """Render one part of a template; raise RenderError naming the part and the problem."""
    label, env = PARTS[part]
    try:
        output = env.from_string(source).render(context)
    except TemplateError as error:
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise RenderError(f"{label}{line}: {error.message or error}") from error
    except Exception as error:  # noqa: BLE001 - e.g. {{ 1 / 0 }}: still the template's fault
        raise RenderError(f"{label}: {type(error).__name__}: {error}") from error
    if len(output) > MAX_OUTPUT:
        raise RenderError(f"{label}: the result is longer than {MAX_OUTPUT} characters")
    return output


def render(template: EmailTemplate, context: dict) -> RenderedEmail:
    """Render all three parts; the subject is folded onto one line (no header injection)."""
    parts = {part: render_part(part, getattr(template, part), context) for part in PARTS}
    subject = " ".join(parts["subject"].split())
    if not subject:
        raise RenderError("Subject: the result is empty")
    return RenderedEmail(subject, parts["body_text"], parts["body_html"])


@cache
def shipped_template(event: str, locale: str) -> EmailTemplate | None:
    """The default template shipped for an event and locale, if there is one."""
    directory = DEFAULTS_DIR / event
    files = [directory / f"{locale}.subject.txt", directory / f"{locale}.txt"]
    files.append(directory / f"{locale}.html")
    if not all(path.is_file() for path in files):
        return None
    subject, text, html = (path.read_text(encoding="utf-8") for path in files)
    return EmailTemplate(subject.strip(), text, html)
