"""Row ids as the database keeps them: bigint primary keys."""

BIGINT_MAX = 2**63 - 1
BIGINT_DIGITS = len(str(BIGINT_MAX))


def plain_id(text: str) -> int | None:
    """The id that text spells, or None unless it is plain ASCII digits within a bigint.

    "²" passes str.isdigit() and fails int(); 5000 digits make int() slow and overflow the column.
    """
    if text.isascii() and text.isdigit() and len(text) <= BIGINT_DIGITS and int(text) <= BIGINT_MAX:
        return int(text)
    return None
