"""The site in a real headless Chromium (Debian's package) against a live uvicorn server.

Walks what a caseworker does: search in Danish, narrow by a facet, open a case, compare
two cases, switch language; once with JavaScript off (the site must not need it) and once
on a phone-sized screen; runs the axe-core accessibility rules on each kind of page.
Screenshots go to tests/artifacts/ for people to look at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip("Debian's chromium is not installed (make browser)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_danish_search_facet_case_and_compare_without_javascript(browser, live_server: str) -> None:
    context = browser.new_context(
        locale="da-DK", java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    expect = sync_api.expect

    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    shot(page, "1-home-da")

    page.get_by_label("Søg efter sager").fill("hjemløse unge i egen bolig")
    page.get_by_role("button", name="Søg", exact=True).click()
    expect(page.locator("#count")).to_contain_text("sager fundet")
    titles = page.locator(".result-title a")
    expect(titles.first).to_have_text("Bolig først for unge i Odense")
    shot(page, "2-results-da")

    # Narrow to Denmark with the country facet; the filter is in the URL.
    page.locator(".facet", has=page.get_by_role("heading", name="Land")).get_by_role(
        "link", name=re.compile("Danmark")
    ).click()
    expect(page).to_have_url(re.compile(r"country=DK"))
    expect(page.locator(".active-filters .chip")).to_have_count(1)
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all("Danmark" in m for m in metas)
    shot(page, "3-results-facet-da")

    # Tick two results and compare them.
    page.locator(".result").nth(0).get_by_role("checkbox").check()
    page.locator(".result").nth(1).get_by_role("checkbox").check()
    first_two = [t.strip() for t in titles.all_inner_texts()[:2]]
    page.get_by_role("button", name="Sammenlign valgte sager").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sammenlign sager")
    assert [t.strip() for t in page.locator("thead th").all_inner_texts()] == first_two
    expect(page.get_by_role("rowheader", name="Resultatbetalere")).to_be_visible()
    shot(page, "4-compare-da")

    # Open a case from the comparison.
    page.get_by_role("link", name="Bolig først for unge i Odense").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bolig først for unge i Odense")
    expect(page.get_by_role("heading", name="Citér denne sag")).to_be_visible()
    expect(page.locator(".cite")).to_contain_text("GO Lab INDIGO")
    shot(page, "5-case-da")

    # Switch to English; the choice sticks on the next page.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Cite this case")).to_be_visible()
    page.get_by_role("link", name="About the data").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("About the site and the data")
    shot(page, "6-about-en")
    context.close()


def test_danish_case_page_has_danish_title_summary_and_metrics(browser, live_server: str) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(live_server + "/cases/indigo-poj-0901")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bolig først for unge i Odense")
    expect(page.locator(".summary").first).to_have_attribute("lang", "da")
    expect(page.locator(".summary").first).to_contain_text("Unge hjemløse i Odense")
    expect(page.locator(".metrics .definition").first).to_have_text(
        "Bliver boende i egen bolig i 12 måneder"
    )
    # Source text in English is marked so a screen reader reads it in English.
    expect(page.locator(".metrics .definition").nth(1)).to_have_attribute("lang", "en")
    shot(page, "11-case-danish")
    context.close()


def test_home_chart_and_map_are_links_that_filter(browser, live_server: str) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(live_server + "/")
    expect(page.locator("#chart-year svg")).to_be_visible()
    expect(page.locator("#chart-map svg").first).to_be_visible()
    shot(page, "12-home-charts")
    page.locator("#chart-year svg a[href*='start_year=2020'][href*='country=DK']").click()
    expect(page).to_have_url(re.compile(r"start_year=2020"))
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all("2020" in m and "Danmark" in m for m in metas)
    page.goto(live_server + "/")
    page.locator("#chart-map svg a[aria-label^='Odense']").first.click()
    expect(page).to_have_url(re.compile(r"country=DK"))
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all("Danmark" in m for m in metas)
    shot(page, "13-map-click-results")
    context.close()


def test_compare_with_one_ticked_case_explains_in_danish(browser, live_server: str) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(live_server + "/search?q=housing")
    page.locator(".result").nth(0).get_by_role("checkbox").check()
    picked = page.locator(".result").nth(0).get_by_role("checkbox").get_attribute("value")
    page.get_by_role("button", name="Sammenlign valgte sager").click()
    expect(page.locator(".compare-error")).to_contain_text("Vælg 2 til 4 sager")
    expect(page.locator(".compare-error")).to_contain_text("du valgte 1")
    expect(page.locator(f".pick input[value='{picked}']")).to_be_checked()
    expect(page.locator("#q")).to_have_value("housing")
    shot(page, "14-compare-one-da")
    context.close()


def test_phone_compare_button_does_not_cover_the_first_result(browser, live_server: str) -> None:
    context = browser.new_context(
        locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server + "/search?q=hjemløse")
    page.locator(".result").first.scroll_into_view_if_needed()
    first = page.locator(".result").first.bounding_box()
    button = page.locator(".compare-bar button").bounding_box()
    overlap = not (
        button["y"] >= first["y"] + first["height"] or button["y"] + button["height"] <= first["y"]
    )
    assert not overlap, (first, button)
    shot(page, "15-phone-first-result")
    context.close()


def test_phone_layout_with_javascript_and_no_console_errors(browser, live_server: str) -> None:
    context = browser.new_context(
        locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name, path in (
        ("7-phone-results", "/search?q=beskæftigelse"),
        ("8-phone-case", "/cases/indigo-poj-0901"),
        ("9-phone-compare", "/compare?id=indigo-poj-0901&id=dk-herning-job&id=indigo-poj-0902"),
    ):
        page.goto(live_server + path)
        shot(page, name)
        # Nothing but the compare table (which scrolls in its own box) is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    # Keyboard users see where they are.
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    assert errors == []
    context.close()


def test_api_docs_render_offline_under_the_csp(browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("casebank")
    sync_api.expect(page.locator("#operations-api-search_api_search_get")).to_be_visible()
    shot(page, "10-api-docs")
    assert problems == []
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=hjemløse&country=DK",
        "/cases/indigo-poj-0901",
        "/compare?id=indigo-poj-0901&id=dk-herning-job",
        "/compare?back=/search%3Fq%3Dhousing&id=indigo-poj-0901",
        "/organisations/name:odense%20kommune",
        "/about",
        "/cases/no-such-case",
    ],
)
def test_pages_pass_axe_accessibility_checks(browser, live_server: str, path: str) -> None:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe not installed")
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    page.goto(live_server + path)
    violations = axe.Axe().run(page).response["violations"]
    context.close()
    assert [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations] == []


def test_phone_compare_titles_wrap_inside_their_columns(browser, live_server: str) -> None:
    """The row headers keep their own column (11rem, not an equal share of the table, which
    left the cases a third less room on a desktop), and on a phone a case title with a long
    Danish compound ("beskæftigelsesrettet", "ungdomshjemløshed") wraps inside its own
    column instead of running under the next one."""
    path = "/compare?id=indigo-poj-0901&id=dk-herning-job&id=indigo-poj-0902"
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + path)
    row_head = page.locator("tbody th[scope=row]").first.bounding_box()
    assert row_head["width"] <= 11 * 16 + 1, row_head
    context.close()
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + path)
    page.locator("thead th a").first.evaluate(
        "a => a.textContent = 'Forebyggelse af ungdomshjemløshed (beskæftigelsesrettetindsats)'"
    )
    overflowing = page.locator("thead th").evaluate_all(
        "ths => ths.filter(th => th.scrollWidth > th.clientWidth).length"
    )
    shot(page, "16-phone-compare-long-title")
    context.close()
    assert overflowing == 0


def test_phone_similar_cases_keep_the_checkbox_beside_the_title(browser, live_server: str) -> None:
    """Each similar case's checkbox sits on the line of its title, not alone above it."""
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + "/cases/indigo-poj-0901")
    items = page.locator("section[aria-labelledby=similar] .result")
    assert items.count() > 0
    for i in range(items.count()):
        box = items.nth(i).locator("input[type=checkbox]").bounding_box()
        link = items.nth(i).locator("a").first.bounding_box()
        assert link["x"] >= box["x"] + box["width"], (i, box, link)
        assert link["y"] < box["y"] + box["height"], (i, box, link)
    shot(page, "17-phone-similar")
    context.close()


def test_keyboard_passes_the_filters_in_one_step(browser, live_server: str) -> None:
    """From the search button, one Tab reaches a link past the facets (shown when focused)
    and the Tab after it is in the results, not on the first of dozens of facet links."""
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/search?q=hjemløse")
    page.get_by_role("button", name="Søg", exact=True).focus()
    page.keyboard.press("Tab")
    skip = page.locator(".skip-filters")
    sync_api.expect(skip).to_be_focused()
    sync_api.expect(skip).to_have_text("Spring filtrene over – gå til resultaterne")
    assert skip.bounding_box()["x"] >= 0  # in view while focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.activeElement.closest('#hits') !== null")
    assert inside, page.evaluate("document.activeElement.outerHTML")
    context.close()
