"""The blog's requests to other servers verify their certificates, trusting a private CA only
when `FEDERATION_CA_BUNDLE` names it, and a bundle that cannot be read stops the app at start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_migrate import upgrade

from blog import create_app
from blog.extensions import db
from blog.federation import remote
from blog.federation.identity import FederationSettingsError

from .conftest import app_settings
from .federation_peers import https_site
from .throwaway_ca import ThrowawayCA, make_throwaway_ca


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> ThrowawayCA:
    return make_throwaway_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def site(tmp_path, ca) -> Iterator[tuple[object, str]]:
    """A federating blog over HTTPS with the CA's certificate: the server the others fetch from."""
    with https_site(tmp_path / "served", ca) as served:
        yield served


def fetching_app(tmp_path, **settings):
    app = create_app(
        app_settings(
            tmp_path,
            SERVER_NAME=None,
            FEDERATION_ENABLED=True,
            SITE_URL="https://127.0.0.1:9",
            **settings,
        )
    )
    with app.app_context():
        upgrade()
    return app


def close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_server_signed_by_the_bundles_ca_is_trusted(site, ca, tmp_path):
    _, base = site
    app = fetching_app(tmp_path / "fetcher", FEDERATION_CA_BUNDLE=str(ca.ca_file))
    try:
        with app.app_context():
            actor = remote.fetch_json(f"{base}/fediverse/actor")
        assert actor["id"] == f"{base}/fediverse/actor"
    finally:
        close(app)


def test_without_the_bundle_the_same_server_is_refused(site, tmp_path):
    _, base = site
    app = fetching_app(tmp_path / "fetcher")
    try:
        with app.app_context(), pytest.raises(remote.RemoteError, match="CERTIFICATE_VERIFY"):
            remote.fetch_json(f"{base}/fediverse/actor")
    finally:
        close(app)


def test_a_bundle_that_is_not_certificates_stops_the_app(tmp_path):
    bundle = tmp_path / "not-a-ca.pem"
    bundle.write_text("hello\n")
    with pytest.raises(FederationSettingsError, match="FEDERATION_CA_BUNDLE"):
        create_app(
            app_settings(
                tmp_path,
                SERVER_NAME=None,
                FEDERATION_ENABLED=True,
                SITE_URL="https://blog.example",
                FEDERATION_CA_BUNDLE=str(bundle),
            )
        )
