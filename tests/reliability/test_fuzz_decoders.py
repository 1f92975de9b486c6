"""Fuzz (bounded): the loader and every decoder fail only with their documented exceptions.

* ``strict_yaml.parse(strict_yaml.decode(bytes))`` on random bytes and on YAML-ish token
  soup raises only ``DefinitionError`` (with a file in every problem's location); the
  loader (``read_document``/``validate_document``) and ``load_config`` likewise.
* ``codec.decode`` on random Cloudinary-shaped JSON (the list shape, the get-one shape,
  wrong types, nested junk) either returns a preset, in which every setting it could not
  read is kept in ``extra_settings`` and no non-empty setting is dropped, or raises a
  ``ValueError``; the preset can always be fingerprinted, compared and re-encoded, and
  ``remote.read_remote`` turns every failure into ``BadResponse``.
* ``simulate.read_samples`` on junk raises only ``DefinitionError``.
* The HTTP transport, under random emulator faults (truncated bodies, resets, any status,
  before or after processing) and against a raw socket server sending random responses
  (bad status lines, lying Content-Length, broken chunks, garbage rate-limit and
  Retry-After headers, non-JSON and wrongly shaped JSON), raises only ``ApiError``.

Bounded for CI: a few hundred examples per property, no deadline.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import string
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.codec import decode, encode
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.remote import RemotePresets, read_remote
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.definitions.config import load_config
from cloudinary_presets.definitions.loader import (
    read_document,
    validate_document,
    validation_context,
)
from cloudinary_presets.definitions.strict_yaml import decode as decode_bytes
from cloudinary_presets.definitions.strict_yaml import parse
from cloudinary_presets.errors import ApiError, BadResponse, DefinitionError, FileError
from cloudinary_presets.model.preset import PRESET_LEVEL_KEYS, SETTING_KEYS
from cloudinary_presets.operations.simulate import read_samples

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HTTP_FUZZ = settings(FUZZ, max_examples=150)
NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, max_wait=5.0)


# --------------------------------------------------------------------------- the loader

YAML_TOKENS = st.sampled_from(
    [
        "name",
        "settings",
        "folder",
        "tags",
        "moderation",
        "aws_rek",
        "unsigned",
        "x",
        "é",
        "日本",
        ":",
        ": ",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\t",
        "-",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "?",
        "'",
        '"',
        "#",
        "&a",
        "*a",
        "!",
        "!!str",
        "!!int",
        "!!binary",
        "!!python/object:os.system",
        "!Ref",
        "<<",
        "|",
        ">",
        "---",
        "...",
        "%YAML 1.2",
        "%TAG",
        "@",
        "`",
        "\\",
        "\\u0000",
        "\x00",
        "\x85",
        "\u2028",
        "\ufeff",
        "0",
        "-1",
        "0755",
        "1e3",
        ".nan",
        ".inf",
        "true",
        "yes",
        "~",
        "null",
        "2024-01-01",
        "1:30",
        "0x1F",
    ]
)
YAMLISH = st.lists(YAML_TOKENS, max_size=60).map("".join)


def assert_only_definition_errors(data: bytes) -> None:
    error: DefinitionError | None = None
    try:
        document = parse(decode_bytes(data, "fuzz.yaml"), "fuzz.yaml")
    except DefinitionError as exc:
        error = exc
    if error is None:
        validate_document(document, validation_context())  # returns problems, never raises
        return
    assert error.problems
    for problem in error.problems:
        assert problem.location is not None
        assert problem.location.file == "fuzz.yaml"
        assert problem.location.line >= 0
        assert problem.location.column >= 0


@FUZZ
@given(st.binary(max_size=3000))
def test_strict_yaml_on_random_bytes(data):
    assert_only_definition_errors(data)


@FUZZ
@given(YAMLISH)
def test_strict_yaml_on_yaml_token_soup(text):
    assert_only_definition_errors(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    st.one_of(st.binary(max_size=500), YAMLISH.map(lambda t: t.encode("utf-8", "surrogatepass")))
)
def test_loader_and_config_on_junk_files(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "preset.yaml").write_bytes(data)
        (root / "cloudinary-presets.yaml").write_bytes(data)
        try:
            document = read_document(root / "preset.yaml")
        except DefinitionError:
            pass
        else:
            validate_document(document, validation_context())
        with contextlib.suppress(DefinitionError):
            load_config(root)


# --------------------------------------------------------------------------- the codec

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "1",
            "0",
            "true",
            "false",
            "none",
            "a,b",
            "k=v|k2=v2",
            "c_limit,w_100",
            "w_1/q_auto",
            "aws_rek:violence:0.8|manual",
            "x_y_z",
            "1,2,3,4|5,6,7,8",
            "{}",
            "[]",
            "[1,2]",
            '{"a":1}',
            "Link: <x>",
            "=",
            "|",
            "\\|",
            "\\=",
            "a=\\",
            "::",
            "manual|manual",
            "0.5",
            "nan",
        ]
    ),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
#: the get-one shapes of the structured settings (plausible, and often subtly wrong)
PARSED = st.one_of(
    st.lists(st.text(max_size=8), max_size=4),  # tags, allowed_formats
    st.dictionaries(
        st.text(max_size=6),
        st.one_of(st.text(max_size=6), st.lists(st.text(max_size=4))),
        max_size=3,
    ),
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "crop",
                    "width",
                    "height",
                    "quality",
                    "effect",
                    "format",
                    "if",
                    "$v",
                    "bogus",
                    "fetch_format",
                    "gravity",
                ]
            ),
            SCALARS,
            max_size=3,
        ),
        max_size=3,
    ),  # transformation steps
    st.lists(
        st.lists(
            st.dictionaries(st.sampled_from(["crop", "width", "format"]), SCALARS, max_size=2),
            max_size=2,
        ),
        max_size=2,
    ),  # eager
    st.lists(
        st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=3)), max_size=5), max_size=3
    ),
    st.lists(
        st.dictionaries(st.sampled_from(["access_type", "start", "end"]), SCALARS, max_size=3),
        max_size=2,
    ),
)
KEYS = st.one_of(
    st.sampled_from(sorted(SETTING_KEYS)),
    st.sampled_from(list(PRESET_LEVEL_KEYS)),
    st.text(max_size=12),
)


@st.composite
def cloudinary_shaped(draw: st.DrawFn) -> Any:
    """A preset as the list or the get-one endpoint might return it, or something worse."""
    settings_ = draw(st.dictionaries(KEYS, st.one_of(SCALARS, PARSED, JUNK), max_size=8))
    raw: dict[str, Any] = {
        "name": draw(st.one_of(st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True), JUNK)),
        "settings": draw(st.one_of(st.just(settings_), st.just(settings_), JUNK)),
    }
    if draw(st.booleans()):
        raw["unsigned"] = draw(st.one_of(st.booleans(), SCALARS))
    if draw(st.booleans()):
        raw["external_id"] = draw(st.one_of(st.uuids().map(str), JUNK))
    for key in draw(st.lists(st.sampled_from(list(PRESET_LEVEL_KEYS)), max_size=2)):
        raw[key] = draw(st.one_of(SCALARS, JUNK))
    return raw


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@FUZZ
@given(cloudinary_shaped())
def test_codec_decode_on_cloudinary_shaped_json(raw):
    try:
        decoded = decode(raw)
    except ValueError:  # pydantic's ValidationError is one too
        with pytest.raises(BadResponse):
            read_remote(raw)
        return
    preset = decoded.preset
    extra = preset.extra_settings
    for key, _reason in decoded.unreadable:
        if key != "unsigned":
            assert key in extra, (key, raw, preset)
    settings_ = raw.get("settings")
    if isinstance(settings_, dict):
        modelled = preset.settings_dict()
        for key, value in settings_.items():
            if _empty(value) or key in PRESET_LEVEL_KEYS:
                continue
            assert key in modelled or key in extra, f"setting {key!r} was dropped: {raw}"
    # what plan and apply do with a remote preset never fails on a decoded one
    preset.canonical()
    preset.fingerprint()
    assert preset.canonical() == preset.canonical()
    encode(preset)
    assert read_remote(raw).fingerprint == preset.fingerprint()


@FUZZ
@given(st.lists(cloudinary_shaped(), max_size=4), st.one_of(st.none(), JUNK))
def test_a_junk_listing_is_a_bad_response(presets, cursor):
    """A listing page, read and decoded the way ``plan`` does it, through a stub transport."""
    from cloudinary_presets.cloudinary.transport import ApiResponse, CallCounts, Quota

    class Pages:
        """Just enough of a Transport: one page of junk presets, maybe a junk cursor."""

        calls = CallCounts()
        quota = Quota()
        sent = 0

        def request(self, method: str, path: str, **kw: Any) -> ApiResponse:
            self.sent += 1
            document: dict[str, Any] = {"presets": presets}
            if cursor is not None and self.sent == 1:
                document["next_cursor"] = cursor
            return ApiResponse(200, document, {}, None, 0.0)

    with contextlib.suppress(BadResponse):
        RemotePresets(Pages()).snapshot()  # type: ignore[arg-type]


# --------------------------------------------------------------------------- labels

LABEL_LINES = st.one_of(
    JUNK.map(lambda v: json.dumps(v, allow_nan=True)),
    st.fixed_dictionaries(
        {
            "moderation_labels": st.lists(
                st.dictionaries(
                    st.sampled_from(
                        ["name", "Name", "parent_name", "ParentName", "confidence", "Confidence"]
                    ),
                    SCALARS,
                    max_size=3,
                ),
                max_size=3,
            )
        }
    ).map(json.dumps),
    st.text(max_size=40),
)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(LABEL_LINES, max_size=6).map(
            lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_read_samples_on_junk(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.jsonl"
        path.write_bytes(data)
        error: DefinitionError | None = None
        unreadable = ""
        try:
            samples = read_samples(path)
        except DefinitionError as exc:
            error, samples = exc, []
        except FileError as exc:  # not UTF-8: located at the first bad byte
            unreadable, samples = str(exc), []
        if unreadable:
            assert re.search(r"labels.jsonl:\d+:\d+: invalid UTF-8 byte", unreadable)
        if error is not None:
            assert error.problems
        for sample in samples:
            assert all(0 <= label.confidence <= 1 for label in sample.labels)


# --------------------------------------------------------------------------- HTTP: emulator faults

FAULT_RULES = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["status", "reset", "truncate"]),
        "when": st.sampled_from(["before", "after"]),
        "status": st.sampled_from(
            [
                200,
                201,
                204,
                301,
                302,
                304,
                400,
                401,
                403,
                404,
                409,
                413,
                418,
                420,
                429,
                500,
                501,
                502,
                503,
                504,
            ]
        ),
    },
    optional={
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
        "rate": st.floats(0.3, 1.0),
        "retry_after": st.sampled_from([0, 1, 100, 10**9]),
        "reset_seconds": st.sampled_from([-5, 0, 1, 3600]),
        "message": st.text(max_size=30),
    },
)
CALLS = st.sampled_from(["list", "get", "create", "update", "delete", "ping"])


@pytest.fixture
def admin(emulator: Any) -> Iterator[AdminApi]:
    account = emulator.clouds[0]
    creds = Credentials(
        account.name,
        account.api_key,
        Secret(account.api_secret),
        api_host=emulator.url,
        source="fuzz",
    )
    with Transport(creds, timeout=(2.0, 5.0), retry=NO_WAIT, sleep=lambda s: None) as transport:
        yield AdminApi(transport)


def _call(admin: AdminApi, call: str, n: int) -> Any:
    name = f"fuzz-{n}"
    body = {"name": name, "folder": "f", "tags": "a,b"}
    if call == "list":
        return admin.list_presets()
    if call == "get":
        return admin.get_preset("seeded")
    if call == "create":
        return admin.create_preset(body, same=lambda got: got.get("name") == name)
    if call == "update":
        return admin.update_preset("seeded", {"folder": "g"})
    if call == "delete":
        return admin.delete_preset("seeded")
    return admin.ping()


@HTTP_FUZZ
@given(
    rules=st.lists(FAULT_RULES, min_size=1, max_size=3),
    calls=st.lists(CALLS, min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_http_parsing_under_emulator_faults_raises_only_api_errors(
    rules, calls, seed, emulator, admin
):
    emulator.clear_faults()
    if not any(p["name"] == "seeded" for p in emulator.presets("demo")):
        emulator.seed_presets("demo", [{"name": "seeded", "folder": "f"}])
    try:
        emulator.set_faults([{**r, "path": "/v1_1/*"} for r in rules], seed=seed)
    except ValueError:
        assume(False)
    for n, call in enumerate(calls):
        with contextlib.suppress(ApiError):  # anything else fails the test
            _call(admin, call, n)
    emulator.clear_faults()


# --------------------------------------------------------------------------- HTTP: a raw server


class RawServer:
    """Answers every request with the bytes it is given, then closes the connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.response = b""
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    while len(rest) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                    conn.sendall(self.response)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.stop()


