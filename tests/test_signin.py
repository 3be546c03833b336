"""Sign-in modes, the roles file, and the role check every write in ``ropa`` makes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ropa.auth import Role, User
from ropa.backups import backup, restore
from ropa.config import Config, load_config
from ropa.errors import PermissionDenied
from ropa.models import Entity
from ropa.signin import (
    NotSignedIn,
    RoleMap,
    SignInError,
    check_mode,
    load_roles,
    local_user,
    normalise_email,
    oidc_user,
    parse_roles,
    proxy_user,
)
from ropa.storage.activities import (
    archive_activity,
    create_activities,
    create_activity,
    duplicate_activity,
    get_activity,
    mark_reviewed,
    restore_activity,
    transition,
    update_activity,
)
from ropa.storage.database import Database
from ropa.storage.entities import create_entity, set_entity_archived, update_entity
from tests.factories import DPO, EDITOR, VIEWER, Seeded, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROLES = parse_roles("""
[roles]
"Dpo@Example.com" = "admin"
"ed@example.com" = "editor"
"*@example.com" = "viewer"
"*@partner.example.org" = "editor"
""")


def _config(**changes: Any) -> Config:
    return load_config().model_copy(update=changes)


@pytest.mark.parametrize(("email", "expected"), [
    pytest.param("dpo@example.com", Role.ADMIN, id="exact-email"),
    pytest.param("DPO@EXAMPLE.COM", Role.ADMIN, id="exact-email-any-case"),
    pytest.param("ed@example.com", Role.EDITOR, id="exact-email-beats-domain"),
    pytest.param("someone@example.com", Role.VIEWER, id="domain-pattern"),
    pytest.param("ann@partner.example.org", Role.EDITOR, id="second-domain"),
    pytest.param("ann@sub.example.com", None, id="subdomain-is-not-the-domain"),
    pytest.param("ann@elsewhere.com", None, id="unknown-domain"),
])
def test_roles_file_maps_emails_and_domains(email: str, expected: Role | None) -> None:
    assert ROLES.role_for(email) == expected


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("[roles]\n'dpo@example.com' = 'superuser'", "'superuser' is not a role", id="unknown-role"),
    pytest.param("[roles]\n'not an email' = 'viewer'", "not an email address", id="bad-key"),
    pytest.param("[roles]\n'*@' = 'viewer'", "not an email address", id="empty-domain-pattern"),
    pytest.param("[people]\n'a@b.com' = 'viewer'", "no [roles] table", id="missing-table"),
    pytest.param("[roles\n", "not valid TOML", id="broken-toml"),
])
def test_a_broken_roles_file_is_refused_with_a_clear_reason(text: str, message: str) -> None:
    with pytest.raises(SignInError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_roles(text)


def test_a_missing_roles_file_stops_sign_in(tmp_path: Path) -> None:
    with pytest.raises(SignInError, match="does not exist"):
        load_roles(tmp_path / "roles.toml")


def test_the_example_roles_file_is_valid() -> None:
    roles = load_roles(Path(__file__).parent.parent / "config" / "roles.example.toml")
    assert roles.role_for("dpo@example.com") == Role.ADMIN
    assert roles.role_for("anyone@example.com") == Role.VIEWER


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param("ann@example.com", "ann@example.com", id="plain"),
    pytest.param("  Ann@Example.COM ", "ann@example.com", id="trimmed-lowercased"),
    pytest.param("accounts.google.com:ann@example.com", "ann@example.com", id="provider-prefix"),
    pytest.param("", None, id="empty"),
    pytest.param("ann", None, id="no-at-sign"),
    pytest.param("<script>@example.com", None, id="markup"),
    pytest.param("ann@example.com, bob@example.com", None, id="two-addresses"),
    pytest.param("a" * 320 + "@example.com", None, id="too-long"),
])
def test_emails_are_normalised_or_rejected(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected


def test_local_mode_signs_in_the_configured_user_as_admin() -> None:
    user = local_user(_config(local_user="owner@localhost"))
    assert user == User("owner@localhost", Role.ADMIN, "owner@localhost")


@pytest.mark.parametrize("mode", ["local", "proxy", "oidc", " OIDC "])
def test_known_modes_are_accepted(mode: str) -> None:
    assert check_mode(_config(auth_mode=mode)) == mode.strip().lower()


def test_an_unknown_mode_is_a_configuration_error() -> None:
    with pytest.raises(SignInError, match="ROPA_AUTH_MODE"):
        check_mode(_config(auth_mode="ldap"))


@pytest.mark.parametrize(("headers", "expected"), [
    pytest.param({"X-Forwarded-Email": "dpo@example.com"}, User("dpo@example.com", Role.ADMIN, "dpo@example.com"),
                 id="named-admin"),
    pytest.param({"x-forwarded-email": "ed@example.com"}, User("ed@example.com", Role.EDITOR, "ed@example.com"),
                 id="header-name-any-case"),
    pytest.param({"X-Forwarded-Email": "stranger@elsewhere.com"},
                 User("stranger@elsewhere.com", Role.VIEWER, "stranger@elsewhere.com"), id="unknown-gets-default"),
])
def test_proxy_mode_reads_the_trusted_header(headers: dict[str, str], expected: User) -> None:
    assert proxy_user(headers, _config(proxy_header="X-Forwarded-Email", default_role="viewer"), ROLES) == expected


@pytest.mark.parametrize(("headers", "message"), [
    pytest.param({}, "carries no X-Forwarded-Email header", id="missing-header"),
    pytest.param({"X-Forwarded-Email": ""}, "carries no X-Forwarded-Email header", id="empty-header"),
    pytest.param({"X-Forwarded-Email": "not-an-email"}, "does not hold an email", id="garbage-header"),
    pytest.param({"X-Other": "dpo@example.com"}, "carries no X-Forwarded-Email header", id="other-header"),
])
def test_proxy_mode_without_a_usable_header_is_not_signed_in(headers: dict[str, str], message: str) -> None:
    with pytest.raises(NotSignedIn, match=message):
        proxy_user(headers, _config(proxy_header="X-Forwarded-Email"), ROLES)


def test_default_role_none_turns_away_unknown_users() -> None:
    with pytest.raises(NotSignedIn, match="no access"):
        proxy_user({"X-Forwarded-Email": "stranger@elsewhere.com"}, _config(default_role="none"), ROLES)


def test_a_wrong_default_role_is_a_configuration_error() -> None:
    with pytest.raises(SignInError, match="ROPA_DEFAULT_ROLE"):
        proxy_user({"X-Forwarded-Email": "stranger@elsewhere.com"}, _config(default_role="root"), ROLES)


def test_oidc_mode_maps_the_email_claim_to_a_role() -> None:
    claims = {"is_logged_in": True, "email": "Ed@Example.com", "name": "Ed Itor", "email_verified": True}
    assert oidc_user(claims, _config(), ROLES) == User("ed@example.com", Role.EDITOR, "Ed Itor")


@pytest.mark.parametrize("claims", [
    pytest.param({}, id="no-session"),
    pytest.param({"is_logged_in": False, "email": "dpo@example.com"}, id="logged-out"),
    pytest.param({"is_logged_in": True}, id="no-email-claim"),
    pytest.param({"is_logged_in": True, "email": "dpo@example.com", "email_verified": False}, id="unverified-email"),
])
def test_oidc_mode_without_a_verified_email_is_not_signed_in(claims: dict[str, Any]) -> None:
    with pytest.raises(NotSignedIn):
        oidc_user(claims, _config(), ROLES)


def test_an_empty_role_map_gives_everyone_the_default_role() -> None:
    user = oidc_user({"is_logged_in": True, "email": "a@b.com"}, _config(default_role="editor"), RoleMap())
    assert user.role == Role.EDITOR


# -- the role is enforced in ropa on every write, whatever the UI shows ----------

Write = Callable[[Database, User, dict[str, int]], object]

ACTIVITY_WRITES: list[Any] = [
    pytest.param(lambda db, u, ids: create_activity(db, u, make_activity(ids["entity"])), id="create_activity"),
    pytest.param(lambda db, u, ids: create_activities(db, u, [make_activity(ids["entity"])]), id="create_activities"),
    pytest.param(lambda db, u, ids: update_activity(db, u, get_activity(db, ids["activity"]).model_copy(
        update={"name": "Changed"}), 1), id="update_activity"),
    pytest.param(lambda db, u, ids: archive_activity(db, u, ids["activity"], 1), id="archive_activity"),
    pytest.param(lambda db, u, ids: restore_activity(db, u, ids["archived"], 2), id="restore_activity"),
    pytest.param(lambda db, u, ids: transition(db, u, ids["activity"], 1, "in_review"), id="transition"),
    pytest.param(lambda db, u, ids: mark_reviewed(db, u, ids["activity"], 1, on=date(2026, 1, 1)),
                 id="mark_reviewed"),
    pytest.param(lambda db, u, ids: duplicate_activity(db, u, ids["activity"]), id="duplicate_activity"),
]
ADMIN_WRITES: list[Any] = [
    pytest.param(lambda db, u, ids: create_entity(db, u, make_entity(name="New Co")), id="create_entity"),
    pytest.param(lambda db, u, ids: update_entity(db, u, Entity.model_validate(
        {**make_entity().model_dump(), "id": ids["entity"], "phone": "1"}), 1), id="update_entity"),
    pytest.param(lambda db, u, ids: set_entity_archived(db, u, ids["entity"], 1, True), id="archive_entity"),
    pytest.param(lambda db, u, ids: restore(db, u, ids["backup_path"]), id="restore_backup"),
]


def _world(db: Database) -> dict[str, Any]:
    """An entity, a live and an archived activity, and a backup of them beside the register."""
    entity = create_entity(db, DPO, make_entity())
    activity = create_activity(db, DPO, make_activity(entity.id or 0))
    archived = create_activity(db, DPO, make_activity(entity.id or 0, name="Archived one"))
    archive_activity(db, DPO, archived.id or 0, 1)
    path = db.path.parent / "backup.json"
    backup(db, DPO, path)
    return {"entity": entity.id, "activity": activity.id, "archived": archived.id, "backup_path": path}


def _seed(seeded: Seeded, db: Database, tmp_path: Path) -> dict[str, Any]:
    """``_world`` (built once per session) copied into the test's register, its backup into ``tmp_path``."""
    ids: dict[str, Any] = dict(seeded(_world, db.path))
    ids["backup_path"] = Path(shutil.copy(ids["backup_path"], tmp_path / "backup.json"))
    return ids


