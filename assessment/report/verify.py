"""Read and check the assessment data embedded in a report PDF.

A report carries its assessment as ``assessment.json`` (PDF/A-3 source
file).  Its SHA-256 is stored twice outside the file: as the attachment's
description and printed in the report.  A report is intact when the three
agree; :mod:`assessment.services.reports` then says whether this
installation issued it.

A PDF to check comes from anyone (``/verify`` needs no sign-in), so it is
read as hostile:

- :func:`read_embedded` reads within fixed bounds: no stream is unpacked
  beyond :data:`MAX_STREAM_BYTES`, a stream has at most :data:`MAX_FILTERS`
  filters, the file at most :data:`MAX_OBJECTS` objects in object streams of
  at most :data:`MAX_OBJECT_STREAM_BYTES` together, and arrays,
  dictionaries, the page tree and the parsing of the first page are capped
  (:data:`PDF_LIMITS`).  Only the embedded file and the first page are read.
- :func:`read_report` runs it in a child process that is stopped after
  ``seconds`` and may not take more than :data:`READ_MEMORY_BYTES` of memory,
  at most ``slots`` at once per server process (:func:`configure_reading`);
  a request that finds no free slot within ``wait_seconds`` gets
  :class:`ReadingBusy`.  The web process never holds more than the upload
  and the embedded data, so its memory stays flat however the file is built.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import multiprocessing
import resource
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from pypdf import Configuration, PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import StreamObject

from assessment.engine.inputs import MAX_JSON_BYTES
from assessment.report.i18n import report_language, report_languages

EMBEDDED_NAME = "assessment.json"
SHA256_PREFIX = "sha256:"
PRINTED_LABEL = "SHA-256 of the embedded data:"  # on the cover, in the report's language


def printed_labels() -> tuple[str, ...]:
    """The cover's label before the printed hash, in every report language."""
    translated = (report_language(code).gettext(PRINTED_LABEL) for code in report_languages())
    return tuple(dict.fromkeys((PRINTED_LABEL, *translated)))


MIB = 1024 * 1024
MAX_STREAM_BYTES = MAX_JSON_BYTES
"""Any stream, once unpacked (8 MiB): the embedded data may be as large as an
exchange file.  The 39-page demo report's largest stream is 0.5 MB."""
MAX_OBJECTS = 40_000
"""Objects in the file.  The 39-page demo report has 5,356: this leaves room
for a report of about 250 pages."""
MAX_OBJECT_STREAM_BYTES = 3 * MIB
"""All object streams together, once unpacked (the demo report's one is
0.5 MB).  pypdf parses an object stream whole, at about 2 s and 45 MiB per
MB, so this bounds what the objects a hostile file packs can cost."""
MAX_FILTERS = 2
"""Filters on one stream (a report uses one, FlateDecode)."""
READ_MEMORY_BYTES = 512 * MIB
"""Address space of the process that reads one upload (a report needs about 60 MiB)."""

PDF_LIMITS = Configuration(
    maximum_declared_stream_length=MAX_STREAM_BYTES,
    zlib_maximum_output_length=MAX_STREAM_BYTES,
    lzw_maximum_output_length=MAX_STREAM_BYTES,
    run_length_maximum_output_length=MAX_STREAM_BYTES,
    brotli_maximum_output_length=MAX_STREAM_BYTES,
    jbig2_maximum_output_length=MAX_STREAM_BYTES,
    array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
    image_maximum_buffer_size=MAX_STREAM_BYTES,
    stream_decoding_work_maximum_length=2 * MAX_STREAM_BYTES,
    stream_filters_maximum_length=MAX_FILTERS,
    # pypdf retries a damaged deflate stream byte by byte, one call per input byte
    zlib_maximum_recovery_input_length=64 * 1024,
    array_maximum_element_count=50_000,
    dictionary_maximum_element_count=1_000,
    page_tree_maximum_entries=20_000,
    page_tree_maximum_depth=32,
    page_tree_maximum_page_entries=200_000,
    stream_parsing_work_maximum_count=500_000,
    xform_maximum_invocations_per_extraction=200,
)
"""pypdf's own bounds, set well above what a report of this tool needs."""

