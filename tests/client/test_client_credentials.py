"""Credentials: CLOUDINARY_URL parsing, Secret hygiene, profiles and the precedence table."""

from __future__ import annotations

import base64
import copy
import json
import pickle
from pathlib import Path

import pytest

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credential_sources import resolve_credentials
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.profiles import load_profile
from cloudinary_presets.cloudinary.secrets import Secret, is_registered, redact
from cloudinary_presets.errors import EXIT_USAGE, CredentialsError, UsageError

SECRET = "Sentinel-S3cr3t/with+chars"
ENC_SECRET = "Sentinel-S3cr3t%2Fwith%2Bchars"
URL = f"cloudinary://123456789012345:{ENC_SECRET}@MyCloud"


def err(url: str, source: str = "--url") -> CredentialsError:
    with pytest.raises(CredentialsError) as info:
        parse_cloudinary_url(url, source)
    assert info.value.exit_code == EXIT_USAGE
    return info.value


# --------------------------------------------------------------------------- parsing


def test_parse_percent_decodes_and_lowercases_cloud() -> None:
    creds = parse_cloudinary_url(URL, "CLOUDINARY_URL")
    assert creds.cloud_name == "mycloud"
    assert creds.api_key == "123456789012345"
    assert creds.api_secret is not None
    assert creds.api_secret.reveal() == SECRET
    assert creds.api_host == "https://api.cloudinary.com"
    assert creds.signature_algorithm == "sha1"
    assert creds.source == "CLOUDINARY_URL"
    assert not creds.is_loopback


def test_parse_decodes_ab_2f_cd() -> None:
    creds = parse_cloudinary_url("cloudinary://k%3Ax:ab%2Fcd-long@demo", "x")
    assert creds.api_key == "k:x"
    assert creds.api_secret == Secret("ab/cd-long")


def test_parse_query_options_and_trailing_slashes() -> None:
    creds = parse_cloudinary_url(
        "  cloudinary://1:s3cret-value@demo?upload_prefix=http://127.0.0.1:8123///"
        "&signature_algorithm=SHA256&secure=true&cname=x  \n",
        "--url",
    )
    assert creds.api_host == "http://127.0.0.1:8123"
    assert creds.signature_algorithm == "sha256"
    assert creds.is_loopback
    assert creds.redacted_url() == (
        "cloudinary://1:***@demo?upload_prefix=http://127.0.0.1:8123&signature_algorithm=sha256"
    )


@pytest.mark.parametrize(
    "prefix", ["http://localhost:9", "http://[::1]:9", "http://127.0.0.5", "https://api-eu.x.com/p"]
)
def test_loopback_http_and_any_https_prefix_allowed(prefix: str) -> None:
    creds = parse_cloudinary_url(f"cloudinary://1:s3cret-value@demo?upload_prefix={prefix}", "x")
    assert creds.api_host == prefix


def test_key_only_url_means_unsigned_only() -> None:
    creds = parse_cloudinary_url("cloudinary://123@demo", "x")
    assert creds.api_secret is None
    assert not creds.has_secret
    assert creds.redacted_url() == "cloudinary://123@demo"
    with pytest.raises(CredentialsError, match="no API secret"):
        creds.basic_auth()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://1:TOPSECRET-1@demo", "wrong scheme 'https'"),
        ("TOPSECRET-1", "does not start with cloudinary://"),
        ('"cloudinary://1:TOPSECRET-1@demo"', "wrapped in quotes"),
        ("cloudinary://demo", "missing API key and secret"),
        ("cloudinary://:TOPSECRET-1@demo", "missing API key"),
        ("cloudinary://1:@demo", "missing API secret"),
        ("cloudinary://1:TOPSECRET-1@", "missing cloud name"),
        ("cloudinary://1:TOPSECRET-1@demo:443", "a port is not allowed"),
        ("cloudinary://1:TOPSECRET-1@de%20mo", "invalid cloud name"),
        ("cloudinary://1:TOP/SECRET-1@demo", "contains '/', '?' or '#'"),
        ("cloudinary://1:TOPSECRET-1@demo?signature_algorithm=md5", "unsupported signature_alg"),
        ("cloudinary://1:TOPSECRET-1@demo?upload_prefix=http://api.example.com", "plain http"),
        ("cloudinary://1:TOPSECRET-1@demo?upload_prefix=ftp://h", "must be an http(s) URL"),
        ("cloudinary://1:TOPSECRET-1@demo?upload_prefix=https://u:TOPSECRET-1@h", "user-info"),
        ("cloudinary://1:TOPSECRET-1@demo?upload_prefix=https://h&upload_prefix=https://i", "once"),
    ],
)
def test_parse_errors_are_clear_and_redacted(url: str, problem: str) -> None:
    error = err(url)
    text = str(error) + repr(error)
    assert problem in text
    assert "TOPSECRET" not in text
    assert "SECRET-1" not in text
    assert "cloudinary://API_KEY:API_SECRET@CLOUD_NAME" in text


