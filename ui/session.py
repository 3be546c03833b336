"""Per-run access to the register and the signed-in user.

``current_user()`` is the only place the app learns who is using it. The
decision itself (mode, header or token, roles file) is made by the pure
``ropa.signin``; this module hands it what Streamlit received and, when
nobody acceptable is signed in, shows why and stops the page so no register
data is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitAuthError

from ropa.auth import User
from ropa.config import Config, load_config
from ropa.signin import NotSignedIn, SignInError, check_mode, load_roles, local_user, oidc_user, proxy_user
from ropa.storage.database import Database as Database  # the register handle, for the pages
from ropa.storage.database import open_database
from ui.nav import page_for_script
from ui.render import md


@st.cache_resource(max_entries=4)
def _open(path: str, busy_timeout: float) -> Database:
    return open_database(path, busy_timeout=busy_timeout)


def get_db() -> Database:
    """The migrated register named by ROPA_DB (cached per path)."""
    config = load_config()
    return _open(str(config.db_path), config.busy_timeout)


@dataclass(frozen=True)
class Refusal:
    """Why nobody acceptable is signed in: drawn instead of any page, with a sign-in button where it helps."""

    title: str
    message: str
    offer_login: bool = False


def identify() -> User | Refusal:
    """The signed-in user with their role, or why there is none; draws nothing, so ``app.py`` can decide."""
    config = load_config()
    try:
        mode = check_mode(config)
        if mode == "local":
            return local_user(config)
        roles = load_roles(config.roles_file)
        if mode == "proxy":
            return proxy_user(dict(st.context.headers), config, roles)
        if not _oidc_configured():
            raise SignInError("ROPA_AUTH_MODE is oidc, but this server has no [auth] section in its Streamlit "
                              "secrets (.streamlit/secrets.toml); see docs/deploy.md, OpenID Connect.")
        return oidc_user(_oidc_claims(), config, roles)
    except SignInError as error:
        return Refusal("Sign-in is not configured", str(error))
    except NotSignedIn as error:
        return Refusal("Not signed in", str(error), offer_login=mode == "oidc" and not _signed_in_with_oidc())


def _oidc_configured() -> bool:
    """Whether the identity provider is set up: without it every sign-in attempt could only fail."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # Streamlit's "no secrets file" error is one
        return False


def _oidc_claims() -> dict[str, object]:
    """The identity provider's claims; an OIDC server without its [auth] secrets has none, and says so."""
    try:
        return dict(st.user.to_dict())
    except (StreamlitAuthError, AttributeError, KeyError, FileNotFoundError) as error:
        raise SignInError(f"Single sign-on is not set up on this server ({error}); "
                          "see docs/deploy.md, OpenID Connect.") from None


def current_user() -> User:
    """The signed-in user with their role; stops the page when nobody acceptable is signed in."""
    who = identify()
    if isinstance(who, Refusal):
        refuse(who)
    return who


def page_user(script: str) -> User:
    """The guard at the top of every page script: the user, if their role may open this page.

    Runs before the page reads anything. Somebody not signed in gets the sign-in refusal; a signed-in
    user whose role is too low is told which role the page needs (not silently sent elsewhere). A
    script the navigation does not list opens for nobody.
    """
    user = current_user()
    spec = page_for_script(Path(script).name)
    if spec is None:
        _stop_with("Page not available", "This page is not part of the register.")
    if not user.can(spec.role):
        _stop_with(spec.title, f"{spec.title} is for {spec.role.value}s{spec.reason}. You are signed in as "
                   f"{user.email} with the {user.role.value} role; ask the data protection officer if you "
                   "need more.")
    return user


def _stop_with(title: str, message: str) -> NoReturn:
    st.title(title)
    st.warning(md(message), icon=":material/lock:")
    st.stop()


def refuse(refusal: Refusal) -> NoReturn:
    """Show why there is no access and end the run before any register data is drawn."""
    st.title(refusal.title)
    # The message may quote what the visitor sent (an email header): shown literally, never as Markdown,
    # so it can neither format the page nor make the browser fetch an image.
    st.error(md(refusal.message), icon=":material/lock:")
    if refusal.offer_login:
        st.write("Sign in with your organisation's account to open the register.")
        if st.button("Sign in", key="signin_login", type="primary"):
            try:
                st.login()
            except StreamlitAuthError as error:
                st.error(md(f"Single sign-on is not set up on this server: {error}"))
    elif _signed_in_with_oidc():
        if st.button("Sign out", key="signin_logout"):
            st.logout()
    st.stop()


def _signed_in_with_oidc() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (StreamlitAuthError, AttributeError, KeyError, FileNotFoundError):
        return False


def show_identity(user: User, config: Config | None = None) -> None:
    """Say in the sidebar who is signed in, as what; local mode says plainly that it grants admin rights."""
    settings = config or load_config()
    with st.sidebar:
        if settings.auth_mode.strip().lower() == "local":
            st.info(f"Local mode: you are signed in as {user.email} with admin rights.",
                    icon=":material/person:")
            return
        who = user.email if user.display == user.email else f"{user.display} ({user.email})"
        st.caption(f"Signed in as {md(who)}, role: {user.role.value}")
        if settings.auth_mode.strip().lower() == "oidc" and st.button("Sign out", key="signin_sidebar_logout"):
            st.logout()
