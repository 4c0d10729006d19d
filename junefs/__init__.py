"""JuneFS: the filesystem index, local store, backends, spanning and ingest."""