NOT_A_PDF = "This is not a PDF file."
NO_DATA = "This PDF carries no assessment data: it is not a report of this tool."
PAST_A_LIMIT = (
    "This PDF is not a report of this tool: it is built in a way no report is (a compressed "
    f"part unpacks to more than {MAX_STREAM_BYTES // MIB} MB, its objects to more than "
    f"{MAX_OBJECT_STREAM_BYTES // MIB} MB, a part is compressed more than {MAX_FILTERS} times "
    "over, or a list in it is longer than a report's). It was not read further."
)
TOO_MANY_OBJECTS = (
    f"This PDF is not a report of this tool: it has more than {MAX_OBJECTS:,} objects. "
    "It was not read further."
)
TOO_MUCH_MEMORY = (
    "This PDF is not a report of this tool: reading it needed more memory than a report does, "
    "so it was stopped."
)
READER_FAILED = "This PDF could not be read: the reader stopped before it was done."


def too_slow(seconds: float) -> str:
    return (
        f"Reading this PDF took longer than {seconds:g} seconds, so it was stopped. "
        "A report of this tool is read in a few seconds: this file is not one, or it is damaged."
    )


class NotAReport(ValueError):
    """The bytes are not a PDF, or a PDF without embedded assessment data, or
    one whose reading passed a limit.  The message is for the user."""


class ReadingBusy(RuntimeError):
    """Every reading slot stayed taken while the request waited: try again later."""


@dataclass(frozen=True, slots=True)
class EmbeddedData:
    data: bytes
    sha256: str  # computed from ``data``
    declared_sha256: str | None  # from the attachment description
    printed_sha256: str | None  # from the report's text

    @property
    def intact(self) -> bool:
        """Whether the embedded data are what the report says they are."""
        return self.sha256 == self.declared_sha256 == self.printed_sha256


def read_embedded(pdf: bytes) -> EmbeddedData:
    """The embedded assessment data of report ``pdf`` and its recorded hashes,
    read within :data:`PDF_LIMITS`, :data:`MAX_OBJECTS` and
    :data:`MAX_OBJECT_STREAM_BYTES`.

    Raises :class:`NotAReport` for anything that is not a readable PDF with
    an ``assessment.json`` attachment, and for a PDF that passes a limit.
    Runs in the calling thread and has no time limit of its own: see
    :func:`read_report`.
    """
    if not pdf.startswith(b"%PDF-"):
        raise NotAReport(NOT_A_PDF)
    try:
        with apply_configuration(PDF_LIMITS):
            reader = PdfReader(io.BytesIO(pdf))
            _check_objects(reader)
            files = [f for f in reader.attachment_list if f.name == EMBEDDED_NAME]
            if len(files) != 1:
                raise NotAReport(NO_DATA)
            embedded = files[0]
            data = embedded.content
            description = embedded.description or ""
            text = "".join(reader.pages[0].extract_text().split()) if reader.pages else ""
    except NotAReport:
        raise
    except LimitReachedError:
        raise NotAReport(PAST_A_LIMIT) from None
    except MemoryError:
        raise NotAReport(TOO_MUCH_MEMORY) from None
    # A hostile file can make a PDF parser fail in any way (RecursionError,
    # AssertionError, IndexError, zlib.error ...); every failure means the same.
    except Exception as error:
        raise NotAReport(f"The PDF cannot be read ({type(error).__name__}).") from None
    declared = (
        description.removeprefix(SHA256_PREFIX) if description.startswith(SHA256_PREFIX) else None
    )
    printed = None
    for label in ("".join(each.split()) for each in printed_labels()):
        at = text.find(label)
        if at >= 0:
            printed = text[at + len(label) : at + len(label) + 64]
            break
    return EmbeddedData(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        declared_sha256=declared,
        printed_sha256=printed,
    )


