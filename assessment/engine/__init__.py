"""The pure engine: bank model and loader, conditions, progress, scoring and
the exchange document.  Imports neither Flask nor SQLAlchemy."""
