"""Authentication: bearer tokens and AWS Signature Version 4, checked with botocore's own code.

SigV4: the server rebuilds the request from what it received (method, raw URL, the headers named
in ``SignedHeaders``, body), recomputes the signature with ``botocore.auth.SigV4Auth`` (or
``S3SigV4Auth`` for the ``s3`` service, which signs the path as sent) under the stored secret, and
compares with :func:`hmac.compare_digest`. The request time (``x-amz-date``) must be within five
minutes of the server's clock, and a signature is accepted once (``sigv4_signatures``).

A body that streams (an object upload) is not at hand when the signature is checked: the caller
passes ``body=None`` and verifies the bytes against the signed ``x-amz-content-sha256`` (a hex
SHA-256, or ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` whose trailing checksum it checks) as they
arrive. A presigned URL (query-string SigV4: ``X-Amz-Algorithm``, ``X-Amz-Credential``,
``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``) is verified with
botocore's query signers; it is valid from five minutes before ``X-Amz-Date`` until
``X-Amz-Expires`` seconds after it (at most 7 days) and, as on AWS, may be used more than once
in that window.

Every refusal is recorded in the audit trail as a denied ``bastion:Authenticate`` call before
:class:`~bastion.errors.AccessDenied` is raised; the record names the claimed key or token id,
never a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import sqlalchemy as sa
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.exc import IntegrityError

from bastion.access._context import RequestContext
from bastion.access._credentials import (
    ACTIVE,
    SESSION_TOKEN_PREFIX,
    CredentialService,
    StoredKey,
    split_token,
)
from bastion.access._iam import ROLE, aware
from bastion.access._models import Principal, PrincipalType, SessionInfo
from bastion.access._names import session_arn
from bastion.access._tables import principals, sigv4_signatures, sts_sessions
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import AccessDenied
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

AUTHENTICATE = "bastion:Authenticate"
MAX_SKEW = timedelta(minutes=5)
ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MAX_PRESIGNED_EXPIRY = 7 * 24 * 3600
_PRUNE_EVERY = 256
_AUTH_PART = re.compile(r"\s*(Credential|SignedHeaders|Signature)=([^,\s]*)\s*")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[A-Z0-9]{16,32}")

INVALID_TOKEN = "The security token included in the request is invalid"  # noqa: S105
EXPIRED_TOKEN = "The security token included in the request is expired"  # noqa: S105
INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided; check the "
    "secret access key and the signing method"
)
SKEWED = (
    "Signature expired or not yet valid: the request time is more than 5 minutes from the "
    "server time"
)
REPLAYED = "The request signature was already used; sign every request anew"
MALFORMED = "The Authorization header is not a valid AWS Signature Version 4 header"
PRESIGNED_EXPIRED = "Request has expired: the presigned URL is past its X-Amz-Expires"
PRESIGNED_MALFORMED = (
    "The presigned URL's X-Amz-* query parameters are not valid query-string SigV4 authentication"
)
_PRESIGNED = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
}


class Refuser(Protocol):
    """Records a refused call and returns the error to raise (``Gate.refuse``)."""

    def __call__(
        self,
        caller: Principal,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        *,
        message: str,
        reason: str,
        context: RequestContext | None = None,
    ) -> AccessDenied: ...


class Authenticator:
    """Turns request credentials into a :class:`Principal` (see ``docs/access.md``)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        credentials: CredentialService,
        refuse: Refuser,
        account_id: AccountId,
        region: str,
    ) -> None:
        self.db = db
        self.clock = clock
        self.credentials = credentials
        self._refuse = refuse
        self.account_id = account_id
        self.region = region
        self._inserted = 0

    # -- bearer -----------------------------------------------------------------------------

    def authenticate_bearer(
        self, token: str, *, context: RequestContext | None = None
    ) -> Principal:
        """The principal of an API token (``bst_…``) or a role-session token (``bss_…``)."""
        parts = split_token(token)
        if parts is None:
            raise self._fail(None, "Bearer", None, INVALID_TOKEN, "malformed bearer token", context)
        token_id, whole = parts
        stored = self.credentials.stored_token(token_id)
        if stored is None:
            raise self._fail(None, "Bearer", token_id, INVALID_TOKEN, "unknown token id", context)
        if not hmac.compare_digest(stored.digest, self.credentials.digest(whole)):
            raise self._fail(
                stored.principal_arn,
                "Bearer",
                token_id,
                INVALID_TOKEN,
                "token secret does not match (tampered or mistyped)",
                context,
            )
        now = self.clock.now()
        if stored.revoked_at is not None:
            raise self._fail(
                stored.principal_arn,
                "Bearer",
                token_id,
                INVALID_TOKEN,
                f"token revoked at {stored.revoked_at:%Y-%m-%dT%H:%M:%SZ}",
                context,
            )
        if stored.expires_at is not None and now >= stored.expires_at:
            raise self._fail(
                stored.principal_arn,
                "Bearer",
                token_id,
                EXPIRED_TOKEN,
                f"token expired at {stored.expires_at:%Y-%m-%dT%H:%M:%SZ}",
                context,
            )
        principal = self._principal(stored.principal_arn, stored.session_id, token_id)
        if principal is None:
            raise self._fail(
                stored.principal_arn,
                "Bearer",
                token_id,
                INVALID_TOKEN,
                "the token's principal or session no longer exists",
                context,
            )
        self.credentials.touch_token(token_id, stored.last_used_at)
        return principal

    # -- SigV4 ------------------------------------------------------------------------------

    def authenticate_sigv4(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | None,
        *,
        context: RequestContext | None = None,
    ) -> Principal:
        """The principal whose access key signed this request (see the module docstring).

        ``body`` None: the body streams after this check and the caller verifies it against the
        signed ``x-amz-content-sha256``. A request without an Authorization header whose URL
        carries ``X-Amz-Algorithm`` is a presigned URL.
        """
        received = _header_map(headers)
        received.setdefault("host", _host_of(url))
        if "authorization" not in received and _query_names(url) & _PRESIGNED:
            return self._authenticate_presigned(method, url, received, context)
        auth = received.get("authorization", "")
        parsed = _parse_authorization(auth)
        if parsed is None:
            raise self._fail(
                None, "SigV4", None, MALFORMED, "malformed Authorization header", context
            )
        credential, signed_names, signature = parsed
        scope = credential.split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise self._fail(None, "SigV4", None, MALFORMED, "malformed credential scope", context)
        key_id, date, region, service, _ = scope
        claimed = key_id if _KEY_ID.fullmatch(key_id) else None
        amz_date = received.get("x-amz-date", "")
        problem = self._check_request(amz_date, date, region, signed_names, received)
        if problem is not None:
            message, reason = problem
            raise self._fail(None, "SigV4", claimed, message, reason, context)
        key = self.credentials.stored_key(key_id) if _KEY_ID.fullmatch(key_id) else None
        if key is None:
            raise self._fail(
                None, "SigV4", claimed, INVALID_TOKEN, "unknown access key id", context
            )
        problem = self._check_key(key, received)
        if problem is not None:
            message, reason = problem
            raise self._fail(key.principal_arn, "SigV4", key_id, message, reason, context)
        problem = _check_payload(received.get("x-amz-content-sha256"), body)
        if problem is not None:
            message, reason = problem
            raise self._fail(key.principal_arn, "SigV4", key_id, message, reason, context)
        expected = _signature(
            method, url, received, signed_names, body, key, amz_date, region, service
        )
        if not hmac.compare_digest(expected, signature):
            raise self._fail(
                key.principal_arn,
                "SigV4",
                key_id,
                INVALID_SIGNATURE,
                "signature mismatch (wrong secret, or the request was changed)",
                context,
            )
        if not self._first_use(signature, amz_date):
            raise self._fail(
                key.principal_arn, "SigV4", key_id, REPLAYED, "replayed signature", context
            )
        return self._key_principal(key, "SigV4", context)

    def _key_principal(
        self, key: StoredKey, method: str, context: RequestContext | None
    ) -> Principal:
        principal = self._principal(key.principal_arn, key.session_id, key.access_key_id)
        if principal is None:
            raise self._fail(
                key.principal_arn,
                method,
                key.access_key_id,
                INVALID_TOKEN,
                "the key's principal or session no longer exists",
                context,
            )
        self.credentials.touch_key(key.access_key_id, key.last_used_at)
        return principal

    def _authenticate_presigned(
        self,
        method: str,
        url: str,
        received: dict[str, str],
        context: RequestContext | None,
    ) -> Principal:
        """The principal of a presigned URL (query-string SigV4); reusable until it expires."""
        how = "SigV4-presigned"
        parts = urlsplit(url)
        pairs = [pair.partition("=") for pair in parts.query.split("&") if pair]
        params: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name in _PRESIGNED or name == "X-Amz-Security-Token":
                if name in params:
                    raise self._fail(
                        None, how, None, PRESIGNED_MALFORMED, f"{name} given twice", context
                    )
                params[name] = value
        missing = sorted(_PRESIGNED - set(params))
        if missing or params["X-Amz-Algorithm"] != ALGORITHM:
            reason = f"missing {missing[0]}" if missing else "X-Amz-Algorithm is not SigV4"
            raise self._fail(None, how, None, PRESIGNED_MALFORMED, reason, context)
        scope = params["X-Amz-Credential"].split("/")
        names = params["X-Amz-SignedHeaders"].split(";")
        signature = params["X-Amz-Signature"]
        expires = params["X-Amz-Expires"]
        if (
            len(scope) != 5
            or scope[4] != "aws4_request"
            or not _SIGNATURE.fullmatch(signature)
            or names != sorted(set(names))
            or "" in names
            or not expires.isdigit()
            or not 1 <= int(expires) <= MAX_PRESIGNED_EXPIRY
        ):
            reason = "malformed credential scope, signed headers, signature or expiry"
            raise self._fail(None, how, None, PRESIGNED_MALFORMED, reason, context)
        key_id, date, region, service, _ = scope
        claimed = key_id if _KEY_ID.fullmatch(key_id) else None
        amz_date = params["X-Amz-Date"]
        problem = self._check_presigned_time(amz_date, date, region, names, received, expires)
        if problem is not None:
            message, reason = problem
            raise self._fail(None, how, claimed, message, reason, context)
        key = self.credentials.stored_key(key_id) if claimed is not None else None
        if key is None:
            raise self._fail(None, how, claimed, INVALID_TOKEN, "unknown access key id", context)
        token = params.get("X-Amz-Security-Token")
        with_token = {**received, "x-amz-security-token": token} if token else received
        problem = self._check_key(key, with_token)
        if problem is not None:
            message, reason = problem
            raise self._fail(key.principal_arn, how, key_id, message, reason, context)
        unsigned_query = "&".join(
            f"{name}{sep}{value}" for name, sep, value in pairs if name != "X-Amz-Signature"
        )
        request = AWSRequest(
            method=method.upper(),
            url=urlunsplit((parts.scheme, parts.netloc, parts.path, unsigned_query, "")),
            headers={name: received[name] for name in names},
        )
        request.context["timestamp"] = amz_date
        signer_class = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
        signer = signer_class(Credentials(key.access_key_id, key.secret), service, region)
        expected = str(
            signer.signature(
                signer.string_to_sign(request, signer.canonical_request(request)), request
            )
        )
        if not hmac.compare_digest(expected, signature):
            raise self._fail(
                key.principal_arn,
                how,
                key_id,
                INVALID_SIGNATURE,
                "signature mismatch (wrong secret, or the URL was changed)",
                context,
            )
        return self._key_principal(key, how, context)

    def _check_presigned_time(
        self,
        amz_date: str,
        date: str,
        region: str,
        signed_names: list[str],
        received: Mapping[str, str],
        expires: str,
    ) -> tuple[str, str] | None:
        try:
            moment = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return PRESIGNED_MALFORMED, "malformed X-Amz-Date"
        if date != amz_date[:8]:
            return PRESIGNED_MALFORMED, "credential scope date differs from X-Amz-Date"
        if region != self.region:
            return (
                PRESIGNED_MALFORMED,
                f"credential scope region '{region[:64]}' is not '{self.region}'",
            )
        if "host" not in signed_names:
            return PRESIGNED_MALFORMED, "host must be signed"
        missing = [n for n in signed_names if n not in received]
        if missing:
            return PRESIGNED_MALFORMED, f"signed header {missing[0][:64]!r} is missing"
        now = self.clock.now()
        if now < moment - MAX_SKEW:
            return SKEWED, f"X-Amz-Date {amz_date} is in the future"
        if now > moment + timedelta(seconds=int(expires)):
            return PRESIGNED_EXPIRED, f"presigned URL of {amz_date} expired after {expires} s"
        return None

    def _check_request(
        self,
        amz_date: str,
        date: str,
        region: str,
        signed_names: list[str],
        received: Mapping[str, str],
    ) -> tuple[str, str] | None:
        try:
            moment = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return MALFORMED, "missing or malformed x-amz-date header"
        if date != amz_date[:8]:
            return MALFORMED, "credential scope date differs from x-amz-date"
        if region != self.region:
            return MALFORMED, f"credential scope region '{region[:64]}' is not '{self.region}'"
        if "host" not in signed_names or "x-amz-date" not in signed_names:
            return MALFORMED, "host and x-amz-date must be signed"
        missing = [n for n in signed_names if n not in received]
        if missing:
            return MALFORMED, f"signed header {missing[0][:64]!r} is missing"
        skew = abs(self.clock.now() - moment)
        if skew > MAX_SKEW:
            return (
                SKEWED,
                f"request time {amz_date} is {int(skew.total_seconds())} s from the server",
            )
        return None

    def _check_key(self, key: StoredKey, received: Mapping[str, str]) -> tuple[str, str] | None:
        if key.status != ACTIVE:
            return INVALID_TOKEN, "access key is inactive"
        if key.expires_at is not None and self.clock.now() >= key.expires_at:
            return (
                EXPIRED_TOKEN,
                f"session credentials expired at {key.expires_at:%Y-%m-%dT%H:%M:%SZ}",
            )
        if key.session_id is None:
            return None
        token = received.get("x-amz-security-token", "")
        parts = split_token(token)
        if parts is None or not parts[0].startswith(SESSION_TOKEN_PREFIX):
            return INVALID_TOKEN, "session key without a valid X-Amz-Security-Token"
        stored = self.credentials.stored_token(parts[0])
        if (
            stored is None
            or stored.session_id != key.session_id
            or not hmac.compare_digest(stored.digest, self.credentials.digest(parts[1]))
        ):
            return INVALID_TOKEN, "X-Amz-Security-Token does not belong to this session key"
        return None

    def _first_use(self, signature: str, amz_date: str) -> bool:
        moment = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        now = self.clock.now()
        self._inserted += 1
        try:
            with self.db.write() as conn:
                if self._inserted % _PRUNE_EVERY == 0:
                    conn.execute(
                        sigv4_signatures.delete().where(sigv4_signatures.c.expires_at < now)
                    )
                conn.execute(
                    sigv4_signatures.insert().values(
                        signature=signature, expires_at=moment + MAX_SKEW
                    )
                )
        except IntegrityError:
            return False
        return True

    # -- principals -------------------------------------------------------------------------

    def _principal(self, arn: Arn, session_id: str | None, credential_id: str) -> Principal | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(principals).where(principals.c.arn == arn)).first()
            if row is None:
                return None
            if session_id is None:
                if row.type not in (PrincipalType.ROOT.value, PrincipalType.IAM_USER.value):
                    return None
                return Principal(
                    arn=arn,
                    principal_id=str(row.principal_id),
                    account_id=AccountId(str(row.account_id)),
                    type=PrincipalType(row.type),
                    name=str(row.name),
                    access_key_id=credential_id,
                )
            session = conn.execute(
                sa.select(sts_sessions).where(sts_sessions.c.session_id == session_id)
            ).first()
        if session is None or row.type != ROLE:
            return None
        return session_principal(row, session, credential_id)

    def _fail(
        self,
        principal_arn: Arn | None,
        method: str,
        credential_id: str | None,
        message: str,
        reason: str,
        context: RequestContext | None,
    ) -> AccessDenied:
        account = principal_arn.split(":")[4] if principal_arn else self.account_id
        caller = Principal(
            arn=Arn(""),
            principal_id="",
            account_id=AccountId(account),
            type=PrincipalType.UNKNOWN,
            name="",
            access_key_id=credential_id,
        )
        params: dict[str, Any] = {"authenticationMethod": method}
        if credential_id:
            params["credentialId"] = credential_id
        log.info(
            "access.authn.refused method=%s credential=%s reason=%s", method, credential_id, reason
        )
        return self._refuse(
            caller,
            AUTHENTICATE,
            principal_arn or "*",
            params,
            message=message,
            reason=f"authentication failed: {reason}",
            context=context,
        )


