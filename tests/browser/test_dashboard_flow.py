"""The facility manager's day in real Chromium: sign in, open an alert, acknowledge, resolve, see it."""

from __future__ import annotations

import time

from sqlalchemy import update

from core.db.tables import AlertRecord
from tests.browser.conftest import DESKTOP, PHONE, sign_in as _sign_in


def _reset(served, name: str) -> None:
    with served.sessions() as session:
        session.execute(
            update(AlertRecord)
            .where(AlertRecord.id == served.alerts[name])
            .values(status="open", acknowledged_at=None, resolved_at=None, verification=None)
        )
        session.commit()


def _status(served, name: str) -> str:
    with served.sessions() as session:
        return session.get(AlertRecord, served.alerts[name]).status


def test_manager_signs_in_and_sees_only_alerts_of_their_site_biggest_first(served, page_at, shoot):
    page = page_at(DESKTOP)

    _sign_in(page, served.url)

    ids = [int(card.get_attribute("data-alert-id")) for card in page.query_selector_all(".card.alert")]
    assert ids == [served.alerts["big"], served.alerts["small"]]
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.wait_for_selector(".live-dot.on")
    shoot(page, "inbox-desktop")


def test_manager_acknowledges_and_resolves_an_alert_and_sees_the_change(served, page_at, shoot):
    _reset(served, "big")
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    page.click(f"[data-alert-id='{served.alerts['big']}']")
    page.wait_for_selector("svg.chart polyline.expected", state="attached")
    page.click("#acknowledge")
    page.wait_for_selector(".chip.status-acknowledged")
    page.click("#resolve")
    page.wait_for_selector(".chip.status-resolved")

    assert _status(served, "big") == "resolved"
    history = page.inner_text(".history")
    assert "确认" in history and "解决" in history and "manager" in history
    assert page.is_visible("svg.chart rect.episode")
    shoot(page, "alert-resolved-desktop")


def test_the_same_flow_works_at_phone_width(served, page_at, shoot):
    _reset(served, "small")
    page = page_at(PHONE)
    _sign_in(page, served.url)
    shoot(page, "inbox-phone")

    page.click(f"[data-alert-id='{served.alerts['small']}']")
    page.wait_for_selector("svg.chart")
    page.click("#acknowledge")
    page.wait_for_selector(".chip.status-acknowledged")
    page.click("#resolve")
    page.wait_for_selector(".chip.status-resolved")

    assert _status(served, "small") == "resolved"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "alert-resolved-phone")


def test_after_the_toggle_the_dashboard_speaks_english(served, page_at, shoot):
    _reset(served, "big")
    page = page_at(PHONE)
    _sign_in(page, served.url)

    page.click("#lang")
    page.wait_for_selector("text=All sites", state="attached")
    page.click(f"[data-alert-id='{served.alerts['big']}']")
    page.wait_for_selector("#acknowledge")
    assert page.inner_text("#acknowledge") == "Acknowledge"
    page.click("#acknowledge")
    page.wait_for_selector(".chip.status-acknowledged")

    assert page.inner_text(".chip.status-acknowledged") == "Acknowledged"
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, "alert-english-phone")
    page.click("#lang")  # leave the next tests in Chinese (the choice is kept in localStorage per context)


def test_the_inbox_updates_live_when_the_detector_changes_an_alert(served, page_at):
    _reset(served, "big")
    page = page_at(DESKTOP)
    _sign_in(page, served.url)
    page.wait_for_selector(".live-dot.on")

    with served.sessions() as session:
        session.execute(
            update(AlertRecord)
            .where(AlertRecord.id == served.alerts["big"])
            .values(wasted_kwh=123.0, updated_at=int(time.time()) + 1)
        )
        session.commit()

    page.wait_for_selector("text=123 kWh", timeout=10000)


def test_site_page_shows_carbon_open_alerts_and_data_findings(served, page_at, shoot):
    page = page_at(PHONE)
    _sign_in(page, served.url)

    page.goto(served.url + "#/sites/sh-a")
    page.wait_for_selector(".findings")
    page.wait_for_selector(".bar-row")

    assert "表计离线" in page.inner_text(".findings")
    shoot(page, "site-phone")


def test_portfolio_carbon_page_shows_both_scope2_methods(served, page_at, shoot):
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    page.click("a[href='#/carbon']")
    page.wait_for_selector(".hero-number")

    text = page.inner_text("main")
    assert "基于位置" in text and "范围一" in text
    shoot(page, "carbon-desktop")


def test_long_bar_lists_keep_the_biggest_and_sum_the_rest_and_timelines_keep_their_order(served, page_at):
    # The portfolio carbon page draws hundreds of sites with this helper, and months with it too.
    page = page_at(DESKTOP)
    page.goto(served.url)
    shown = page.evaluate(
        """async () => {
            const { bars } = await import('/static/dom.js');
            const text = (rows) => rows.map((r) => [...r.children].map((c) => c.textContent).filter(Boolean).join(' '));
            const sites = Array.from({ length: 20 }, (_, i) => [`site ${i}`, i + 1]);
            const months = [['2025-01', 5], ['2025-02', 9], ['2025-03', 1]];
            return {
                sites: text(bars(sites, (v) => `${v} kg`, { limit: 15, rest: (n) => `${n} others` })),
                months: text(bars(months, (v) => `${v} kg`, { inOrder: true })),
                ranked: text(bars(months, (v) => `${v} kg`)),
            };
        }"""
    )
    assert len(shown["sites"]) == 16
    assert shown["sites"][0] == "site 19 20 kg" and shown["sites"][14] == "site 5 6 kg"
    assert shown["sites"][15] == "5 others 15 kg"  # sites 0-4: 1 + 2 + 3 + 4 + 5
    assert shown["months"] == ["2025-01 5 kg", "2025-02 9 kg", "2025-03 1 kg"]
    assert shown["ranked"] == ["2025-02 9 kg", "2025-01 5 kg", "2025-03 1 kg"]
