"""The garbage the bad-input sweep draws: text with NUL, other scripts' digits, thousands of characters,
integers past any column, JSON of the wrong shape."""

from urllib.parse import quote

from hypothesis import strategies as st

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "007",
    "1e9",
    "NaN",
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() reads them
    "9" * 19,  # past a bigint
    "9" * 5000,  # past int()'s 4300-digit limit
    "null",
    "[]",
    "{}",
    "true",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "\u202e\u200b",
    "🙂" * 3,
    "ß" * 300,
]
long_text = st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(100, 4000))
# What a column refuses: NUL, and one character past each max_length of ours.
too_much_for_a_column = st.sampled_from(["\x00", "a\x00b", *("x" * (n + 1) for n in (40, 64, 80, 150, 200, 254, 500))])
garbage = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    too_much_for_a_column,
    st.integers(-(2**70), 2**70).map(str),
    long_text,
)
# JSON (task arguments, exam files) can also carry an unpaired surrogate as an escape; HTTP cannot.
json_text = garbage | st.just("\ud800")
# What fits in an HTTP header or a cookie (latin-1, no control characters).
header_text = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=60) | st.sampled_from(
    ["0", "-1", "²", "9" * 25, "9" * 5000, "application/json", "ko", "en", "*/*"]
)
cookie_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,"\\'), max_size=40)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | json_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
big_ids = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 10**30]))


def path_segment(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(lambda text: quote(text, safe=""))


any_segment = path_segment(garbage)