def session_principal(role: Any, session: Any, credential_id: str | None) -> Principal:
    """The caller of a role session (``role``/``session`` are database rows)."""
    account = AccountId(str(role.account_id))
    name = str(session.session_name)
    return Principal(
        arn=session_arn(account, str(role.name), name),
        principal_id=f"{role.principal_id}:{name}",
        account_id=account,
        type=PrincipalType.ASSUMED_ROLE,
        name=f"{role.name}/{name}",
        access_key_id=credential_id,
        session=SessionInfo(
            session_id=str(session.session_id),
            role_arn=Arn(str(role.arn)),
            role_id=str(role.principal_id),
            role_name=str(role.name),
            session_name=name,
            created_at=aware(session.created_at),
            expires_at=aware(session.expires_at),
            source_arn=Arn(str(session.source_arn)),
            chained=bool(session.chained),
        ),
    )


def _check_payload(declared: str | None, body: bytes | None) -> tuple[str, str] | None:
    """Whether the signed ``x-amz-content-sha256`` fits the body (``None``: it streams later)."""
    if body is None:
        if declared is None:
            return MALFORMED, "a streamed body needs a signed x-amz-content-sha256"
        if declared in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER) or _SIGNATURE.fullmatch(
            declared
        ):
            return None
        return MALFORMED, f"unsupported payload signing {declared[:64]}"
    if declared is None or declared == UNSIGNED_PAYLOAD:
        return None
    if declared.startswith("STREAMING-"):
        return MALFORMED, f"unsupported payload signing {declared[:64]}"
    if not hmac.compare_digest(declared, hashlib.sha256(body).hexdigest()):
        return INVALID_SIGNATURE, "x-amz-content-sha256 does not match the body"
    return None


