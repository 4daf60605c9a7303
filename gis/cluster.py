"""The project-managed local PostgreSQL + PostGIS cluster.

With ``TUQUAN_DATABASE_URL`` unset, the project runs its own cluster in ``<home>/pg``:
initialised on first use, listening on 127.0.0.1 only (a free port, password auth),
reused afterwards. PostgreSQL refuses to run as root, so a root caller runs the server
as an unprivileged system user (``postgres``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from gis.errors import ConfigurationError, DatabaseUnavailable
from gis.settings import Settings

SERVER_USER = "postgres"  # the unprivileged user that runs the server when we are root
SUPERUSER = "postgres"  # the database role created by initdb
STATE_FILE = "tuquan-cluster.json"  # port and password, inside the data directory

_SERVER_CONF = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "shared_buffers": "256MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "2GB",
    "max_connections": "200",
}


def find_pg_bin_dir(configured: Path | None = None) -> Path:
    """Where initdb/pg_ctl are: configured, newest under /usr/lib/postgresql, or on PATH."""
    if configured is not None:
        if (configured / "pg_ctl").exists():
            return configured
        raise ConfigurationError(
            f"TUQUAN_PG_BIN_DIR={configured} has no pg_ctl",
            "point it at the bin directory of a PostgreSQL server installation",
        )

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name) or [0])

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bin_dir in candidates:
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            return bin_dir
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise ConfigurationError(
        "no PostgreSQL server found (initdb/pg_ctl)",
        "install it (Debian: `apt-get install postgresql-15 postgresql-15-postgis-3`) "
        "or set TUQUAN_DATABASE_URL to an existing PostGIS server",
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` (as PostgreSQL does, with SO_REUSEADDR,
    so connections of the previous run lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class LocalCluster:
    """A PostgreSQL cluster in a project data directory, driven with pg_ctl."""

    data_dir: Path
    bin_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalCluster:
        return cls(settings.pg_data_dir.resolve(), find_pg_bin_dir(settings.pg_bin_dir))

    # -- who runs the server -------------------------------------------------------------
    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _server_user(self) -> pwd.struct_passwd | None:
        if not self._as_root:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise ConfigurationError(
                f"running as root, but there is no unprivileged user '{SERVER_USER}' "
                "to run PostgreSQL",
                "install the server package (it creates the user) or run as a normal user",
            ) from None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        user = self._server_user()
        if user is not None:
            cmd = ["runuser", "-u", user.pw_name, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(
                f"`{' '.join(args[:2])}` failed for the local cluster in {self.data_dir}:\n"
                + (proc.stderr or proc.stdout).strip()[-2000:],
                f"see {self.log_file} for the server log, or remove {self.data_dir} "
                "to start with a fresh cluster",
            )
        return proc

    # -- state -----------------------------------------------------------------------------
    @property
    def log_file(self) -> Path:
        return self.data_dir / "log" / "server.log"

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _state(self) -> dict:
        try:
            return json.loads((self.data_dir / STATE_FILE).read_text())
        except FileNotFoundError:
            raise DatabaseUnavailable(
                f"{self.data_dir} holds a cluster that tuquan did not create (no {STATE_FILE})",
                "move it away or set TUQUAN_HOME to another directory",
            ) from None

    def _write_state(self, state: dict) -> None:
        path = self.data_dir / STATE_FILE
        path.write_text(json.dumps(state))
        path.chmod(0o600)
        user = self._server_user()
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)

    def running(self) -> bool:
        if not self.initialised:
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    # -- lifecycle -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir.parent / ".pg.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _reachable_by_server_user(self, path: Path) -> bool:
        user = self._server_user()
        if user is None:
            return True
        probe = subprocess.run(
            ["runuser", "-u", user.pw_name, "--", "test", "-x", str(path)], capture_output=True
        )
        return probe.returncode == 0

    def _relocate_if_unreachable(self) -> None:
        """Root with a home the server user cannot traverse (e.g. under /root): keep the
        cluster in /var/lib/tuquan and leave a symbolic link where it was asked for."""
        if self._reachable_by_server_user(self.data_dir.parent):
            return
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        real = Path("/var/lib/tuquan") / digest / "pg"
        real.parent.mkdir(parents=True, exist_ok=True)
        for p in (real.parent.parent, real.parent):
            p.chmod(0o755)
        self.data_dir.rmdir()
        self.data_dir.symlink_to(real)
        real.mkdir(exist_ok=True)
        self.data_dir = real

    def init(self) -> None:
        """Create the cluster (once): superuser password stored beside the data, 0600."""
        if self.initialised:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if any(self.data_dir.iterdir()):
            raise DatabaseUnavailable(
                f"{self.data_dir} is not empty and is not a PostgreSQL cluster",
                "remove it or set TUQUAN_HOME to another directory",
            )
        user = self._server_user()
        self._relocate_if_unreachable()
        if user is not None:
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        password = secrets.token_urlsafe(24)
        with tempfile.TemporaryDirectory() as tmp:
            pwfile = Path(tmp) / "pw"
            pwfile.write_text(password + "\n")
            if user is not None:
                os.chown(tmp, user.pw_uid, user.pw_gid)
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-E", "UTF8",
                "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={pwfile}",
            )  # fmt: skip
        (self.data_dir / "log").mkdir(exist_ok=True)
        if user is not None:
            os.chown(self.data_dir / "log", user.pw_uid, user.pw_gid)
        self._write_state({"password": password, "port": _free_port()})

    def start(self) -> None:
        """Start the server (initialising it on first use); a no-op when it runs."""
        with self._lock():
            self.init()
            if self.running():
                return
            state = self._state()
            if not _port_is_free(state["port"]):
                state["port"] = _free_port()
                self._write_state(state)
            options = " ".join(f"-c {k}='{v}'" for k, v in _SERVER_CONF.items())
            self._run(
                "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                "-w", "-t", "120", "-o", f"-p {state['port']} {options}",
            )  # fmt: skip

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        with self._lock():
            if not self.running():
                return False
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")
            return True

    def url(self, database: str) -> URL:
        state = self._state()
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=state["password"],
            host="127.0.0.1",
            port=state["port"],
            database=database,
        )
