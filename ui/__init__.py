"""Streamlit-side helpers shared by the pages: the only place pages get the register and the user."""
