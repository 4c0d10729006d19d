"""Discord I/O: the gateway client that mirrors Discord into JuneFS.

- ``records``: plain data the mirror works on; ``convert``: discord.py objects to records.
- ``mirror``: sync services applying message events; ``channels``: channel and
  guild events; ``parents``: our own parent messages (repair or rebuild);
  ``events``: the event records and the one sync entry point, ``apply_event``.
- ``reading``: the task body that reads a mirrored attachment (hash, probe,
  thumbnail); ``rest``: a small sync Discord REST/CDN client for it.
- ``client``: the discord.py client (events -> an ordered queue -> the services);
  ``lease``: who is active; ``runner``: active/standby around the client.
- ``setup`` and ``backfill``: ``discord_io setup --guild`` and ``junefs index``.
"""
