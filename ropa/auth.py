"""Who may do what. Checked in ``ropa`` on every write, not only by hiding buttons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ropa.errors import PermissionDenied


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "admin": 2}[self.value]


@dataclass(frozen=True)
class User:
    email: str
    role: Role
    name: str = ""

    @property
    def display(self) -> str:
        return self.name or self.email

    def can(self, role: Role) -> bool:
        return self.role.rank >= role.rank


def require(user: User, role: Role, action: str) -> None:
    """Raise unless ``user`` holds ``role`` or a higher one."""
    if not user.can(role):
        raise PermissionDenied(
            f"{user.display} is a {user.role.value} and may not {action}; it needs the {role.value} role."
        )


SYSTEM = User("system", Role.ADMIN, "ropa system")
