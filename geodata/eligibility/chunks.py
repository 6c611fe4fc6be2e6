"""Read a CSV file of locations from disk a chunk at a time: memory bounded by the chunk,
whatever the file's size (``fabriques classify``).

The rows, their lines and errors are those ``geodata.eligibility.reading`` reads from the
whole file in memory (a test compares them), chunk by chunk:

- a first pass over the bytes finds the encoding (the first of ``ENCODINGS`` that decodes
  the whole file, as for a file in memory) and whether a quote character occurs;
- without quotes, every physical line is a record: a chunk is a run of lines
  (``TextChunk``), read by polars (``plain_csv``) when it is plain, else by the ``csv``
  module. ``fabriques classify --workers`` hands such chunks unread to its workers, which
  read them: a text crosses between processes at the cost of a copy, read locations at
  the cost of pickling each value;
- with quotes, a record may span lines: the ``csv`` module reads the whole file as a
  stream and the chunk is a run of its records.

An address file (``geodata.eligibility.addresses.batch_chunks``) reads its records the same
way. The whole-file refusals (workbook, UTF-16, binary start, empty file, tab separator,
absent columns) are raised before any chunk; a cell over the ``csv`` module's limit, when the
chunk holding it is read.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TextIO

from geodata.eligibility.plain_csv import read_plain
from geodata.eligibility.reading import (
    ENCODINGS,
    REQUIRED,
    SNIFF_CHARS,
    UTF8_SEQUENCE,
    Locations,
    RecordLines,
    Table,
    delimiter_of,
    header_columns,
    missing_columns,
    mixed_encodings,
    plain_locations,
    read_records,
    records_of,
    refuse_non_csv,
)

__all__ = ["FileTable", "TextChunk", "location_chunks", "opened_table", "parsed", "survey",
           "text_chunks"]

BLOCK = 1 << 20
"""Bytes read at a time by the first pass."""


@dataclass
class FileTable:
    """A CSV file open for reading after its header: its columns and what follows."""

    columns: list[str]
    delimiter: str
    quoted: bool  # a quote character occurs: a record may span lines
    header: str  # the header line as written (files without quotes)
    lines: Iterator[str]  # the physical lines after the header
    next_line: int  # the line number of the next of ``lines``
    reader: object = field(default=None)  # files with quotes: the csv reader of the header
    names: list[str] = field(default_factory=list)  # the header as typed
    read: RecordLines | None = None  # files with quotes: the lines the reader reads

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """The records after the header, each with its line (``reading.records_of``)."""
        if self.reader is not None:
            return records_of(self.reader, self.columns, lines=self.read)
        return records_of(csv.reader(self.lines, delimiter=self.delimiter), self.columns,
                          offset=self.next_line - 1)


def survey(path: Path) -> tuple[str, bool]:
    """The encoding a file is read in (as for a file in memory: the first of ``ENCODINGS``
    that decodes it whole) and whether it holds a quote character, in one pass by blocks."""
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ENCODINGS[:-1]}
    quoted = utf8 = False
    with open(path, "rb") as file:
        block = file.read(SNIFF_CHARS)
        refuse_non_csv(block)
        while True:
            quoted = quoted or b'"' in block
            utf8 = utf8 or UTF8_SEQUENCE.search(block) is not None
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError:
                    del decoders[name]
            if not block:
                break
            block = file.read(BLOCK)
    if ENCODINGS[0] not in decoders and utf8:
        raise mixed_encodings()
    return next(iter(decoders), ENCODINGS[-1]), quoted


@contextmanager
def opened_table(path: Path) -> Iterator[FileTable]:
    """The file at ``path``, open after its header; a BatchError when it cannot be read
    as a CSV at all (``reading.read_table``'s refusals)."""
    encoding, quoted = survey(path)
    with open(path, encoding=encoding, newline="") as file:
        head = _head(file)
        delimiter = delimiter_of(head)
        lines = chain(io.StringIO(head, newline=""), file)
        names: list[str] = []
        if quoted:
            read = RecordLines(lines)
            reader = csv.reader(read, delimiter=delimiter)
            yield FileTable(header_columns(reader, names), delimiter, True, "", lines, 0,
                            reader, names, read)
        else:
            header = next(lines, "")
            columns = header_columns(csv.reader([header], delimiter=delimiter), names)
            yield FileTable(columns, delimiter, False, header, lines, 2, names=names)


def _head(file: TextIO) -> str:
    """The start of the file: SNIFF_CHARS characters at least, up to a non-blank character
    and the end of the header line, and to the end of a line (so that its lines, then the
    file's, are the file's lines)."""
    head = file.read(SNIFF_CHARS)
    while not head.strip() or "\n" not in head.lstrip("\r\n"):
        more = file.read(SNIFF_CHARS)
        if not more:
            return head
        head += more
    if head.endswith("\r"):  # a "\r\n" is one line end: never cut between its two
        head += file.read(1)
    if not head.endswith(("\n", "\r")):
        head += file.readline()
    return head


@dataclass(frozen=True)
class TextChunk:
    """A run of lines of a file without quotes, not read yet (``locations`` reads it)."""

    text: str  # the header line, then the chunk's lines as written
    delimiter: str
    columns: tuple[str, ...]
    first_line: int  # the line number of the chunk's first line

    def locations(self) -> Locations:
        """Its locations: polars' reading when the chunk is plain, else the csv module's."""
        columns = list(self.columns)
        plain = read_plain(self.text, self.delimiter, columns, first_line=self.first_line)
        if plain is not None:
            return plain_locations(plain)
        lines = io.StringIO(self.text, newline="")  # split as the file's lines were
        next(lines)  # the header
        reader = csv.reader(lines, delimiter=self.delimiter)
        return read_records(Table(columns, self.delimiter,
                                  records_of(reader, columns, offset=self.first_line - 1)))


def parsed(part: Locations | TextChunk) -> Locations:
    """The locations of a chunk, read now when it was not."""
    return part.locations() if isinstance(part, TextChunk) else part


def location_chunks(table: FileTable, rows: int) -> Iterator[Locations]:
    """The locations of a file of coordinates, ``rows`` lines (or records) at a time; chunks
    without any row are skipped."""
    missing_columns(table, REQUIRED)
    return _location_chunks(table, rows)


def text_chunks(table: FileTable, rows: int) -> Iterator[Locations | TextChunk]:
    """``location_chunks`` with the chunks of a file without quotes left unread
    (``TextChunk``, read by ``parsed``; one may hold no row)."""
    missing_columns(table, REQUIRED)
    return _records_chunks(table, rows) if table.quoted else _text_chunks(table, rows)


def _location_chunks(table: FileTable, rows: int) -> Iterator[Locations]:
    if table.quoted:
        yield from _records_chunks(table, rows)
        return
    for chunk in _text_chunks(table, rows):
        found = chunk.locations()
        if found.ids:
            yield found


def _records_chunks(table: FileTable, rows: int) -> Iterator[Locations]:
    records = table.records()
    while batch := list(islice(records, rows)):
        yield read_records(Table(table.columns, table.delimiter, iter(batch)))


def _text_chunks(table: FileTable, rows: int) -> Iterator[TextChunk]:
    while block := list(islice(table.lines, rows)):
        first = table.next_line
        table.next_line += len(block)
        yield TextChunk(table.header + "".join(block), table.delimiter, tuple(table.columns),
                        first)
