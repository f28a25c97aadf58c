"""Entry point for ``flask --app app ...``: exposes the configured application.

A question bank or configuration that cannot be used stops start-up with one
line naming the problem, not a traceback.
"""

from assessment.config import ConfigError
from assessment.engine.loader import BankError
from assessment.forms import UnsupportedQuestionType
from assessment.web import create_app

try:
    app = create_app()
except (BankError, UnsupportedQuestionType, ConfigError) as error:
    raise SystemExit(str(error)) from None
