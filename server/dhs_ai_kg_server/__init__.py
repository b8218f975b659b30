"""dhs-ai-kg's HTTP server: a thin Flask layer over :mod:`dhs_ai_kg` run by gunicorn."""

from __future__ import annotations

from .app import create_app
from .gunicorn_app import run

__all__ = ["create_app", "run"]
