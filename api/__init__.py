"""tuquan HTTP API (FastAPI): routes parse requests and call gis/maps."""
