"""ROPA: the Record of Processing Activities register. Entry point for ``streamlit run``.

Signs the user in first (nothing of the register is drawn for someone who is
not), then offers only the pages their role allows.
"""

from __future__ import annotations

import streamlit as st

from ui.nav import pages_for
from ui.render import favicon
from ui.session import current_user, show_identity

# The icon is drawn here, not named (":material/...:" or an emoji): named icons are fetched from a CDN,
# and the app must work offline.
st.set_page_config(page_title="ROPA register", page_icon=favicon(), layout="wide")

user = current_user()
show_identity(user)

PAGES = {
    section: [st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.default) for spec in specs]
    for section, specs in pages_for(user.role).items()
}

st.navigation(PAGES).run()
