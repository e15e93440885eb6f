"""Which staff passwords are refused (docs/security.md, L8): too short, or common or guessable
as zxcvbn judges them (its lists of leaked passwords, words and names, keyboard walks, dates,
the account's own name). The numbers are policy (policy/security.yaml `passwords`)."""

from __future__ import annotations

from zxcvbn import zxcvbn

from shared.throttle import PasswordPolicy


def password_problem(password: str, username: str, policy: PasswordPolicy) -> str | None:
    """Why `password` may not be used, or None."""
    if len(password) < policy.min_length:
        return f"a password needs at least {policy.min_length} characters"
    if len(password) > 256:
        return "a password has at most 256 characters"
    judged = zxcvbn(password[:100], user_inputs=[username, *username.replace(".", " ").split()])
    if judged["score"] < policy.min_strength:
        warning = judged["feedback"]["warning"] or "it is too easy to guess"
        return f"this password is too easy to guess ({warning.rstrip('.')}): choose another"
    return None
