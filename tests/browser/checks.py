"""What every browser test may ask of a page: no console errors, no WCAG 2.1 A/AA violation
(axe-core, installed by `make setup-dev` from npm), nothing wider than the screen."""

import re
from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Chromium logs every 4xx answer (a page or a fetch) as a console error: a form's 400/422
# re-render, a 409 refusal, a 401 that sends htmx to log in, a 403/404 page are answers we mean.
# Anything else counts: CSP violations, script errors, 5xx.
EXPECTED_STATUS = re.compile(
    r"^Failed to load resource: the server responded with a status of "
    r"(400|401|403|404|409|422|429) "
)


class ConsoleErrors:
    """Collects console errors and uncaught exceptions of a page (CSP violations among them)."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" and not EXPECTED_STATUS.match(message.text):
            self.errors.append(message.text)


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (an open dialog included).

    Evaluated through the DevTools protocol, so our CSP (no inline scripts) stays on.
    """
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `make setup-dev` (npm install axe-core)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate(
        "tags => axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        f"{found['id']}: {found['help']} at {[node['target'] for node in found['nodes']]}"
        for found in result["violations"]
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scroll).

    Measured against the viewport the test asked for: a mobile browser widens its layout
    viewport (window.innerWidth) to whatever overflows, and zooms out.
    """
    width = page.viewport_size["width"]
    return (
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        - width
    )


def overflowing_elements(page) -> list[str]:
    """The elements reaching past the screen's right edge, to say what to fix."""
    return page.evaluate(
        """width => Array.from(document.querySelectorAll('body *'))
          .filter(e => e.getBoundingClientRect().right > width + 0.5)
          .filter(e => !e.closest('.table-wrap') || e.matches('.table-wrap'))
          .slice(0, 12)
          .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)""",
        page.viewport_size["width"],
    )
