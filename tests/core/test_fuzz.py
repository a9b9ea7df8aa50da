"""Property tests: random bytes and random tables through the core steps.

Every step either returns its result or raises an `ExplorerError`
subclass, whose message the front ends show. Any other exception is a
bug. Examples that once failed are pinned with `@example`.
"""

import csv
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from core.data import NA_MARKERS, CSVTable, ReadLimits, read_csv
from core.encoding import ENCODINGS, ColumnSpec, FeatureEncoder, MissingPolicy
from core.errors import ExplorerError
from core.pipeline import prepare_data
from core.profiles import KINDS, profile_columns
from core.target import encode_target, target_candidates

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DELIMITERS = [",", ";", "\t", "|"]
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]
ENDINGS = ["\n", "\r\n", "\r"]

# Cells that each stress one rule of the reader, the profiles or the encoders.
TRICKY_CELLS = [
    *NA_MARKERS,
    "",
    " ",
    "True",
    "FALSE",
    "yes",
    " Yes",
    "NO",
    "2024-01-05",
    "05/01/2024",
    "1,5",
    "-0,25",
    "inf",
    "-inf",
    "Infinity",
    "1e400",
    "99999999999999999999999",
    "007",
    "A+",
    "low",
    "high",
    'say "hi"',
    "a,b",
    "a;b",
    "line\nbreak",
    "tab\there",
    "€",
    "ß",
    "—",
]
# NUL bytes are rejected by read_csv at once, so they would hide the rest.
characters = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
cells = st.one_of(
    st.sampled_from(TRICKY_CELLS),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(characters, max_size=8),
)
names = st.text(characters, min_size=0, max_size=10)


@st.composite
def tables(draw, cell_strategy=cells, name_strategy=names, min_columns=1, min_rows=0):
    """Draw a header and rows of strings with a shared column count.

    Tables drawn with `min_rows` have column names unique after stripping.
    """
    n_columns = draw(st.integers(min_columns, 5))
    unique_by = (lambda n: n.strip()) if min_rows else None
    header = draw(
        st.lists(
            name_strategy,
            min_size=n_columns,
            max_size=n_columns,
            unique_by=unique_by,
        )
    )
    n_rows = draw(st.integers(min_rows, 10))
    row = st.lists(cell_strategy, min_size=n_columns, max_size=n_columns)
    rows = draw(st.lists(row, min_size=n_rows, max_size=n_rows))
    return header, rows


@st.composite
def renderings(draw):
    """Draw the settings that turn a table into CSV bytes."""
    return {
        "delimiter": draw(st.sampled_from(DELIMITERS)),
        "quoting": draw(st.sampled_from(QUOTING)),
        "ending": draw(st.sampled_from(ENDINGS)),
        # UTF-16 is always rejected, so it is drawn rarely.
        "encoding": draw(
            st.sampled_from(["utf-8"] * 3 + ["utf-8-sig", "cp1252", "utf-16"])
        ),
        "final_newline": draw(st.booleans()),
        "trailing_delimiter": draw(st.booleans()),
    }


def quote(value: str, delimiter: str, quoting: int) -> str:
    """Quote a field as RFC 4180 requires, whatever the line ending.

    csv.writer only quotes line breaks that occur in its own line
    terminator, so with "\r" endings it would leave a "\n" bare.
    """
    special = any(c in value for c in (delimiter, '"', "\r", "\n"))
    if quoting == csv.QUOTE_NONNUMERIC:
        special = special or not re.fullmatch(r"[+-]?\d+(\.\d*)?", value)
    if special or quoting == csv.QUOTE_ALL:
        return '"' + value.replace('"', '""') + '"'
    return value


def render(header, rows, delimiter, quoting, ending, encoding, **options) -> bytes:
    extra = [""] if options.get("trailing_delimiter") else []
    lines = [delimiter.join(quote(v, delimiter, quoting) for v in header)]
    for row in rows:
        lines.append(delimiter.join(quote(v, delimiter, quoting) for v in row + extra))
    text = ending.join(lines)
    if options.get("final_newline", True):
        text += ending
    return text.encode(encoding, errors="replace")


def read_or_none(content: bytes) -> CSVTable | None:
    try:
        table = read_csv(content, ReadLimits(min_rows=1))
    except ExplorerError as error:
        event(f"read_csv: {type(error).__name__}")
        return None
    event("read_csv: table")
    assert isinstance(table, CSVTable)
    assert table.frame.columns.is_unique
    assert len(table.frame) >= 1
    return table


@FUZZ
@given(st.binary(max_size=3000))
@example(b"\x81")
@example(b"a,b\r1,2\r3,4\r")
def test_random_bytes_read_or_raise(content):
    table = read_or_none(content)
    if table is not None:
        profiles = profile_columns(table.frame)
        assert [p.name for p in profiles] == list(table.frame.columns)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([b"a,b\n", b"x;y;z\n", b"1,2\n"]))
def test_bytes_after_header_read_or_raise(tail, header):
    read_or_none(header + tail)


