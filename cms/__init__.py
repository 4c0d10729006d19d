"""CMS: feed ingestion with an approve/decline queue. Not built yet."""
