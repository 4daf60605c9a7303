"""`tuquan demo accounts`: one demo account per role, and how to log in to the dashboard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gis.demo_accounts import ensure_demo_accounts
from tuquan import context
from tuquan.commands.access import cli_actor

app = typer.Typer(help="Thử nghiệm / demo helpers.", no_args_is_help=True)


@app.command("accounts")
def accounts(
    province: Annotated[str, typer.Option(help="the demo officer's province")] = "37",
    host: Annotated[str, typer.Option(help="where the server will listen (for the URL)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="its port")] = 8000,
) -> None:
    """Create (or refresh) demo.viewer, demo.officer, demo.admin with new passwords; print them."""
    made = ensure_demo_accounts(context.engine(), province, cli_actor())
    table = Table(
        "tài khoản / user", "vai trò / role", "mật khẩu / password",
        title="TÀI KHOẢN THỬ NGHIỆM — CHỈ DÙNG ĐỂ DEMO / DEMO ACCOUNTS — DEMO ONLY",
    )  # fmt: skip
    for account in made:
        table.add_row(account.username, account.role, account.password)
    console = context.console
    console.print(table)
    console.print(
        "Mật khẩu mới được tạo mỗi lần chạy và không lưu ở đâu (chỉ lưu mã băm) / passwords are "
        "new on every run and kept nowhere (only their hash): copy them now.",
        highlight=False,
    )
    console.print(
        f"Bảng điều khiển / dashboard: [bold]http://{host}:{port}/[/] — đăng nhập bằng một tài "
        "khoản ở trên / log in with one of the accounts above (demo.officer can mark "
        "candidates as planned).",
        highlight=False,
    )
