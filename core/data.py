"""Read a CSV file into a DataFrame.

`read_csv` turns the bytes of an uploaded file, or a file path, into a
`CSVTable`. It detects the text encoding, the delimiter and the decimal
mark from the first 64 KB, and parses the whole file once with pandas' C
engine. All problems of one file are reported together in one
`CSVReadError`. `core.profiles.profile_columns` then describes each column.
The dialect detection lives in `core.csv_dialect`, the clean-up after
parsing in `core.csv_cleanup` and the numbers with thousands separators in
`core.csv_numbers`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import pandas as pd

from core.csv_cleanup import (
    _apply_missing_markers,
    _clean_columns,
    _drop_rows,
    _empty_rows,
    _single_column_note,
)
from core.csv_dialect import (
    _COMMA_DECIMAL_TEXT,
    DELIMITERS,
    NA_MARKERS,
    SAMPLE_BYTES,
    _all_numbers,
    _columns,
    _count,
    _detect_dialect,
    _Dialect,
    _mark,
    _names,
    _sample_values,
)
from core.csv_numbers import _apply_thousands
from core.errors import CSVReadError

# The public names, and the helpers that core.profiles imports from here.
__all__ = [
    "DELIMITERS",
    "NA_MARKERS",
    "SAMPLE_BYTES",
    "CSVTable",
    "ReadLimits",
    "read_csv",
    "_COMMA_DECIMAL_TEXT",
    "_all_numbers",
    "_columns",
    "_count",
    "_names",
]

logger = logging.getLogger(__name__)

DELIMITER_NAMES = {
    ",": "comma-separated",
    ";": "semicolon-separated",
    "\t": "tab-separated",
    "|": "pipe-separated",
}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252 (cp1252)",
}

# Leading bytes of file types that people upload by mistake.
_MAGIC_BYTES = (
    (b"PK\x03\x04", "a ZIP archive, such as an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    # The UTF-32 byte order marks start like UTF-16's, so they come first.
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_EXPORT_HINT = (
    "Open it in the program that made it and export the table as CSV "
    "(in Excel: File > Save As > CSV UTF-8)."
)
_NO_HEADER = (
    "it contains only blank lines, so it has no header row. Choose a CSV "
    "file whose first line names the columns."
)
_EMPTY_HEADER = (
    "its first line contains only delimiters and spaces, so it names no "
    "columns. Put the column names in the first line."
)
# Scanning for rows with extra fields stops after this many are found.
_MAX_LONG_RECORDS = 1000
_PANDAS_BAD_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
# Start of a document that is markup rather than CSV text.
_MARKUP_START = re.compile(
    r"<(\?xml|!doctype|html|head|body|table|svg|rss|feed)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class ReadLimits:
    """Size limits that `read_csv` enforces.

    Attributes
    ----------
    max_bytes : int
        Largest accepted file size in bytes.
    max_rows : int
        Largest accepted number of data rows.
    min_rows : int
        Smallest accepted number of data rows.
    """

    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 2_000_000
    min_rows: int = 2

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "min_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ReadLimits.{name} must be an int >= 0, got {value!r}"
                )
        if self.min_rows > self.max_rows:
            raise ValueError(
                f"ReadLimits.min_rows ({self.min_rows}) must not exceed "
                f"max_rows ({self.max_rows})"
            )


@dataclass
class CSVTable:
    """A parsed CSV file and the settings that were detected to read it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data rows, one column per header field.
    encoding : str
        "utf-8", "utf-8-sig" (UTF-8 with a byte order mark) or "cp1252".
    delimiter : str
        One of ",", ";", tab and "|".
    decimal : str
        "." or ",".
    n_bytes : int
        Size of the file in bytes.
    notes : list of str
        Facts the user should see, such as renamed columns or values that
        pandas read as missing.
    text : pandas.DataFrame or None
        With ``read_csv(..., keep_text=True)``: each field as written in
        the file, as str, with NaN only where the field is empty. It has
        the index, columns and row order of `frame`. None otherwise.
    """

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    decimal: str
    n_bytes: int
    notes: list[str] = field(default_factory=list)
    text: pd.DataFrame | None = None

    def describe(self) -> str:
        """Summarise the detected settings and the shape in one line."""
        n_rows, n_columns = self.frame.shape
        decimal = "decimal point" if self.decimal == "." else "decimal comma"
        return (
            f"{ENCODING_NAMES.get(self.encoding, self.encoding)}, "
            f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}, "
            f"{decimal}, {_count(n_rows, 'row')} x {_count(n_columns, 'column')}"
        )


@dataclass
class _CSVFile:
    """A CSV file as bytes in memory or as a path, with its leading bytes.

    A path is opened again for each parse, so the whole file is held in
    memory only when an error message or the scan for long records needs
    its bytes.
    """

    # At most the byte order mark and SAMPLE_BYTES more.
    head: bytes
    n_bytes: int
    data: bytes | None = None
    path: str | None = None

    def open(self, start: int) -> BinaryIO:
        """Open the bytes for reading from byte offset `start`."""
        if self.data is not None:
            handle: BinaryIO = io.BytesIO(self.data)
        else:
            assert self.path is not None
            handle = open(self.path, "rb")
        handle.seek(start)
        return handle

    def read_all(self) -> bytes:
        """Return all bytes of the file, reading a path on the first call."""
        if self.data is None:
            with self.open(0) as handle:
                self.data = handle.read()
        return self.data


def read_csv(
    source: bytes | str | os.PathLike[str],
    limits: ReadLimits = ReadLimits(),
    name: str | None = None,
    *,
    keep_text: bool = False,
) -> CSVTable:
    """Parse a CSV file, detecting its encoding, delimiter and decimal mark.

    The text encoding is UTF-8 (a leading byte order mark is removed) or,
    when the bytes are not valid UTF-8, Windows-1252 (cp1252). The
    delimiter is one of ``, ; tab |`` and the decimal mark ``.`` or ``,``,
    both detected from the first 64 KB. A path is read from disk by pandas
    after that sample, without first loading the whole file. Blank lines
    are skipped, whitespace around column names is removed and an empty
    column name becomes ``column_<n>`` for the n-th column. Values that
    pandas reads as missing by default (empty, NA, N/A, null, NaN, ...)
    stay missing, and each column where a written marker was read as
    missing gets a note. Text columns of numbers written with a thousands
    separator, such as 1.234,56 or 1'234.56, become number columns with a
    note (see `core.csv_numbers` for the rules).

    Parameters
    ----------
    source : bytes, str or os.PathLike
        The file contents, or the path of the file.
    limits : ReadLimits, optional
        Size limits for the file and its number of data rows.
    name : str, optional
        File name used in messages. Defaults to the path's base name.
    keep_text : bool, default False
        Also parse every field as text, as written, into `CSVTable.text`,
        for output that must repeat the user's values unchanged (leading
        zeros, long IDs, markers such as "NA"). This parses the file a
        second time.

    Returns
    -------
    CSVTable
        The frame and the detected settings.

    Raises
    ------
    CSVReadError
        If the file is missing, empty, not text, too large, has too few or
        too many data rows, has duplicate column names or rows with more
        fields than the header. One message lists all problems found.
    """
    csv_file, label = _load_source(source, limits, name)
    problem = _check_bytes(csv_file, limits)
    if problem:
        raise _read_error(label, [problem])

    head = csv_file.head
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    sample, encoding, truncated = _decode_sample(csv_file, start, label)
    problem = _markup_problem(sample, truncated)
    if problem:
        raise _read_error(label, [problem])
    dialect = _detect_dialect(sample, truncated)
    if not dialect.header:
        raise _read_error(label, [_NO_HEADER])
    if not any(name.strip() for name in dialect.header):
        raise _read_error(label, [_EMPTY_HEADER])
    problems = _header_problems(dialect.header)
    text: pd.DataFrame | None = None
    frame, encoding, dialect, problem = _parse(
        csv_file, start, encoding, dialect, limits
    )
    if problem:
        problems.append(problem)
    notes = list(dialect.notes)
    if dialect.trailing_empty:
        notes.append(
            f"Data lines have more fields than the header's "
            f"{_count(len(dialect.header), 'column')}, and every extra field is "
            f"empty, as a {_mark(dialect.delimiter)} at the end of each line "
            "makes. The empty fields were ignored."
        )
    if encoding == "cp1252":
        notes.append(
            "The file is not valid UTF-8, so it was read as Windows-1252 "
            '(cp1252), the code page that Excel\'s "CSV (Comma delimited)" '
            "export uses on Western European Windows."
        )
    if frame is not None:
        frame = _clean_columns(frame, dialect.header, notes)
        frame = _apply_missing_markers(
            frame,
            lambda positions, blanks: _pandas_read(
                csv_file, start, encoding, dialect, limits, positions, blanks
            ),
            notes,
        )
        frame = _apply_thousands(
            frame,
            dialect.decimal,
            lambda position: _sample_values(dialect.records, position),
            notes,
            delimiter=dialect.delimiter,
        )
        if keep_text and not problems:
            text = _read_text(csv_file, start, encoding, dialect, limits, frame)
        empty_rows = _empty_rows(frame)
        frame = _drop_rows(frame, empty_rows, notes)
        if text is not None:
            text = text.drop(index=empty_rows).reset_index(drop=True)
        note = _single_column_note(frame)
        if note:
            notes.append(note)
        problems += _shape_problems(frame, limits)
    if problems:
        raise _read_error(label, problems)

    table = CSVTable(
        frame=frame,
        encoding=encoding,
        delimiter=dialect.delimiter,
        decimal=dialect.decimal,
        n_bytes=csv_file.n_bytes,
        notes=notes,
        text=text,
    )
    logger.info("Read %s: %s", label, table.describe())
    return table


def _load_source(
    source: bytes | str | os.PathLike[str], limits: ReadLimits, name: str | None
) -> tuple[_CSVFile, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        head = data[: len(codecs.BOM_UTF8) + SAMPLE_BYTES]
        return _CSVFile(head, len(data), data=data), name or "The CSV data"
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "read_csv expects bytes or a file path, got "
            f"{type(source).__name__}; pass uploaded_file.getvalue() for an upload"
        )
    path = os.fspath(source)
    label = name or os.path.basename(path) or path
    try:
        size = os.path.getsize(path)
        if size > limits.max_bytes:
            raise _read_error(label, [_size_problem(size, limits)])
        with open(path, "rb") as handle:
            head = handle.read(len(codecs.BOM_UTF8) + SAMPLE_BYTES)
        return _CSVFile(head, size, path=path), label
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise CSVReadError(
            f"Cannot open {path!r}: {error.strerror}. Check the path and that "
            "it names a readable CSV file."
        ) from error


def _check_bytes(source: _CSVFile, limits: ReadLimits) -> str | None:
    """Return the problem that stops the bytes from being read as text."""
    data = source.head
    if not source.n_bytes:
        return (
            "the file is empty (0 bytes). Choose a CSV file with a header row "
            f"and at least {_count(limits.min_rows, 'data row')}."
        )
    if source.n_bytes > limits.max_bytes:
        return _size_problem(source.n_bytes, limits)
    for magic, kind in _MAGIC_BYTES:
        if data.startswith(magic):
            return f"it looks like {kind}, not CSV text. {_EXPORT_HINT}"
    nul = data.find(b"\x00", 0, SAMPLE_BYTES)
    if nul >= 0:
        return (
            f"it contains a NUL byte at byte offset {nul}, so it is a binary "
            f"file or UTF-16 text, not CSV text. {_EXPORT_HINT}"
        )
    return None


def _markup_problem(sample: str, truncated: bool) -> str | None:
    """Return the problem when the text is HTML, XML or JSON, not CSV."""
    head = sample.lstrip()
    if _MARKUP_START.match(head):
        return f"it looks like an HTML or XML document, not CSV text. {_EXPORT_HINT}"
    if head[:1] not in ("{", "["):
        return None
    # The whole sample (a JSON document) or its first line (JSON Lines).
    texts = [head.splitlines()[0]] if truncated else [head, head.splitlines()[0]]
    if not any(_is_json_container(text) for text in texts):
        return None
    return (
        "it looks like JSON data, not CSV text. Convert it to a table first, "
        "for example with pandas.json_normalize(...).to_csv(...)."
    )


def _is_json_container(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (dict, list))
    except ValueError:
        return False


def _size_problem(n_bytes: int, limits: ReadLimits) -> str:
    return (
        f"it is {_megabytes(n_bytes)}, larger than the limit of "
        f"{_megabytes(limits.max_bytes)}. Use a sample of the rows or a "
        "larger ReadLimits.max_bytes."
    )


def _decode_sample(source: _CSVFile, start: int, label: str) -> tuple[str, str, bool]:
    """Decode the leading sample and choose the encoding of the whole file."""
    end = start + SAMPLE_BYTES
    chunk = source.head[start:end]
    truncated = source.n_bytes > end
    if truncated:
        # A line break never sits inside a multi-byte UTF-8 character.
        cut = chunk.rfind(b"\n")
        if cut > 0:
            chunk = chunk[: cut + 1]
    utf8 = "utf-8-sig" if start else "utf-8"
    try:
        return _decode_prefix(chunk, "utf-8", truncated), utf8, truncated
    except UnicodeDecodeError:
        pass
    try:
        return chunk.decode("cp1252"), "cp1252", truncated
    except UnicodeDecodeError:
        problem = _encoding_problem(source.read_all(), start)
        raise _read_error(label, [problem]) from None


def _decode_prefix(chunk: bytes, encoding: str, truncated: bool) -> str:
    """Decode, tolerating a character cut off at the end of a truncated chunk."""
    try:
        return chunk.decode(encoding)
    except UnicodeDecodeError as error:
        if truncated and error.start >= len(chunk) - 3:
            return chunk[: error.start].decode(encoding)
        raise


def _encoding_problem(data: bytes, start: int) -> str:
    """Describe where UTF-8 and cp1252 decoding of the file fail."""
    parts = []
    for encoding, title in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            data[start:].decode(encoding)
        except UnicodeDecodeError as error:
            offset = start + error.start
            line = _line_of(data, offset)
            parts.append(
                f"{title} fails at byte 0x{data[offset]:02x} "
                f"(byte offset {offset}, line {line})"
            )
    return (
        f"it is neither UTF-8 nor Windows-1252 text: {' and '.join(parts)}. "
        "Open it in a spreadsheet or text editor and save the file as CSV UTF-8."
    )


def _line_of(data: bytes, offset: int) -> int:
    """Return the 1-based line of a byte offset, for any line ending."""
    head = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return head.count(b"\n") + 1


def _header_problems(header: list[str]) -> list[str]:
    positions: dict[str, list[int]] = {}
    for number, raw in enumerate(header, start=1):
        column = raw.strip()
        if column:
            positions.setdefault(column, []).append(number)
    duplicates = [
        f"{column!r} (columns {', '.join(map(str, numbers))})"
        for column, numbers in positions.items()
        if len(numbers) > 1
    ]
    if not duplicates:
        return []
    return [
        "column names must be unique, but the header repeats "
        f"{'; '.join(duplicates)}. Rename the repeated columns in the header row."
    ]


def _long_records(
    records: list[tuple[int, list[str]]], n_expected: int
) -> list[tuple[int, int]]:
    """Return (line, number of fields) of records longer than the header."""
    return [(line, len(fields)) for line, fields in records if len(fields) > n_expected]


def _scan_long_records(
    source: _CSVFile, start: int, encoding: str, dialect: _Dialect
) -> tuple[list[tuple[int, int]], bool]:
    """Scan the file for records longer than the header.

    Returns (line, number of fields) of the records whose extra fields hold
    a value, up to a cap, and whether any record has extra fields that are
    all empty.
    """
    # Undecodable bytes cannot change the field count, so they are replaced.
    text = source.read_all()[start:].decode(_codec(encoding), errors="replace")
    n_expected = len(dialect.header)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    filled = []
    any_empty = False
    line = 1
    try:
        if dialect.has_header:
            next(reader, None)
            line = reader.line_num + 1
        for fields in reader:
            if len(fields) > n_expected:
                if any(value.strip() for value in fields[n_expected:]):
                    filled.append((line, len(fields)))
                    if len(filled) > _MAX_LONG_RECORDS:
                        break
                else:
                    any_empty = True
            line = reader.line_num + 1
    except csv.Error:
        pass
    return filled, any_empty


def _long_records_problem(
    bad: list[tuple[int, int]], n_expected: int, delimiter: str
) -> str:
    listed = ", ".join(f"line {line} has {n}" for line, n in bad[:5])
    more = ""
    if len(bad) > _MAX_LONG_RECORDS:
        more = f" (and more than {_MAX_LONG_RECORDS - 5} other lines)"
    elif len(bad) > 5:
        more = f" (and {len(bad) - 5} other lines)"
    mark = _mark(delimiter)
    return (
        f"the header has {n_expected} fields, but {listed}{more}. Put values "
        f"that contain {mark} in double quotes, or remove the extra {mark} "
        "from those lines."
    )


_Parsed = tuple[pd.DataFrame | None, str, _Dialect, str | None]


def _parse(
    source: _CSVFile, start: int, encoding: str, dialect: _Dialect, limits: ReadLimits
) -> _Parsed:
    """Parse the whole file with pandas.

    Returns the frame (None on failure), the encoding used, the dialect
    (marked when lines end in empty extra fields) and the problem that
    stopped parsing. The sample may be valid UTF-8 while a later byte is
    not, so a decoding failure falls back to cp1252 and parses again.
    """
    n_expected = len(dialect.header)
    if not dialect.trailing_empty and _long_records(dialect.records, n_expected):
        # Checked before pandas runs, because pandas silently makes the first
        # column the index when the first data row has one extra field.
        filled, any_empty = _scan_long_records(source, start, encoding, dialect)
        if filled:
            problem = _long_records_problem(filled, n_expected, dialect.delimiter)
            return None, encoding, dialect, problem
        dialect = replace(dialect, trailing_empty=any_empty)
    try:
        frame = _pandas_read(source, start, encoding, dialect, limits)
        return frame, encoding, dialect, None
    except UnicodeDecodeError:
        if encoding == "cp1252":
            problem = _encoding_problem(source.read_all(), start)
            return None, encoding, dialect, problem
        logger.warning("The file is not valid UTF-8 after the first 64 KB")
    except pd.errors.EmptyDataError:
        return None, encoding, dialect, _NO_HEADER
    except pd.errors.ParserError as error:
        filled, any_empty = [], False
        if _PANDAS_BAD_LINE.search(str(error)):
            filled, any_empty = _scan_long_records(source, start, encoding, dialect)
        if any_empty and not filled and not dialect.trailing_empty:
            # Lines after the sample end in empty extra fields.
            trailing = replace(dialect, trailing_empty=True)
            return _parse(source, start, encoding, trailing, limits)
        problem = _parser_problem(error, filled, dialect)
        return None, encoding, dialect, problem
    return _parse(source, start, "cp1252", dialect, limits)


def _parser_problem(
    error: pd.errors.ParserError, filled: list[tuple[int, int]], dialect: _Dialect
) -> str:
    match = _PANDAS_BAD_LINE.search(str(error))
    if not match:
        return (
            f"pandas cannot parse it ({error}). Check that every double quote "
            "that opens a value also closes it."
        )
    if not filled:
        # csv.reader split the lines differently, so pandas' count is used.
        expected, line, seen = (int(group) for group in match.groups())
        return _long_records_problem([(line, seen)], expected, dialect.delimiter)
    return _long_records_problem(filled, len(dialect.header), dialect.delimiter)


def _pandas_read(
    source: _CSVFile,
    start: int,
    encoding: str,
    dialect: _Dialect,
    limits: ReadLimits,
    positions: list[int] | None = None,
    blanks: list[str] | None = None,
    as_text: bool = False,
) -> pd.DataFrame:
    """Parse the file, or the columns at positions with default markers.

    `blanks` lists fields of only whitespace that count as missing too.
    With `as_text`, every column is str with NaN only for empty fields.
    """
    usecols = positions
    if dialect.trailing_empty and usecols is None:
        usecols = list(range(len(dialect.header)))
    # NOTE: catch_warnings swaps the process-wide filter list (Python 3.11),
    # so another thread's DtypeWarning during this parse is hidden too.
    with warnings.catch_warnings(), contextlib.ExitStack() as stack:
        # Columns whose type differs between the C engine's chunks are
        # described by profile_columns, so pandas' DtypeWarning is noise.
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        if source.data is None and source.path is not None:
            # pandas 3.1 parses a path about 1.6x faster than an open file
            # handle, and "utf-8-sig" makes it skip a byte order mark itself.
            target: str | BinaryIO = source.path
            codec = encoding
        else:
            target = stack.enter_context(source.open(start))
            codec = _codec(encoding)
        return pd.read_csv(
            target,
            sep=dialect.delimiter,
            decimal=dialect.decimal,
            encoding=codec,
            engine="c",
            # Markers such as "NA" are replaced after parsing, so that each
            # column where one occurs can be named in a note.
            dtype=str if as_text else None,
            keep_default_na=positions is not None,
            na_values=(blanks or None) if positions is not None else [""],
            header=0 if dialect.has_header else None,
            # Without a header row, `header` contains the names column_1, ...
            names=None if dialect.has_header else dialect.header,
            usecols=usecols,
            # With extra fields past the header, pandas would otherwise turn
            # the first column into the index.
            index_col=False if dialect.trailing_empty else None,
            skip_blank_lines=True,
            nrows=_row_cap(source, limits),
        )


def _row_cap(source: _CSVFile, limits: ReadLimits) -> int | None:
    """Return the `nrows` for pandas: the row limit plus one, or None.

    One row past the limit is enough to know the limit is exceeded, but
    pandas 3.1 parses a file about 1.6x slower with `nrows` than without.
    So it is passed only when the file seems to have more rows than the
    limit, estimated from the line breaks in its leading bytes. That is the
    case where the cap saves the most memory, such as millions of
    one-character rows. A file that has more rows anyway is still rejected after
    parsing, which costs at most a parse of ReadLimits.max_bytes.
    """
    n_lines = source.head.count(b"\n")
    if n_lines == 0 or len(source.head) >= source.n_bytes:
        return None if n_lines <= limits.max_rows else limits.max_rows + 1
    estimate = source.n_bytes * n_lines / len(source.head)
    if estimate > limits.max_rows:
        return limits.max_rows + 1
    return None


def _read_text(
    source: _CSVFile,
    start: int,
    encoding: str,
    dialect: _Dialect,
    limits: ReadLimits,
    frame: pd.DataFrame,
) -> pd.DataFrame:
    """Parse every field as written, with the rows and columns of `frame`.

    Both parses use the same dialect, so they split the same records. The
    shape is still compared, because a row that only one parse returns
    would pair every later row with the wrong text.
    """
    text = _pandas_read(source, start, encoding, dialect, limits, as_text=True)
    if text.shape != frame.shape:
        raise CSVReadError(
            f"Reading the fields as text gave {text.shape[0]:,} rows x "
            f"{text.shape[1]:,} columns, but reading them as values gave "
            f"{frame.shape[0]:,} x {frame.shape[1]:,}, so the text cannot be "
            "matched to the rows. Read the file with keep_text=False."
        )
    text.columns = frame.columns
    return text


def _codec(encoding: str) -> str:
    """Return the codec for the bytes after a byte order mark was skipped."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _shape_problems(frame: pd.DataFrame, limits: ReadLimits) -> list[str]:
    problems = []
    n_rows, n_columns = frame.shape
    columns = [str(column) for column in frame.columns]
    if n_columns and n_rows == 0:
        problems.append(
            f"it has columns {', '.join(columns)} but no data rows. Add at "
            f"least {_count(limits.min_rows, 'data row')} below the header."
        )
    elif n_rows > limits.max_rows:
        problems.append(
            f"it has more than {limits.max_rows:,} data rows, the limit. Use a "
            "sample of the rows or a larger ReadLimits.max_rows."
        )
    elif n_rows < limits.min_rows:
        problems.append(
            f"it has only {_count(n_rows, 'data row')}, but at least "
            f"{limits.min_rows} are needed. Add more rows."
        )
    return problems


def _read_error(label: str, problems: list[str]) -> CSVReadError:
    if len(problems) == 1:
        return CSVReadError(f"{label} cannot be used: {problems[0]}")
    items = "\n".join(f"- {problem[0].upper()}{problem[1:]}" for problem in problems)
    return CSVReadError(
        f"{label} cannot be used, for {len(problems)} reasons:\n{items}"
    )


def _megabytes(n_bytes: int) -> str:
    megabytes = n_bytes / (1024 * 1024)
    if megabytes < 0.1:
        return _count(n_bytes, "byte")
    return f"{megabytes:.1f} MB"
