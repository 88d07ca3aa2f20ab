"""Passwords (argon2id) and field encryption for personal data (AES-GCM, key outside the database)."""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app


def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=current_app.config["ARGON2_TIME_COST"],
                          memory_cost=current_app.config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> tuple[bool, Optional[str]]:
    """Return (matches, new_hash): new_hash is set when the stored hash uses old parameters."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


@functools.lru_cache(maxsize=4)
def _cipher(data_key: str) -> AESGCM:
    """The field cipher for a data key (built once per key: lists decrypt a field on every row)."""
    return AESGCM(hashlib.sha256(b"linkage-field-encryption:" + data_key.encode()).digest())


def _index_key() -> bytes:
    return hashlib.sha256(b"linkage-blind-index:" + current_app.config["DATA_KEY"].encode()).digest()


def encrypt(text: Optional[str]) -> Optional[bytes]:
    """AES-256-GCM with a fresh 12-byte nonce in front: equal values never look alike in the database."""
    if text is None or text == "":
        return None
    nonce = os.urandom(12)
    return nonce + _cipher(current_app.config["DATA_KEY"]).encrypt(nonce, text.encode("utf-8"), None)


def decrypt(blob: Optional[bytes]) -> Optional[str]:
    if not blob:
        return None
    cipher = _cipher(current_app.config["DATA_KEY"])
    return cipher.decrypt(bytes(blob[:12]), bytes(blob[12:]), None).decode("utf-8")


def encrypt_bytes(content: bytes) -> bytes:
    """A file's bytes under the same key (AES-256-GCM, fresh nonce in front, bound to being a file)."""
    nonce = os.urandom(12)
    return nonce + _cipher(current_app.config["DATA_KEY"]).encrypt(nonce, content, b"linkage-file")


def decrypt_bytes(blob: bytes) -> bytes:
    return _cipher(current_app.config["DATA_KEY"]).decrypt(bytes(blob[:12]), bytes(blob[12:]), b"linkage-file")


def blind_index(value: str) -> str:
    """A keyed hash that finds duplicates without storing the value in clear."""
    return hmac.new(_index_key(), value.upper().encode("utf-8"), hashlib.sha256).hexdigest()
