"""cloudinary-presets: Cloudinary upload presets as code."""

from cloudinary_presets._version import __version__

__all__ = ["__version__"]
