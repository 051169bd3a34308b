"""Serving the same view as a full page or, to htmx, as the fragment the page includes."""

from flask import make_response, render_template, request


def is_htmx() -> bool:
    """A request made by htmx for a fragment (a boosted request wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and "HX-Boosted" not in request.headers


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` for htmx and `page` (which includes it) otherwise; vary on HX-Request."""
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
