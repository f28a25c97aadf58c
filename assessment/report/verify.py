"""Read and check the assessment data embedded in a report PDF.

A report carries its assessment as ``assessment.json`` (PDF/A-3 source
file).  Its SHA-256 is stored twice outside the file: as the attachment's
description and printed in the report.  A report is intact when the three
agree; :mod:`assessment.services.reports` then says whether this
installation issued it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from assessment.report.render import EMBEDDED_NAME, SHA256_PREFIX

PRINTED_LABEL = "SHA-256 of the embedded data:"


class NotAReport(ValueError):
    """The bytes are not a PDF, or a PDF without embedded assessment data."""


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
    """The embedded assessment data of report ``pdf`` and its recorded hashes.

    Raises :class:`NotAReport` for anything that is not a readable PDF with
    an ``assessment.json`` attachment.
    """
    if not pdf.startswith(b"%PDF-"):
        raise NotAReport("This is not a PDF file.")
    try:
        reader = PdfReader(io.BytesIO(pdf))
        files = [f for f in reader.attachment_list if f.name == EMBEDDED_NAME]
        if len(files) != 1:
            raise NotAReport(
                "This PDF carries no assessment data: it is not a report of this tool."
            )
        embedded = files[0]
        data = embedded.content
        description = embedded.description or ""
        text = "".join(reader.pages[0].extract_text().split()) if reader.pages else ""
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, NotAReport):
            raise
        raise NotAReport(f"The PDF cannot be read ({type(error).__name__}).") from None
    declared = (
        description.removeprefix(SHA256_PREFIX) if description.startswith(SHA256_PREFIX) else None
    )
    label = "".join(PRINTED_LABEL.split())
    at = text.find(label)
    printed = text[at + len(label) : at + len(label) + 64] if at >= 0 else None
    return EmbeddedData(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        declared_sha256=declared,
        printed_sha256=printed,
    )
