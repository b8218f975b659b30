"""``python -m dhs_ai_kg_cli``: the ``dhs-ai-kg`` command."""

import sys

from dhs_ai_kg_cli import main

sys.exit(main())
