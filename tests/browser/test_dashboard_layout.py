"""What the dashboard shows before and around sign-in, independent of any alert."""

from __future__ import annotations

from tests.browser.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


def test_the_navigation_tabs_are_hidden_on_the_sign_in_page(served, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(served.url)
        page.wait_for_selector("#username")

        assert page.locator("#nav").get_attribute("hidden") is not None
        assert not page.is_visible("#nav")
        assert not page.is_visible("a[href='#/carbon']")
    finally:
        context.close()


def _signed_in(served, browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(served.url)
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".card.alert")
    return context, page


def test_alert_cards_and_pages_name_the_meter_with_its_category_and_keep_the_id_small(served, browser):
    context, page = _signed_in(served, browser, PHONE)
    try:
        card = page.locator(f"[data-alert-id='{served.alerts['big']}']")
        assert card.locator(".meter-name").inner_text() == "1号楼走廊"
        assert "走廊照明" in card.locator(".meter-title").inner_text()
        assert card.locator("small.meter-id").inner_text() == "a-corr"

        card.click()
        page.wait_for_selector(".alert-detail .meter-title")
        assert page.locator(".alert-detail .meter-name").inner_text() == "1号楼走廊"
        assert page.locator(".alert-detail small.meter-id").inner_text() == "a-corr"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_factors_used_list_one_grid_factor_per_province_of_the_portfolio(served, browser):
    provinces = ["上海", "北京", "广东", "江苏", "浙江", "四川", "湖北"]
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(served.url)
        shown = page.evaluate(
            """async (provinces) => {
                const { factorList } = await import('/static/carbon_parts.js');
                const factor = (key, region, value) => ({ key, region, year: 2023, value, unit: 'kgCO2/kWh', source: 'MEE' });
                const factors = [
                    ...provinces.map((p, i) => ({ role: 'scope2_location', factor: factor('elec_avg_co2_province', p, 0.5 + i / 100) })),
                    { role: 'scope2_market_residual', factor: factor('elec_residual_national', '全国', 0.58) },
                ];
                return [...factorList({ factors }).querySelectorAll('.factor')].map((el) => el.textContent);
            }""",
            provinces,
        )
    finally:
        context.close()

    assert len(shown) == len(provinces) + 1
    for province in provinces:
        assert sum(province in row for row in shown) == 1


def test_the_year_view_says_completeness_over_the_period_the_sites_had_readings(served, browser):
    context, page = _signed_in(served, browser, PHONE)
    try:
        page.click("a[href='#/carbon']")
        page.wait_for_selector(".hero .completeness")
        shown = page.inner_text(".hero .completeness")
        api = page.evaluate("""async () => {
            const year = `${new Date().getFullYear()}-01-01`;
            const r = await fetch(`api/v1/carbon?start=${year}&granularity=month`, { credentials: 'same-origin' });
            return (await r.json()).total;
        }""")
    finally:
        context.close()

    assert api["covered_start"] and api["covered_end"]
    assert f"{round(api['completeness'] * 100, 1):g}%" in shown
    assert "统计区间" in shown and "–" in shown


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_sites_energy_chart_stacks_categories_by_day_and_by_month_at_phone_width(served, browser, shoot):
    context, page = _signed_in(served, browser, PHONE)
    try:
        page.goto(served.url + "#/sites/sh-a")
        page.wait_for_selector(".energy-chart svg.chart.periods rect.seg")
        by_day = page.eval_on_selector_all(".energy-chart rect.seg", "els => els.map(e => e.dataset.key)")
        legend = page.inner_text(".energy-chart .legend")
        assert {"corridor_lighting"} <= set(by_day)
        assert "走廊照明" in legend and "逐日用电" in page.inner_text(".energy-chart h3")
        assert _fits_the_phone(page)
        shoot(page, "site-energy-phone")

        page.click(".energy-chart button[data-period='thisYear']")
        page.wait_for_selector(".energy-chart h3:has-text('逐月用电')")
        page.wait_for_selector(".energy-chart rect.seg")
        # The fixture's 72 hours fall in at most two months: one stacked bar per category per month.
        assert 1 <= page.locator(".energy-chart rect.seg.corridor_lighting").count() <= 2
    finally:
        context.close()


def test_the_portfolio_chart_shows_location_and_market_based_emissions_by_month_in_english_too(served, browser, shoot):
    context, page = _signed_in(served, browser, PHONE)
    try:
        page.click("a[href='#/carbon']")
        page.wait_for_selector(".emissions-chart svg.chart.periods rect.seg.location")
        assert page.locator(".emissions-chart rect.seg.market").count() >= 1
        assert "基于位置" in page.inner_text(".emissions-chart .legend")
        assert _fits_the_phone(page)
        shoot(page, "carbon-chart-phone")

        page.click("#lang")
        page.wait_for_selector(".emissions-chart .legend:has-text('Market-based')")
        assert "Emissions by month" in page.inner_text(".emissions-chart h3")
        page.click("#lang")
    finally:
        context.close()


def test_an_admin_reads_rejected_messages_in_a_table_a_manager_has_no_such_tab(served, browser, shoot):
    import time

    from api.passwords import hash_password
    from core.db.tables import DeadLetterRecord, UserRecord

    now = int(time.time())
    with served.sessions() as session:
        if session.query(UserRecord).filter_by(username="ops").first() is None:
            session.add(
                UserRecord(
                    username="ops",
                    display_name="运维",
                    password_hash=hash_password(PASSWORD),
                    role="admin",
                    site_ids=None,
                    locale="zh",
                    disabled=False,
                    created_at=now,
                )
            )
        session.add(
            DeadLetterRecord(
                received_at=now - 60,
                kind="malformed_json",
                topic="kilowatch/v1/sh-a/batch",
                reason="malformed JSON: Expecting value",
                payload=b"<html>not json</html>" * 20,
            )
        )
        session.commit()

    context, page = _signed_in(served, browser, PHONE)
    try:
        assert not page.is_visible("#tab-dead-letters")
    finally:
        context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(served.url)
        page.fill("#username", "ops")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#tab-dead-letters", state="visible")
        page.click("#tab-dead-letters")
        page.wait_for_selector("table.dead-letters tbody tr")
        row = page.inner_text("table.dead-letters tbody tr")
        assert "malformed_json" in row and "sh-a" in row and "<html>not json" in row
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "dead-letters-phone")
    finally:
        context.close()
