"""Run the emulator standalone: ``python -m tests.discord_emulator --port 8765``.

Prints one JSON line with the addresses, the bot token and the default world's ids,
then serves until interrupted. Drive it through ``/_emulator/`` (see control.py).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .emulator import Emulator
from .services import EmulatorConfig


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.discord_emulator", description="Local Discord API v10 emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--token", default="emulator-bot-token", help="the default bot's token")
    parser.add_argument("--bot-name", default="Sequenzia")
    parser.add_argument(
        "--cdn-ttl", type=float, default=24 * 3600.0, help="attachment URL lifetime in seconds"
    )
    parser.add_argument("--heartbeat-ms", type=int, default=41_250)
    parser.add_argument("--no-default-world", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        bot_token=args.token,
        bot_name=args.bot_name,
        cdn_url_ttl=args.cdn_ttl,
        heartbeat_interval_ms=args.heartbeat_ms,
        default_world=not args.no_default_world,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        emulator = Emulator(config).start()
    except RuntimeError as error:
        print(f"error: {error} ({error.__cause__})", file=sys.stderr)
        return 1
    info: dict[str, object] = {
        "base_url": emulator.base_url,
        "api_base": emulator.api_base,
        "gateway_url": emulator.gateway_url,
    }
    if emulator.default is not None:
        info.update(
            token=emulator.token,
            bot_id=str(emulator.bot.id),
            person_id=str(emulator.person.id),
            guild_id=str(emulator.guild.id),
            category_id=str(emulator.category.id),
            channel_id=str(emulator.channel.id),
        )
    print(json.dumps(info), flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
