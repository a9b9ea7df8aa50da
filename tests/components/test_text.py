"""Tests for showing file and model strings as plain text in Markdown."""

import pytest

from components.text import (
    MAX_MESSAGE_CHARS,
    MAX_SHOWN_CHARS,
    message,
    name,
    names,
    plain,
    shortened,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("**total**", r"\*\*total\*\*"),
        ("_pos_", r"\_pos\_"),
        (
            "![i](http://127.0.0.1:1/i.png)",
            r"\!\[i\]\(http\:\/\/127\.0\.0\.1\:1\/i\.png\)",
        ),
        ("$x^2$", r"\$x\^2\$"),
        (":red[alarm]", r"\:red\[alarm\]"),
        (":material/home:", r"\:material\/home\:"),
        ("&#58;", r"\&\#58\;"),
        ("<b>bold</b>", r"\<b\>bold\<\/b\>"),
        ("# heading", r"\# heading"),
        ("a\\b", "a\\\\b"),
        ("plain words 123", "plain words 123"),
        ("Zürich", "Zürich"),
    ],
)
def test_plain_escapes_markdown(raw, escaped):
    assert plain(raw) == escaped


def test_plain_keeps_line_breaks():
    assert plain("first\n- second") == "first  \n\\- second"
    assert plain("a\r\nb") == "a  \nb"


def test_plain_cuts_long_values():
    shown = plain("x" * 500, max_chars=10)
    assert shown == "x" * 9 + "…"


def test_name_cuts_at_limit():
    assert len(name("y" * 10_000)) == MAX_SHOWN_CHARS
    assert name("y" * MAX_SHOWN_CHARS) == "y" * MAX_SHOWN_CHARS


def test_names_joins_escaped():
    assert names(["a_b", "c*"]) == r"a\_b, c\*"


def test_plain_accepts_numbers():
    assert plain(1.5) == r"1\.5"


def test_message_keeps_start_and_end():
    raw = "column '" + "c" * 10_000 + "' is invalid; choose another"
    shown = message(raw)
    assert len(shown) < MAX_MESSAGE_CHARS + 60
    assert shown.startswith(r"column \'ccc")
    assert shown.endswith(r"\' is invalid\; choose another")
    assert " … " in shown


def test_message_escapes_short_text():
    assert message("bad _value_") == r"bad \_value\_"


def test_shortened_cuts_without_escaping():
    assert shortened("**a**") == "**a**"
    assert len(shortened("z" * 10_000)) == MAX_SHOWN_CHARS
