"""The ``bastion`` command: a thin shell over the SDK."""

from bastion.cli._app import app, main

__all__ = ["app", "main"]
