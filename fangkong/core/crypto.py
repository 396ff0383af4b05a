"""Field encryption (AES-GCM) and HMAC blind indexes for ID and phone numbers.

The clear value is only ever in memory: rows store the ciphertext, a blind index for
equality lookup, and a masked form for display.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = b"\x01"


def _key(value: str, name: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ValueError(f"{name} must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"{name} must decode to 32 bytes")
    return key


@lru_cache(maxsize=4)
def _aead(value: str) -> AESGCM:
    return AESGCM(_key(value, "FANGKONG_FIELD_KEY"))


@lru_cache(maxsize=4)
def _index_key(value: str) -> bytes:
    return _key(value, "FANGKONG_BLIND_INDEX_KEY")


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext`; `context` (e.g. "resident.document") is bound as associated data
    so a ciphertext cannot be moved to another column."""
    nonce = os.urandom(12)
    sealed = _aead(settings.FIELD_ENCRYPTION_KEY).encrypt(
        nonce, plaintext.encode(), context.encode()
    )
    return base64.b64encode(_VERSION + nonce + sealed).decode()


def decrypt(token: str, *, context: str) -> str:
    raw = base64.b64decode(token)
    if raw[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, sealed = raw[1:13], raw[13:]
    return _aead(settings.FIELD_ENCRYPTION_KEY).decrypt(nonce, sealed, context.encode()).decode()


def blind_index(value: str, *, context: str) -> str:
    """A keyed hash for equality lookup; without the key it reveals nothing, not even
    which rows share a birth date or region."""
    digest = hmac.digest(
        _index_key(settings.BLIND_INDEX_KEY), f"{context}:{value}".encode(), "sha256"
    )
    return digest.hex()[:40]
