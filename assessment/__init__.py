"""Rights-impact assessment of state surveillance programmes.

``create_app`` lives in :mod:`assessment.web`; the pure engine in
:mod:`assessment.engine` needs neither Flask nor a database.
"""
