"""The package's version, in one place (the engine stamps it on every decision)."""
__version__ = "0.1.0"
