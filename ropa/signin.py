"""Who is using the app and with which role, from the configured sign-in mode.

The app never asks for passwords. In ``local`` mode one configured person is
the admin (a single-user install). In ``proxy`` mode a reverse proxy that has
already authenticated the user passes their email in a trusted header; in
``oidc`` mode Streamlit's own OpenID Connect login supplies it. Either way the
email is mapped to a role by a small TOML file, so access is granted by a
named list an auditor can read, not by code. Pure functions: the Streamlit
side hands in the headers or claims it received.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ropa.auth import Role, User
from ropa.config import Config
from ropa.errors import RopaError

AUTH_MODES = ("local", "proxy", "oidc")
NO_ACCESS = "none"
"""A ``ROPA_DEFAULT_ROLE`` of ``none`` turns away signed-in users the roles file does not name."""

_EMAIL = re.compile(r"^[^@\s:<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_DOMAIN_PATTERN = re.compile(r"^\*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})$")


class SignInError(RopaError):
    """The sign-in configuration is wrong: an operator must fix it, users cannot."""


class NotSignedIn(RopaError):
    """No (acceptable) identity came with the request: the user gets no access."""


def parse_role(value: object, where: str) -> Role:
    """A role name from configuration, refused with a message naming where it came from."""
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise SignInError(f"{where}: '{value}' is not a role; use one of {allowed}.") from None


def normalise_email(value: str | None) -> str | None:
    """The lower-cased email in ``value``, or None when it is not one.

    Accepts the ``provider:email`` form some identity-aware proxies send
    (e.g. ``accounts.google.com:ann@example.com``).
    """
    if not value:
        return None
    text = value.strip()
    if ":" in text:
        text = text.rsplit(":", 1)[1].strip()
    return text.lower() if _EMAIL.match(text) and len(text) <= 320 else None


@dataclass(frozen=True)
class RoleMap:
    """Exact emails and ``*@domain`` patterns, each with a role; an exact email wins."""

    emails: Mapping[str, Role] = field(default_factory=dict)
    domains: Mapping[str, Role] = field(default_factory=dict)

    def role_for(self, email: str) -> Role | None:
        address = email.lower()
        if address in self.emails:
            return self.emails[address]
        return self.domains.get(address.rsplit("@", 1)[-1])


def parse_roles(text: str, source: str = "roles file") -> RoleMap:
    """Read the roles TOML: a ``[roles]`` table of ``"email-or-*@domain" = "role"``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SignInError(f"{source} is not valid TOML: {error}") from None
    table = data.get("roles")
    if not isinstance(table, dict):
        raise SignInError(f'{source} has no [roles] table (e.g. [roles] "dpo@example.com" = "admin").')
    emails: dict[str, Role] = {}
    domains: dict[str, Role] = {}
    for key, value in table.items():
        where = f'{source}, entry "{key}"'
        pattern = _DOMAIN_PATTERN.match(key.strip())
        if pattern:
            domains[pattern.group(1).lower()] = parse_role(value, where)
            continue
        email = normalise_email(key)
        if email is None or ":" in key:
            raise SignInError(f"{where}: not an email address or a *@domain pattern.")
        emails[email] = parse_role(value, where)
    return RoleMap(emails, domains)


def load_roles(path: Path) -> RoleMap:
    """The roles file at ``path``; a missing or broken file stops sign-in (fail closed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SignInError(f"The roles file {path} does not exist; create it from "
                          "config/roles.example.toml or set ROPA_ROLES_FILE.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SignInError(f"The roles file {path} cannot be read: {error}") from None
    return parse_roles(text, str(path))


def check_mode(config: Config) -> str:
    mode = config.auth_mode.strip().lower()
    if mode not in AUTH_MODES:
        raise SignInError(f"ROPA_AUTH_MODE is '{config.auth_mode}'; use one of {', '.join(AUTH_MODES)}.")
    return mode


def local_user(config: Config) -> User:
    """Local mode: the one configured person, with admin rights (a single-user install)."""
    return User(config.local_user, Role.ADMIN, config.local_user)


def user_for_email(email: str, name: str, config: Config, roles: RoleMap) -> User:
    """A signed-in email's role from the roles file, else the default role (or no access)."""
    role = roles.role_for(email)
    if role is None:
        if config.default_role.strip().lower() == NO_ACCESS:
            raise NotSignedIn(f"{email} is signed in but has no access to the register; "
                              "ask the data protection officer to add you to the roles file.")
        role = parse_role(config.default_role, "ROPA_DEFAULT_ROLE")
    return User(email, role, name or email)


def proxy_user(headers: Mapping[str, str], config: Config, roles: RoleMap) -> User:
    """Proxy mode: the email in the trusted header set by the authenticating reverse proxy."""
    raw = _header(headers, config.proxy_header)
    if not raw:
        raise NotSignedIn(f"You are not signed in: the request carries no {config.proxy_header} header. "
                          "Open the register through the organisation's sign-in proxy.")
    email = normalise_email(raw)
    if email is None:
        raise NotSignedIn(f"You are not signed in: the {config.proxy_header} header does not hold an email address.")
    return user_for_email(email, "", config, roles)


def oidc_user(claims: Mapping[str, Any], config: Config, roles: RoleMap) -> User:
    """OIDC mode: the email claim of the identity provider's token."""
    if not claims.get("is_logged_in"):
        raise NotSignedIn("You are not signed in.")
    email = normalise_email(str(claims.get("email") or ""))
    if email is None:
        raise NotSignedIn("Your identity provider did not send an email address; "
                          "the register needs one to record who changed what.")
    if claims.get("email_verified") is False:
        raise NotSignedIn(f"Your identity provider has not verified {email}; verify it and sign in again.")
    return user_for_email(email, str(claims.get("name") or ""), config, roles)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
