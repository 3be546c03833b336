"""Per-run access to the register and the signed-in user.

``current_user()`` is the only place the app learns who is using it. The
decision itself (mode, header or token, roles file) is made by the pure
``ropa.signin``; this module hands it what Streamlit received and, when
nobody acceptable is signed in, shows why and stops the page so no register
data is rendered.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitAuthError

from ropa.auth import User
from ropa.config import Config, load_config
from ropa.signin import NotSignedIn, SignInError, check_mode, load_roles, local_user, oidc_user, proxy_user
from ropa.storage.database import Database, open_database
from ui.render import md


@st.cache_resource(max_entries=4)
def _open(path: str, busy_timeout: float) -> Database:
    return open_database(path, busy_timeout=busy_timeout)


def get_db() -> Database:
    """The migrated register named by ROPA_DB (cached per path)."""
    config = load_config()
    return _open(str(config.db_path), config.busy_timeout)


def auth_mode() -> str:
    """The configured sign-in mode (local, proxy or oidc); an unknown mode stops the page."""
    try:
        return check_mode(load_config())
    except SignInError as error:
        _refuse("Sign-in is not configured", str(error))


def current_user() -> User:
    """The signed-in user with their role; stops the page when nobody acceptable is signed in."""
    config = load_config()
    mode = auth_mode()
    if mode == "local":
        return local_user(config)
    try:
        roles = load_roles(config.roles_file)
        if mode == "proxy":
            return proxy_user(dict(st.context.headers), config, roles)
        return oidc_user(st.user.to_dict(), config, roles)
    except SignInError as error:
        _refuse("Sign-in is not configured", str(error))
    except NotSignedIn as error:
        _refuse("Not signed in", str(error), offer_login=mode == "oidc" and not st.user.is_logged_in)


def _refuse(title: str, message: str, *, offer_login: bool = False) -> NoReturn:
    """Show why there is no access and end the run before any register data is drawn."""
    st.title(title)
    st.error(message, icon=":material/lock:")
    if offer_login:
        st.write("Sign in with your organisation's account to open the register.")
        if st.button("Sign in", key="signin_login", type="primary"):
            try:
                st.login()
            except StreamlitAuthError as error:
                st.error(f"Single sign-on is not set up on this server: {error}")
    elif _signed_in_with_oidc():
        if st.button("Sign out", key="signin_logout"):
            st.logout()
    st.stop()


def _signed_in_with_oidc() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
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