def test_quoted_url_gets_a_hint() -> None:
    assert "remove the quotes" in str(err('"cloudinary://1:TOPSECRET-1@demo"'))


def test_error_shows_redacted_url() -> None:
    error = err("cloudinary://123:TOPSECRET-1@demo:99")
    assert "cloudinary://123:***@demo:99" in str(error)


# --------------------------------------------------------------------------- Secret


def test_secret_never_shows_itself() -> None:
    secret = Secret("Another-Sentinel-Secret")
    creds = Credentials("demo", "123", secret, source="test")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr(creds), str(creds)):
        assert "Another-Sentinel" not in text
    assert "***" in repr(creds)
    assert secret == Secret("Another-Sentinel-Secret")
    assert secret != Secret("Another-Sentinel-Secreu")
    assert secret != "Another-Sentinel-Secret"
    assert hash(secret) == hash(Secret("Another-Sentinel-Secret"))
    assert copy.deepcopy(creds) == creds
    assert copy.copy(secret) is secret
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    with pytest.raises(TypeError):
        json.dumps(secret)
    with pytest.raises(AttributeError):
        secret._value = "x"


def test_registry_and_redact() -> None:
    creds = parse_cloudinary_url("cloudinary://4242:Registry-Secret%2Fx@demo", "x")
    assert is_registered("Registry-Secret/x")
    blob = base64.b64encode(b"4242:Registry-Secret/x").decode()
    assert is_registered(blob)
    text = (
        f"secret Registry-Secret/x encoded Registry-Secret%2Fx blob {blob} "
        "Authorization: Basic Zm9vOmJhcg== url https://user:pw-123@host/x "
        "q ?signature=abcdef&api_secret=zzz&b=1 json {'signature': 'abc123'}"
    )
    clean = redact(text)
    for leaked in ("Registry-Secret", blob, "Zm9vOmJhcg", "pw-123", "abcdef", "zzz", "abc123"):
        assert leaked not in clean
    assert "https://user:***@host/x" in clean
    assert "b=1" in clean
    assert creds.redacted_url() == "cloudinary://4242:***@demo"


def test_short_secrets_are_masked_but_not_registered() -> None:
    assert not is_registered(Secret("abc").reveal())


def test_credentials_validation_and_fingerprint() -> None:
    creds = Credentials("demo", "123", Secret("whatever-secret"), api_host="https://h.example/")
    assert creds.api_host == "https://h.example"
    fp = creds.key_fingerprint()
    assert fp.startswith("sha256:")
    assert len(fp) == 23
    assert fp == Credentials("other", "123", None).key_fingerprint()  # the key's, not the cloud's
    long_key = Credentials("demo", "987654321012345", None).key_fingerprint()
    assert "987654321012345" not in long_key  # a stand-in, not the key
    assert long_key != fp
    assert fp != Credentials("demo", "124", None).key_fingerprint()
    with pytest.raises(CredentialsError, match="plain http"):
        Credentials("demo", "1", None, api_host="http://example.com")
    with pytest.raises(CredentialsError, match="signature_algorithm"):
        Credentials("demo", "1", None, signature_algorithm="md5")  # type: ignore[arg-type]
    with pytest.raises(CredentialsError, match="invalid cloud name"):
        Credentials("De mo", "1", None)


# --------------------------------------------------------------------------- profiles


