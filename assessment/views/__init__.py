"""Blueprints, one per feature.  Views stay thin: parse the request, call a
service, turn its result or exception into a response."""
