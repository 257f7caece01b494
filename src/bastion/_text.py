"""Text that no database stores: shared checks for every room's input validation.

PostgreSQL refuses NUL in ``text`` columns (psycopg ``DataError``) and neither database can
encode a lone surrogate (``UnicodeEncodeError``); other control characters are stored fine but
have no place in names, ids or tags.
"""

from __future__ import annotations

import unicodedata


def has_control(text: str) -> bool:
    """Control characters (NUL included) and lone surrogates: refused in names, ids and tags."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def unstorable(text: str) -> bool:
    """NUL or a lone surrogate: refused in free text (descriptions, documents) that no database
    stores; newlines and tabs stay allowed there."""
    return "\x00" in text or any(unicodedata.category(ch) == "Cs" for ch in text)


__all__ = ["has_control", "unstorable"]
