"""TLS for Bastion's servers: a local certificate authority in the home, or the user's own pair.

``bastion init`` creates the CA (:func:`ensure_local_ca`); a server asks for its certificate
with :func:`ensure_server_certificate` (issued or renewed from the CA) or checks the user's own
with :func:`user_certificate`.
"""

from bastion.tls._ca import (
    DEFAULT_HOSTS,
    TlsFiles,
    ensure_local_ca,
    ensure_server_certificate,
    tls_dir,
    user_certificate,
)

__all__ = [
    "DEFAULT_HOSTS",
    "TlsFiles",
    "ensure_local_ca",
    "ensure_server_certificate",
    "tls_dir",
    "user_certificate",
]
