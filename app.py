"""ROPA: the Record of Processing Activities register. Entry point for ``streamlit run``.

Signs the user in first, and always hands Streamlit an explicit page list
(``st.navigation``), so Streamlit never discovers and serves scripts by
itself. Somebody not signed in gets a navigation of one page, the refusal: no
URL reaches a page script. A signed-in user gets every page registered (a URL
to a page their role may not open is answered by that page's own guard, which
says why) and a menu of the pages their role allows. Each page script checks
the user again before it reads anything, so every route is guarded twice.
"""

from __future__ import annotations

import streamlit as st

from ropa.config import settings_problem
from ui.nav import PAGES, pages_for
from ui.render import favicon, register_unavailable
from ui.session import Refusal, identify, refuse, show_identity

# The icon is drawn here, not named (":material/...:" or an emoji): named icons are fetched from a CDN,
# and the app must work offline.
st.set_page_config(page_title="ROPA register", page_icon=favicon(), layout="wide")

problem = settings_problem()
who = identify() if problem is None else Refusal("The server is not configured", problem)
if isinstance(who, Refusal):
    refusal = who

    def sign_in() -> None:
        refuse(refusal)

    # Every page's address answers with the refusal itself (not "page not found"), and no script is registered.
    st.navigation([st.Page(sign_in, title=refusal.title, url_path=spec.url_path, default=spec.default)
                   for spec in PAGES], position="hidden").run()
else:
    show_identity(who)
    registered = {spec.path: st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.default,
                                     url_path=spec.url_path) for spec in PAGES}
    navigation = st.navigation(list(registered.values()), position="hidden")
    with st.sidebar:
        for section, specs in pages_for(who.role).items():
            st.caption(section)
            for spec in specs:
                st.page_link(registered[spec.path])
    with register_unavailable():
        navigation.run()
