"""The package version, in one place (read by the build and recorded in every model folder)."""

__version__ = "1.2.0"