def _query_names(url: str) -> set[str]:
    query = urlsplit(url).query
    return {pair.partition("=")[0] for pair in query.split("&")} if query else set()


def _header_map(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower().strip()
        text = str(value)
        out[key] = f"{out[key]},{text}" if key in out else text
    return out


def _host_of(url: str) -> str:
    """The Host header a client derives from ``url`` (default ports left out), as botocore."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}.get(parts.scheme):
        host = f"{host}:{port}"
    return host


def _parse_authorization(header: str) -> tuple[str, list[str], str] | None:
    if not header.startswith(ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in header[len(ALGORITHM) + 1 :].split(","):
        match = _AUTH_PART.fullmatch(part)
        if match is None or match.group(1) in fields:
            return None
        fields[match.group(1)] = match.group(2)
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        return None
    names = fields["SignedHeaders"].split(";")
    if not _SIGNATURE.fullmatch(fields["Signature"]) or names != sorted(set(names)) or "" in names:
        return None
    return fields["Credential"], names, fields["Signature"]


def _signature(
    method: str,
    url: str,
    received: Mapping[str, str],
    signed_names: list[str],
    body: bytes | None,
    key: StoredKey,
    amz_date: str,
    region: str,
    service: str,
) -> str:
    """The signature botocore computes for this request under ``key``'s secret."""
    request = AWSRequest(
        method=method.upper(),
        url=url,
        headers={name: received[name] for name in signed_names},
        data=body or b"",
    )
    request.context["timestamp"] = amz_date
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_class(Credentials(key.access_key_id, key.secret), service, region)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return str(signer.signature(string_to_sign, request))


__all__ = [
    "AUTHENTICATE",
    "MAX_SKEW",
    "PRESIGNED_EXPIRED",
    "STREAMING_UNSIGNED_TRAILER",
    "Authenticator",
    "Refuser",
    "session_principal",
]