def _audit_rows(db: Database) -> int:
    return int(db.rows("SELECT count(*) FROM audit_log")[0][0])


@pytest.mark.parametrize("write", ACTIVITY_WRITES + ADMIN_WRITES)
def test_a_viewer_may_not_write_anything(db: Database, seeded: Seeded, tmp_path: Path, write: Write) -> None:
    ids = _seed(seeded, db, tmp_path)
    before = _audit_rows(db)
    with pytest.raises(PermissionDenied, match="is a viewer"):
        write(db, VIEWER, ids)
    assert _audit_rows(db) == before


@pytest.mark.parametrize("write", ADMIN_WRITES)
def test_an_editor_may_not_change_entities_or_restore(db: Database, seeded: Seeded, tmp_path: Path,
                                                     write: Write) -> None:
    ids = _seed(seeded, db, tmp_path)
    before = _audit_rows(db)
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        write(db, EDITOR, ids)
    assert _audit_rows(db) == before


@pytest.mark.parametrize("write", ACTIVITY_WRITES)
def test_an_editor_may_change_activities(db: Database, seeded: Seeded, tmp_path: Path, write: Write) -> None:
    ids = _seed(seeded, db, tmp_path)
    before = _audit_rows(db)
    write(db, EDITOR, ids)
    assert _audit_rows(db) == before + 1
