"""Bastion: security, compliance, monitoring and cost controls for any ML model."""

from bastion.errors import BastionError
from bastion.sdk import Bastion, connect, init

__all__ = ["Bastion", "BastionError", "connect", "init"]
__version__ = "0.1.0"
