"""What the dashboard shows before and around sign-in, independent of any alert."""

from __future__ import annotations

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
