"""Text the database can store."""


def storable(text: str) -> bool:
    """PostgreSQL text holds neither NUL nor an unpaired surrogate (JSON can carry both as escapes)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
