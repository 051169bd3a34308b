"""The OpenAPI 3.1 document: openapi.yaml beside this module, read once and served as JSON."""

import functools
from pathlib import Path

import yaml
from flask import jsonify

SOURCE = Path(__file__).with_name("openapi.yaml")


@functools.cache
def openapi_document() -> dict:
    """The parsed description (read once per process)."""
    return yaml.safe_load(SOURCE.read_text())


def openapi_response():
    """The description as JSON."""
    return jsonify(openapi_document())
