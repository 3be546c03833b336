"""Errors a user can act on. Each carries a message a DPO understands."""

from __future__ import annotations

from dataclasses import dataclass


class RopaError(Exception):
    """Base for every error the app and the CLI show as one clear line."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    key: str = ""  # the record field it concerns (e.g. "recipients"), so a form shows it beside that field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationFailed(RopaError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class NotFound(RopaError):
    pass


class PermissionDenied(RopaError):
    pass


class RegisterError(RopaError):
    """The register file itself could not be used as asked; the message says why, in one line.

    Pages show it in place of their content and keep what the user typed; the
    CLI prints it and exits 2. Never a version conflict: that is ``ConflictError``.
    """


class RegisterBusy(RegisterError):
    """Another program held the register file for longer than ``ROPA_BUSY_TIMEOUT``; trying again may work."""


class RegisterUnavailable(RegisterError):
    """The register file cannot be opened, read or written: read-only, damaged or truncated, disk full, I/O."""


class WriteRefused(RegisterError):
    """The database refused a write (a constraint it enforces); nothing of that write was saved."""


class BackupRefused(RopaError):
    """The file is not a backup this version can restore (unreadable, too big, inconsistent); nothing changed."""



class ConflictError(RopaError):
    """Someone saved the record after the user opened it.

    ``changes`` maps each field the other person changed to (their value
    before, their value after), so the user can see what they would overwrite.
    """

    def __init__(self, record: str, expected: int, current: int, by: str, at: str,
                 changes: dict[str, tuple[object, object]]) -> None:
        self.record, self.expected, self.current = record, expected, current
        self.by, self.at, self.changes = by, at, changes
        fields = ", ".join(sorted(changes)) or "no visible fields"
        super().__init__(
            f"{record} was changed by {by} at {at} (version {expected} -> {current}) "
            f"after you opened it; they changed: {fields}. Reload and apply your edits again."
        )
