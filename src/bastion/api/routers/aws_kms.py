"""KMS's wire protocol (AWS JSON 1.1): ``boto3.client("kms", endpoint_url=...)`` works as is.

``POST /`` with ``X-Amz-Target: TrentService.<Operation>`` and a JSON body in KMS's shapes: bytes
as base64, times as epoch seconds. Each operation is one :class:`~bastion.keys.KeysClient` call
through the gate (so every call, allowed or denied, is in the audit trail). Errors have KMS's
shape, ``{"__type": "NotFoundException", "message": "…"}`` with status 400 as KMS sends them
(500 only for a server fault), so botocore raises ``ClientError`` with KMS's error code.

Parameters Bastion has no use for are accepted when harmless (``GrantTokens``; the default
``EncryptionAlgorithm``) and refused with ``ValidationException`` otherwise (``DryRun``,
``MultiRegion``, an external ``Origin`` …). The route is left out of the OpenAPI document: its
shapes are KMS's (https://docs.aws.amazon.com/kms/latest/APIReference/).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bastion.api._app import api_state
from bastion.api._aws import AuthFailure, AuthKind, WireError, request_id, wire_caller
from bastion.api._aws_body import b64
from bastion.api._errors import validation_error
from bastion.api._input import check_text
from bastion.api.routers._common import Base64Bytes
from bastion.errors import AccessDenied, BastionError, Conflict
from bastion.gate import RequestContext
from bastion.keys import AliasEntry, KeyMetadata, KeysClient, RotationStatus

log = logging.getLogger(__name__)

TARGET_PREFIX = "TrentService."
JSON_11 = "application/x-amz-json-1.1"
DEFAULT_LIMIT = 100

_AUTH_CODES = {
    AuthKind.MISSING: "MissingAuthenticationTokenException",
    AuthKind.MALFORMED: "IncompleteSignatureException",
    AuthKind.UNKNOWN_KEY: "UnrecognizedClientException",
    AuthKind.EXPIRED_TOKEN: "ExpiredTokenException",
    AuthKind.SIGNATURE: "InvalidSignatureException",
    AuthKind.SKEWED: "InvalidSignatureException",
    AuthKind.REPLAYED: "ThrottlingException",
    AuthKind.EXPIRED_URL: "InvalidSignatureException",
}
"""KMS's code for each authentication failure. A replayed signature (the same request signed
twice in one second) is ``ThrottlingException`` so that SDKs retry it, signed anew."""


# ------------------------------------------------------------------------------------ requests


class _In(BaseModel):
    """A KMS request body: JSON types exactly, unknown members refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


Text = Annotated[str, Field(min_length=1, max_length=8192)]
Context = dict[str, str] | None
NoDryRun = Literal[False] | None
Symmetric = Literal["SYMMETRIC_DEFAULT"] | None


class _Tag(_In):
    TagKey: str
    TagValue: str


class _KeyId(_In):
    KeyId: Text


class _Paged(_In):
    Limit: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_LIMIT
    Marker: Text | None = None


class _CreateKey(_In):
    Policy: Text | None = None
    Description: str = ""
    KeyUsage: str = "ENCRYPT_DECRYPT"
    KeySpec: str | None = None
    CustomerMasterKeySpec: str | None = None
    Origin: Literal["AWS_KMS"] = "AWS_KMS"
    Tags: list[_Tag] | None = None
    BypassPolicyLockoutSafetyCheck: bool = False
    MultiRegion: Literal[False] = False


class _DescribeKey(_KeyId):
    GrantTokens: list[str] | None = None


class _ListAliases(_Paged):
    KeyId: Text | None = None


class _KeyIdPaged(_Paged):
    KeyId: Text


class _Alias(_In):
    AliasName: Text
    TargetKeyId: Text


class _AliasName(_In):
    AliasName: Text


class _ScheduleDeletion(_KeyId):
    PendingWindowInDays: int = 30


class _EnableRotation(_KeyId):
    RotationPeriodInDays: int | None = None


