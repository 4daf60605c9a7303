"""Imports of sites and incidents from officers' CSV, XLSX and GeoJSON files.

result = import_file(engine, "vu_viec.xlsx", "incidents", ImportOptions(skip_bad_rows=True))
result.summary(); result.problems.write("report.csv", result.summary())
"""

from gis.ingest.pipeline import ImportOptions, ImportResult, import_file
from gis.ingest.report import ProblemLog, RowProblem

__all__ = ["ImportOptions", "ImportResult", "ProblemLog", "RowProblem", "import_file"]
