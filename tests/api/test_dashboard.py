"""The dashboard: a self-contained shell and assets, served without a key, in two languages."""

from __future__ import annotations

import re

import pytest

from api.routes.dashboard import STATIC_DIR

#: A scheme or protocol-relative URL naming a host.
URL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
#: XML namespace names are identifiers that browsers never fetch.
NAMESPACES = {"http://www.w3.org"}
ASSETS = sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file())


def test_shell_is_served_as_html_without_a_key(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'src="static/app.js"' in response.text


def test_shell_forbids_loading_anything_from_elsewhere(client):
    policy = client.get("/").headers["Content-Security-Policy"]

    assert "default-src 'self'" in policy and "script-src 'self'" in policy


@pytest.mark.parametrize("name", ASSETS)
def test_every_asset_is_served(client, name):
    response = client.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.content == (STATIC_DIR / name).read_bytes()


def test_every_asset_the_page_references_exists(client):
    html = client.get("/").text
    referenced = set(re.findall(r'(?:src|href)="static/([^"]+)"', html))
    for script in STATIC_DIR.glob("*.js"):
        referenced |= set(re.findall(r'from "\./([^"]+)"', script.read_text(encoding="utf-8")))

    assert referenced and referenced <= set(ASSETS)


@pytest.mark.parametrize("name", ["/", *(f"/static/{a}" for a in ASSETS)])
def test_no_asset_names_an_external_url(client, name):
    text = client.get(name).text

    external = {m.group(0) for m in URL.finditer(text)} - NAMESPACES
    assert not external


def _keys(block: str) -> set[str]:
    return set(re.findall(r"^\s{4}(\w+):", block, re.MULTILINE))


def test_every_ui_string_exists_in_chinese_and_english():
    source = (STATIC_DIR / "i18n.js").read_text(encoding="utf-8")
    zh_block, en_block = source.split("\n  en: {", 1)

    assert _keys(zh_block) == _keys(en_block.split("\n  },", 1)[0])
    assert len(_keys(zh_block)) > 50


def test_shell_is_chinese_by_default(client):
    html = client.get("/").text

    assert '<html lang="zh-CN">' in html and "公区能耗巡检" in html


def test_openapi_document_is_versioned_and_describes_the_routes(client):
    spec = client.get("/api/v1/openapi.json").json()

    assert spec["info"]["title"] == "kilowatch API"
    assert {"/api/v1/alerts", "/api/v1/sites/{site_id}/carbon", "/api/v1/carbon"} <= spec["paths"].keys()
    assert "BearerKey" in spec["components"]["securitySchemes"]
