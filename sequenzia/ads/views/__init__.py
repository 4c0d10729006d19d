"""ADS and DWS views: the screen and its JSON (``screen``), pairing, the owner's pages
(``manage``), and wallpapers (``dws``)."""
