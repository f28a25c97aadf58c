"""Every installed version of the question bank.

The current bank is ``questions/``; earlier versions are kept, unchanged, in
``questions/archive/<version>/`` so that an assessment answered against one of
them keeps opening, scoring and rendering with the questions it was answered
against.  All versions share the JSON Schemas of ``questions/schema/``.

:func:`load_banks` loads them all at once (start-up fails on the first
malformed file of any version, with the loader's one-line message), and
:class:`BankSet` looks one up by bank id and version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assessment.engine.bank import Bank
from assessment.engine.document import (
    AssessmentDocument,
    DocumentError,
    decode_document,
    parse_document,
)
from assessment.engine.loader import MANIFEST_NAME, SCHEMA_DIR_NAME, BankError, load_bank

ARCHIVE_DIR_NAME = "archive"


class UnknownBankVersion(LookupError):
    """A bank id and version this installation does not have.  ``str()`` is
    one complete message naming the versions it does have."""

    def __init__(self, bank_id: str, version: str, installed: tuple[str, ...]) -> None:
        self.bank_id = bank_id
        self.version = version
        self.installed = installed
        super().__init__(
            f"question bank {bank_id} {version} is not installed here "
            f"(installed: {', '.join(installed) or 'none'})"
        )


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts "1.0" < "1.10" < "2.0"; parts that are not numbers sort after numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))


@dataclass(frozen=True, slots=True)
class BankSet:
    """The current bank and every archived version, keyed by (bank id, version)."""

    current: Bank
    _by_key: Mapping[tuple[str, str], Bank] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, current: Bank, *archived: Bank) -> BankSet:
        """A set of ``current`` and ``archived`` banks (for tests and tools).
        Raises ``ValueError`` if two share an id and version."""
        by_key: dict[tuple[str, str], Bank] = {}
        for bank in (current, *archived):
            key = (bank.id, bank.version)
            if key in by_key:
                raise ValueError(f"question bank {bank.id} {bank.version} is given twice")
            by_key[key] = bank
        return cls(current, MappingProxyType(by_key))

    def get(self, bank_id: str, version: str) -> Bank:
        """The bank ``bank_id`` at ``version``.  Raises :class:`UnknownBankVersion`."""
        try:
            return self._by_key[(bank_id, version)]
        except KeyError:
            raise UnknownBankVersion(bank_id, version, self.versions_of(bank_id)) from None

    def has(self, bank_id: str, version: str) -> bool:
        return (bank_id, version) in self._by_key

    def is_current(self, bank_id: str, version: str) -> bool:
        return (bank_id, version) == (self.current.id, self.current.version)

    def versions_of(self, bank_id: str) -> tuple[str, ...]:
        """The installed versions of ``bank_id``, oldest first."""
        return tuple(sorted((v for i, v in self._by_key if i == bank_id), key=_version_key))

    @property
    def banks(self) -> tuple[Bank, ...]:
        """Every installed bank, by id and then oldest version first."""
        return tuple(sorted(self._by_key.values(), key=lambda b: (b.id, _version_key(b.version))))


def load_banks(directory: Path | str) -> BankSet:
    """The bank in ``directory`` (the current one) and every version archived
    in ``directory/archive/*/``, each checked as :func:`load_bank` checks one.

    An archived copy of the current version is checked like the others, and
    the current folder is used.  Raises
    :class:`~assessment.engine.loader.BankError` for any malformed file, for
    an archive folder not named after the version its ``bank.yaml`` declares,
    and for a version that is archived twice.
    """
    directory = Path(directory)
    current = load_bank(directory)
    archived: list[Bank] = []
    archive = directory / ARCHIVE_DIR_NAME
    folders = sorted(p for p in archive.iterdir() if p.is_dir()) if archive.is_dir() else []
    for folder in folders:
        display = f"{directory.name}/{ARCHIVE_DIR_NAME}/{folder.name}"
        bank = load_bank(folder, schema_dir=directory / SCHEMA_DIR_NAME, display=display)
        if bank.version != folder.name:
            raise BankError(
                f"{display}/{MANIFEST_NAME}",
                f"declares version {bank.version}, but its folder is named {folder.name}",
            )
        if (bank.id, bank.version) != (current.id, current.version):
            archived.append(bank)  # an archived copy of the current version is checked only
    try:
        return BankSet.of(current, *archived)
    except ValueError as error:
        raise BankError(f"{directory.name}/{ARCHIVE_DIR_NAME}", str(error)) from None


@cache
def load_banks_cached(directory: str) -> BankSet:
    """:func:`load_banks`, once per directory for the life of the process."""
    return load_banks(directory)


def parse_exchange(data: Any, banks: BankSet) -> AssessmentDocument:
    """Validate exchange ``data`` against the bank version it names.

    Raises :class:`~assessment.engine.document.DocumentError`, also for a bank
    id or version this installation does not have (naming the ones it has).
    """
    bank_ref = data.get("bank") if isinstance(data, Mapping) else None
    if isinstance(bank_ref, Mapping):
        bank_id, version = bank_ref.get("id"), bank_ref.get("version")
        if isinstance(bank_id, str) and isinstance(version, str) and banks.has(bank_id, version):
            return parse_document(data, banks.get(bank_id, version))
        if bank_id == banks.current.id:
            installed = ", ".join(banks.versions_of(bank_id))
            raise DocumentError(
                [
                    f"unknown bank version {version!r} of {bank_id} "
                    f"(this installation has versions {installed})"
                ]
            )
    return parse_document(data, banks.current)  # names what is wrong with the rest


def load_exchange(text: str | bytes, banks: BankSet) -> AssessmentDocument:
    """Decode JSON ``text`` within the size and nesting limits
    (:func:`~assessment.engine.document.decode_document`) and
    :func:`parse_exchange` it.  Raises
    :class:`~assessment.engine.document.DocumentError`."""
    return parse_exchange(decode_document(text), banks)