def write_profiles(directory: Path, data: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


PROFILES = {
    "staging": "cloudinary://111:Staging-Secret-1@staging-cloud",
    "prod": "cloudinary://222:Prod-Secret-22@prod-cloud",
    "__default__": "prod",
}


def test_profile_from_default_location(tmp_path: Path) -> None:
    write_profiles(tmp_path / ".cloudinary-cli", PROFILES)
    creds = load_profile("staging", {}, tmp_path)
    assert creds.cloud_name == "staging-cloud"
    assert creds.source == "profile 'staging' (~/.cloudinary-cli/config.json)"
    default = load_profile(None, {}, tmp_path)
    assert default.cloud_name == "prod-cloud"
    assert default.source == "profile 'prod' (default) (~/.cloudinary-cli/config.json)"
    assert load_profile("__default__", {}, tmp_path) == default


def test_profile_from_cloudinary_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_profiles(tmp_path / "elsewhere", {"x": "cloudinary://9:Elsewhere-Secret@x-cloud"})
    creds = load_profile("x", {"CLOUDINARY_HOME": str(tmp_path / "elsewhere")}, home)
    assert creds.cloud_name == "x-cloud"
    assert str(tmp_path / "elsewhere" / "config.json") in creds.source
    write_profiles(home / "tilde", {"y": "cloudinary://9:Elsewhere-Secret@y-cloud"})
    assert load_profile("y", {"CLOUDINARY_HOME": "~/tilde"}, home).cloud_name == "y-cloud"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            PROFILES,
            "nope",
            "profile 'nope' not found in ~/.cloudinary-cli/config.json; "
            "available profiles: prod, staging",
        ),
        ({"a": "cloudinary://1:Profile-Secret@a"}, None, "no default profile is set"),
        ({"__default__": "gone", "a": "cloudinary://1:Profile-Secret@a"}, None, "'gone' (default)"),
        ("{not json", "a", "is not valid JSON"),
        ("[1, 2]", "a", "must hold a JSON object"),
        ({"a": 42}, "a", "is not a cloudinary:// URL string"),
        ({"a": "https://1:Profile-Secret@a"}, "a", "profile 'a' (~/.cloudinary-cli/config.json)"),
    ],
)
def test_profile_errors(tmp_path: Path, data: object, name: str | None, message: str) -> None:
    write_profiles(tmp_path / ".cloudinary-cli", data)
    with pytest.raises(CredentialsError) as info:
        load_profile(name, {}, tmp_path)
    text = str(info.value)
    assert message in text
    assert "Secret" not in text
    assert "cloudinary://1" not in text
    assert "cloudinary://2" not in text


def test_profile_file_missing(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"~/.cloudinary-cli/config.json does not exist"):
        load_profile("a", {}, tmp_path)


def test_reserved_profile_name(tmp_path: Path) -> None:
    write_profiles(tmp_path / ".cloudinary-cli", PROFILES)
    with pytest.raises(UsageError, match="reserved"):
        load_profile("__other__", {}, tmp_path)


# --------------------------------------------------------------------------- precedence

ENV_URL = "cloudinary://333:Env-Secret-333@env-cloud"
TRIO = {
    "CLOUDINARY_CLOUD_NAME": "Trio-Cloud",
    "CLOUDINARY_API_KEY": "444",
    "CLOUDINARY_API_SECRET": "Trio-Secret-444",
}


def resolve(tmp_path: Path, environ: dict[str, str], **kw: object) -> Credentials | None:
    write_profiles(tmp_path / ".cloudinary-cli", PROFILES)
    args: dict[str, object] = {"url": None, "profile": None, "env_credentials": None}
    args.update(kw)
    return resolve_credentials(environ=environ, home=tmp_path, **args)  # type: ignore[arg-type]


def cloud(creds: Credentials | None) -> str | None:
    return None if creds is None else creds.cloud_name


FULL_ENV = {"CLOUDINARY_URL": ENV_URL, "VAR_X": "cloudinary://5:Var-Secret-55@var-cloud"}