def _check_objects(reader: Any) -> None:
    """Raises :class:`NotAReport` if the cross-reference table or the object
    streams it names hold more than :data:`MAX_OBJECTS` objects, or the object
    streams unpack to more than :data:`MAX_OBJECT_STREAM_BYTES`.  Checked
    before any object in them is read, since pypdf parses an object stream
    whole; the unpacked streams are kept by pypdf and not unpacked again."""
    in_streams: dict[int, tuple[int, int]] = reader.xref_objStm
    count = len(in_streams) + sum(len(numbers) for numbers in reader.xref.values())
    if count > MAX_OBJECTS:
        raise NotAReport(TOO_MANY_OBJECTS)
    declared = unpacked = 0
    for stream_number in sorted({number for number, _index in in_streams.values()}):
        if stream_number in in_streams:  # an object stream inside another: never valid
            raise NotAReport(PAST_A_LIMIT)
        stream = reader.get_object(stream_number)
        if not isinstance(stream, StreamObject):
            continue  # pypdf refuses it when an object in it is needed
        size = stream.get("/N")
        declared += size if isinstance(size, int) and size > 0 else 0
        if declared > MAX_OBJECTS:
            raise NotAReport(TOO_MANY_OBJECTS)
        unpacked += len(stream.get_data())
        if unpacked > MAX_OBJECT_STREAM_BYTES:
            raise NotAReport(PAST_A_LIMIT)


# --- reading in a child process, a few at a time ----------------------------------------

_slot_count = 2
_slots = threading.BoundedSemaphore(_slot_count)
_wait_seconds = 5.0
_seconds = 20.0


def configure_reading(slots: int, wait_seconds: float, seconds: float) -> None:
    """Read at most ``slots`` PDFs at once in this process, each request
    waiting at most ``wait_seconds`` for a slot, each reading stopped after
    ``seconds``.  Called by the application factory."""
    global _slot_count, _slots, _wait_seconds, _seconds
    slots = max(1, slots)
    if slots != _slot_count:  # a reading in progress releases the semaphore it took
        _slot_count, _slots = slots, threading.BoundedSemaphore(slots)
    _wait_seconds, _seconds = wait_seconds, seconds


@contextmanager
def reading_slot() -> Iterator[None]:
    """Hold one of the process's reading slots.  Raises :class:`ReadingBusy`."""
    slots = _slots
    if not slots.acquire(timeout=_wait_seconds):
        raise ReadingBusy("the server is busy reading other reports")
    try:
        yield
    finally:
        slots.release()


def read_report(pdf: bytes) -> EmbeddedData:
    """:func:`read_embedded` in a child process, with a time limit and a
    memory cap, in one of this process's reading slots.

    Raises :class:`NotAReport` (also when the reading was stopped) and
    :class:`ReadingBusy`.
    """
    if not pdf.startswith(b"%PDF-"):
        raise NotAReport(NOT_A_PDF)
    with reading_slot():
        return _read_in_child_process(pdf, _seconds)


def _read_in_child_process(pdf: bytes, seconds: float) -> EmbeddedData:
    context = multiprocessing.get_context("spawn")  # inherits no thread or lock of the server
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(sender, pdf, READ_MEMORY_BYTES, math.ceil(seconds) + 1),
        name="report-reader",
        daemon=True,
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise NotAReport(too_slow(seconds))
        kind, value = receiver.recv()
    except EOFError:  # the child ended without an answer (killed, or out of memory)
        raise NotAReport(READER_FAILED) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "read" and isinstance(value, EmbeddedData):
        return value
    raise NotAReport(str(value))


def _child_main(sender: Connection, pdf: bytes, memory_bytes: int, cpu_seconds: int) -> None:
    """The child process: cap its memory and processor time (a backstop for
    the parent's deadline), read, send back the data or the refusal.  pypdf's
    warnings about a malformed file quote its content, so they are not logged."""
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    outcome: tuple[str, object]
    try:
        outcome = ("read", read_embedded(pdf))
    except NotAReport as error:
        outcome = ("refused", str(error))
    sender.send(outcome)
    sender.close()
