"""Put text from files and models into Streamlit's Markdown as plain text.

st.markdown, st.caption, st.info, st.warning, st.error and st.success all
render their body as Markdown, with Streamlit's additions: LaTeX between
``$`` signs, ``:red[...]`` colour directives and ``:material/...:`` icons.
A column named ``**total**`` would show in bold, and a category written
``![x](http://host/x.png)`` would make the browser fetch that image. Every
string that comes from an uploaded CSV or model file, or from an error
message that quotes one, goes through `plain` before it reaches Markdown.

NOTE: a bare ``http://...``, ``www.`` or e-mail address still becomes a
link whose text is the address itself. Streamlit's GitHub-flavoured
Markdown finds such addresses in the parsed text, after escapes and
character references are resolved, so no escape in the source stops it.
A Markdown link, whose text can hide its address, is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# CommonMark lets a backslash escape any ASCII punctuation character, and the
# escaped character is shown as written.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Values longer than this are cut in captions and messages, so that one
# 10,000-character column name does not fill the page.
MAX_SHOWN_CHARS = 120
# Messages quote values, so one that quotes a very long name is cut in the
# middle: its start names what failed and its end gives the fix.
MAX_MESSAGE_CHARS = 600


def plain(value: object, max_chars: int | None = None) -> str:
    """Escape `value` so that Markdown shows it exactly as written.

    A line break becomes a Markdown hard line break, so a message of
    several lines keeps its lines. With `max_chars`, a longer value is cut
    to that many characters and ends in an ellipsis.
    """
    text = str(value)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    escaped = _PUNCTUATION.sub(r"\\\1", text)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def shortened(value: object) -> str:
    """Cut a name to MAX_SHOWN_CHARS without escaping.

    Selectbox options are shown as plain text, not Markdown, so they need
    the cut only.
    """
    text = str(value)
    if len(text) > MAX_SHOWN_CHARS:
        return text[: MAX_SHOWN_CHARS - 1] + "…"
    return text


def name(value: object) -> str:
    """Escape a column, class or file name and cut it to MAX_SHOWN_CHARS."""
    return plain(value, MAX_SHOWN_CHARS)


def names(values: Iterable[object]) -> str:
    """Escape and join names with commas, as in "a, b, c"."""
    return ", ".join(name(value) for value in values)


def message(value: object) -> str:
    """Escape an error or note message, cutting its middle past MAX_MESSAGE_CHARS."""
    text = str(value)
    if len(text) > MAX_MESSAGE_CHARS:
        half = (MAX_MESSAGE_CHARS - 3) // 2
        text = f"{text[:half]} … {text[-half:]}"
    return plain(text)
