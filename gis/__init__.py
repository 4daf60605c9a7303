"""tuquan core: settings, database, boundaries, geocoding, ingest and analysis."""