HEADER_VALUES = st.one_of(
    st.text(string.printable.replace("\r", "").replace("\n", ""), max_size=30),
    st.sampled_from(
        [
            "0",
            "-1",
            "99999999999",
            "1.5",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "nan",
            "inf",
            "",
            " ",
        ]
    ),
)
HEADER_NAMES = st.sampled_from(
    [
        "Content-Type",
        "Retry-After",
        "X-FeatureRateLimit-Limit",
        "X-FeatureRateLimit-Remaining",
        "X-FeatureRateLimit-Reset",
        "Location",
        "X-Request-Id",
        "Content-Encoding",
        "Connection",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JUNK.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.fixed_dictionaries(
        {"presets": st.lists(cloudinary_shaped(), max_size=3)},
        optional={"next_cursor": st.one_of(st.text(max_size=8), JUNK)},
    ).map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.fixed_dictionaries(
        {"error": st.one_of(JUNK, st.fixed_dictionaries({"message": SCALARS}))}
    ).map(lambda v: json.dumps(v, allow_nan=True).encode()),
    cloudinary_shaped().map(lambda v: json.dumps(v, allow_nan=True).encode()),
)


@st.composite
def raw_responses(draw: st.DrawFn) -> bytes:
    status = draw(
        st.one_of(
            st.sampled_from([200, 201, 204, 302, 400, 401, 404, 409, 420, 429, 500, 503]),
            st.integers(100, 999),
        )
    )
    line = draw(
        st.sampled_from(
            [
                f"HTTP/1.1 {status} X",
                f"HTTP/1.0 {status}",
                f"HTTP/1.1 {status}",
                "HTTP/1.1 abc",
                "garbage",
                "",
            ]
        )
    )
    body = draw(BODIES)
    headers = [
        f"{name}: {value}"
        for name, value in draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=4))
    ]
    framing = draw(
        st.sampled_from(["exact", "short", "long", "none", "chunked", "bad-chunked", "huge"])
    )
    if framing == "exact":
        headers.append(f"Content-Length: {len(body)}")
    elif framing == "short":
        headers.append(f"Content-Length: {max(0, len(body) - 5)}")
    elif framing == "long":
        headers.append(f"Content-Length: {len(body) + 50}")
    elif framing == "huge":
        headers.append(f"Content-Length: {10**12}")
    elif framing in ("chunked", "bad-chunked"):
        headers.append("Transfer-Encoding: chunked")
        body = (
            (f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
            if framing == "chunked"
            else (b"zz\r\n" + body)
        )
    head = "\r\n".join([line, *headers]).encode("utf-8", "surrogatepass")
    return head + b"\r\n\r\n" + body


@HTTP_FUZZ
@given(response=raw_responses(), call=CALLS)
def test_http_parsing_of_random_responses_raises_only_api_errors(response, call, raw_server):
    raw_server.response = response
    creds = Credentials(
        "demo", "1234", Secret("fuzz-secret"), api_host=raw_server.url, source="fuzz"
    )
    with Transport(creds, timeout=(1.0, 1.0), retry=NO_WAIT, sleep=lambda s: None) as transport:
        admin = AdminApi(transport)
        try:
            result = _call(admin, call, 0)
        except ApiError:  # anything else fails the test
            return
        if call == "list":
            assert isinstance(result, list)
            with contextlib.suppress(ApiError):
                RemotePresets(transport).snapshot()
