"""The slideshow in a real browser: Debian's Chromium, driven by Playwright, against uvicorn.

The site runs as its own process (HTTP and websockets, as in production);
the TV, the phone and a mirrored TV are separate browser contexts.
Screenshots land in each test's output folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from sequenzia.ads.models import Display, DisplayProfile
from tests.ads.conftest import ScreenWorld, build_screen_world, pair_display
from tests.ads.server import SiteServer
from tests.web.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN_KEY = "sequenzia.ads.token"


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # the test's ORM calls, beside Playwright's loop
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def in_thread(fn: Any, *args: Any) -> Any:
    """ORM work off Playwright's thread (its event loop makes Django refuse sync calls there)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture
def screens(transactional_db: None) -> ScreenWorld:
    return in_thread(lambda: build_screen_world(12, photo=True))  # type: ignore[no-any-return]


@pytest.fixture
def site(output_dir: Path, screens: ScreenWorld) -> Iterator[SiteServer]:
    with SiteServer(output_dir / "server.log") as server:
        yield server


def tv_context(browser: Any, token: str | None = None, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": 960, "height": 540}, **options)
    context.set_default_timeout(15_000)
    if token:
        context.add_init_script(f"localStorage.setItem({TOKEN_KEY!r}, {token!r})")
    return context


def signed_in(browser: Any, site: SiteServer, user: Any, **options: Any) -> Any:
    """A browser context with a session for ``user`` (made as the login page would)."""
    client = Client()
    in_thread(client.force_login, user)
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site.base}]
    )
    return context


def showing(page: Any) -> int:
    value = page.locator("#ads").get_attribute("data-showing")
    return int(value) if value else 0


def wait_for_change(page: Any, old: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = showing(page)
        if now and now != old:
            return now
        page.wait_for_timeout(50)
    raise AssertionError(f"the screen stayed on {old} for {timeout}s")


def set_profile(profile: DisplayProfile, **fields: Any) -> None:
    def save() -> None:
        DisplayProfile.objects.filter(pk=profile.pk).update(**fields)

    in_thread(save)


def test_slideshow_runs_obeys_the_remote_keys_and_survives_a_restart(
    browser: Any, site: SiteServer, screens: ScreenWorld, output_dir: Path
) -> None:
    set_profile(screens.profile, interval_ms=700, transition="cut", show_caption=True)
    context = tv_context(browser, screens.token)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site.base}/ads/screen/")

    # It advances on its interval, each image decoded before it shows.
    seen = [wait_for_change(page, 0)]
    for _ in range(3):
        seen.append(wait_for_change(page, seen[-1], timeout=5))
    assert len(set(seen)) == 4
    # The next image is asked for and decoded during this one's turn, then goes up.
    page.wait_for_selector("#ads[data-ready]", state="attached")
    waiting, on_screen = page.evaluate(
        "() => { const d = document.querySelector('#ads').dataset;"
        " return [Number(d.ready || 0), Number(d.showing)]; }"
    )
    assert waiting and waiting != on_screen
    assert wait_for_change(page, on_screen, timeout=5) == waiting
    front = page.locator(".layer.front img")
    assert front.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "/cds/r/" in (front.get_attribute("src") or "")
    assert page.locator("#caption .name").inner_text().startswith("img-")
    style = page.evaluate(
        "() => [getComputedStyle(document.body).cursor, getComputedStyle(document.body).overflow]"
    )
    assert style == ["none", "hidden"]
    page.screenshot(path=str(output_dir / "01-slideshow.png"))

    # OK pauses; nothing moves while paused; → goes on by one; ← goes back.
    page.keyboard.press("Enter")
    page.wait_for_selector("#ads[data-paused=true]")
    held = showing(page)
    page.wait_for_timeout(1600)
    assert showing(page) == held
    page.keyboard.press("ArrowRight")
    after = wait_for_change(page, held)
    page.keyboard.press("ArrowLeft")
    assert wait_for_change(page, after) == held
    page.keyboard.press("ArrowUp")
    page.wait_for_selector("#info:not([hidden])")
    assert page.locator("#info .name").inner_text().startswith("img-")
    page.screenshot(path=str(output_dir / "02-info.png"))
    page.keyboard.press("Escape")  # a remote's Back closes the panel
    page.wait_for_selector("#info[hidden]", state="attached")
    page.keyboard.press("Enter")  # play again
    page.wait_for_selector("#ads[data-paused=false]")
    last = wait_for_change(page, showing(page))

    # The server goes away: the picture stays, the screen says so, and when the
    # server is back the slideshow carries on by itself.
    site.stop()
    page.wait_for_selector("#status.shown", timeout=10_000)
    assert showing(page) in (last, showing(page))
    assert front.evaluate("img => img.naturalWidth > 0")
    site.start()
    wait_for_change(page, showing(page), timeout=70)
    assert not errors, errors
    context.close()