class _GetPolicy(_KeyId):
    PolicyName: Text = "default"


class _PutPolicy(_KeyId):
    PolicyName: Text = "default"
    Policy: Text
    BypassPolicyLockoutSafetyCheck: bool = False


class _TagResource(_KeyId):
    Tags: list[_Tag]


class _UntagResource(_KeyId):
    TagKeys: list[str]


class _Encrypt(_KeyId):
    Plaintext: Base64Bytes
    EncryptionContext: Context = None
    GrantTokens: list[str] | None = None
    EncryptionAlgorithm: Symmetric = None
    DryRun: NoDryRun = None


class _Decrypt(_In):
    CiphertextBlob: Base64Bytes
    EncryptionContext: Context = None
    GrantTokens: list[str] | None = None
    KeyId: Text | None = None
    EncryptionAlgorithm: Symmetric = None
    DryRun: NoDryRun = None


class _ReEncrypt(_In):
    CiphertextBlob: Base64Bytes
    SourceEncryptionContext: Context = None
    SourceKeyId: Text | None = None
    DestinationKeyId: Text
    DestinationEncryptionContext: Context = None
    SourceEncryptionAlgorithm: Symmetric = None
    DestinationEncryptionAlgorithm: Symmetric = None
    GrantTokens: list[str] | None = None
    DryRun: NoDryRun = None


class _DataKey(_KeyId):
    EncryptionContext: Context = None
    NumberOfBytes: int | None = None
    KeySpec: str | None = None
    GrantTokens: list[str] | None = None
    DryRun: NoDryRun = None


class _Sign(_KeyId):
    Message: Base64Bytes
    MessageType: str = "RAW"
    SigningAlgorithm: str
    GrantTokens: list[str] | None = None
    DryRun: NoDryRun = None


class _Verify(_Sign):
    Signature: Base64Bytes


class _GetPublicKey(_KeyId):
    GrantTokens: list[str] | None = None


# ------------------------------------------------------------------------------------ responses


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _metadata(md: KeyMetadata) -> dict[str, Any]:
    return _compact(
        {
            "AWSAccountId": md.aws_account_id,
            "KeyId": md.key_id,
            "Arn": md.arn,
            "CreationDate": _epoch(md.creation_date),
            "Enabled": md.enabled,
            "Description": md.description,
            "KeyUsage": md.key_usage,
            "KeyState": str(md.key_state),
            "DeletionDate": _epoch(md.deletion_date),
            "PendingDeletionWindowInDays": md.pending_deletion_window_in_days,
            "Origin": md.origin,
            "KeyManager": md.key_manager,
            "CustomerMasterKeySpec": md.key_spec,
            "KeySpec": md.key_spec,
            "EncryptionAlgorithms": list(md.encryption_algorithms) or None,
            "SigningAlgorithms": list(md.signing_algorithms) or None,
            "MultiRegion": False,
        }
    )


def _alias(entry: AliasEntry) -> dict[str, Any]:
    return {
        "AliasName": entry.alias_name,
        "AliasArn": entry.alias_arn,
        "TargetKeyId": entry.target_key_id,
        "CreationDate": _epoch(entry.creation_date),
        "LastUpdatedDate": _epoch(entry.last_updated_date),
    }


def _rotation_status(status: RotationStatus) -> dict[str, Any]:
    return _compact(
        {
            "KeyId": status.key_id,
            "KeyRotationEnabled": status.key_rotation_enabled,
            "RotationPeriodInDays": status.rotation_period_in_days,
            "NextRotationDate": _epoch(status.next_rotation_date),
        }
    )


T = TypeVar("T")


