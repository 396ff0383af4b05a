"""Signed links that open one record's page without a login.

A link is printed on a notice or a resident's code and must read the same every time it is
rendered: Django's ``signing.dumps`` stamps the time into the value, so the link changed each
second and a page showed a different link from the one printed yesterday. These links carry
no timestamp; each kind of link signs with a salt of its own, so one kind never opens another.
"""

from __future__ import annotations

from django.core import signing


def link_token(pk: int, *, salt: str) -> str:
    """The stable signed code for a record's key."""
    return signing.Signer(salt=salt).sign_object(pk)


def link_key(token: str, *, salt: str) -> int | None:
    """The record's key for a code, or None when the code is not one we signed.

    Codes signed before the links were made stable (with a timestamp) still open.
    """
    for read in (
        lambda: signing.Signer(salt=salt).unsign_object(token),
        lambda: signing.loads(token, salt=salt),
    ):
        try:
            value = read()
        except (signing.BadSignature, ValueError):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
