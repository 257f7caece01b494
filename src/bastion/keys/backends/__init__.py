"""Key backends: the port, the local sealed keystore (default) and an external-KMS fake."""

from bastion.keys.backends._fake import FakeKms
from bastion.keys.backends._local import LocalKeystore
from bastion.keys.backends._port import KeyBackend, MaterialRef

__all__ = ["FakeKms", "KeyBackend", "LocalKeystore", "MaterialRef"]
