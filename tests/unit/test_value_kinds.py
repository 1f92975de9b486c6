"""Value kinds (model/values.py): what is one value, how a change reads, what is hidden.

Each kind is asked for the changes between two values, as ``preset_changes`` does; the
assertions are on the resulting :class:`FieldChange` (the values a plan shows and saves,
their meaning and security note), plus round-trip properties: a value never differs from
itself or from another spelling of itself, and a display form never carries a secret.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudinary_presets.model.changes import FieldChange, Kind, Meaning, Scope
from cloudinary_presets.model.fields import Wire
from cloudinary_presets.model.moderation import parse_moderation
from cloudinary_presets.model.preset import Preset, wire_kind
from cloudinary_presets.model.structured import AccessRule, Breakpoints
from cloudinary_presets.model.transformations import EagerTransformation, Transformation
from cloudinary_presets.model.values import (
    CODE,
    EAGER,
    HEADERS,
    MAP,
    MODERATION,
    NAMED_KINDS,
    NUMBER,
    PLAIN,
    RAW,
    STRUCTURED,
    TEXT,
    UNORDERED,
    URL,
    CodeKind,
    HeadersKind,
    RawKind,
    UrlKind,
    VisibilityKind,
    canonical_json,
    plain,
    redact_url,
)


def sha12(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def one(changes: list[FieldChange]) -> FieldChange:
    assert len(changes) == 1, changes
    return changes[0]


# --------------------------------------------------------------------------- the plain kind


def test_a_plain_change_shows_both_values_and_means_nothing_more():
    change = one(PLAIN.changes("settings.folder", "a", "b"))
    assert change == FieldChange(path="settings.folder", before="a", after="b")
    assert change.kind is Kind.CHANGE
    assert change.to_dict() == {
        "path": "settings.folder",
        "kind": "change",
        "before": "a",
        "after": "b",
    }


def test_set_and_unset_are_an_add_and_a_remove():
    added = one(PLAIN.changes("settings.folder", None, "a"))
    assert (added.before, added.after, added.kind) == (None, "a", Kind.ADD)
    removed = one(PLAIN.changes("settings.folder", "a", None))
    assert (removed.before, removed.after, removed.kind) == ("a", None, Kind.REMOVE)
    # false is a value, not "unset"
    flipped = one(PLAIN.changes("settings.overwrite", False, True))
    assert (flipped.before, flipped.after) == (False, True)
    assert PLAIN.changes("settings.folder", None, None) == []
    assert PLAIN.changes("settings.folder", "a", "a") == []


# --------------------------------------------------------------------------- numbers, lists, maps


@pytest.mark.parametrize(("a", "b"), [(0.5, "0.50"), (1, 1.0), ("0.70", 0.7), (0, "0.0")])
def test_one_number_in_two_spellings_is_no_change(a, b):
    assert NUMBER.canonical(a) == NUMBER.canonical(b)
    assert NUMBER.changes("settings.auto_tagging", a, b) == []


def test_a_number_change_shows_the_canonical_numbers():
    change = one(NUMBER.changes("settings.auto_tagging", "0.50", 0.7))
    assert (change.before, change.after) == ("0.5", "0.7")
    assert (change.meaning, change.note, change.security) == (None, "", "")


def test_list_order_is_no_change_but_content_is():
    assert UNORDERED.changes("settings.tags", ["b", "a"], ["a", "b"]) == []
    change = one(UNORDERED.changes("settings.tags", ["b", "a"], ["c", "a"]))
    assert (change.before, change.after) == (["a", "b"], ["a", "c"])
    # a whole-value string ("none" in parameter_whitelist) is not split into characters
    assert UNORDERED.canonical("none") == "none"
    assert one(UNORDERED.changes("parameter_whitelist", "none", ["tags"])).before == "none"


def test_map_key_order_is_no_change_and_maps_show_sorted():
    assert MAP.changes("settings.context", {"b": "1", "a": "2"}, {"a": "2", "b": "1"}) == []
    change = one(MAP.changes("settings.context", {"b": "1", "a": "2"}, {"b": "1", "a": "3"}))
    assert list(change.before) == ["a", "b"]
    assert change.before == {"a": "2", "b": "1"}
    assert change.after == {"a": "3", "b": "1"}


def test_header_values_may_be_credentials_so_only_names_show():
    before = {"X-Robots-Tag": "noindex", "Authorization": "Bearer s3cr3t-one"}
    after = {"X-Robots-Tag": "noindex", "Authorization": "Bearer s3cr3t-two"}
    change = one(HEADERS.changes("settings.headers", before, after))
    assert change.before == {"Authorization": "***", "X-Robots-Tag": "***"}
    assert change.after == {"Authorization": "***", "X-Robots-Tag": "***"}
    assert "s3cr3t" not in repr(change.to_dict())
    assert HEADERS.changes("settings.headers", before, dict(reversed(before.items()))) == []


# --------------------------------------------------------------------------- typed values


def test_transformations_compare_and_show_as_their_canonical_text():
    a = Transformation.parse("w_0.50,c_limit")
    b = Transformation.from_steps([{"crop": "limit", "width": 0.5}])
    assert TEXT.changes("settings.transformation", a, b) == []
    change = one(TEXT.changes("settings.transformation", a, Transformation.parse("c_fill")))
    assert (change.before, change.after) == ("c_limit,w_0.5", "c_fill")


def test_eager_order_matters_and_shows_as_texts():
    one_ = EagerTransformation.parse("c_fill,w_200/webp")
    two = EagerTransformation.parse("c_scale,w_100")
    assert EAGER.changes("settings.eager", [one_, two], [one_, two]) == []
    change = one(EAGER.changes("settings.eager", [one_, two], [two, one_]))
    assert change.before == ["c_fill,w_200/webp", "c_scale,w_100"]
    assert change.after == ["c_scale,w_100", "c_fill,w_200/webp"]


def test_structured_values_are_plain_json_without_unset_fields():
    rule = AccessRule(access_type="anonymous", start="2030-01-01T00:00:00Z")
    breakpoints = Breakpoints(
        create_derived=True, max_width=800, transformation=Transformation.parse("c_fill,w_3")
    )
    assert plain(rule) == {"access_type": "anonymous", "start": "2030-01-01T00:00:00Z"}
    assert plain([breakpoints]) == [
        {"create_derived": True, "max_width": 800, "transformation": "c_fill,w_3"}
    ]
    assert plain({"a": [1, 2]}) == {"a": [1, 2]}
    assert plain(Transformation.parse("w_0.50")) == "w_0.5"
    change = one(STRUCTURED.changes("settings.responsive_breakpoints", None, [breakpoints]))
    assert change.after == [
        {"create_derived": True, "max_width": 800, "transformation": "c_fill,w_3"}
    ]
    json.dumps(change.to_dict())  # a saved plan can hold it


# --------------------------------------------------------------------------- code


def test_code_is_never_shown_only_its_length_and_digest():
    code = "upload_options.tags = 'a'"
    change = one(CODE.changes("settings.eval", code, "x = 1"))
    assert change.before == f"(JavaScript, 25 chars, sha256:{sha12(code)})"
    assert change.after == f"(JavaScript, 5 chars, sha256:{sha12('x = 1')})"
    assert change.security == "eval JavaScript changes (runs on every upload)"
    assert change.meaning is None
    assert change.note == ""


@pytest.mark.parametrize(
    ("before", "after", "scope", "flagged"),
    [
        (None, "x = 1", Scope.NEW, True),
        (None, "x = 1", Scope.EXISTING, True),
        ("x = 1", "x = 2", Scope.EXISTING, True),
        ("x = 1", None, Scope.EXISTING, False),  # removing code removes the risk
        ("x = 1", None, Scope.GONE, False),
    ],
)
def test_every_new_or_changed_code_is_flagged(before, after, scope, flagged):
    change = one(CODE.changes("settings.on_success", before, after, scope=scope))
    expected = "on_success JavaScript changes (runs on every upload)" if flagged else ""
    assert change.security == expected


# --------------------------------------------------------------------------- URLs


def test_url_redaction_keeps_where_it_goes_and_hides_tokens():
    url = "https://user:pw@Hooks.Example:8443/p/a?token=abc&x=&y=2&a/b=3#frag"
    assert redact_url(url) == "https://Hooks.Example:8443/p/a?token=***&x=***&y=***&a%2Fb=***"
    # the host as written: IPv6 keeps its brackets, any port stays (Python's own reading
    # of a port refuses 99999, and used to crash the plan with a traceback)
    assert redact_url("https://[::1]:80/x?t=1") == "https://[::1]:80/x?t=***"
    assert redact_url("https://h.example:0/x") == "https://h.example:0/x"
    assert redact_url("https://h.example:99999/x?t=1") == "https://h.example:99999/x?t=***"
    # a raw value Python cannot read as a URL: a digest only (it used to crash the plan)
    assert (
        redact_url("http://[oops/x?t=1")
        == f"(unreadable URL, sha256:{sha12('http://[oops/x?t=1')})"
    )
    assert redact_url("https://hooks.example/p") == "https://hooks.example/p"
    assert redact_url("http://proxy.example:3128") == "http://proxy.example:3128"
    # a raw value that is not an absolute URL keeps its path, and still loses its tokens
    assert redact_url("/hooks/in?t=1") == "/hooks/in?t=***"


def test_a_url_change_is_shown_redacted():
    change = one(
        URL.changes(
            "settings.notification_url",
            "https://hooks.example/a?sig=one",
            "https://hooks.example/a?sig=two",
        )
    )
    assert change.before == "https://hooks.example/a?sig=***"
    assert change.after == "https://hooks.example/a?sig=***"
    assert (change.meaning, change.security) == (None, "")


def test_changes_are_about_an_existing_preset_unless_told():
    change = one(URL.changes("settings.callback", "https://a.example/", "https://b.example/"))
    assert change.security == "callback moves to another host"
    kind = NAMED_KINDS["visibility"]
    assert one(kind.changes("settings.type", "upload", "private")).security != ""


@pytest.mark.parametrize(
    ("before", "after", "scope", "flagged"),
    [
        ("https://a.example/x", "https://b.example/x", Scope.EXISTING, True),
        ("https://a.example/x", "https://A.example/y?t=1", Scope.EXISTING, False),
        ("https://a.example/x", "https://b.example/x", Scope.NEW, False),
        ("https://a.example/x", "https://b.example/x", Scope.GONE, False),
        (None, "https://b.example/x", Scope.EXISTING, False),
        ("https://a.example/x", None, Scope.EXISTING, False),
    ],
)
def test_a_url_moving_to_another_host_is_flagged(before, after, scope, flagged):
    change = one(URL.changes("settings.callback", before, after, scope=scope))
    if flagged:
        assert change.meaning is Meaning.HOST_CHANGED
        assert change.note == "host changed"
        assert change.security == "callback moves to another host"
    else:
        assert (change.meaning, change.note, change.security) == (None, "", "")


# --------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("settings.type", "delivery type changes: who can see assets changes"),
        ("settings.access_control", "access_control changes: who can see assets changes"),
    ],
)
def test_a_live_presets_audience_change_is_flagged(path, sentence):
    kind = NAMED_KINDS["visibility"]
    change = one(kind.changes(path, "upload", "private", scope=Scope.EXISTING))
    assert (change.before, change.after) == ("upload", "private")
    assert change.security == sentence
    assert change.meaning is None
    for scope in (Scope.NEW, Scope.GONE):
        assert one(kind.changes(path, "upload", "private", scope=scope)).security == ""


def test_access_rules_compare_as_structured_values():
    kind = NAMED_KINDS["visibility-structured"]
    token = [AccessRule(access_type="token")]
    assert kind.canonical(token) == [{"access_type": "token"}]
    assert kind.changes("settings.access_control", token, [AccessRule(access_type="token")]) == []
    change = one(
        kind.changes("settings.access_control", token, [AccessRule(access_type="anonymous")])
    )
    assert change.after == [{"access_type": "anonymous"}]
    assert change.security == "access_control changes: who can see assets changes"
    assert VisibilityKind().canonical(["b", "a"]) == ["b", "a"]  # plain by default


def test_named_kinds_are_the_ones_settings_use():
    assert isinstance(NAMED_KINDS["code"], CodeKind)
    assert isinstance(NAMED_KINDS["url"], UrlKind)
    assert set(NAMED_KINDS) == {"code", "url", "visibility", "visibility-structured"}


# --------------------------------------------------------------------------- moderation


def test_moderation_is_compared_per_moderator():
    before = parse_moderation({"aws_rek": {"violence": 0.5}})
    same = parse_moderation("aws_rek:violence:0.5")
    assert MODERATION.canonical(before) == "aws_rek:violence:0.5"
    assert MODERATION.changes("settings.moderation", before, same) == []
    after = parse_moderation({"aws_rek": {"violence": 0.8}})
    change = one(MODERATION.changes("settings.moderation", before, after))
    assert change.path == "settings.moderation.aws_rek.violence"
    assert (change.before, change.after, change.meaning) == (0.5, 0.8, Meaning.LESS_STRICT)
    added = MODERATION.changes("settings.moderation", None, after)
    assert added[0].meaning is Meaning.MODERATION_ADDED
    removed = MODERATION.changes("settings.moderation", before, None)
    assert removed[0].meaning is Meaning.MODERATION_REMOVED


def test_moderation_under_another_path_keeps_the_path():
    after = parse_moderation("manual")
    [change] = MODERATION.changes("x.moderation", None, after)
    assert change.path == "x.moderation"
    assert change.after == "manual"


# --------------------------------------------------------------------------- raw values


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, "true"),
        (False, "FALSE"),
        (1, "1"),
        (0.5, "0.50"),
        ("1.10", 1.1),
        ("x", "x"),
        ([1, "a"], [1, "a"]),
        ({"k": 1}, {"k": 1}),
    ],
)
def test_raw_values_in_two_spellings_are_one(a, b):
    assert RAW.canonical(a) == RAW.canonical(b)
    assert RAW.changes("extra_settings.x", a, b) == []


def test_raw_canonical_forms():
    assert RAW.canonical(True) == "true"
    assert RAW.canonical(False) == "false"
    assert RAW.canonical(2.50) == "2.5"
    assert RAW.canonical(3) == "3"
    assert RAW.canonical("True") == "true"
    assert RAW.canonical("0.50") == "0.5"
    assert RAW.canonical("Yes") == "Yes"
    assert RAW.canonical([1]) == [1]
    assert RAW.changes("extra_settings.x", True, "1") != []


def test_a_raw_value_with_a_harmless_name_is_shown():
    change = one(RAW.changes("extra_settings.quality", "80", ["a", 1]))
    assert (change.before, change.after) == ("80", ["a", 1])


@pytest.mark.parametrize(
    "key", ["client_secret", "API_TOKEN", "password", "x_signature", "api_key", "authorization"]
)
def test_a_raw_value_whose_name_looks_like_a_credential_shows_a_digest(key):
    change = one(RAW.changes(f"extra_settings.{key}", None, "hunter2"))
    assert change.after == f"(redacted, sha256:{sha12('hunter2')})"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("api_tokens", ["tok-one", "tok-two"]),
        ("auth", {"user": "u", "password": "hunter2"}),
        ("webhook", {"url": "https://h.example/", "signing_secret": "hunter2"}),
        ("hooks", [{"url": "https://h.example/", "token": "hunter2"}]),
        ("deep", {"a": [{"b": {"Authorization": "Bearer x"}}]}),
    ],
)
def test_a_raw_list_or_map_naming_a_credential_is_hidden_whole(key, value):
    """Any shape: a map under ``auth``, or a ``password`` key inside a map, used to be
    shown in clear (only strings were checked)."""
    change = one(RAW.changes(f"extra_settings.{key}", None, value))
    assert change.after == f"(redacted, sha256:{sha12(canonical_json(value))})"


def test_a_raw_list_or_map_with_harmless_names_is_shown():
    value = {"mode": [1, {"depth": 2}], "tags": ["secret-looking words are values"]}
    assert one(RAW.changes("extra_settings.options", None, value)).after == value


def test_a_raw_name_with_dots_is_judged_whole():
    """Raw keys may hold dots: ``client_secret.v2`` is a credential's name, not ``v2``
    (it used to be judged by its last segment, and shown in clear)."""
    change = one(RAW.changes("extra_settings.client_secret.v2", None, "hunter2"))
    assert change.after == f"(redacted, sha256:{sha12('hunter2')})"
    shown = one(RAW.changes("extra_settings.v2.mode", None, "fast"))
    assert shown.after == "fast"
    # the section is not part of the name: no false alarm from a section's words
    assert one(RAW.changes("auth_settings.mode", None, "fast")).after == "fast"


def test_a_raw_value_of_a_hidden_setting_stays_hidden():
    code = RawKind(CODE)
    change = one(code.changes("extra_settings.eval", None, "x = 1", scope=Scope.EXISTING))
    assert change.after == f"(redacted, sha256:{sha12('x = 1')})"
    assert change.security == "eval JavaScript changes (runs on every upload)"
    headers = RawKind(HEADERS)
    structured = {"b": "é", "a": 1}
    change = one(headers.changes("extra_settings.headers", None, structured))
    as_text = '{"a":1,"b":"é"}'  # one JSON text: sorted, compact, not ASCII-escaped
    assert change.after == f"(redacted, sha256:{sha12(as_text)})"
    assert change.security == ""
    url = RawKind(URL)
    change = one(url.changes("extra_settings.callback", None, "https://h.example/a?t=1"))
    assert change.after == "https://h.example/a?t=***"
    # a URL kept raw as a list is not a URL: hidden whole
    change = one(url.changes("extra_settings.callback", None, ["https://h.example/a?t=1"]))
    as_text = '["https://h.example/a?t=1"]'
    assert change.after == f"(redacted, sha256:{sha12(as_text)})"


def test_canonical_json_is_one_compact_sorted_text():
    assert canonical_json({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'
    assert canonical_json({"b": {"d": 1, "c": "ü"}, "a": 1}) == '{"a":1,"b":{"c":"ü","d":1}}'


# --------------------------------------------------------------------------- properties

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
_RAW = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), _SCALARS, max_size=3),
)


@given(_RAW, st.sampled_from([RAW, RawKind(CODE), RawKind(HEADERS), RawKind(URL), PLAIN]))
def test_a_value_never_differs_from_itself(value, kind):
    assert kind.changes("extra_settings.x", value, value) == []
    assert kind.canonical(kind.canonical(value)) == kind.canonical(value)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_hidden_kinds_never_show_the_value(secret_one, secret_two):
    marker_one, marker_two = f"S3CR3T{secret_one}", f"S3CR3T{secret_two}"
    for kind, path in [
        (CODE, "settings.eval"),
        (RawKind(CODE), "extra_settings.eval"),
        (RAW, "extra_settings.auth_token"),
    ]:
        for change in kind.changes(path, marker_one, marker_two + "!"):
            assert "S3CR3T" not in json.dumps(change.to_dict())
    for change in HEADERS.changes(
        "settings.headers", {"Authorization": marker_one}, {"Authorization": marker_two + "!"}
    ):
        assert "S3CR3T" not in json.dumps(change.to_dict())


@given(
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._~%+=:/-]{0,10}", fullmatch=True),
)
def test_url_query_values_never_show(name, token):
    url = f"https://h.example/p?{name}={token}S3CR3T"
    assert "S3CR3T" not in redact_url(url)
    assert "S3CR3T" not in str(RawKind(URL).display(url, "callback"))


@given(st.lists(st.text(max_size=5), max_size=5))
def test_unordered_lists_compare_as_sets_of_items(items):
    assert UNORDERED.changes("settings.tags", items, list(reversed(items))) == []


def test_kinds_of_the_settings_model():
    """The preset model gives each kind to the fields it describes (spot checks)."""
    preset = Preset.model_validate(
        {
            "name": "p",
            "settings": {
                "eval": "x = 1",
                "headers": {"Authorization": "Bearer t"},
                "notification_url": "https://h.example/a?t=1",
                "auto_tagging": 0.5,
            },
        }
    )
    kinds = {key: kind for _, key, kind, _ in preset.compared_fields() if key}
    assert kinds["eval"] is CODE
    assert isinstance(kinds["headers"], HeadersKind)
    assert kinds["notification_url"] is URL
    assert kinds["auto_tagging"] is NUMBER
    # and each field its wire encoding (what the codec and the upload helper send)
    assert wire_kind("tags") is Wire.CSV
    assert wire_kind("async_") is Wire.BOOL
    assert wire_kind("eval") is Wire.STRING