def _page(
    items: Sequence[T], marker: str | None, limit: int, name: Callable[[T], str], what: str
) -> tuple[list[T], dict[str, Any]]:
    """One page of ``items`` after ``marker`` (the name of the last item of the previous page)."""
    start = 0
    if marker is not None:
        names = [name(item) for item in items]
        if marker not in names:
            raise WireError(
                "InvalidMarkerException",
                f"Marker '{marker[:80]}' is not a {what} of a previous page; start without it",
            )
        start = names.index(marker) + 1
    page = list(items[start : start + limit])
    truncated = start + limit < len(items)
    more: dict[str, Any] = {"Truncated": truncated}
    if truncated:
        more["NextMarker"] = name(page[-1])
    return page, more


def _tags(tags: list[_Tag] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for tag in tags or []:
        if tag.TagKey in result:
            raise WireError("TagException", f"Tag key '{tag.TagKey[:80]}' is given twice")
        result[tag.TagKey] = tag.TagValue
    return result


def _key_spec(body: _CreateKey) -> str:
    spec = body.KeySpec or body.CustomerMasterKeySpec or "SYMMETRIC_DEFAULT"
    if body.KeySpec and body.CustomerMasterKeySpec and body.KeySpec != body.CustomerMasterKeySpec:
        raise WireError(
            "ValidationException", "KeySpec and CustomerMasterKeySpec differ; send only KeySpec"
        )
    return spec


# ------------------------------------------------------------------------------------ operations

Handler = Callable[[KeysClient, Any, RequestContext], dict[str, Any]]
_OPERATIONS: dict[str, tuple[type[_In], Handler]] = {}
M = TypeVar("M", bound=_In)


def _operation(
    name: str, model: type[M]
) -> Callable[[Callable[[KeysClient, M, RequestContext], dict[str, Any]]], None]:
    def register(handler: Callable[[KeysClient, M, RequestContext], dict[str, Any]]) -> None:
        _OPERATIONS[name] = (model, handler)

    return register


@_operation("CreateKey", _CreateKey)
def _create_key(keys: KeysClient, b: _CreateKey, ctx: RequestContext) -> dict[str, Any]:
    md = keys.create_key(
        description=b.Description,
        key_usage=b.KeyUsage,
        key_spec=_key_spec(b),
        policy=b.Policy,
        tags=_tags(b.Tags) or None,
        context=ctx,
    )
    return {"KeyMetadata": _metadata(md)}


@_operation("DescribeKey", _DescribeKey)
def _describe_key(keys: KeysClient, b: _DescribeKey, ctx: RequestContext) -> dict[str, Any]:
    return {"KeyMetadata": _metadata(keys.describe_key(b.KeyId, context=ctx))}


@_operation("ListKeys", _Paged)
def _list_keys(keys: KeysClient, b: _Paged, ctx: RequestContext) -> dict[str, Any]:
    found = keys.list_keys(context=ctx)
    page, more = _page(found, b.Marker, b.Limit, lambda md: md.key_id, "key id")
    return {"Keys": [{"KeyId": md.key_id, "KeyArn": md.arn} for md in page], **more}


@_operation("EnableKey", _KeyId)
def _enable_key(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    keys.enable_key(b.KeyId, context=ctx)
    return {}


@_operation("DisableKey", _KeyId)
def _disable_key(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    keys.disable_key(b.KeyId, context=ctx)
    return {}


@_operation("ScheduleKeyDeletion", _ScheduleDeletion)
def _schedule_deletion(
    keys: KeysClient, b: _ScheduleDeletion, ctx: RequestContext
) -> dict[str, Any]:
    done = keys.schedule_key_deletion(
        b.KeyId, pending_window_in_days=b.PendingWindowInDays, context=ctx
    )
    return {
        "KeyId": done.key_id,
        "DeletionDate": _epoch(done.deletion_date),
        "KeyState": str(done.key_state),
        "PendingWindowInDays": done.pending_window_in_days,
    }


@_operation("CancelKeyDeletion", _KeyId)
def _cancel_deletion(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    return {"KeyId": keys.cancel_key_deletion(b.KeyId, context=ctx).arn}


@_operation("CreateAlias", _Alias)
def _create_alias(keys: KeysClient, b: _Alias, ctx: RequestContext) -> dict[str, Any]:
    keys.create_alias(b.AliasName, b.TargetKeyId, context=ctx)
    return {}


@_operation("UpdateAlias", _Alias)
def _update_alias(keys: KeysClient, b: _Alias, ctx: RequestContext) -> dict[str, Any]:
    keys.update_alias(b.AliasName, b.TargetKeyId, context=ctx)
    return {}


@_operation("DeleteAlias", _AliasName)
def _delete_alias(keys: KeysClient, b: _AliasName, ctx: RequestContext) -> dict[str, Any]:
    keys.delete_alias(b.AliasName, context=ctx)
    return {}


@_operation("ListAliases", _ListAliases)
def _list_aliases(keys: KeysClient, b: _ListAliases, ctx: RequestContext) -> dict[str, Any]:
    found = keys.list_aliases(key_id=b.KeyId, context=ctx)
    page, more = _page(found, b.Marker, b.Limit, lambda a: a.alias_name, "alias name")
    return {"Aliases": [_alias(a) for a in page], **more}


@_operation("EnableKeyRotation", _EnableRotation)
def _enable_rotation(keys: KeysClient, b: _EnableRotation, ctx: RequestContext) -> dict[str, Any]:
    keys.enable_key_rotation(b.KeyId, rotation_period_in_days=b.RotationPeriodInDays, context=ctx)
    return {}


@_operation("DisableKeyRotation", _KeyId)
def _disable_rotation(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    keys.disable_key_rotation(b.KeyId, context=ctx)
    return {}


@_operation("GetKeyRotationStatus", _KeyId)
def _rotation(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    return _rotation_status(keys.get_key_rotation_status(b.KeyId, context=ctx))


@_operation("RotateKeyOnDemand", _KeyId)
def _rotate(keys: KeysClient, b: _KeyId, ctx: RequestContext) -> dict[str, Any]:
    return {"KeyId": keys.rotate_key_on_demand(b.KeyId, context=ctx)}


@_operation("ListKeyRotations", _KeyIdPaged)
def _list_rotations(keys: KeysClient, b: _KeyIdPaged, ctx: RequestContext) -> dict[str, Any]:
    found = keys.list_key_rotations(b.KeyId, context=ctx)
    page, more = _page(found, b.Marker, b.Limit, lambda r: str(r.version), "rotation")
    rotations = [
        {
            "KeyId": r.key_id,
            "RotationDate": _epoch(r.rotation_date),
            "RotationType": str(r.rotation_type),
        }
        for r in page
    ]
    return {"Rotations": rotations, **more}


@_operation("GetKeyPolicy", _GetPolicy)
def _get_policy(keys: KeysClient, b: _GetPolicy, ctx: RequestContext) -> dict[str, Any]:
    policy = keys.get_key_policy(b.KeyId, policy_name=b.PolicyName, context=ctx)
    return {"Policy": policy, "PolicyName": b.PolicyName}


@_operation("PutKeyPolicy", _PutPolicy)
def _put_policy(keys: KeysClient, b: _PutPolicy, ctx: RequestContext) -> dict[str, Any]:
    keys.put_key_policy(b.KeyId, b.Policy, policy_name=b.PolicyName, context=ctx)
    return {}


@_operation("TagResource", _TagResource)
def _tag(keys: KeysClient, b: _TagResource, ctx: RequestContext) -> dict[str, Any]:
    keys.tag_resource(b.KeyId, _tags(b.Tags), context=ctx)
    return {}


@_operation("UntagResource", _UntagResource)
def _untag(keys: KeysClient, b: _UntagResource, ctx: RequestContext) -> dict[str, Any]:
    keys.untag_resource(b.KeyId, b.TagKeys, context=ctx)
    return {}


@_operation("ListResourceTags", _KeyIdPaged)
def _list_tags(keys: KeysClient, b: _KeyIdPaged, ctx: RequestContext) -> dict[str, Any]:
    found = sorted(keys.list_resource_tags(b.KeyId, context=ctx).items())
    page, more = _page(found, b.Marker, b.Limit, lambda kv: kv[0], "tag key")
    return {"Tags": [{"TagKey": k, "TagValue": v} for k, v in page], **more}


@_operation("Encrypt", _Encrypt)
def _encrypt(keys: KeysClient, b: _Encrypt, ctx: RequestContext) -> dict[str, Any]:
    result = keys.encrypt(b.KeyId, b.Plaintext, encryption_context=b.EncryptionContext, context=ctx)
    return {
        "CiphertextBlob": result.ciphertext_blob,
        "KeyId": result.key_id,
        "EncryptionAlgorithm": result.encryption_algorithm,
    }


@_operation("Decrypt", _Decrypt)
def _decrypt(keys: KeysClient, b: _Decrypt, ctx: RequestContext) -> dict[str, Any]:
    result = keys.decrypt(
        b.CiphertextBlob, encryption_context=b.EncryptionContext, key_id=b.KeyId, context=ctx
    )
    return {
        "Plaintext": result.plaintext,
        "KeyId": result.key_id,
        "EncryptionAlgorithm": result.encryption_algorithm,
    }


@_operation("ReEncrypt", _ReEncrypt)
def _re_encrypt(keys: KeysClient, b: _ReEncrypt, ctx: RequestContext) -> dict[str, Any]:
    result = keys.re_encrypt(
        b.CiphertextBlob,
        b.DestinationKeyId,
        source_encryption_context=b.SourceEncryptionContext,
        destination_encryption_context=b.DestinationEncryptionContext,
        source_key_id=b.SourceKeyId,
        context=ctx,
    )
    return {
        "CiphertextBlob": result.ciphertext_blob,
        "SourceKeyId": result.source_key_id,
        "KeyId": result.key_id,
        "SourceEncryptionAlgorithm": result.encryption_algorithm,
        "DestinationEncryptionAlgorithm": result.encryption_algorithm,
    }


@_operation("GenerateDataKey", _DataKey)
def _data_key(keys: KeysClient, b: _DataKey, ctx: RequestContext) -> dict[str, Any]:
    dk = keys.generate_data_key(
        b.KeyId,
        encryption_context=b.EncryptionContext,
        key_spec=b.KeySpec,
        number_of_bytes=b.NumberOfBytes,
        context=ctx,
    )
    return {"CiphertextBlob": dk.ciphertext_blob, "Plaintext": dk.plaintext, "KeyId": dk.key_id}


@_operation("GenerateDataKeyWithoutPlaintext", _DataKey)
def _data_key_sealed(keys: KeysClient, b: _DataKey, ctx: RequestContext) -> dict[str, Any]:
    dk = keys.generate_data_key_without_plaintext(
        b.KeyId,
        encryption_context=b.EncryptionContext,
        key_spec=b.KeySpec,
        number_of_bytes=b.NumberOfBytes,
        context=ctx,
    )
    return {"CiphertextBlob": dk.ciphertext_blob, "KeyId": dk.key_id}


@_operation("Sign", _Sign)
def _sign(keys: KeysClient, b: _Sign, ctx: RequestContext) -> dict[str, Any]:
    result = keys.sign(
        b.KeyId,
        b.Message,
        signing_algorithm=b.SigningAlgorithm,
        message_type=b.MessageType,
        context=ctx,
    )
    return {
        "KeyId": result.key_id,
        "Signature": result.signature,
        "SigningAlgorithm": result.signing_algorithm,
    }


@_operation("Verify", _Verify)
def _verify(keys: KeysClient, b: _Verify, ctx: RequestContext) -> dict[str, Any]:
    result = keys.verify(
        b.KeyId,
        b.Message,
        b.Signature,
        signing_algorithm=b.SigningAlgorithm,
        message_type=b.MessageType,
        context=ctx,
    )
    return {
        "KeyId": result.key_id,
        "SignatureValid": result.signature_valid,
        "SigningAlgorithm": result.signing_algorithm,
    }


@_operation("GetPublicKey", _GetPublicKey)
def _public_key(keys: KeysClient, b: _GetPublicKey, ctx: RequestContext) -> dict[str, Any]:
    result = keys.get_public_key(b.KeyId, context=ctx)
    return {
        "KeyId": result.key_id,
        "PublicKey": result.public_key,
        "KeySpec": result.key_spec,
        "CustomerMasterKeySpec": result.key_spec,
        "KeyUsage": result.key_usage,
        "SigningAlgorithms": list(result.signing_algorithms),
    }


OPERATIONS = tuple(sorted(_OPERATIONS))
"""The KMS operations this endpoint serves."""


# ------------------------------------------------------------------------------------ endpoint


def _json(value: Any) -> Any:
    """Bytes as KMS sends blobs: base64 text."""
    if isinstance(value, bytes):
        return b64(value)
    raise TypeError(type(value).__name__)


def _reply(status: int, payload: dict[str, Any], rid: str) -> Response:
    body = json.dumps(payload, default=_json, separators=(",", ":"))
    return Response(body, status_code=status, media_type=JSON_11, headers={"x-amzn-RequestId": rid})


def kms_error(exc: BastionError) -> tuple[int, str]:
    """KMS's status and ``__type`` for an error from the key service or the gate."""
    if isinstance(exc, AccessDenied):
        return 400, "AccessDeniedException"
    if type(exc) is Conflict:
        return 400, "AlreadyExistsException"
    if 400 <= exc.status < 500:
        return 400, exc.aws_code
    return 500, "KMSInternalException"


def _parse(operation: str, body: bytes) -> tuple[type[_In], Handler, _In]:
    if operation not in _OPERATIONS:
        raise WireError(
            "UnknownOperationException",
            f"'{operation[:80]}' is not a KMS operation this server supports; it supports "
            + ", ".join(OPERATIONS),
        )
    model, handler = _OPERATIONS[operation]
    try:
        document = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise WireError("SerializationException", "The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise WireError("SerializationException", "The request body must be a JSON object")
    try:
        parsed = model.model_validate(document)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise validation_error(errors, operation=operation) from None
    return model, handler, parsed


async def kms_endpoint(request: Request) -> Response:
    """Dispatch one KMS JSON 1.1 request to its :class:`KeysClient` call."""
    rid = request_id()
    try:
        body = await request.body()
        caller = await wire_caller(request, body=body)
        target = request.headers.get("x-amz-target", "")
        if not target.startswith(TARGET_PREFIX):
            raise WireError(
                "UnknownOperationException",
                "Send X-Amz-Target: TrentService.<Operation> (the KMS JSON 1.1 protocol)",
            )
        operation = target.removeprefix(TARGET_PREFIX)
        _, handler, parsed = _parse(operation, body)
        await check_text(request)
        runtime = api_state(request).runtime.acting_as(caller.principal)
        result = await run_in_threadpool(handler, KeysClient(runtime), parsed, caller.context)
        return _reply(200, result, rid)
    except AuthFailure as exc:
        return _reply(400, {"__type": _AUTH_CODES[exc.kind], "message": exc.message}, rid)
    except WireError as exc:
        return _reply(exc.status, {"__type": exc.code, "message": exc.message}, rid)
    except BastionError as exc:
        status, code = kms_error(exc)
        if status >= 500:
            log.warning("api.kms.error code=%s", exc.code)
        return _reply(status, {"__type": code, "message": exc.message}, rid)
    except Exception:
        log.exception("api.kms.unexpected_error request_id=%s", rid)
        message = "Internal error; the server log has the details (search for the request id)"
        return _reply(500, {"__type": "KMSInternalException", "message": message}, rid)


def mount(app: FastAPI) -> None:
    """Serve KMS's JSON 1.1 protocol at ``POST /`` (left out of the OpenAPI document)."""
    app.router.add_route("/", kms_endpoint, methods=["POST"], include_in_schema=False)


__all__ = ["OPERATIONS", "kms_endpoint", "kms_error", "mount"]