@FUZZ
@given(tables(), renderings())
@example(
    ([""], [["1.0"], ["1"]]),
    {
        "delimiter": ",",
        "quoting": 0,
        "ending": "\r",
        "encoding": "utf-8",
        "final_newline": True,
        "trailing_delimiter": False,
    },
)
def test_random_tables_read_and_profile(table, rendering):
    content = render(*table, **rendering)
    result = read_or_none(content)
    if result is None:
        return
    profiles = profile_columns(result.frame)
    assert len(profiles) == result.frame.shape[1]
    for profile in profiles:
        assert profile.kind in KINDS
        assert profile.suggested_encoding in ENCODINGS
        assert profile.n_missing + (profile.n_distinct > 0) <= len(result.frame)
        assert len(profile.categories) <= 50


@FUZZ
@given(st.lists(cells | st.none() | st.booleans() | st.floats(), max_size=12))
# Spellings of one class, and blank labels, which must not become classes.
@example(["Yes", "yes", "no"])
@example(["1.0", "1", "0"])
@example(["", " ", "a", "b"])
def test_encode_target_classes_or_raise(values):
    series = pd.Series(values, name="target", dtype=object)
    try:
        encoded = encode_target(series)
    except ExplorerError as error:
        event(f"encode_target: {type(error).__name__}")
        return
    event("encode_target: encoded")
    assert 2 <= encoded.n_classes <= 50
    assert len({c.casefold() for c in encoded.classes_}) == encoded.n_classes
    assert all(c.strip() for c in encoded.classes_)
    numbers = pd.to_numeric(pd.Series(encoded.classes_), errors="coerce")
    assert numbers.dropna().is_unique
    assert encoded.y.min() >= 0
    assert encoded.y.max() < encoded.n_classes
    assert len(encoded.y) + encoded.n_missing == len(series)
    assert set(target_candidates(series)[0]) == set(encoded.classes_)
    if encoded.is_binary:
        assert encoded.classes_[1] == encoded.pos_label


# Per column, the choice of spec: an encoding of ENCODINGS by index, the
# profile's suggestion, or an ordinal order that lists all values or half.
SUGGESTED, FULL_ORDER, HALF_ORDER = 4, 5, 6
spec_choices = st.lists(st.integers(0, 6), min_size=5, max_size=5)


