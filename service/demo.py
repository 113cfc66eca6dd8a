"""`minyi demo load`: the default list (赣县区), demo users and a few knowledge-base articles, for
`make run`. Idempotent."""

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


#: Knowledge-base articles for trying the console's close at first contact: (title, owner unit
#: name, category codes, keywords, body). Illustrations only, marked as such in the body.
DEMO_ARTICLES: tuple[tuple[str, str | None, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "社保卡遗失补办",
        "区人社局",
        ("060304",),
        ("补卡", "丢卡", "社保卡挂失"),
        "社保卡遗失后请先挂失：可在“赣服通”、微信或支付宝的电子社保卡中办理，也可到区人社局服务窗口或"
        "合作银行网点办理。补办携带本人身份证到服务窗口或合作银行网点申请，制卡期间可使用电子社保卡。"
        "\n（演示条目，内容以主管部门最新规定为准。）",
    ),
    (
        "退休养老金待遇咨询",
        "区人社局",
        ("060301",),
        ("退休", "养老金", "退休手续"),
        "达到法定退休年龄且累计缴费满规定年限的参保人，由所在单位或本人到区人社局社保经办窗口申请办理退休"
        "手续。养老金标准按缴费年限、缴费基数和个人账户储存额计算，可通过“赣服通”查询个人权益记录。"
        "\n（演示条目，内容以主管部门最新规定为准。）",
    ),
    (
        "城乡居民医保参保缴费",
        "区医保局",
        ("070301",),
        ("医保缴费", "居民医保", "参保"),
        "城乡居民医保按年度缴费，集中缴费期内可通过“赣服通”、税务App、微信或支付宝缴纳，也可到村（社区）"
        "代办点办理。新生儿、新迁入人员等可在规定时间内随时参保。"
        "\n（演示条目，内容以主管部门最新规定为准。）",
    ),
    (
        "路灯不亮怎么报修",
        "区城管局",
        ("020502",),
        ("路灯不亮", "路灯坏了"),
        "城区道路路灯由区城管局负责维护。请向来电人确认路灯所在道路、最近的门牌号或路口，以及灯杆上的编号，"
        "登记为“路灯照明”诉求派单处理；乡镇道路的路灯由所在乡镇负责。"
        "\n（演示条目，内容以主管部门最新规定为准。）",
    ),
)


def create_demo_articles(s: Session) -> int:
    """The demo knowledge-base articles, written as the demo administrator, when the knowledge base
    is empty (so a second run, or a centre that has edited or withdrawn them, gets none again);
    returns how many were added. A unit or category the active list lacks is left out of the
    article rather than failing the load."""
    from service.knowledge.models import KnowledgeArticle
    from service.knowledge.operations import create_article
    from service.lists.models import Category

    author = find_user(s, "admin")
    if author is None:
        return 0
    if s.scalar(sa.select(KnowledgeArticle.id).limit(1)) is not None:
        return 0
    added = 0
    for title, unit_name, categories, keywords, body in DEMO_ARTICLES:
        owner = (
            s.scalar(sa.select(Unit.code).where(Unit.name == unit_name, Unit.active)) if unit_name else None
        )
        listed = set(
            s.scalars(sa.select(Category.code).where(Category.code.in_(categories), Category.active))
        )
        data = {
            "title": title,
            "body": body,
            "categories": [c for c in categories if c in listed],
            "keywords": list(keywords),
            "owner_unit": owner,
        }
        create_article(s, data, author)
        added += 1
    return added


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
        click.echo(f"knowledge base: {create_demo_articles(s)} demo articles added")
