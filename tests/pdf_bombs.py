"""Hostile PDFs, built in memory with pypdf and zlib: small files that would
unpack to far more than they weigh, or hold more objects than a report.

Each bomb is small (a few kilobytes) and carries an ``assessment.json``
attachment, so that a reader gets as far as the part that explodes.  The
zeros are compressed a megabyte at a time, so building a bomb never holds
its unpacked size in memory.
"""

from __future__ import annotations

import io
import struct
import zlib

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NullObject,
)

from assessment.report.verify import EMBEDDED_NAME

MIB = 1024 * 1024
BOMB_BYTES = 64 * MIB  # under pypdf's own default limit (75 MB), far over ours


def deflated_zeros(size: int = BOMB_BYTES, fill: bytes = b"\0") -> bytes:
    """``size`` bytes of ``fill``, deflated, built a megabyte at a time."""
    compressor = zlib.compressobj(9)
    block = fill * MIB
    parts = [compressor.compress(block) for _ in range(size // MIB)]
    return b"".join([*parts, compressor.flush()])


def _flate(stream: DecodedStreamObject, data: bytes, times: int) -> None:
    """Make ``stream`` hold ``data`` (already compressed ``times`` times) as is."""
    stream._data = data  # written out unchanged, with the filters named here
    filters = [NameObject("/FlateDecode")] * times
    stream[NameObject("/Filter")] = filters[0] if times == 1 else ArrayObject(filters)


def _report_like() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment(EMBEDDED_NAME, b"{}")
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _embedded_stream(writer: PdfWriter) -> DecodedStreamObject:
    attachment = next(iter(writer.attachment_list))
    return attachment._embedded_file


def report_like_pdf() -> bytes:
    """A harmless PDF with an ``assessment.json`` attachment (not a real report)."""
    return _bytes(_report_like())


def embedded_file_bomb() -> bytes:
    """The attached ``assessment.json`` unpacks to 64 MiB of zeros."""
    writer = _report_like()
    _flate(_embedded_stream(writer), deflated_zeros(), 1)
    return _bytes(writer)


def page_content_bomb() -> bytes:
    """A small attachment, but the first page's content unpacks to 64 MiB of spaces."""
    writer = _report_like()
    content = DecodedStreamObject()
    _flate(content, deflated_zeros(fill=b" "), 1)
    page = writer.pages[0]
    page[NameObject("/Contents")] = writer._add_object(content)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): font})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): fonts}
    )  # text can be read
    return _bytes(writer)


def nested_filter_bomb(times: int = 2) -> bytes:
    """The attachment is deflated ``times`` times over; each layer is small
    until the last, which unpacks to 64 MiB."""
    data = deflated_zeros()
    for _ in range(times - 1):
        data = zlib.compress(data, 9)
    writer = _report_like()
    _flate(_embedded_stream(writer), data, times)
    return _bytes(writer)


def many_objects_pdf(count: int) -> bytes:
    """A PDF with ``count`` extra (null) objects in its cross-reference table."""
    writer = _report_like()
    for _ in range(count):
        writer._add_object(NullObject())
    return _bytes(writer)


def object_stream_pdf(count: int) -> bytes:
    """A PDF whose catalog lies in an object stream of ``count`` objects (the
    catalog and ``count - 1`` numbers), listed by a cross-reference stream
    that names only the catalog.  pypdf parses an object stream whole, so
    reading the catalog parses them all."""
    parts = [b"%PDF-1.7\n"]
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = sum(len(p) for p in parts)
        parts.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    add(1, b"<< /Type /Pages /Kids [] /Count 0 >>")
    catalog = b"<< /Type /Catalog /Pages 1 0 R >> "
    index = b"3 0 " + b"".join(
        b"%d %d " % (4 + i, len(catalog) + 2 * (i - 1)) for i in range(1, count)
    )
    packed = zlib.compress(index + catalog + b"0 " * (count - 1), 9)
    add(
        2,
        b"<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
        % (count, len(index), len(packed))
        + packed
        + b"\nendstream",
    )
    xref_number = count + 4
    xref_at = sum(len(p) for p in parts)
    rows = [
        b"\x00" + struct.pack(">I", 0) + b"\xff\xff",
        b"\x01" + struct.pack(">I", offsets[1]) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[2]) + b"\x00\x00",
        b"\x02" + struct.pack(">I", 2) + b"\x00\x00",  # object 3, the catalog: first in stream 2
    ]
    table = zlib.compress(b"".join(rows))
    parts.append(
        b"%d 0 obj\n<< /Type /XRef /Size 4 /W [1 4 2] /Root 3 0 R /Length %d "
        b"/Filter /FlateDecode >>\nstream\n"
        % (xref_number, len(table))
        + table
        + b"\nendstream\nendobj\n"
    )
    parts.append(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return b"".join(parts)
