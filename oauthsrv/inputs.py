"""Untrusted input from URLs and forms, read in one place, so that no value reaches the database
in a shape it cannot hold: an integer past the id columns' range (PostgreSQL and SQLite raise,
a 500) or text with a NUL byte (PostgreSQL cannot store or compare it, a 500).

- `<int:…>` in both apps' URL maps is `IdConverter`: a larger number matches no route (404).
- Integers in query strings (`?page=`, `?organization=`) go through `query_int`: ASCII digits
  in the id range, else None, and the caller ignores the value as for any bad one (`²` passes
  `str.isdigit()` but not `int()`).
- Every back-office form derives from `Form`: it reads the HTML form fields only (never a JSON
  body, which Flask-WTF would otherwise take, nested or of any type), and a NUL byte in any
  field is that field's error, found before the form's own validators (which may query the
  database) run. An id typed into a form is an `IdField`.
- Text filters match with `contains`: a needle with a NUL byte matches nothing.
- A body without a Content-Length (`Transfer-Encoding: chunked`) is read by `TerminatedBody`
  before either app sees it and handed on with its length, so that one over MAX_CONTENT_LENGTH
  is a 413 like any other, never a stream cut silently at the limit.
"""

import io

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from sqlalchemy import false, func
from werkzeug.routing import IntegerConverter
from wtforms import IntegerField
from wtforms.validators import NumberRange

# The largest value of the id columns (INTEGER: 32-bit signed on PostgreSQL).
MAX_ID = 2**31 - 1
NUL = "\x00"
NUL_ERROR = "This field cannot contain a NUL character."


class IdConverter(IntegerConverter):
    """`<int:…>`: a positive number an id column can hold; a larger one matches no route."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_converters(app) -> None:
    """Replace Werkzeug's unbounded `int` converter (before any rule is added)."""
    app.url_map.converters["int"] = IdConverter


def query_int(value: str | None) -> int | None:
    """A positive integer written in ASCII digits and within the id range, else None."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def has_nul(values) -> bool:
    """Whether any of the submitted strings of a field holds a NUL byte."""
    return any(isinstance(value, str) and NUL in value for value in values or ())


class Form(FlaskForm):
    """Base of every back-office form: HTML form fields only; a NUL byte in any field is an
    error on that field."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            # Flask-WTF's, without its JSON branch (and no file fields: we have none).
            if formdata is _Auto:
                return (request.form or None) if _is_submitted() else None
            return formdata

    def validate(self, extra_validators=None) -> bool:
        tainted = [field for field in self if has_nul(field.raw_data)]
        if not tainted:
            return super().validate(extra_validators)
        for field in tainted:
            field.errors = [NUL_ERROR]
        return False


class IdField(IntegerField):
    """A number typed into a form that must be an id (`SwitchOrganizationForm`)."""

    def __init__(self, label=None, validators=(), **kwargs):
        in_range = NumberRange(1, MAX_ID, message="Not a valid id.")
        super().__init__(label, [*validators, in_range], **kwargs)


def contains(column, needle: str):
    """Case-insensitive substring match of `needle` in `column` ('%' and '_' match themselves);
    a needle with a NUL byte matches nothing (no stored text holds one)."""
    if NUL in needle:
        return false()
    return func.lower(column).contains(needle.lower(), autoescape=True)


# How much of an over-limit chunked body is read and thrown away so that the client, still
# sending, gets the 413 rather than a connection reset; past this the connection is dropped.
DRAIN_LIMIT = 16 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024


class TerminatedBody:
    """WSGI middleware in front of both apps for bodies the server dechunks (no Content-Length,
    `wsgi.input_terminated`): it reads MAX_CONTENT_LENGTH + 1 bytes at most and passes them on
    with their length. Werkzeug would otherwise stop reading at the limit and hand the view the
    first 64 KiB as if they were the whole body (a repeated `grant_type` after it unseen)."""

    def __init__(self, app, config):
        self.app = app
        self.config = config

    def __call__(self, environ, start_response):
        limit = self.config["MAX_CONTENT_LENGTH"]
        if limit is not None and _has_terminated_body(environ):
            stream = environ["wsgi.input"]
            body = _read_up_to(stream, limit + 1)
            if len(body) > limit:
                _drain(stream)
            # Dechunked now: a body with a length (over the limit: 413 where it is read).
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def _has_terminated_body(environ) -> bool:
    return not environ.get("CONTENT_LENGTH") and bool(environ.get("wsgi.input_terminated"))


def _read_up_to(stream, size: int) -> bytes:
    """`size` bytes, or fewer at the end of the body (a raw stream's read may return less)."""
    parts, missing = [], size
    while missing > 0:
        part = stream.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def _drain(stream) -> None:
    drained = 0
    while drained < DRAIN_LIMIT:
        chunk = stream.read(DRAIN_CHUNK)
        if not chunk:
            return
        drained += len(chunk)
