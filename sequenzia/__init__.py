"""Sequenzia: the Django project and the web front."""

from sequenzia.celery import app as celery_app

__all__ = ["celery_app"]
