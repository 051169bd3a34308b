"""Serving the same view as a full page or, to htmx, as the fragment the page includes."""

from flask import make_response, render_template, request


def is_htmx() -> bool:
    """A request made by htmx for a fragment (a boosted request wants the whole page).

    A history restore (the page was not in htmx's cache after Back or a reload) also wants the
    whole page, although htmx sends it with HX-Request.
    """
    headers = request.headers
    wants_page = "HX-Boosted" in headers or "HX-History-Restore-Request" in headers
    return headers.get("HX-Request") == "true" and not wants_page


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` for htmx and `page` (which includes it) otherwise; vary on HX-Request."""
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
