"""How an import file is written: its encoding and its separator, found before it is read.

A shop's spreadsheet does not write the CSV a machine does. Excel in Spain and France separates
with `;` (the comma is their decimal mark), saves "CSV UTF-8" with a byte order mark, and its
plain "CSV" in Windows-1252; both end lines with CRLF (which the csv module reads as it is).
So the file is looked at once, as bytes, before its rows are:

- **Encoding**: UTF-8, with or without the BOM; when the bytes are not valid UTF-8 (and there is
  no BOM, which says UTF-8), Windows-1252, and the report says so with the first line that is
  not UTF-8. UTF-16 (Excel's "Unicode text") and bytes Windows-1252 has no character for are
  refused.
- **Separator**: `,`, `;` or a tab, the one the header line has most of outside quotes. A rule
  over the header rather than csv.Sniffer, which guesses from a sample of rows and is thrown by
  the commas in "12,50". Column names never hold a separator, so the header decides; a header
  with as many of two separators is refused rather than guessed.

The same pass counts the lines, for the progress bar: one read of the bytes, at some hundreds of
megabytes a second, against minutes to import them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from loyalty.imports.errors import ImportRefused

CHUNK_BYTES = 1 << 20
SEPARATORS = (",", ";", "\t")
UTF8 = "utf-8-sig"  # reads a file with the BOM or without it alike
WINDOWS_1252 = "cp1252"
# Bytes Windows-1252 leaves undefined: a file holding one is in neither encoding.
_UNDEFINED_1252 = b"\x81\x8d\x8f\x90\x9d"

_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SEPARATOR_LABELS = {",": _("comma (,)"), ";": _("semicolon (;)"), "\t": _("tab character")}


@dataclass(frozen=True)
class FileFormat:
    """What `file_format_detect` found. `not_utf8_line` is the first line that is not UTF-8 when
    the file is read as Windows-1252 (0 otherwise)."""

    encoding: str
    separator: str
    has_bom: bool = False
    not_utf8_line: int = 0
    lines: int = 0

    @property
    def is_windows_1252(self) -> bool:
        return self.encoding == WINDOWS_1252

    @property
    def encoding_name(self) -> str:
        if self.is_windows_1252:
            return "Windows-1252"
        return "UTF-8 with BOM" if self.has_bom else "UTF-8"

    @property
    def encoding_label(self) -> str:
        """The encoding's name as the admin shows it."""
        return _("UTF-8 with BOM") if self.has_bom else self.encoding_name

    @property
    def separator_label(self) -> str:
        return _SEPARATOR_LABELS[self.separator]

    def describe(self) -> str:
        """The line the commands print (in English, like the rest of their report)."""
        separator = "tab" if self.separator == "\t" else f"{self.separator!r}"
        if self.separator != "\t":
            separator += f" ({_SEPARATOR_NAMES[self.separator]})"
        text = f"Read with separator {separator}, encoding {self.encoding_name}."
        if self.is_windows_1252:
            text += (
                f" The file is not UTF-8 (from line {self.not_utf8_line}): it was read as "
                "Windows-1252."
            )
        return text


def file_format_detect(path: Path) -> FileFormat:
    """The encoding and separator of the file at `path` (see the module docstring); raises
    ImportRefused when it is in neither encoding or the header leaves the separator unclear."""
    with open(path, "rb") as handle:
        chunk = handle.read(CHUNK_BYTES)
        if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportRefused(
                'the file is UTF-16 (Excel\'s "Unicode text"): save it as CSV UTF-8 instead'
            )
        has_bom = chunk.startswith(codecs.BOM_UTF8)
        header = chunk.split(b"\n", 1)[0]
        lines = not_utf8_line = undefined_line = 0
        pending = b""
        while chunk:
            # Checked in whole lines: a newline byte is never inside a UTF-8 sequence, so a
            # character is never cut in two and an error's line is counted from the start.
            block = pending + chunk
            cut = block.rfind(b"\n") + 1
            pending = block[cut:]
            not_utf8_line, undefined_line = _block_check(
                block[:cut], lines, not_utf8_line, undefined_line
            )
            lines += block.count(b"\n", 0, cut)
            chunk = handle.read(CHUNK_BYTES)
        not_utf8_line, undefined_line = _block_check(pending, lines, not_utf8_line, undefined_line)
    if not_utf8_line and has_bom:
        raise ImportRefused(
            f"line {not_utf8_line}: the file starts as UTF-8 (with a BOM) but is not UTF-8 there"
        )
    if not_utf8_line and undefined_line:
        raise ImportRefused(
            f"line {undefined_line}: the file is neither UTF-8 nor Windows-1252; save it as "
            "CSV UTF-8"
        )
    encoding = WINDOWS_1252 if not_utf8_line else UTF8
    return FileFormat(
        encoding=encoding,
        separator=_separator(header.decode(encoding, errors="replace")),
        has_bom=has_bom,
        not_utf8_line=not_utf8_line,
        lines=lines + (1 if pending else 0),
    )


def _block_check(
    block: bytes, lines_before: int, not_utf8_line: int, undefined_line: int
) -> tuple[int, int]:
    """The first line not UTF-8 and the first with a byte Windows-1252 has no character for, in
    `block` (whole lines after `lines_before`), unless found before. ASCII, most files, is
    checked without decoding."""
    if block.isascii():
        return not_utf8_line, undefined_line
    if not not_utf8_line:
        try:
            block.decode("utf-8")
        except UnicodeDecodeError as error:
            not_utf8_line = lines_before + block.count(b"\n", 0, error.start) + 1
    if not undefined_line:
        positions = [block.find(bytes([byte])) for byte in _UNDEFINED_1252]
        found = [position for position in positions if position >= 0]
        if found:
            undefined_line = lines_before + block.count(b"\n", 0, min(found)) + 1
    return not_utf8_line, undefined_line


def _separator(header: str) -> str:
    """The separator the header line has most of outside double quotes; `,` when it has none
    (a file of one column)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    is_quoted = False
    for character in header:
        if character == '"':
            is_quoted = not is_quoted
        elif not is_quoted and character in counts:
            counts[character] += 1
    most = max(counts.values())
    if not most:
        return ","
    found = [separator for separator, count in counts.items() if count == most]
    if len(found) > 1:
        names = " and ".join("tab" if s == "\t" else repr(s) for s in found)
        raise ImportRefused(
            f"line 1: the header has as many of {names}: it does not tell which one separates "
            "the columns"
        )
    return found[0]
