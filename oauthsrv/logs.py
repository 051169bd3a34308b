"""Log lines that never carry a query string's values and that no user value can forge: the one
home of both rules, for the app's own log, the dev server's request log (`make run`) and
gunicorn's access log (gunicorn.conf.py).

- Query strings: every value is replaced by `[redacted]`, names kept (`?client_secret=[redacted]`).
  Secrets and tokens are refused in query strings, but a client may still send them there, and
  a request log would keep them.
- Forgery: every record starts at the beginning of a line; any further line of it (a traceback,
  the no-SMTP mail log, a value with CR/LF) is indented, and other control characters (CR, ESC,
  NUL, …) are written as escapes. So an application name with CR/LF cannot start a line that
  looks like another record.
"""

import logging
import re
import sys

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTINUATION = "\n    "

# C0 (but LF, handled as a continuation), DEL, C1, and Unicode's line and paragraph separators.
_CONTROLS = [*range(0x00, 0x0A), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
_ESCAPES = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _CONTROLS}
_ESCAPES.update({ord("\t"): "\\t", ord("\r"): "\\r"})
_ONE_LINE = {**_ESCAPES, ord("\n"): "\\n"}


def escape(value: object) -> str:
    """`value` on one line: CR, LF and other control characters as visible escapes."""
    return str(value).translate(_ONE_LINE)


def redacted_query(query: str) -> str:
    """`?a=[redacted]&b=[redacted]` for the raw query `a=1&b=2`; empty when there is none.

    Names are kept as sent (still percent-encoded, escaped); a part without `=` is all value.
    """
    parts = [part for part in re.split("[&;]", query) if part]
    kept = [
        f"{escape(part.split('=', 1)[0])}={REDACTED}" if "=" in part else REDACTED for part in parts
    ]
    return "?" + "&".join(kept) if kept else ""


# `"METHOD /path?query HTTP/1.1"` in a request log line.
_REQUEST_LINE = re.compile(r'("[A-Z]+ [^\s?"]*)\?([^\s"]*)( HTTP/[0-9.]+")')


def redact_request_line(text: str) -> str:
    """`text` with the query of any quoted request line in it redacted."""
    return _REQUEST_LINE.sub(lambda m: m[1] + redacted_query(m[2]) + m[3], text)


# The colours the dev server puts around its request lines (its own: it escapes the control
# characters of the request itself); SafeFormatter would show them as escapes.
_ANSI_STYLE = re.compile("\x1b\\[[0-9;]*m")


class RedactQueries(logging.Filter):
    """For the dev server's request log (the `werkzeug` logger): queries redacted, plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_request_line(_ANSI_STYLE.sub("", message))
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class SafeFormatter(logging.Formatter):
    """One record, one unindented line: further lines indented, control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).translate(_ESCAPES).replace("\n", CONTINUATION)


def configure() -> None:
    """The process's logging, unless someone (a test runner, an embedding server) set it up:
    INFO and above to stderr through SafeFormatter; the dev server's request log redacted."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(SafeFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactQueries) for f in werkzeug.filters):
        werkzeug.addFilter(RedactQueries())