@pytest.mark.parametrize(
    ("kw", "environ", "expected"),
    [
        ({"url": "cloudinary://1:Url-Secret-1@url-cloud"}, FULL_ENV, "url-cloud"),
        ({"profile": "staging"}, FULL_ENV, "staging-cloud"),
        ({"profile": "__default__"}, FULL_ENV, "prod-cloud"),
        ({"env_credentials": ("env", "VAR_X")}, FULL_ENV, "var-cloud"),
        ({"env_credentials": ("profile", "staging")}, FULL_ENV, "staging-cloud"),
        ({"profile": "staging", "env_credentials": ("env", "VAR_X")}, FULL_ENV, "staging-cloud"),
        ({}, FULL_ENV, "env-cloud"),
        ({}, TRIO, "trio-cloud"),
        (
            {},
            {**TRIO, "CLOUDINARY_URL": "cloudinary://444:Trio-Secret-444@trio-cloud"},
            "trio-cloud",
        ),
        ({}, {}, None),
        ({}, {"CLOUDINARY_HOME": "/nonexistent"}, None),
    ],
)
def test_precedence(
    tmp_path: Path, kw: dict[str, object], environ: dict[str, str], expected: str | None
) -> None:
    assert cloud(resolve(tmp_path, environ, **kw)) == expected


def test_saved_default_is_never_implicit(tmp_path: Path) -> None:
    assert resolve(tmp_path, {}) is None


def test_sources_are_human_words(tmp_path: Path) -> None:
    env_creds = resolve(tmp_path, FULL_ENV, env_credentials=("env", "VAR_X"))
    assert env_creds is not None
    assert env_creds.source == "environment variable VAR_X"
    plain = resolve(tmp_path, FULL_ENV)
    assert plain is not None
    assert plain.source == "environment variable CLOUDINARY_URL"
    url = resolve(tmp_path, {}, url="cloudinary://1:Url-Secret-1@u")
    assert url is not None
    assert url.source == "--url"


def test_url_and_profile_together_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="either --url or --profile"):
        resolve(tmp_path, {}, url="cloudinary://1:Url-Secret-1@u", profile="staging")


def test_configured_env_var_missing_never_falls_through(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="VAR_Y is not set"):
        resolve(tmp_path, FULL_ENV, env_credentials=("env", "VAR_Y"))
    with pytest.raises(UsageError, match="unknown credentials kind"):
        resolve(tmp_path, FULL_ENV, env_credentials=("vault", "x"))


def test_empty_cloudinary_url_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="CLOUDINARY_URL is set but empty"):
        resolve(tmp_path, {"CLOUDINARY_URL": "  "})


def test_trio_with_prefix_and_algorithm(tmp_path: Path) -> None:
    creds = resolve(
        tmp_path,
        {
            **TRIO,
            "CLOUDINARY_UPLOAD_PREFIX": "http://127.0.0.1:1234/",
            "CLOUDINARY_SIGNATURE_ALGORITHM": "sha256",
        },
    )
    assert creds is not None
    assert creds.api_host == "http://127.0.0.1:1234"
    assert creds.signature_algorithm == "sha256"
    assert creds.api_secret == Secret("Trio-Secret-444")
    assert "CLOUDINARY_CLOUD_NAME" in creds.source
    with pytest.raises(CredentialsError, match="plain http"):
        resolve(tmp_path, {**TRIO, "CLOUDINARY_UPLOAD_PREFIX": "http://example.com"})


def test_trio_incomplete(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="CLOUDINARY_CLOUD_NAME is not set"):
        resolve(tmp_path, {"CLOUDINARY_API_KEY": "1", "CLOUDINARY_API_SECRET": "Trio-Secret-9"})
    with pytest.raises(CredentialsError, match="CLOUDINARY_API_KEY is not set"):
        resolve(tmp_path, {"CLOUDINARY_CLOUD_NAME": "x"})
    keyonly = resolve(tmp_path, {"CLOUDINARY_CLOUD_NAME": "x", "CLOUDINARY_API_KEY": "1"})
    assert keyonly is not None
    assert keyonly.api_secret is None


def test_url_and_trio_naming_different_clouds_refuse(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError) as info:
        resolve(tmp_path, {**TRIO, "CLOUDINARY_URL": ENV_URL})
    text = str(info.value)
    assert "'env-cloud'" in text
    assert "'trio-cloud'" in text
    assert "Secret" not in text


def test_url_and_trio_same_cloud_other_secret_refuse(tmp_path: Path) -> None:
    environ = {**TRIO, "CLOUDINARY_URL": "cloudinary://444:Other-Secret-44@trio-cloud"}
    with pytest.raises(CredentialsError, match="differ in: API secret") as info:
        resolve(tmp_path, environ)
    assert "Other-Secret" not in str(info.value)
    assert "Trio-Secret" not in str(info.value)