def build_specs(
    frame: pd.DataFrame, target: str | None, choices: list[int]
) -> list[ColumnSpec]:
    profiles = {p.name: p for p in profile_columns(frame)}
    specs = []
    for index, name in enumerate(frame.columns):
        if name == target:
            continue
        choice = choices[index % len(choices)]
        scale = index % 2 == 0
        if choice < len(ENCODINGS):
            specs.append(ColumnSpec(name, ENCODINGS[choice], scale=scale))
        elif choice == SUGGESTED:
            profile = profiles[name]
            encoding, order = profile.suggested_encoding, profile.suggested_order
            specs.append(ColumnSpec(name, encoding, order, scale))
        elif choice in (FULL_ORDER, HALF_ORDER):
            values = sorted(set(frame[name].dropna().astype(str).str.strip()))
            if choice == HALF_ORDER:
                values = values[: len(values) // 2]
            specs.append(ColumnSpec(name, "ordinal", tuple(values)))
    return specs


missing_policies = st.builds(
    MissingPolicy,
    strategy=st.sampled_from(["impute", "drop_rows"]),
    numeric=st.sampled_from(["mean", "median", "constant"]),
    categorical=st.sampled_from(["most_frequent", "constant"]),
    fill_value=st.floats(-10, 10),
)
PLAIN = {
    "delimiter": ",",
    "quoting": csv.QUOTE_MINIMAL,
    "ending": "\n",
    "encoding": "utf-8",
    "final_newline": True,
    "trailing_delimiter": False,
}
NUMBERS_WITH = [
    (["x", "y"], [["1", "a"], [text, "b"], ["3", "a"], ["4", "b"], ["5", "a"]])
    for text in ("inf", "-inf", "1e300")
]


def check_matrix(X: np.ndarray, n_rows: int, n_features: int) -> None:
    assert X.dtype == np.float32
    assert X.shape == (n_rows, n_features)
    assert np.isfinite(X).all()


@FUZZ
@given(
    tables(min_columns=2),
    renderings(),
    spec_choices,
    missing_policies,
    st.lists(cells, min_size=10, max_size=10),
)
# inf must be reported, not passed to StandardScaler (a ValueError there).
@example(NUMBERS_WITH[0], PLAIN, [0] * 5, MissingPolicy(), ["1"] * 10)
# 1e300 must be reported, because it overflows the scaler into NaN.
@example(NUMBERS_WITH[2], PLAIN, [0] * 5, MissingPolicy(), ["1"] * 10)
# inf and -1e39 in a prediction file must be reported, not encoded as inf.
@example(
    (["x", "y"], [["1", "a"], ["2", "b"]]),
    PLAIN,
    [0] * 5,
    MissingPolicy(),
    ["inf", "-1e39"] + ["1"] * 8,
)
def test_encoder_fit_transform_or_raise(table, rendering, choices, policy, cells):
    result = read_or_none(render(*table, **rendering))
    if result is None:
        return
    frame = result.frame
    specs = build_specs(frame, None, choices)
    try:
        encoder = FeatureEncoder.fit(frame, specs, policy)
    except ExplorerError as error:
        event(f"fit: {type(error).__name__}")
        return
    event("fit: encoder")
    X = encoder.transform(frame, problems=[])
    check_matrix(X, len(frame), encoder.n_features)
    # A prediction file: the same columns, rows reversed, new first column.
    other = frame.iloc[::-1].reset_index(drop=True).astype(object)
    other.iloc[:, 0] = (cells * len(other))[: len(other)]
    problems = []
    try:
        X_other = encoder.transform(other, problems=problems)
    except ExplorerError:
        return
    check_matrix(X_other, len(other), encoder.n_features)
    assert all(1 <= p.row <= len(other) for p in problems)
    restored = FeatureEncoder.from_dict(encoder.to_dict())
    np.testing.assert_array_equal(restored.transform(frame, problems=[]), X)


@FUZZ
@given(
    tables(min_columns=2),
    renderings(),
    st.integers(0, 4),
    spec_choices,
    missing_policies,
    st.none() | st.integers(0, 3) | st.text(max_size=4) | st.floats(),
    st.booleans(),
)
# inf must be reported, not passed to StandardScaler (a ValueError there).
@example(NUMBERS_WITH[0], PLAIN, 1, [0] * 5, MissingPolicy(), None, False)
@example(NUMBERS_WITH[1], PLAIN, 1, [4] * 5, MissingPolicy(), 0, False)
# 1e300 must be reported, because it overflows the scaler into NaN.
@example(NUMBERS_WITH[2], PLAIN, 1, [0] * 5, MissingPolicy(), None, False)
def test_prepare_data_or_raise(
    table, rendering, target_index, choices, policy, pos_choice, target_as_feature
):
    result = read_or_none(render(*table, **rendering))
    if result is None:
        return
    frame = result.frame
    target = frame.columns[target_index % frame.shape[1]]
    specs = build_specs(frame, target, choices)
    if target_as_feature:
        specs.append(ColumnSpec(target, ENCODINGS[choices[0] % len(ENCODINGS)]))
    pos_label = pos_choice
    if isinstance(pos_choice, int) and not isinstance(pos_choice, bool):
        classes, _ = target_candidates(frame[target])
        pos_label = classes[pos_choice % len(classes)] if classes else None
    try:
        prepared = prepare_data(frame, target, specs, policy, pos_label)
    except ExplorerError as error:
        event(f"prepare_data: {type(error).__name__}")
        return
    event("prepare_data: prepared")
    assert prepared.n_samples == len(prepared.target.y)
    assert prepared.target.n_classes >= 2
    X = prepared.encoder.transform(prepared.frame, problems=[])
    check_matrix(X, prepared.n_samples, prepared.encoder.n_features)


# Tables whose values must come back exactly as written.
_NOT_TEXT = {m.lower() for m in NA_MARKERS} | {
    "true",
    "false",
    "inf",
    "+inf",
    "-inf",
    "infinity",
    "+infinity",
    "-infinity",
}
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)


def plain_text(alphabet: str):
    return st.text(alphabet=alphabet, min_size=1, max_size=8).filter(
        lambda v: (
            _WORD.search(v) is not None
            and v.strip().lower() not in _NOT_TEXT
            and v == v.strip()
        )
    )


ROUNDTRIP_CELLS = "abcXYZéüöß€ ,;|\t\"'\n"
# No character whose cp1252 byte is in 0x80-0xBF, so no cp1252 text is
# also valid UTF-8 and the encoding detection cannot be fooled.
CP1252_CELLS = "abcXYZéüö ,;|\t\"'\n"


@st.composite
def text_tables(draw):
    """Draw a table of word-like strings and a rendering to CSV bytes."""
    rendering = draw(renderings())
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    rendering["encoding"] = encoding
    alphabet = CP1252_CELLS if encoding == "cp1252" else ROUNDTRIP_CELLS
    header_text = plain_text("abcdefXYZ äé")
    header, rows = draw(
        tables(plain_text(alphabet), header_text, min_columns=2, min_rows=2)
    )
    return header, rows, rendering


@settings(FUZZ, max_examples=120)
@given(text_tables())
# "\r" line endings, which csv.reader sees as one line unless newline="".
@example((["a", "b"], [["x", "y"], ["z", 'q"\nr']], {**PLAIN, "ending": "\r"}))
# A delimiter after every data line, whose empty last field is dropped.
@example((["a", "b"], [["x", "y"], ["z", "w"]], {**PLAIN, "trailing_delimiter": True}))
def test_text_tables_round_trip(case):
    header, rows, rendering = case
    content = render(header, rows, **rendering)
    table = read_csv(content)
    expected = pd.DataFrame(rows, columns=[n.strip() for n in header])
    assert table.delimiter == rendering["delimiter"]
    # ASCII bytes are valid UTF-8, and read_csv tries UTF-8 first.
    assert table.encoding == ("utf-8" if content.isascii() else rendering["encoding"])
    assert table.frame.astype(object).to_dict("list") == expected.to_dict("list")
