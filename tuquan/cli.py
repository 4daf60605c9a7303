"""The `tuquan` command: thin over gis/maps/api; user errors print one message, no traceback."""

from __future__ import annotations

import errno
import sys

import sqlalchemy as sa
import typer

from gis.errors import TuquanError
from tuquan.commands import access, analysis, boundaries, db, demo, geocode, records, serve
from tuquan.commands import maps as maps_cli
from tuquan.context import err_console

DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES})

app = typer.Typer(
    help="tuquan — bản đồ mô hình “5 tự quản” về an ninh trật tự / 5 tự quản GIS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(boundaries.app, name="boundaries")
app.add_typer(maps_cli.app, name="maps")
app.add_typer(access.users_app, name="users")
app.add_typer(access.tokens_app, name="tokens")
app.command("audit")(access.audit_list)
app.command("serve")(serve.serve)
app.command("coverage")(analysis.coverage)
app.command("hotspots")(analysis.hotspots)
app.command("candidates")(analysis.candidates)
app.command("geocode")(geocode.geocode)
app.add_typer(records.import_app, name="import")
records.import_app.command("population")(analysis.population_import)
app.add_typer(records.sites_app, name="sites")
app.add_typer(records.incidents_app, name="incidents")
app.command("demo-data")(records.demo_data)
app.add_typer(demo.app, name="demo")


def run(argv: list[str] | None = None) -> int:
    """Run one command; domain errors become a message and exit code 1, never a traceback."""
    try:
        app(argv, prog_name="tuquan")  # usage errors and --help end in SystemExit
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TuquanError as exc:
        err_console.print(f"[red]Lỗi / error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"  → {exc.hint}", highlight=False)
        return 1
    except OSError as exc:
        if exc.filename is None and exc.errno not in DISK_ERRORS:
            raise  # not the file system's answer about a path or a disk: a real bug
        # A full disk, a read-only or unwritable folder: the user's to fix, name the path.
        where = f"{exc.filename}: " if exc.filename else "writing a file: "
        err_console.print(f"[red]Lỗi / error:[/] {where}{exc.strerror}", highlight=False)
        err_console.print(
            "  → giải phóng dung lượng đĩa hoặc chọn thư mục ghi được / free disk space or "
            "choose a folder you may write to (--out, TUQUAN_HOME)",
            highlight=False,
        )
        return 1
    except sa.exc.OperationalError as exc:
        err_console.print(f"[red]Lỗi / error:[/] the database is unreachable: {exc.orig}")
        err_console.print("  → check `tuquan db status` or TUQUAN_DATABASE_URL")
        return 1
    return 0


def main() -> None:
    """Console entry point."""
    sys.exit(run())