def test_pairing_a_tv_with_a_phone_then_driving_it_from_the_phone(
    browser: Any, site: SiteServer, screens: ScreenWorld, output_dir: Path
) -> None:
    # The TV: nobody signed in, nothing typed; it shows a code and a QR code.
    tv = tv_context(browser).new_page()
    tv.goto(f"{site.base}/ads/")
    code_box = tv.locator("#pair-code")
    tv.wait_for_function("() => !document.querySelector('#pair-code').textContent.includes('·')")
    code = code_box.inner_text()
    assert tv.locator("#pair-qr").evaluate("img => img.naturalWidth > 0")
    assert f"code={code.replace('-', '')}" in tv.locator("#pair-url").inner_text()
    tv.screenshot(path=str(output_dir / "01-tv-pairing.png"))

    # The phone: bob, signed in, approves it for his profile.
    phone_context = signed_in(
        browser, site, screens.world.bob, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = phone_context.new_page()
    phone.goto(f"{site.base}/ads/pair/?code={code}")
    phone.select_option("select[name=profile]", label="Screens")
    phone.fill("input[name=name]", "Living room")
    phone.screenshot(path=str(output_dir / "02-phone-approve.png"))
    phone.click("button[type=submit]")
    phone.wait_for_url("**/remote/")

    # The TV notices by itself, keeps its token, and starts the slideshow.
    tv.wait_for_url("**/ads/screen/")
    first = wait_for_change(tv, 0)
    assert tv.evaluate(f"() => localStorage.getItem({TOKEN_KEY!r})").startswith("sqd_")
    display = in_thread(lambda: Display.objects.get(name="Living room"))
    assert display.token is not None
    tv.screenshot(path=str(output_dir / "03-tv-paired.png"))

    # The phone remote: it hears what the TV shows, and its buttons move the TV.
    set_profile(screens.profile, interval_ms=60_000)  # only the remote moves it now
    phone.wait_for_selector("#remote[data-showing]")
    phone.click("button[value=next]")
    second = wait_for_change(tv, first)
    phone.wait_for_function(
        f"() => document.querySelector('#remote').dataset.showing === '{second}'"
    )
    phone.reload()  # the recent images appear, to show one again
    earlier = phone.locator(".recent form").last  # the oldest: the TV's first image
    target = int(earlier.locator("input[name=file]").get_attribute("value") or 0)
    assert target == first
    earlier.locator("button").click()
    deadline = time.monotonic() + 10
    while showing(tv) != target and time.monotonic() < deadline:
        tv.wait_for_timeout(50)
    assert showing(tv) == target
    phone.click("button[value=pause]")
    tv.wait_for_selector("#ads[data-paused=true]")
    phone.wait_for_selector("#now-state:has-text('Paused')")
    phone.screenshot(path=str(output_dir / "04-phone-remote.png"))
    tv.screenshot(path=str(output_dir / "05-tv-from-remote.png"))

    # Unpairing from the phone sends the TV back to pairing.
    phone.goto(f"{site.base}/ads/")
    phone.click(f"form[action='/ads/displays/{display.pk}/revoke/'] button")
    tv.keyboard.press("ArrowRight")
    tv.wait_for_url("**/ads/", timeout=15_000)
    tv.wait_for_selector("#pair-code")
    phone_context.close()


def test_a_mirrored_tv_shows_what_the_other_shows(
    browser: Any, site: SiteServer, screens: ScreenWorld
) -> None:
    set_profile(screens.profile, interval_ms=1200, transition="cut")

    def follower_token() -> str:
        follower, token = pair_display(screens.world.bob, screens.profile, "Kitchen")
        follower.follow = screens.display
        follower.save()
        return token

    token = in_thread(follower_token)
    leader = tv_context(browser, screens.token).new_page()
    mirror = tv_context(browser, token).new_page()
    mirror.goto(f"{site.base}/ads/screen/")
    leader.goto(f"{site.base}/ads/screen/")
    current = wait_for_change(leader, 0)
    for _ in range(3):
        deadline = time.monotonic() + 5
        while showing(mirror) != current and time.monotonic() < deadline:
            mirror.wait_for_timeout(50)
        assert showing(mirror) == current, "the mirrored screen did not follow"
        current = wait_for_change(leader, current)


def test_five_hundred_transitions_without_the_heap_growing(
    browser: Any, site: SiteServer, screens: ScreenWorld, output_dir: Path
) -> None:
    set_profile(screens.profile, interval_ms=40, transition="cut", show_clock=True, show_qr=True)
    context = tv_context(browser, screens.token)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    page.goto(f"{site.base}/ads/screen/")

    counter = """() => {
        window.__seen = 0;
        new MutationObserver(() => window.__seen++).observe(
            document.querySelector('#ads'), {attributes: true, attributeFilter: ['data-showing']});
    }"""

    def heap() -> int:
        cdp.send("HeapProfiler.collectGarbage")
        return int(cdp.send("Runtime.getHeapUsage")["usedSize"])

    wait_for_change(page, 0)
    page.evaluate(counter)
    # Warmed up past the screen's own bounded history (50 items), so what is left to
    # measure is what a leak would add.
    page.wait_for_function("() => window.__seen >= 60", timeout=60_000)
    start, started = heap(), page.evaluate("() => window.__seen")
    page.wait_for_function(f"() => window.__seen >= {started + 500}", timeout=300_000, polling=500)
    end = heap()
    transitions = page.evaluate("() => window.__seen") - started
    (output_dir / "heap.txt").write_text(
        f"transitions {transitions}\nheap at start {start} bytes\nheap at end {end} bytes\n"
        f"growth {(end - start) / start:+.1%}\n"
    )
    assert transitions >= 500
    assert end <= start * 1.2, f"JS heap grew from {start} to {end} bytes over {transitions}"
    context.close()
