"""dhs-ai-kg's HTTP server: a thin Flask layer over :mod:`dhs_ai_kg`, behind granian."""

from __future__ import annotations

from .app import create_app
from .front import Front, FrontConfig
from .runner import Listen, run

__all__ = ["Front", "FrontConfig", "Listen", "create_app", "run"]
