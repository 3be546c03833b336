"""Widget keys for forms that can start afresh (after a save, a merge or a discard).

Each restart gives the form's widgets a new generation of keys. Deleting a
widget's session state is not enough: the browser keeps the value it shows
and sends it back with the next click, which would silently undo a merge.
New keys make the browser draw new widgets from the new starting values.
"""

from __future__ import annotations

import streamlit as st


def field_key(form: str, field: str, generation: int) -> str:
    """The key of ``field`` in ``form`` in one generation (tests drive forms by these)."""
    return f"{form}{generation}_{field}"


def generation_key(form: str) -> str:
    return f"{form}_generation"


def generation(form: str) -> int:
    return int(st.session_state.get(generation_key(form), 0))


def key(form: str, field: str) -> str:
    """The key of ``field`` in ``form`` as drawn now."""
    return field_key(form, field, generation(form))


def restart(form: str) -> None:
    """Drop the form's current widgets and move on to a new generation of keys."""
    prefix = field_key(form, "", generation(form))
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[name]
    st.session_state[generation_key(form)] = generation(form) + 1
