"""The knowledge base's pages (知识库): the centre and the units keep the articles the operators
answer consultations from; everyone on the staff reads them."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from service.knowledge.models import KnowledgeArticle
from tests.web.conftest import csrf_token_of, error_summary_lines_of


def token(client, url: str = "/knowledge") -> str:
    return csrf_token_of(client.get(url).get_data(as_text=True))


def new_article(client, **fields: str):
    data = {
        "title": "社保卡遗失补办",
        "body": "先在电子社保卡中挂失，再携带身份证到服务窗口补办。",
        "categories": "060304",
        "keywords": "补卡，丢卡",
        "csrf_token": token(client, "/knowledge/new"),
        **fields,
    }
    return client.post("/knowledge/new", data=data)


def field_error(html: str, name: str) -> str:
    match = re.search(rf'id="f-{re.escape(name)}-error">([^<]*)<', html)
    return unescape(match.group(1)) if match else ""


def article_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-article-id="(\d+)"', html)]


def test_the_centre_writes_an_article_and_the_operator_finds_it_on_both_pages(logged_in, client, db_session):
    centre = logged_in("dispatcher")
    r = new_article(centre, owner_unit="GXQ-RSJ")
    assert r.status_code == 302
    article = db_session.scalar(sa.select(KnowledgeArticle).where(KnowledgeArticle.title == "社保卡遗失补办"))
    assert article is not None
    assert (article.categories, article.keywords, article.owner_unit_code) == (
        ["060304"],
        ["补卡", "丢卡"],
        "GXQ-RSJ",
    )
    page = centre.get(r.headers["Location"]).get_data(as_text=True)
    assert "已新建知识库条目“社保卡遗失补办”" in page
    assert "区人社局" in page and "社保卡（060304）" in page

    client.post("/logout", data={"csrf_token": token(centre)})
    operator = logged_in("operator")
    home = operator.get("/console").get_data(as_text=True)
    assert 'href="/knowledge"' in home  # the nav names the knowledge base
    listing = operator.get("/knowledge?q=丢了社保卡").get_data(as_text=True)
    assert article_ids(listing) == [article.id]
    assert "新建条目" not in listing  # operators read, they do not write
    assert "社保卡遗失补办" in operator.get("/console/knowledge?kb_q=社保卡补办").get_data(as_text=True)
    assert operator.get("/knowledge/new").status_code == 403


def test_bad_input_names_each_field_and_keeps_what_was_typed(logged_in):
    centre = logged_in("dispatcher")
    r = new_article(
        centre, title="", categories="060304 999999", valid_from="2026-12-31", valid_to="2026-12-01"
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert field_error(page, "title")
    assert "999999" in field_error(page, "categories")
    assert "GET /api" not in page  # said in page terms
    assert field_error(page, "valid_to")
    summary = error_summary_lines_of(page)
    assert any(line.startswith("标题") for line in summary)
    assert any(line.startswith("失效日期") for line in summary)
    assert "先在电子社保卡中挂失" in page and "060304 999999" in page  # nothing typed is lost


def test_a_unit_writes_for_itself_and_edits_only_its_own(logged_in, client, db_session):
    centre = logged_in("dispatcher")
    new_article(centre, title="城管条目", owner_unit="GXQ-CGJ")
    theirs = db_session.scalar(sa.select(KnowledgeArticle.id).where(KnowledgeArticle.title == "城管条目"))
    client.post("/logout", data={"csrf_token": token(centre)})

    unit = logged_in("rsj")
    r = new_article(unit, title="人社条目", owner_unit="GXQ-CGJ")  # no owner field on its form: ignored
    assert r.status_code == 302
    mine = db_session.scalar(sa.select(KnowledgeArticle).where(KnowledgeArticle.title == "人社条目"))
    assert mine.owner_unit_code == "GXQ-RSJ"
    assert "负责单位" not in unit.get("/knowledge/new").get_data(as_text=True).split("<form", 1)[1]

    assert unit.get(f"/knowledge/{theirs}/edit").status_code == 403
    assert unit.post(f"/knowledge/{theirs}/withdraw", data={"csrf_token": token(unit)}).status_code == 403
    assert "修改条目" not in unit.get(f"/knowledge/{theirs}").get_data(as_text=True)

    edit = unit.get(f"/knowledge/{mine.id}/edit").get_data(as_text=True)
    assert "人社条目" in edit
    r = unit.post(
        f"/knowledge/{mine.id}/edit",
        data={
            "title": "人社条目（新）",
            "body": "新的正文",
            "keywords": "",
            "csrf_token": csrf_token_of(edit),
        },
    )
    assert r.status_code == 302
    db_session.refresh(mine)
    assert (mine.title, mine.body, mine.keywords, mine.categories) == ("人社条目（新）", "新的正文", [], [])
    assert mine.owner_unit_code == "GXQ-RSJ"

    unit.post(f"/knowledge/{mine.id}/withdraw", data={"csrf_token": token(unit)})
    db_session.refresh(mine)
    assert not mine.active
    assert unit.post(f"/knowledge/{mine.id}/restore", data={"csrf_token": token(unit)}).status_code == 403


def test_a_withdrawn_article_is_found_no_more_and_the_centre_brings_it_back(logged_in, client, db_session):
    centre = logged_in("dispatcher")
    new_article(centre)
    article = db_session.scalar(sa.select(KnowledgeArticle).where(KnowledgeArticle.title == "社保卡遗失补办"))
    r = centre.post(f"/knowledge/{article.id}/withdraw", data={"csrf_token": token(centre)})
    assert "已撤下条目" in centre.get(r.headers["Location"]).get_data(as_text=True)
    assert article_ids(centre.get("/knowledge?q=社保卡").get_data(as_text=True)) == []
    withdrawn = centre.get("/knowledge?q=社保卡&all=true").get_data(as_text=True)
    assert article_ids(withdrawn) == [article.id] and "已撤下" in withdrawn

    client.post("/logout", data={"csrf_token": token(centre)})
    operator = logged_in("operator")
    assert operator.get(f"/knowledge/{article.id}").status_code == 404
    assert article_ids(operator.get("/knowledge?q=社保卡&all=true").get_data(as_text=True)) == []
    client.post("/logout", data={"csrf_token": token(operator)})

    centre = logged_in("dispatcher")
    centre.post(f"/knowledge/{article.id}/restore", data={"csrf_token": token(centre)})
    assert article_ids(centre.get("/knowledge?q=社保卡").get_data(as_text=True)) == [article.id]


def test_the_english_pages(logged_in):
    centre = logged_in("dispatcher")
    new_article(centre)
    page = centre.get("/knowledge?lang=en").get_data(as_text=True)
    assert "Knowledge base" in page and "New article" in page and "Articles found: 1" in page
    form = centre.get("/knowledge/new?lang=en").get_data(as_text=True)
    assert "Title" in form and "Expires on" in form


def test_the_demo_articles_are_loaded_once(app, db_session):
    from service.demo import DEMO_ARTICLES, create_demo_articles

    assert create_demo_articles(db_session) == len(DEMO_ARTICLES)
    assert create_demo_articles(db_session) == 0
    owners = {
        t: u
        for t, u in db_session.execute(sa.select(KnowledgeArticle.title, KnowledgeArticle.owner_unit_code))
    }
    assert owners["社保卡遗失补办"] == "GXQ-RSJ"


def test_a_leader_reads_but_does_not_write(logged_in):
    leader = logged_in("leader")
    page = leader.get("/knowledge")
    assert page.status_code == 200 and "新建条目" not in page.get_data(as_text=True)
    assert leader.get("/knowledge/new").status_code == 403
