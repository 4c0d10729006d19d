"""Subcommands of ``python manage.py junefs``: one module each.

Every module has ``help``, ``add_arguments(parser)`` and
``handle(command, options)``. Bad input raises ``CommandError`` (one line,
non-zero exit); long operations show a progress bar on a terminal.
"""

from junefs.cli import channels, download, index, ls, rm, upload, verify, words

SUBCOMMANDS = {
    "upload": upload,
    "download": download,
    "ls": ls,
    "verify": verify,
    "rm": rm,
    "channels": channels,
    "index": index,
    "words": words,
}
