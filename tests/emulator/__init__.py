"""Tests of the local Cloudinary emulator (a package, so module names never clash)."""
