"""``discord_io setup --guild``: folders from the channels; system channels found or made."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from junefs.models import Channel, Server
from tests.discord_emulator.emulator import Emulator

pytestmark = pytest.mark.django_db


def guild_channels(emulator: Emulator) -> dict[str, tuple[int, int | None]]:
    """name -> (id, parent id) of every channel in the default guild, as Discord has them."""
    world = emulator.services.world
    return emulator.call(
        lambda: {
            c.name: (c.id, c.parent_id)
            for c in world.channels.values()
            if c.guild_id == emulator.guild.id
        }
    )


def setup(emulator: Emulator, *args: str) -> str:
    out = io.StringIO()
    call_command("discord_io", "setup", "--guild", str(emulator.guild.id), *args, stdout=out)
    return out.getvalue()


def test_setup_records_folders_and_creates_the_system_channels(
    discord_settings: Emulator,
) -> None:
    emulator = discord_settings
    spicy = emulator.create_channel(emulator.guild.id, "spicy", parent_id=emulator.category.id)
    emulator.update_channel(spicy.id, nsfw=True, topic="careful")
    emulator.create_channel(emulator.guild.id, "loose")
    output = setup(emulator)

    channels = guild_channels(emulator)
    system_category = channels["Sequenzia storage"][0]
    assert channels["sequenzia-parts-1"][1] == system_category
    assert channels["sequenzia-parts-2"][1] == system_category
    assert channels["sequenzia-thumbnails"][1] == system_category
    server = Server.objects.get(guild_id=emulator.guild.id)
    assert server.name == emulator.guild.name
    assert server.parts_channel_ids == [
        channels["sequenzia-parts-1"][0],
        channels["sequenzia-parts-2"][0],
    ]
    assert server.thumbnails_channel_id == channels["sequenzia-thumbnails"][0]
    assert server.attachment_limit == 10 * 1024 * 1024
    folders = {c.name: c for c in Channel.objects.filter(server=server)}
    assert set(folders) == {emulator.channel.name, "spicy", "loose"}  # no system channels
    assert folders["spicy"].nsfw and folders["spicy"].description == "careful"
    assert folders["spicy"].category == emulator.category.name
    assert folders["loose"].category == "" and not folders["loose"].nsfw
    assert folders[emulator.channel.name].discord_channel_id == emulator.channel.id
    # History is not read by setup: no cursor, so the client does not import it on its own.
    assert all(f.discord_last_message_id is None for f in folders.values())
    assert "created: #sequenzia-parts-1, #sequenzia-parts-2, #sequenzia-thumbnails" in output
    assert "folders: 3 (3 new)" in output

    # Again: nothing new on Discord or in the index.
    again = setup(emulator)
    assert guild_channels(emulator) == channels
    assert Channel.objects.count() == 3 and Server.objects.count() == 1
    assert "created" not in again and "folders: 3 (0 new)" in again


def test_setup_chooses_existing_system_channels_and_adopts_a_server(
    discord_settings: Emulator,
) -> None:
    emulator = discord_settings
    parts = emulator.create_channel(emulator.guild.id, "sequenzia-parts")
    thumbs = emulator.create_channel(emulator.guild.id, "sequenzia-thumbnails")
    home = Server.default()
    by_hand = Channel.objects.create(server=home, name=emulator.channel.name)
    output = setup(emulator, "--server", home.name, "--parts-channels", "3")
    home.refresh_from_db()
    assert home.guild_id == emulator.guild.id
    assert (home.parts_channel_ids, home.thumbnails_channel_id) == ([parts.id], thumbs.id)
    by_hand.refresh_from_db()
    assert by_hand.discord_channel_id == emulator.channel.id  # adopted, not duplicated
    assert Channel.objects.count() == 1
    assert "created" not in output and "Sequenzia storage" not in guild_channels(emulator)


def test_setup_refuses_a_guild_the_bot_is_not_in(discord_settings: Emulator) -> None:
    emulator = discord_settings
    theirs = emulator.create_guild("theirs", member_ids=[emulator.person.id])
    with pytest.raises(CommandError, match=f"not a member of guild {theirs.id}"):
        call_command("discord_io", "setup", "--guild", str(theirs.id))
    assert Server.objects.filter(guild_id=theirs.id).count() == 0
