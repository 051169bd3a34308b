"""Storefront customer users, managed by administrators in the back-office."""

from .views import bp

__all__ = ["bp"]
