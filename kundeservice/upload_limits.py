"""Limits every upload meets before it is parsed: its size, and the rows an XLSX file holds.

A spreadsheet is a zip of XML; a few hundred kilobytes can unpack into millions of rows, and the
dimension a workbook declares (LibreOffice writes ``A1:AMJ1048576``) says nothing about its
content. So the size is checked on the bytes as uploaded, the unpacked size on the zip's
directory, and the rows are counted in the sheets' XML as it streams out of the zip, empty rows
included, stopping at the first row over the limit. A refused file costs milliseconds.
"""

import io
import re
import zipfile
from typing import IO

from django.utils.translation import gettext as _

from kundeservice.errors import DomainError

#: Of an uploaded panel or catalog file.
TABLE_MAX_BYTES = 20 * 1024 * 1024
#: What an XLSX file may unpack to, as a multiple of the upload limit.
UNPACKED_FACTOR = 20
#: Beyond this an XLSX file is refused whatever its kind.
UNPACKED_MAX_BYTES = 500 * 1024 * 1024
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s>/]")
_TAGS = re.compile(
    rb"(?P<row><(?:[A-Za-z_][\w.-]*:)?row[\s>/])|(?P<value><(?:[A-Za-z_][\w.-]*:)?(?:v|is)>)"
)
_CHUNK = 1024 * 1024


def upload_read(*, file: IO[bytes], max_bytes: int) -> bytes:
    """The upload's bytes, refused before reading when it is larger than ``max_bytes``."""
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large(max_bytes)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def xlsx_check_rows(
    *, data: bytes, max_rows: int, max_bytes: int, empty_run: int | None = None
) -> None:
    """Refuse an XLSX file whose sheets hold more than ``max_rows`` rows below their header,
    or that unpacks to far more than ``max_bytes``. With ``empty_run``, only rows with a value
    count and a sheet ends after that many empty rows in a row (pyxform's rule: it reads no
    further); without it every row counts, empty ones too. A file that is no zip is left to the
    parser, which says so in its own words."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        strings = sum(m.file_size for m in members if m.filename.lower().endswith("strings.xml"))
        if unpacked > UNPACKED_MAX_BYTES or strings > UNPACKED_FACTOR * max_bytes:
            raise DomainError(
                _("The workbook unpacks to far more data than a file of this kind holds."),
                code="too_large",
            )
        for member in members:
            name = member.filename.lower()
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                rows = _count_rows(archive, member, limit=max_rows + 1, empty_run=empty_run)
                if rows > max_rows + 1:
                    raise too_many_rows(max_rows)


def too_many_rows(max_rows: int) -> DomainError:
    """The refusal of a file with more rows than an importer takes."""
    return DomainError(
        _("The file has more than %(max)d rows (empty rows included); split it into smaller files.")
        % {"max": max_rows},
        code="too_many_rows",
    )


def _count_rows(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, limit: int, empty_run: int | None
) -> int:
    """The rows of one sheet's XML as it streams out of the zip, stopping past ``limit``."""
    counted = empty = 0
    has_value = False
    started = False
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                # A tag starting in the last bytes may be cut: it is read in the next window.
                cut = max(0, len(window) - 64)
                if empty_run is None:  # every row counts: count the tags in C
                    counted += len(_ROW.findall(window, 0, cut + 40))
                    counted -= len(_ROW.findall(window, cut, cut + 40))
                    tail = window[cut:]
                    if counted > limit:
                        return counted
                    continue
                for match in _TAGS.finditer(window):
                    if match.start() >= cut:
                        break
                    if match.lastgroup == "value":
                        has_value = True
                        continue
                    if started:  # a row ends where the next begins
                        counted, empty = _tally(counted, empty, has_value, empty_run)
                    started, has_value = True, False
                    if counted > limit or (empty_run is not None and empty > empty_run):
                        return counted
                tail = window[cut:]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        # zipfile raises RuntimeError (or a subclass of it) for an encrypted member and for a
        # compression method it cannot unpack: both are uploads it cannot read.
        return counted  # a damaged member: the parser reports the file as unreadable
    for match in _TAGS.finditer(tail):
        if match.lastgroup == "row":
            if started:
                counted, empty = _tally(counted, empty, has_value, empty_run)
            started, has_value = True, False
        else:
            has_value = True
    if started:
        counted, empty = _tally(counted, empty, has_value, empty_run)
    return counted


def _tally(counted: int, empty: int, has_value: bool, empty_run: int | None) -> tuple[int, int]:
    if empty_run is None:
        return counted + 1, 0
    if has_value:
        return counted + 1, 0
    return counted, empty + 1


def _too_large(max_bytes: int) -> DomainError:
    return DomainError(
        _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
        code="too_large",
    )
