"""CDS: serves, streams, verifies, caches and audits every byte. Filled by the CDS issue."""
