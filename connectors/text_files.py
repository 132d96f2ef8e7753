"""Reading a user's text files: UTF-8 (a byte-order mark is accepted), errors naming file and line.

Every file a user hands us (CSV, JSON, TOML) goes through `read_text`, so an export saved by Excel
with a BOM reads like any other, and a Latin-1 byte says which file and line to fix.
"""

from __future__ import annotations

from pathlib import Path

from connectors.errors import DataError, DataIssue

ENCODING = "utf-8"
BOM = b"\xef\xbb\xbf"


def decode(data: bytes, name: str) -> str:
    """`data` as UTF-8 text without its BOM; a DataError naming `name` and the line otherwise."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode(ENCODING)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = "UTF-16 text" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else f"byte 0x{data[exc.start]:02x}"
        raise DataError(
            [DataIssue(file=name, line=line, message=f"not UTF-8 text ({hint}); save the file as UTF-8")]
        ) from None


def read_text(path: Path, name: str | None = None) -> str:
    """The text of `path`; unreadable and non-UTF-8 files become a DataError naming the file."""
    shown = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError([DataIssue(file=shown, message=f"cannot read: {exc.strerror or exc}")]) from None
    return decode(data, shown)
