"""Settings and backup (admins): what the server is configured with, and a safe copy of the register."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from ropa.auth import Role, User
from ropa.backups import backup, restore, utcnow
from ropa.config import SETTINGS, load_config, setting
from ropa.errors import RopaError
from ropa.reference import load_reference
from ropa.register import register_counts
from ui.render import md, notices
from ui.session import Database, current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

PENDING = "admin_pending_restore"  # name of the uploaded file the admin asked to restore from


def _settings_table() -> pd.DataFrame:
    return pd.DataFrame([{"Setting": name, "In effect": setting(name), "Default": default, "What it does": text}
                         for name, default, text in SETTINGS])


def _register_facts(db: Database) -> pd.DataFrame:
    counts = register_counts(db)
    ref = load_reference().meta
    size = db.path.stat().st_size if db.path.exists() else 0
    facts = [
        ("Register file", str(db.path)), ("File size", f"{size / 1_048_576:.1f} MB"),
        ("Entities", f"{counts.entities:,}"), ("Activities", f"{counts.activities:,} ({counts.archived:,} archived)"),
        ("Audit rows", f"{counts.audit_rows:,}"), ("Schema migrations", ", ".join(db.applied_migrations())),
        ("Reference data", f"{ref.title}, version {ref.version}, checked {ref.as_of.isoformat()}"),
    ]
    return pd.DataFrame(facts, columns=["", "Value"])


def _dismiss() -> None:
    st.session_state.pop(PENDING, None)


@st.dialog("Replace the whole register?", width="medium", on_dismiss=_dismiss)
def _confirm_restore(db: Database, user: User, data: bytes, name: str) -> None:
    st.markdown(f"Every entity and activity is replaced by those in **{md(name)}**. The file is checked whole "
                "first; if anything in it does not hold together, nothing changes. The audit trail and the export "
                "log are kept and the restore itself is recorded. Take a backup first if you may want today's "
                "register back.")
    if st.button("Replace the register", key="admin_restore_confirm", type="primary", icon=":material/restore:"):
        _dismiss()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
            try:
                counts = restore(db, user, path)
                st.session_state["admin_flash"] = "Restored: " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            except RopaError as error:
                st.session_state["admin_error"] = str(error)
        st.rerun()


db = get_db()
user = current_user()
st.title("Settings and backup")
if not user.can(Role.ADMIN):
    st.warning("This page is for admins.", icon=":material/lock:")
    st.stop()

notices("admin_flash", "admin_error")

config = load_config()
st.subheader("Register", divider="gray")
st.dataframe(_register_facts(db), hide_index=True, key="admin_facts")
st.subheader("Settings", divider="gray")
st.caption("Set through environment variables when the server starts; they are listed in the README.")
st.dataframe(_settings_table(), hide_index=True, key="admin_settings",
             column_config={"What it does": st.column_config.TextColumn(width="large")})

st.subheader("Backup", divider="gray")
st.write("A backup is one file holding every entity, activity and the audit trail. It is also kept in the "
         "export folder.")
if st.button("Create a backup", key="admin_backup", icon=":material/backup:"):
    target = config.export_dir / "backups" / f"ropa-backup-{utcnow():%Y%m%dT%H%M%SZ}.json.gz"
    try:
        result = backup(db, user, target)
        st.session_state["admin_backup_file"] = result["path"]
        st.session_state["admin_backup_sha256"] = result["sha256"]
    except (RopaError, OSError) as error:
        st.error(md(f"The backup could not be written: {error}"), icon=":material/error:")
made = st.session_state.get("admin_backup_file")
if made and Path(made).is_file():
    digest = st.session_state.get("admin_backup_sha256", "")
    st.success(md(f"Backup written to {made} (SHA-256 {digest}); the audit trail records who took it."),
               icon=":material/check_circle:")
    st.download_button("Download the backup", Path(made).read_bytes(), file_name=Path(made).name,
                       mime="application/gzip", key="admin_backup_download", icon=":material/download:")

st.subheader("Restore", divider="gray")
upload = st.file_uploader("Backup file", type=["gz", "json"], key="admin_restore_file",
                          max_upload_size=config.max_upload_mb)
if upload is None:
    st.session_state.pop(PENDING, None)
elif st.button("Restore from this file", key="admin_restore", icon=":material/restore:"):
    if upload.size > config.max_upload_mb * 1_048_576:
        st.error(f"The file is larger than {config.max_upload_mb} MB (ROPA_MAX_UPLOAD_MB).")
    else:
        st.session_state[PENDING] = upload.name
if upload is not None and st.session_state.get(PENDING) == upload.name:
    _confirm_restore(db, user, upload.getvalue(), upload.name)
