"""tuquan maps and figures (folium, matplotlib) built from gis analysis results."""
