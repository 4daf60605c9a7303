"""Typer sub-commands, one module per resource; each is thin over gis/maps/api."""
