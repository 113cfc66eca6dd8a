"""`minyi demo load`: the default list (赣县区) and demo users, for `make run`. Idempotent."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.auth.operations import create_user, find_user
from service.lists.models import Unit

DEMO_PASSWORD = "demo1234"

#: (username, role, display name, unit name or None)
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("operator", "operator", "话务员 王小敏", None),
    ("dispatcher", "dispatcher", "分拨员 刘建国", None),
    ("reviewer", "reviewer", "审核员 陈静", None),
    ("leader", "leader", "中心主任 赖明", None),
    ("admin", "admin", "系统管理员", None),
    ("cgj", "unit_staff", "区城管局 钟伟", "区城管局"),
    ("rsj", "unit_staff", "区人社局 谢芳", "区人社局"),
    ("meilin", "unit_staff", "梅林镇 曾强", "梅林镇人民政府"),
)


def default_list_path(configured: str | None = None) -> Path:
    if configured:
        return Path(configured)
    return Path(str(files("responsibility_lists") / "ganxian.yaml"))


def load_default_list(s: Session, path: Path) -> str:
    from responsibility_lists.loader import load_file
    from service.errors import Conflict
    from service.lists.operations import activate_version, active_version, store_version

    lst = load_file(path)
    try:
        with s.begin_nested():
            version, created = store_version(s, lst, loaded_by="demo", source_name=path.name)
    except Conflict:  # an older edition of the file is stored under the same label: keep the data
        return f"list {lst.version}: another edition is stored under this label; kept the stored one"
    if active_version(s) is None:
        activate_version(s, version, by="demo")
        return f"list {version.label}: {'stored and ' if created else ''}activated"
    return f"list {version.label}: {'stored' if created else 'already stored'}"


def create_demo_users(s: Session) -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; returns (username, description) for all of them."""
    logins = []
    for username, role, display_name, unit_name in DEMO_USERS:
        unit_code = s.scalar(sa.select(Unit.code).where(Unit.name == unit_name)) if unit_name else None
        if unit_name and unit_code is None:
            continue  # the active list has no such unit
        if find_user(s, username) is None:
            create_user(
                s, username, role, password=DEMO_PASSWORD, unit_code=unit_code, display_name=display_name
            )
        logins.append((username, display_name))
    return logins


@click.group("demo")
def demo_group() -> None:
    """Demo data for trying the service out."""


@demo_group.command("load")
def demo_load() -> None:
    """Load the default list (activated if none is active) and the demo users. Safe to run again."""
    from service.cli_context import app_session

    with app_session() as s:
        from flask import current_app

        click.echo(load_default_list(s, default_list_path(current_app.config.get("DEFAULT_LIST"))))
        for username, description in create_demo_users(s):
            click.echo(f"  {username:<11} / {DEMO_PASSWORD}   {description}")
