"""In-memory world: users, bots, guilds, roles, members, channels.

Every change that Discord would announce emits an :class:`Event`; the gateway fans
them out to connected sessions (``sessions.py``). Messages live in ``messages.py``.
All methods run on the emulator's event loop.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import DiscordError, FormErrors
from .models import (
    ALL_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    GUILD_CATEGORY,
    GUILD_TEXT,
    Attachment,
    Channel,
    Guild,
    Member,
    Role,
    User,
)
from .payloads import channel_payload, guild_payload, member_payload, role_payload, user_payload
from .snowflake import Clock, SnowflakeGenerator, iso_timestamp

# Gateway intents (https://discord.com/developers/docs/events/gateway#list-of-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT
# Application flags telling clients which privileged intents the portal enabled.
APP_FLAG_FOR_INTENT = {
    INTENT_GUILD_PRESENCES: 1 << 12,
    INTENT_GUILD_MEMBERS: 1 << 14,
    INTENT_MESSAGE_CONTENT: 1 << 18,
}


@dataclass
class Bot:
    user_id: int
    token: str
    privileged_intents: int = PRIVILEGED_INTENTS

    @property
    def application_flags(self) -> int:
        enabled = self.privileged_intents
        return sum(flag for bit, flag in APP_FLAG_FOR_INTENT.items() if enabled & bit)


@dataclass(frozen=True)
class Event:
    """A gateway dispatch. ``intent`` 0 means every session gets it."""

    name: str
    data: dict[str, Any]
    guild_id: int | None
    intent: int
    author_id: int | None = None
    mention_ids: tuple[int, ...] = ()
    only_user_id: int | None = None


@dataclass
class World:
    clock: Clock
    rng: random.Random
    snowflakes: SnowflakeGenerator
    users: dict[int, User] = field(default_factory=dict)
    bots: dict[str, Bot] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    listeners: list[Callable[[Event], None]] = field(default_factory=list)

    # -- events -----------------------------------------------------------------
    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    def now_iso(self) -> str:
        return iso_timestamp(dt.datetime.fromtimestamp(self.clock.time(), tz=dt.UTC))

    # -- users and bots -----------------------------------------------------------
    def create_user(
        self,
        username: str,
        *,
        bot: bool = False,
        token: str | None = None,
        privileged_intents: int = PRIVILEGED_INTENTS,
    ) -> User:
        user = User(id=self.snowflakes.next(), username=username, bot=bot)
        self.users[user.id] = user
        if bot:
            token = token or f"emulator.{user.id}.{self.rng.getrandbits(64):016x}"
            self.bots[token] = Bot(user.id, token, privileged_intents)
        return user

    def bot_for_token(self, token: str) -> Bot | None:
        return self.bots.get(token)

    def bot_by_user(self, user_id: int) -> Bot | None:
        return next((bot for bot in self.bots.values() if bot.user_id == user_id), None)

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise DiscordError.of(10013) from None

    # -- guilds, roles, members --------------------------------------------------------
    def create_guild(self, name: str, *, owner_id: int, premium_tier: int = 0) -> Guild:
        guild = Guild(
            id=self.snowflakes.next(),
            name=name,
            owner_id=owner_id,
            joined_at=self.now_iso(),
            premium_tier=premium_tier,
        )
        everyone = Role(
            id=guild.id,
            guild_id=guild.id,
            name="@everyone",
            permissions=DEFAULT_EVERYONE_PERMISSIONS,
        )
        guild.roles[everyone.id] = everyone
        self.guilds[guild.id] = guild
        self.add_member(guild.id, owner_id)
        return guild

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise DiscordError.of(10004) from None

    def guild_for(self, guild_id: int, bot_user_id: int) -> Guild:
        """The guild as a bot may see it: unknown → 10004, not a member → 50001."""
        guild = self.guild(guild_id)
        if bot_user_id not in guild.members:
            raise DiscordError.of(50001)
        return guild

    def add_member(
        self, guild_id: int, user_id: int, roles: list[int] | None = None, nick: str | None = None
    ) -> Member:
        guild = self.guild(guild_id)
        user = self.user(user_id)
        member = Member(user_id, guild_id, self.now_iso(), list(roles or []), nick)
        if user.bot:  # the bot's managed role, made before it can see the guild
            admin = self.create_role(
                guild_id, user.username, permissions=ALL_PERMISSIONS, managed=True
            )
            member.roles.append(admin.id)
        guild.members[user_id] = member
        if user.bot:
            self.emit(
                Event("GUILD_CREATE", {"id": str(guild_id)}, guild_id, 0, only_user_id=user_id)
            )
        data = member_payload(member, user) | {"guild_id": str(guild_id)}
        self.emit(Event("GUILD_MEMBER_ADD", data, guild_id, INTENT_GUILD_MEMBERS))
        return member

    def member(self, guild_id: int, user_id: int) -> Member:
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise DiscordError.of(10007) from None

    def remove_member(self, guild_id: int, user_id: int) -> None:
        guild = self.guild(guild_id)
        self.member(guild_id, user_id)
        data = {"guild_id": str(guild_id), "user": user_payload(self.user(user_id))}
        self.emit(Event("GUILD_MEMBER_REMOVE", data, guild_id, INTENT_GUILD_MEMBERS))
        if self.users[user_id].bot:
            self.emit(
                Event("GUILD_DELETE", {"id": str(guild_id)}, guild_id, 0, only_user_id=user_id)
            )
        del guild.members[user_id]

    def set_member_roles(self, guild_id: int, user_id: int, role_ids: list[int]) -> Member:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        for role_id in role_ids:
            if role_id not in guild.roles or role_id == guild_id:
                raise DiscordError.of(10011)
        member.roles = list(dict.fromkeys(role_ids))
        self._member_updated(member)
        return member

    def _member_updated(self, member: Member) -> None:
        data = member_payload(member, self.users[member.user_id]) | {
            "guild_id": str(member.guild_id)
        }
        self.emit(Event("GUILD_MEMBER_UPDATE", data, member.guild_id, INTENT_GUILD_MEMBERS))

    def create_role(
        self,
        guild_id: int,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        managed: bool = False,
    ) -> Role:
        guild = self.guild(guild_id)
        role = Role(
            id=self.snowflakes.next(),
            guild_id=guild_id,
            name=name,
            position=len(guild.roles),
            permissions=permissions,
            color=color,
            managed=managed,
        )
        guild.roles[role.id] = role
        data = {"guild_id": str(guild_id), "role": role_payload(role)}
        self.emit(Event("GUILD_ROLE_CREATE", data, guild_id, INTENT_GUILDS))
        return role

    def update_role(self, guild_id: int, role_id: int, **changes: Any) -> Role:
        role = self.guild(guild_id).roles.get(role_id)
        if role is None:
            raise DiscordError.of(10011)
        for key, value in changes.items():
            setattr(role, key, value)
        data = {"guild_id": str(guild_id), "role": role_payload(role)}
        self.emit(Event("GUILD_ROLE_UPDATE", data, guild_id, INTENT_GUILDS))
        return role

    def delete_role(self, guild_id: int, role_id: int) -> None:
        guild = self.guild(guild_id)
        if role_id not in guild.roles or role_id == guild_id:
            raise DiscordError.of(10011)
        del guild.roles[role_id]
        for member in guild.members.values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        data = {"guild_id": str(guild_id), "role_id": str(role_id)}
        self.emit(Event("GUILD_ROLE_DELETE", data, guild_id, INTENT_GUILDS))

    def set_premium_tier(self, guild_id: int, tier: int) -> Guild:
        if tier not in (0, 1, 2, 3):
            raise ValueError("premium tier is 0..3")
        guild = self.guild(guild_id)
        guild.premium_tier = tier
        self.emit(Event("GUILD_UPDATE", guild_payload(guild), guild_id, INTENT_GUILDS))
        return guild

    # -- channels ---------------------------------------------------------------------
    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise DiscordError.of(10003) from None

    def channel_for(self, channel_id: int, bot_user_id: int) -> Channel:
        channel = self.channel(channel_id)
        if bot_user_id not in self.guilds[channel.guild_id].members:
            raise DiscordError.of(50001)
        return channel

    def create_channel(
        self,
        guild_id: int,
        name: Any,
        *,
        type: Any = GUILD_TEXT,
        parent_id: Any = None,
        topic: Any = None,
        position: Any = None,
        nsfw: bool = False,
    ) -> Channel:
        guild = self.guild(guild_id)
        errors = FormErrors()
        if type not in (GUILD_TEXT, GUILD_CATEGORY):
            errors.add(["type"], "BASE_TYPE_CHOICES", "Value must be one of {0, 4}.")
        parent = self._check_channel_fields(guild, errors, name, parent_id, topic, type)
        errors.raise_if_any()
        if len(guild.channel_ids) >= guild.limits.max_channels:
            raise DiscordError.of(30013)
        siblings = [c for c in map(self.channels.__getitem__, guild.channel_ids) if c.type == type]
        channel = Channel(
            id=self.snowflakes.next(),
            guild_id=guild_id,
            type=type,
            name=normalise_channel_name(name, type),
            position=len(siblings) if position is None else int(position),
            parent_id=None if parent is None else parent.id,
            topic=topic,
            nsfw=bool(nsfw),
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self.emit(Event("CHANNEL_CREATE", channel_payload(channel), guild_id, INTENT_GUILDS))
        return channel

    def _check_channel_fields(
        self,
        guild: Guild,
        errors: FormErrors,
        name: Any,
        parent_id: Any,
        topic: Any,
        type: Any,
        *,
        editing: Channel | None = None,
    ) -> Channel | None:
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if topic is not None and (not isinstance(topic, str) or len(topic) > 1024):
            errors.add(["topic"], "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
        if parent_id is None:
            return None
        parent = self.channels.get(_as_int(parent_id))
        if (
            parent is None
            or parent.guild_id != guild.id
            or parent.type != GUILD_CATEGORY
            or type == GUILD_CATEGORY
        ):
            errors.add(["parent_id"], "CHANNEL_PARENT_INVALID", "Invalid parent channel.")
            return None
        children = [
            c for c in self.channels.values() if c.parent_id == parent.id and c is not editing
        ]
        if len(children) >= guild.limits.max_channels_per_category:
            errors.add(
                ["parent_id"],
                "CHANNEL_PARENT_MAX_CHANNELS",
                "Maximum number of channels in category reached "
                f"({guild.limits.max_channels_per_category})",
            )
        return parent

    def update_channel(self, channel_id: int, changes: dict[str, Any]) -> Channel:
        channel = self.channel(channel_id)
        guild = self.guilds[channel.guild_id]
        errors = FormErrors()
        name = changes.get("name", channel.name)
        parent_id = changes.get("parent_id", channel.parent_id)
        topic = changes.get("topic", channel.topic)
        parent = self._check_channel_fields(
            guild, errors, name, parent_id, topic, channel.type, editing=channel
        )
        errors.raise_if_any()
        channel.name = normalise_channel_name(name, channel.type)
        channel.parent_id = None if parent is None else parent.id
        channel.topic = topic
        for key in ("position", "nsfw", "rate_limit_per_user"):
            if changes.get(key) is not None:
                setattr(channel, key, type(getattr(channel, key))(changes[key]))
        self.emit(Event("CHANNEL_UPDATE", channel_payload(channel), guild.id, INTENT_GUILDS))
        return channel

    def delete_channel(self, channel_id: int) -> Channel:
        channel = self.channel(channel_id)
        guild = self.guilds[channel.guild_id]
        for message in channel.messages.values():
            for attachment in message.attachments:
                self.attachments.pop(attachment.id, None)
        del self.channels[channel_id]
        guild.channel_ids.remove(channel_id)
        self.emit(Event("CHANNEL_DELETE", channel_payload(channel), guild.id, INTENT_GUILDS))
        for child in [c for c in self.channels.values() if c.parent_id == channel_id]:
            child.parent_id = None
            self.emit(Event("CHANNEL_UPDATE", channel_payload(child), guild.id, INTENT_GUILDS))
        return channel


def normalise_channel_name(name: str, channel_type: int) -> str:
    """Text channel names are lower-cased with spaces turned into dashes, as Discord does."""
    if channel_type == GUILD_TEXT:
        return re.sub(r"\s+", "-", name.strip()).lower()
    return name


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
