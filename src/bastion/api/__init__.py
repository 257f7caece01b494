"""The control-plane HTTP API: FastAPI over HTTPS with a local CA.

``create_app(settings)`` builds the application; ``run_server`` serves it with uvicorn (what
``bastion server`` runs). Every request authenticates by bearer token or SigV4 through an
:class:`Authenticator`, every route is one gate call, and every error has one JSON shape.
"""

from bastion.api._app import create_app
from bastion.api._auth import Authenticator, Caller, request_context
from bastion.api._errors import ErrorBody, MethodNotAllowed, PayloadTooLarge, Unauthenticated
from bastion.api._options import ApiOptions
from bastion.api._server import build_server, run_server, server_tls

__all__ = [
    "ApiOptions",
    "Authenticator",
    "Caller",
    "ErrorBody",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "Unauthenticated",
    "build_server",
    "create_app",
    "request_context",
    "run_server",
    "server_tls",
]
