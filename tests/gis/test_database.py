"""The project-managed cluster and the migrations, on real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
import sqlalchemy as sa

from gis import migrations
from gis.cluster import LocalCluster
from gis.database import create_database, make_engine, server_url
from gis.errors import ConfigurationError, DatabaseUnavailable
from gis.settings import Settings


@pytest.fixture
def cluster_home(tmp_path):
    home = tmp_path / "home"  # under a 0700 folder: as root, the cluster is relocated
    home.mkdir()
    yield home
    cluster = LocalCluster.from_settings(Settings(home=home))
    if cluster.initialised:
        cluster.stop()
        shutil.rmtree(cluster.data_dir, ignore_errors=True)


def test_local_cluster_is_created_on_first_use_and_reused(cluster_home):
    settings = Settings(home=cluster_home, database_name="demo")
    url = server_url(settings)  # initialises and starts
    cluster = LocalCluster.from_settings(settings)
    assert cluster.running() and url.host == "127.0.0.1"
    state = cluster.data_dir / "tuquan-cluster.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert create_database(url) is True and create_database(url) is False
    engine = make_engine(url)
    with engine.connect() as conn:
        user = conn.scalar(sa.text("SELECT current_setting('listen_addresses')"))
        superuser = conn.scalar(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
    engine.dispose()
    assert user == "127.0.0.1" and superuser
    if os.geteuid() == 0:  # the server never runs as root
        assert cluster.data_dir.stat().st_uid != 0
    assert cluster.stop() is True and cluster.stop() is False
    assert server_url(settings).port == url.port  # reused, same port and password


def test_wrong_password_is_refused(cluster_home):
    settings = Settings(home=cluster_home)
    url = server_url(settings).set(password="wrong")
    with pytest.raises(DatabaseUnavailable):
        create_database(url)


def test_unreachable_server_is_a_clear_error():
    url = sa.engine.make_url("postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable, match="cannot connect"):
        create_database(url)


def test_missing_server_binaries_are_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="pg_ctl"):
        LocalCluster.from_settings(Settings(home=tmp_path, pg_bin_dir=tmp_path))


def test_migrations_go_down_and_up(make_test_database):
    url = make_test_database("migrations")
    engine = make_engine(url)
    head = migrations.head_revision(engine)
    assert migrations.current_revision(engine) == head
    migrations.upgrade(engine, head)  # again: nothing to do
    from alembic import command

    command.downgrade(migrations.alembic_config(engine), "base")
    assert migrations.current_revision(engine) is None
    assert migrations.upgrade(engine) == head
    with engine.connect() as conn:
        index = conn.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_admin_unit_geom'")
        )
    engine.dispose()
    assert "gist" in index.lower()
