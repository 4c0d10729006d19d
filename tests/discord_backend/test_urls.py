"""Attachment URLs expire: refresh in batches, on a 404, and when a message is gone."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from junefs.backends import Locator
from junefs.errors import BackendRefused, PartDamaged
from junefs.models import File
from junefs.reader import download_to, iter_file, verify_file
from junefs.upload import part_target
from tests.discord_backend.conftest import World
from tests.discord_emulator.services import EmulatorConfig
from tests.factories import ingest_bytes, random_bytes

REFRESH = "POST /attachments/refresh-urls"
CREATE = "POST /channels/{channel_id}/messages"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        cdn_url_ttl=3600.0,
        buckets={"message_create": (30, 1.0), "message_delete": (30, 1.0)},
    )


@pytest.fixture
def small_parts(settings):  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 64 * 1024
    return settings


def test_urls_expired_on_discord_are_renewed_when_the_cdn_says_404(
    world: World, small_parts, tmp_path
):  # type: ignore[no-untyped-def]
    data = random_bytes(200_000, seed=21)
    file = ingest_bytes(data, world.folder, "old.bin").file
    world.emulator.advance_clock(2 * 3600)  # every stored URL is now past its `ex`
    world.emulator.reset_counters()
    out = tmp_path / "old.bin"
    assert download_to(file, out) == len(data)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == file.sha256
    counters = world.emulator.counters()
    assert counters["cdn_responses_by_status"]["404"] == file.part_count
    # One 404 renews one URL by fetching its message (the read bucket is the roomy one).
    assert counters["requests_by_route"]["GET /channels/{channel_id}/messages/{message_id}"] == 4
    assert file.part_count == 4


def test_urls_known_to_be_stale_are_refreshed_in_one_batch_before_the_download(
    world: World, small_parts
):  # type: ignore[no-untyped-def]
    data = random_bytes(200_000, seed=22)
    file = ingest_bytes(data, world.folder, "stale.bin").file
    world.emulator.advance_clock(2 * 3600)
    file.parts.update(url_expires_at=timezone.now() - timedelta(minutes=1))
    world.emulator.reset_counters()
    assert b"".join(iter_file(file)) == data
    counters = world.emulator.counters()
    assert counters["requests_by_route"][REFRESH] == 1  # 4 parts, one request
    assert counters["cdn_responses_by_status"].get("404", 0) == 0
    for part in file.parts.all():
        assert part.url_expires_at > timezone.now()


def test_refresh_sends_at_most_50_urls_a_request_and_falls_back_to_the_message(world: World):  # type: ignore[no-untyped-def]
    channel_id = world.parts_channels[0]
    locators = []
    for i in range(120):
        message = world.emulator.post_message(
            channel_id, world.emulator.bot.id, files=[(f"{i}.bin", b"x%d" % i)]
        )
        attachment = message.attachments[0]
        url, _ = world.emulator.attachment_urls(attachment.id)
        locators.append(
            Locator(
                "discord",
                channel_id=channel_id,
                message_id=message.id,
                attachment_id=attachment.id,
                url=url,
            )
        )
    no_url = locators[0].with_url("", None)
    gone = world.emulator.post_message(channel_id, world.emulator.bot.id, files=[("g", b"g")])
    gone_locator = Locator(
        "discord",
        channel_id=channel_id,
        message_id=gone.id,
        attachment_id=gone.attachments[0].id,
        url="https://x/attachments/1/2/g",
    )
    world.emulator.delete_message(channel_id, gone.id, emit_event=False)
    world.emulator.advance_clock(48 * 3600)
    world.emulator.reset_counters()

    fresh = world.backend.refresh([*locators, no_url, gone_locator])
    routes = world.emulator.counters()["requests_by_route"]
    assert routes[REFRESH] == 3  # 121 URLs: 50 + 50 + 21
    assert routes["GET /channels/{channel_id}/messages/{message_id}"] == 2  # no URL, and gone
    assert all(f.url and f.url != old.url for f, old in zip(fresh, locators, strict=False))
    assert fresh[120].url and fresh[120].attachment_id == locators[0].attachment_id
    assert fresh[121].url == "" and fresh[121].url_expires_at is None
    with world.backend.open(fresh[7]) as stream:
        assert stream.read() == b"x7"


def test_a_part_message_deleted_behind_our_back_marks_the_file_damaged(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(200_000, seed=23)
    file = ingest_bytes(data, world.folder, "victim.bin").file
    victim = file.parts.get(index=2)
    world.emulator.delete_message(victim.channel_id, victim.message_id, emit_event=False)

    report = verify_file(file)
    assert not report.ok
    assert file.state == File.State.DAMAGED
    assert "part 2" in file.state_note and "gone from Discord" in file.state_note
    assert report.checked_parts == file.part_count - 1
    with pytest.raises(PartDamaged, match="part 2"):
        b"".join(iter_file(file))
    assert not world.backend.exists(victim.locator)
    assert world.backend.exists(file.parts.get(index=1).locator)


def test_a_server_without_parts_channels_is_refused_clearly(world: World):  # type: ignore[no-untyped-def]
    world.server.parts_channel_ids = []
    world.server.thumbnails_channel_id = None
    with pytest.raises(BackendRefused, match=r"no Discord channel for parts.*discord_io setup"):
        world.backend.put(
            io.BytesIO(b"x"),
            size=1,
            sha256=hashlib.sha256(b"x").hexdigest(),
            name="x",
            target=part_target(world.server),
        )
