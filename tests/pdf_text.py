"""The text of a PDF as poppler's ``pdftotext`` reads it (several times faster
than pypdf's extraction on a full report): per page, or flattened to single
spaces."""

from __future__ import annotations

import subprocess


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, in order.  Raises CalledProcessError when
    poppler cannot read the file."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=120,
    )
    pages = result.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat_pdf_text(pdf: bytes) -> str:
    """Every page's text joined, whitespace runs reduced to one space."""
    return " ".join(" ".join(pdf_pages(pdf)).split())
