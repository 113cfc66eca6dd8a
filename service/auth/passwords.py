"""What makes a password too weak to accept (GB/T 22239 等保2.0 8.1.4.1 a: 口令具有复杂度要求).
Pure: the pages phrase the answer in the page language, the API and the command line in its own.

The demo accounts' `demo1234` is on the list on purpose: it is for trying the service out, created
by `minyi demo load`, never typed into a form.
"""

from __future__ import annotations

MIN_LENGTH = 8
SHORT, GUESSABLE = "short", "guessable"

#: Passwords that meet the length but are guessed first (the most common ones in Chinese leaks).
COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "88888888",
        "66666666",
        "00000000",
        "password",
        "password1",
        "qwertyui",
        "qwerty123",
        "abc12345",
        "a1234567",
        "1qaz2wsx",
        "iloveyou",
        "woaini1314",
        "demo1234",
    }
)


def weakness(username: str, password: str) -> str | None:
    """SHORT, GUESSABLE (a common password, the username, one character repeated), or None."""
    if len(password) < MIN_LENGTH:
        return SHORT
    if (
        password.lower() in COMMON_PASSWORDS
        or password.lower() == username.lower()
        or len(set(password)) == 1
    ):
        return GUESSABLE
    return None
