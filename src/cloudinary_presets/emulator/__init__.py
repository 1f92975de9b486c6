"""A local Cloudinary (Admin API upload presets + Upload API) for development and tests.

Independent of the client and the codec on purpose: it imports nothing from
``cloudinary_presets`` but ``moderation_rules`` and ``_version``, so it catches their
bugs instead of sharing them. See docs/emulator.md.

    from cloudinary_presets.emulator import Emulator
    with Emulator(":memory:") as emu:
        print(emu.cloudinary_url("demo"))
"""

from cloudinary_presets.emulator.accounts import DEMO_CLOUD, CloudAccount
from cloudinary_presets.emulator.app import Emulator
from cloudinary_presets.emulator.faults import FaultRule

__all__ = ["DEMO_CLOUD", "CloudAccount", "Emulator", "FaultRule"]
