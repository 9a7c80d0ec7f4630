"""A tests-only app: one model, one ``<uuid:widget_id>`` URL and a ROLES declaration.

tests/accounts/test_access.py installs it (override_settings) to show that the URL walk,
the branch-scoping tests and the role groups cover a new app without being edited.
"""
