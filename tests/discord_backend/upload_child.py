"""A worker process for the killed-worker test: upload one file through the Discord backend.

``python -m tests.discord_backend.upload_child FILE_ID``, with the environment of
:func:`tests.processes.child_env` pointing at the test database and the emulator.
"""

from __future__ import annotations

import sys

import django


def main() -> None:
    django.setup()
    from junefs.upload import upload_file

    print("start", flush=True)
    print(upload_file(int(sys.argv[1])), flush=True)


if __name__ == "__main__":
    main()
