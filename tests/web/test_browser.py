"""The gallery in a real browser: Debian's Chromium driven by Playwright.

One browser for the session; one walk through what people do every day,
with a screenshot per step under the test's output folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from junefs.models import File
from sequenzia.models import Album, Favourite
from tests.factories import jpeg_bytes
from tests.web.conftest import build_world

# Thumbnails come from CDS, another app; a small stand-in serves them here.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One browser for this module's tests. Not session-wide: Playwright's sync API
    keeps an event loop running in the main thread, which async tests elsewhere
    (Channels) cannot share."""
    sync_api = pytest.importorskip("playwright.sync_api")
    # The test's own ORM calls are plain synchronous calls, made while that loop exists.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Steps:
    def __init__(self, page: Any, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0
        self.names: list[str] = []

    def shot(self, name: str) -> None:
        self.count += 1
        filename = f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(self.folder / filename))
        self.names.append(filename)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def world_bytes(file: Any) -> bytes:
    from junefs.store import get_store

    with get_store().open(file.sha256) as handle:
        return handle.read()


def test_daily_use(
    browser: Any, live_server: Any, transactional_db: None, output_dir: Path, tmp_path: Path
) -> None:
    # Built in another thread: this one runs Playwright's event loop, and the
    # live-update receiver (async_to_sync) must not run inside a loop.
    with ThreadPoolExecutor(1) as pool:
        world = pool.submit(build_world).result()
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    steps = Steps(page, output_dir)
    url = live_server.url

    # Log in.
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", "bob")
    page.fill("input[name=password]", "password-bob")
    steps.shot("login")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert page.locator(".tile").count() == 6  # shared and uploads; no NSFW, no secret
    # Every thumbnail really arrives from CDS (/cds/t/) and shows.
    expect(page.locator(".tile img.loaded")).to_have_count(6)
    shown = page.locator(".tile img").evaluate_all(
        "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])"
    )
    assert all(src.startswith("/cds/t/") and width > 0 for src, width in shown), shown
    steps.shot("gallery")

    # Browse a folder from the sidebar.
    page.click(".sidebar >> text=uploads")
    page.wait_for_url("**/?folder=*")
    names = page.locator(".tile figcaption").all_inner_texts()
    assert sorted(names) == ["upload-one.jpg", "upload-three.jpg", "upload-two.jpg"]
    steps.shot("folder")

    # Filter: landscape images only, sorted by name.
    if page.locator("details.filters").get_attribute("open") != "":
        page.click("details.filters summary")
    page.select_option("select[name=orient]", "landscape")
    page.check("input[name=type][value=image]")
    page.click(".filter-form button[type=submit]")
    page.wait_for_url("**orient=landscape**")
    assert "days=" not in page.url  # empty fields stay out of the URL
    page.click(".sorts >> text=name")
    page.wait_for_url("**sort=name**")
    assert page.locator(".tile figcaption").all_inner_texts() == [
        "upload-one.jpg",
        "upload-three.jpg",
        "upload-two.jpg",
    ]
    steps.shot("filtered")

    # Search.
    page.fill(".search input", "cat -dog")
    page.press(".search input", "Enter")
    page.wait_for_url("**q=cat**")
    assert page.locator(".tile figcaption").all_inner_texts() == ["shared-cat.jpg"]
    steps.shot("search")

    # Open the file and favourite it.
    page.click(".tile a.thumb")
    page.wait_for_url("**/f/*/**")
    assert page.locator("h1.filename").inner_text() == "shared-cat.jpg"
    assert page.locator("[data-share]").count() == 0  # bob only reads "shared"
    steps.shot("file")
    page.click("button.fav")
    page.wait_for_selector("button.fav.on")
    assert Favourite.objects.filter(user=world.bob, file=world.files["shared"]).exists()
    steps.shot("favourited")

    # Make an album with it.
    page.fill("input[name=name][placeholder='New album name']", "Cats")
    page.click("text=Create album with this file")
    page.wait_for_selector(".messages >> text=Album Cats created")
    album = Album.objects.get(name="Cats", owner=world.bob)
    assert list(album.items.values_list("file_id", flat=True)) == [world.files["shared"].pk]
    page.goto(f"{url}/albums/{album.pk}/")
    assert page.locator(".tile figcaption").all_inner_texts() == ["shared-cat.jpg"]
    steps.shot("album")

    # Share a file bob manages: a signed link that works without an account.
    page.goto(f"{url}/f/{world.files['upload'].pk}/")
    page.click("[data-share]")
    link = page.locator(".share-result .share-url")
    expect(link).not_to_have_value("")
    steps.shot("shared-link")
    shared_path = urlsplit(link.input_value()).path
    assert shared_path.startswith("/cds/s/")
    stranger = browser.new_context()  # nobody logged in
    answer = stranger.request.get(f"{url}{shared_path}")
    assert answer.status == 200 and answer.body() == world_bytes(world.files["upload"])
    assert stranger.request.get(f"{url}/cds/f/{world.files['upload'].pk}/").status == 404
    stranger.close()

    # Upload two files, with a progress bar each.
    one, two = tmp_path / "beach.jpg", tmp_path / "forest.jpg"
    one.write_bytes(jpeg_bytes(900, 600, seed=41))
    two.write_bytes(jpeg_bytes(600, 900, seed=42))
    page.goto(f"{url}/upload/")
    page.select_option("select[name=channel]", label="uploads")
    page.set_input_files("#file-input", [str(one), str(two)])
    page.locator("#upload-list li.ok").nth(1).wait_for()  # (CSP forbids eval-based waits)
    bars = page.locator("#upload-list progress")
    assert bars.count() == 2
    assert [bars.nth(i).get_attribute("value") for i in range(2)] == ["100", "100"]
    links = page.locator("#upload-list .status a").all_inner_texts()
    assert sorted(links) == ["beach.jpg", "forest.jpg"]
    steps.shot("uploaded")
    new_ids = set(
        File.objects.filter(name__in=["beach.jpg", "forest.jpg"]).values_list("id", flat=True)
    )
    assert len(new_ids) == 2

    # Bulk move the two new files to "inbox".
    page.goto(f"{url}/?folder={world.folders['uploads'].pk}")
    for file_id in new_ids:
        page.check(f".tile[data-id='{file_id}'] .pick input")
    page.wait_for_selector("#bulk-form:not([hidden])")
    assert page.locator("#bulk-form .count").inner_text() == "2 selected"
    page.select_option("#bulk-form select[name=channel]", label="inbox")
    steps.shot("bulk-selected")
    page.click("#bulk-form button[value=move]")
    page.wait_for_selector(".messages >> text=move: 2 done")
    inbox = world.folders["inbox"].pk
    assert File.objects.filter(pk__in=new_ids, channel_id=inbox).count() == 2
    steps.shot("bulk-moved")

    # The same gallery on a phone, in dark mode.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark"
    )
    phone.add_cookies(context.cookies())
    phone_page = phone.new_page()
    phone_page.goto(f"{url}/?folder={inbox}")
    assert phone_page.locator(".tile").count() == 2
    phone_page.locator(".tile img.loaded").nth(1).wait_for()
    phone_page.wait_for_timeout(400)  # the thumbnails' fade-in, for the picture only
    phone_page.screenshot(path=str(output_dir / f"{steps.count + 1:02d}-phone-dark.png"))
    phone.close()
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
