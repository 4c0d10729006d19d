"""ADS (the ambient display slideshow) and DWS (the wallpaper API).

A *display profile* says what a screen shows (a gallery query: folders,
filters, search) and how (interval, transition, fit, overlays, night mode,
no-repeat). A *display* is one screen showing one profile: a TV paired with a
device token, or a browser tab of a signed-in user. Each display walks its
profile's pool on the ``File.shuffle`` circle, so choosing the next image is
one indexed range read, never ``ORDER BY RAND()``.

Where things live:

* ``models.py`` — DisplayProfile, Display, DisplayHistory, Pairing.
* ``selection.py`` — the pool of a profile and the next/previous pick.
* ``fit.py`` — contain or cover, from the image's and the screen's shape.
* ``views/`` — the screen page and its JSON, pairing, profiles, the phone
  remote, and DWS (``/dws/next``).
* ``consumers.py`` — websockets: remote control and mirrored displays.
* ``screen_auth.py`` — how a paired TV proves who it is (the device cookie).
"""
