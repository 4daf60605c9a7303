"""The API keeps its promises while its database goes away and comes back."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from gis import auth, migrations
from gis.cluster import LocalCluster
from gis.database import create_database, make_engine, server_url
from gis.settings import Settings

PASSWORD = "một mật khẩu đủ dài"


@pytest.fixture
def own_cluster(tmp_path):
    """A private cluster this test may stop and start (never the shared one)."""
    settings = Settings(home=tmp_path / "home", database_name="faults")
    url = server_url(settings)
    create_database(url)
    yield settings, url, LocalCluster.from_settings(settings)
    cluster = LocalCluster.from_settings(settings)
    cluster.stop()
    shutil.rmtree(cluster.data_dir, ignore_errors=True)


def test_api_answers_503_while_down_and_recovers_without_restart(own_cluster):
    _, url, cluster = own_cluster
    engine = make_engine(url)
    migrations.upgrade(engine)
    auth.add_user(engine, "planner", PASSWORD, "viewer")
    token, _ = auth.issue_token(engine, "planner")
    app = create_app(Settings(database_url=url.render_as_string(hide_password=False)), engine)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, headers=headers) as client:
        assert client.get("/collections").status_code == 200
        cluster.stop()
        down = client.get("/collections")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert int(down.headers["retry-after"]) > 0
        cluster.start()
        assert client.get("/collections").status_code == 200  # same app, same engine
    engine.dispose()
