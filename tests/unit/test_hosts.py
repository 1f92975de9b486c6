"""The one client-side host check, and the two readings its callers make of it."""

from __future__ import annotations

import pytest

from cloudinary_presets.cloudinary.credentials import Credentials, validate_api_host
from cloudinary_presets.definitions.lints import lint
from cloudinary_presets.errors import CredentialsError
from cloudinary_presets.model.hosts import host_scope
from cloudinary_presets.model.preset import Preset

SCOPES = {
    "http://localhost:8080": "loopback",
    "http://LOCALHOST": "loopback",
    "http://127.0.0.1": "loopback",
    "http://127.9.9.9:9": "loopback",
    "http://[::1]:9/v": "loopback",
    # resolves to this machine only if the resolver says so: never trusted with plain http
    "http://api.localhost": "private",
    "https://10.0.0.1/hook": "private",
    "https://192.168.1.1": "private",
    "https://169.254.1.1": "private",
    "https://[fe80::1]/hook": "private",
    "https://api.cloudinary.com": "public",
    "https://8.8.8.8": "public",
    "https://localhost.example.com": "public",
    "no-scheme": "public",
}


@pytest.mark.parametrize(("url", "scope"), SCOPES.items())
def test_host_scope(url: str, scope: str) -> None:
    assert host_scope(url) == scope


@pytest.mark.parametrize("url", [u for u, s in SCOPES.items() if s == "loopback"])
def test_plain_http_api_host_only_to_loopback(url: str) -> None:
    assert validate_api_host(url) == url
    creds = Credentials(cloud_name="demo", api_key="1", api_secret=None, api_host=url)
    assert creds.is_loopback


@pytest.mark.parametrize(
    "url", ["http://api.localhost", "http://10.0.0.1", "http://[fe80::1]", "http://example.com"]
)
def test_plain_http_api_host_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(CredentialsError, match="plain http to a non-loopback host"):
        validate_api_host(url)


@pytest.mark.parametrize(
    ("url", "flagged"),
    [(u, s != "public") for u, s in SCOPES.items() if u.startswith("https://")]
    + [("https://api.localhost/done", True), ("https://[::1]/done", True)],
)
def test_lint_flags_every_non_public_callback(url: str, flagged: bool) -> None:
    preset = Preset.model_validate({"name": "p", "settings": {"notification_url": url}})
    messages = [f.message for f in lint(preset)]
    assert any("private or loopback address" in m for m in messages) is flagged
