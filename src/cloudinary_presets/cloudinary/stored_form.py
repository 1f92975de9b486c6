"""Recognise, without decoding it, a listed preset that holds exactly what we would send.

Decoding a listed preset into the typed model and fingerprinting it is most of the cost
of reading a listing, and most listed presets are unchanged: they hold, byte for byte,
what the last ``apply`` sent. :func:`stored_form` keeps exactly what
:func:`~cloudinary_presets.cloudinary.codec.decode` reads from a raw preset (the name,
``unsigned``, the preset-level keys wherever they sit, every non-empty setting) with
booleans spelled one way (``"1"``, ``"true"`` and ``true`` are one value to the decoder)
and nothing else normalised. So:

* two raw presets with equal stored forms decode to the same preset: the form is what
  ``decode`` depends on (a hypothesis test checks it on Cloudinary-shaped JSON);
* a raw preset whose stored form equals :func:`sent_form` of a preset ``p`` holds what
  ``apply`` sends for ``p``; writing ``p`` again would change nothing, and it decodes to
  ``p`` (the codec's round trip, tested for every drawn preset): it is unchanged, it has
  ``p``'s fingerprint, and nothing needs decoding.

Anything else (a list in another order, another number spelling, a value that is neither
a string nor a boolean, the nested get-one form) gives ``None`` or another form: that
preset is decoded and compared semantically, as always. Values are strings or booleans
only, so ``==`` is exact (``"1" != True``; no ``1 == 1.0 == True`` between numbers).
Keep this module in step with ``codec.decode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudinary_presets.cloudinary.codec import _KINDS, _LEVEL_IN_SETTINGS, encode
from cloudinary_presets.model.fields import Wire
from cloudinary_presets.model.preset import Preset

#: (name, unsigned, every non-empty setting and preset-level key -> its value)
StoredForm = tuple[str, bool, dict[str, "str | bool"]]

_TRUE = frozenset({"1", "true", "True", "TRUE"})
_FALSE = frozenset({"0", "false", "False", "FALSE"})


def _flag(value: Any) -> bool | None:
    """A boolean in one of the spellings the decoder reads as one (``None``: not one)."""
    if type(value) is bool:
        return value
    if type(value) is str:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    return None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def stored_form(raw: Mapping[str, Any]) -> StoredForm | None:
    """What decoding ``raw`` depends on, or ``None`` when it is not a plain string form."""
    name = raw.get("name")
    settings = raw.get("settings")
    if type(name) is not str or not name or not isinstance(settings, Mapping):
        return None
    unsigned = _flag(raw.get("unsigned", False))
    if unsigned is None:
        return None
    values: dict[str, str | bool] = {}
    level = {key: raw[key] for key in _LEVEL_IN_SETTINGS if key in raw}
    level.update({key: settings[key] for key in _LEVEL_IN_SETTINGS if key in settings})
    for key, value in level.items():
        if _empty(value):
            continue
        if key == "parameter_whitelist":  # read as "none" or a comma-separated list
            flag: str | bool | None = value if type(value) is str else None
        else:
            flag = _flag(value)
        if flag is None:
            return None
        values[key] = flag
    for key, value in settings.items():
        if key in _LEVEL_IN_SETTINGS or _empty(value):
            continue
        if _KINDS.get(key) is Wire.BOOL:
            value = _flag(value)
        if type(value) is not str and type(value) is not bool:
            return None
        values[key] = value
    return name, unsigned, values


def sent_form(preset: Preset, name: str) -> StoredForm | None:
    """The stored form of what ``apply`` sends for ``preset`` under ``name``, as the
    listing would show it if Cloudinary stored it unchanged."""
    body = encode(preset, name=name)
    listed = {"name": body.pop("name"), "unsigned": body.pop("unsigned"), "settings": body}
    return stored_form(listed)
