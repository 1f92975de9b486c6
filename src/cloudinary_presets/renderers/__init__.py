"""Renderers turn plans and reports into text; they never print and never decide anything."""
