"""CDS views: byte serving (``files``), share management (``shares``), ``health``."""
