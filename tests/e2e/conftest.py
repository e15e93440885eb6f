"""End-to-end tests use the session's `platform` (tests/conftest.py): every service a real process."""
