"""The monthly report (月报) in real Chromium: a site's and the portfolio's month, scoped to the manager, printable."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.db.tables import AlertRecord
from tests.browser.conftest import DESKTOP, PHONE, sign_in as _sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _month_of(ts: int) -> str:
    return datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y-%m")


def _this_month() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m")


def _js_round(x: float) -> int:
    """Half away from zero, as the page's toLocaleString rounds (Python's round() goes to even)."""
    return int(x + 0.5)


def _set_status(served, name: str, status: str) -> None:
    with served.sessions() as session:
        session.execute(update(AlertRecord).where(AlertRecord.id == served.alerts[name]).values(status=status))
        session.commit()


def _alerts_in(served, site_id: str, month: str) -> list[AlertRecord]:
    with served.sessions() as session:
        rows = session.query(AlertRecord).filter(AlertRecord.site_id == site_id).all()
        return [r for r in rows if _month_of(r.started_at) == month]


def _open_report(page, served, target: str, month: str) -> None:
    page.goto(f"{served.url}#/report/{target}/{month}")
    page.wait_for_selector(".report-section .report-table.scopes")


def test_a_sites_report_counts_the_months_waste_found_and_fixed_and_lists_its_top_alerts(served, page_at, shoot):
    month = _this_month()
    _set_status(served, "big", "open")
    _set_status(served, "small", "resolved")
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    _open_report(page, served, "sh-a", month)

    expected = _alerts_in(served, "sh-a", month)
    fixed = [a for a in expected if a.status == "resolved"]
    assert expected, "the seeded alerts fall in this month"
    assert "能耗月报" in page.inner_text("#report-title") and "徐汇花园" in page.inner_text("#report-title")
    waste = page.inner_text(".report-table.waste")
    assert f"{len(expected)} 条告警" in page.inner_text(".report-table.waste tr.found")
    assert f"{len(fixed)} 条告警" in page.inner_text(".report-table.waste tr.fixed")
    assert f"{_js_round(sum(a.wasted_kwh for a in expected)):,} kWh" in waste
    assert f"¥{_js_round(sum(a.cost_cny for a in fixed)):,}" in page.inner_text(".report-table.waste tr.fixed")
    shown = [int(r.get_attribute("data-alert-id")) for r in page.query_selector_all(".top-alerts tbody tr")]
    assert shown == [a.id for a in sorted(expected, key=lambda a: -a.wasted_kwh)]
    assert served.alerts["other_site"] not in shown
    api = page.evaluate("""async (m) => (await (await fetch(`api/v1/sites/sh-a/carbon?start=${m}-01`)).json())""", month)
    assert api["kwh"] > 0
    assert f"{_js_round(api['kwh']):,} kWh" in page.inner_text(".report-section .summary.four")
    assert "数据完整度" in page.inner_text(".report-section .completeness")
    assert len(page.query_selector_all(".report-table.scopes tr")) == 5
    shoot(page, "report-site-desktop")


def test_the_portfolio_report_of_a_manager_holds_only_their_sites(served, page_at):
    month = _this_month()
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    _open_report(page, served, "portfolio", month)

    text = page.inner_text("main")
    assert "全部项目汇总" in page.inner_text("#report-title")
    assert "朝阳大厦" not in text and "bj-b" not in text and "b-corr" not in text
    assert f"{len(_alerts_in(served, 'sh-a', month))} 条告警" in page.inner_text(".report-table.waste tr.found")
    assert served.alerts["other_site"] not in [
        int(r.get_attribute("data-alert-id")) for r in page.query_selector_all(".top-alerts tbody tr")
    ]


def test_a_manager_asking_for_another_sites_report_gets_not_found_and_the_api_refuses(served, page_at):
    month = _this_month()
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    page.goto(f"{served.url}#/report/bj-b/{month}")
    page.wait_for_selector(".report-body .message.error")

    assert "找不到" in page.inner_text(".report-body")
    assert ".report-table" not in page.content()
    answers = page.evaluate(
        """async (m) => {
        const carbon = await fetch(`api/v1/sites/bj-b/carbon?start=${m}-01`);
        const alerts = await (await fetch('api/v1/alerts?site_id=bj-b')).json();
        return { carbon: carbon.status, alerts: alerts.total };
    }""",
        month,
    )
    assert answers == {"carbon": 404, "alerts": 0}


def test_a_past_month_without_alerts_says_so_and_its_carbon_ends_with_the_month(served, page_at):
    now = datetime.now(SHANGHAI)
    year, month = (now.year, now.month - 2) if now.month > 2 else (now.year - 1, now.month + 10)
    past = f"{year}-{month:02d}"
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    _open_report(page, served, "sh-a", past)

    assert "0 条告警" in page.inner_text(".report-table.waste tr.found")
    assert "本月没有告警" in page.inner_text(".report-section:has(.message)")
    assert f"{year}年{month}月" in page.inner_text("#report-title")
    # The seeded readings are of the last three days: a month that ended before them used none.
    assert page.inner_text(".report-section .summary.four .stat b >> nth=0") == "0 kWh"


def test_a_future_month_is_refused_without_asking_the_api(served, page_at):
    page = page_at(DESKTOP)
    _sign_in(page, served.url)

    page.goto(f"{served.url}#/report/sh-a/2999-01")
    page.wait_for_selector(".report-body .message.error")

    assert "尚未开始" in page.inner_text(".report-body")


def test_the_report_fits_a_phone_and_switches_to_english(served, page_at, shoot):
    page = page_at(PHONE)
    _sign_in(page, served.url)
    page.click("a[href='#/report']")
    page.wait_for_selector(".report-table.scopes")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#lang")
    page.wait_for_selector(".report-table.scopes")
    assert "Monthly energy report" in page.inner_text("#report-title")
    assert "Found this month" in page.inner_text(".report-table.waste")
    assert "1 alerts" not in page.inner_text(".report-table.waste")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "report-phone-en")
    page.click("#lang")


def test_the_report_chooses_site_and_month_from_its_controls(served, page_at):
    page = page_at(DESKTOP)
    _sign_in(page, served.url)
    _open_report(page, served, "portfolio", _this_month())

    page.select_option("#report-site", "sh-a")
    page.wait_for_function("location.hash.startsWith('#/report/sh-a/')")
    page.wait_for_selector(".report-table.scopes")
    assert "徐汇花园" in page.inner_text("#report-title")


def test_printing_hides_the_app_chrome_and_the_pdf_is_a4_titled_with_the_report(served, page_at):
    month = _this_month()
    page = page_at(DESKTOP)
    _sign_in(page, served.url)
    _open_report(page, served, "sh-a", month)
    title = page.inner_text("#report-title")

    page.emulate_media(media="print")
    assert not page.is_visible(".tabs") and not page.is_visible(".top") and not page.is_visible("#report-print")
    assert page.is_visible(".report-table.top-alerts thead")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)

    assert pdf.startswith(b"%PDF-")
    assert _pdf_title(pdf) == title
    # A4 is 595 x 842 points.
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box and abs(float(box[1]) - 595) < 2 and abs(float(box[2]) - 842) < 2


def _pdf_title(pdf: bytes) -> str:
    """The document title Chromium writes into the PDF's info dictionary (UTF-16 hex when not ASCII)."""
    hexed = re.search(rb"/Title\s*<([0-9A-Fa-f\s]+)>", pdf)
    if hexed:
        raw = bytes.fromhex(re.sub(rb"\s", b"", hexed[1]).decode())
        return raw.decode("utf-16")
    literal = re.search(rb"/Title\s*\((.*?)(?<!\\)\)", pdf, re.DOTALL)
    assert literal, "the PDF has no title"
    return literal[1].decode("latin-1")
