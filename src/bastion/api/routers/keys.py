"""``/kms``: master keys, aliases, rotation, key policies, tags, small-payload cryptography and
signing with asymmetric keys.

Bodies use the field names of AWS KMS's JSON API (``KeyId``, ``Plaintext``,
``EncryptionContext`` …); bytes travel as base64 and times as ISO 8601 (UTC). A key is named in
the path by its id, ARN, alias name (``alias/…``) or alias ARN. Each route is one
:class:`~bastion.keys.KeysClient` call through the gate.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from bastion.api._app import KeysDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses, hidden_as_not_found
from bastion.api.routers._common import Base64Bytes, RequestModel, ResponseModel, Timestamp
from bastion.errors import Invalid
from bastion.keys import AliasEntry, KeyMetadata, RotationStatus

router = APIRouter(prefix="/kms", tags=["kms"], responses=error_responses(403, 404, 409))


# ------------------------------------------------------------------------------------ models


class Tag(RequestModel):
    TagKey: str
    TagValue: str


class CreateKeyBody(RequestModel):
    Description: str = ""
    KeyUsage: str = "ENCRYPT_DECRYPT"
    KeySpec: str = "SYMMETRIC_DEFAULT"
    Policy: str | None = None
    Tags: list[Tag] | None = None


class KeyMetadataOut(ResponseModel):
    KeyId: str
    Arn: str
    AWSAccountId: str
    Description: str
    CreationDate: Timestamp
    Enabled: bool
    KeyState: str
    KeyUsage: str
    KeySpec: str
    KeyManager: str
    Origin: str
    EncryptionAlgorithms: list[str]
    SigningAlgorithms: list[str]
    DeletionDate: Timestamp | None = None
    PendingDeletionWindowInDays: int | None = None


class KeyMetadataResponse(ResponseModel):
    KeyMetadata: KeyMetadataOut


class KeyListResponse(ResponseModel):
    Keys: list[KeyMetadataOut]


class KeyIdResponse(ResponseModel):
    KeyId: str


class ScheduleDeletionBody(RequestModel):
    PendingWindowInDays: int = 30


class ScheduleDeletionResponse(ResponseModel):
    KeyId: str
    DeletionDate: Timestamp
    KeyState: str
    PendingWindowInDays: int


class EnableRotationBody(RequestModel):
    RotationPeriodInDays: int | None = None


class RotationStatusResponse(ResponseModel):
    KeyId: str
    KeyRotationEnabled: bool
    RotationPeriodInDays: int | None
    NextRotationDate: Timestamp | None


class RotationOut(ResponseModel):
    KeyId: str
    Version: int
    RotationDate: Timestamp
    RotationType: str


class RotationsResponse(ResponseModel):
    Rotations: list[RotationOut]


class PolicyResponse(ResponseModel):
    Policy: str
    PolicyName: str


class PutPolicyBody(RequestModel):
    Policy: str


class TagsBody(RequestModel):
    Tags: list[Tag]


class TagsResponse(ResponseModel):
    Tags: list[dict[str, str]]


class UntagBody(RequestModel):
    TagKeys: list[str]


class CreateAliasBody(RequestModel):
    AliasName: str
    TargetKeyId: str


class UpdateAliasBody(RequestModel):
    TargetKeyId: str


class AliasOut(ResponseModel):
    AliasName: str
    AliasArn: str
    TargetKeyId: str
    CreationDate: Timestamp
    LastUpdatedDate: Timestamp


class AliasResponse(ResponseModel):
    Alias: AliasOut


class AliasListResponse(ResponseModel):
    Aliases: list[AliasOut]


class EncryptBody(RequestModel):
    KeyId: str
    Plaintext: Base64Bytes
    EncryptionContext: dict[str, str] | None = None


class EncryptResponse(ResponseModel):
    CiphertextBlob: Base64Bytes
    KeyId: str
    EncryptionAlgorithm: str


class DecryptBody(RequestModel):
    CiphertextBlob: Base64Bytes
    EncryptionContext: dict[str, str] | None = None
    KeyId: str | None = None


class DecryptResponse(ResponseModel):
    Plaintext: Base64Bytes
    KeyId: str
    EncryptionAlgorithm: str


class ReEncryptBody(RequestModel):
    CiphertextBlob: Base64Bytes
    DestinationKeyId: str
    SourceEncryptionContext: dict[str, str] | None = None
    DestinationEncryptionContext: dict[str, str] | None = None
    SourceKeyId: str | None = None


class ReEncryptResponse(ResponseModel):
    CiphertextBlob: Base64Bytes
    KeyId: str
    SourceKeyId: str
    SourceEncryptionAlgorithm: str
    DestinationEncryptionAlgorithm: str


class DataKeyBody(RequestModel):
    KeyId: str
    EncryptionContext: dict[str, str] | None = None
    KeySpec: str | None = None
    NumberOfBytes: int | None = None


class DataKeyResponse(ResponseModel):
    CiphertextBlob: Base64Bytes
    Plaintext: Base64Bytes
    KeyId: str


class DataKeyWithoutPlaintextResponse(ResponseModel):
    CiphertextBlob: Base64Bytes
    KeyId: str


class SignBody(RequestModel):
    KeyId: str
    Message: Base64Bytes
    SigningAlgorithm: str
    MessageType: str = "RAW"


class SignResponse(ResponseModel):
    KeyId: str
    Signature: Base64Bytes
    SigningAlgorithm: str


class VerifyBody(RequestModel):
    KeyId: str
    Message: Base64Bytes
    Signature: Base64Bytes
    SigningAlgorithm: str
    MessageType: str = "RAW"


class VerifyResponse(ResponseModel):
    KeyId: str
    SignatureValid: bool
    SigningAlgorithm: str


class PublicKeyResponse(ResponseModel):
    KeyId: str
    PublicKey: Base64Bytes
    KeySpec: str
    KeyUsage: str
    SigningAlgorithms: list[str]


# ------------------------------------------------------------------------------------ helpers


def _metadata(md: KeyMetadata) -> KeyMetadataOut:
    return KeyMetadataOut(
        KeyId=md.key_id,
        Arn=md.arn,
        AWSAccountId=md.aws_account_id,
        Description=md.description,
        CreationDate=md.creation_date,
        Enabled=md.enabled,
        KeyState=str(md.key_state),
        KeyUsage=md.key_usage,
        KeySpec=md.key_spec,
        KeyManager=md.key_manager,
        Origin=md.origin,
        EncryptionAlgorithms=list(md.encryption_algorithms),
        SigningAlgorithms=list(md.signing_algorithms),
        DeletionDate=md.deletion_date,
        PendingDeletionWindowInDays=md.pending_deletion_window_in_days,
    )


def _alias(entry: AliasEntry) -> AliasOut:
    return AliasOut(
        AliasName=entry.alias_name,
        AliasArn=entry.alias_arn,
        TargetKeyId=entry.target_key_id,
        CreationDate=entry.creation_date,
        LastUpdatedDate=entry.last_updated_date,
    )


def _rotation(status: RotationStatus) -> RotationStatusResponse:
    return RotationStatusResponse(
        KeyId=status.key_id,
        KeyRotationEnabled=status.key_rotation_enabled,
        RotationPeriodInDays=status.rotation_period_in_days,
        NextRotationDate=status.next_rotation_date,
    )


def _tags(tags: list[Tag] | None, operation: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for tag in tags or []:
        if tag.TagKey in result:
            raise Invalid(
                "Tags", got=tag.TagKey, expected="tags with distinct TagKey", operation=operation
            )
        result[tag.TagKey] = tag.TagValue
    return result


def not_found_message(key_id: str) -> str:
    """The 404 text for a key the caller may not see: the same as for a missing key."""
    what = "Alias" if key_id.startswith("alias/") or ":alias/" in key_id else "Key"
    return (
        f"{what} '{key_id}' not found; list keys with 'bastion keys list' "
        "(a key may also be named by its ARN, alias name or alias ARN)"
    )


KeyPath = Annotated[str, Path(description="Key id, key ARN, alias name or alias ARN")]


# ------------------------------------------------------------------------------------ keys


@router.post("/keys", name="CreateKey")
def create_key(
    keys: KeysDep, caller: CallerDep, body: CreateKeyBody | None = None
) -> KeyMetadataResponse:
    """Create a symmetric key (AES-256-GCM), or with ``KeyUsage`` ``SIGN_VERIFY`` and an
    asymmetric ``KeySpec`` a signing key; ``Policy`` defaults to the KMS default policy."""
    spec = body or CreateKeyBody()
    md = keys.create_key(
        description=spec.Description,
        key_usage=spec.KeyUsage,
        key_spec=spec.KeySpec,
        policy=spec.Policy,
        tags=_tags(spec.Tags, "CreateKey") or None,
        context=caller.context,
    )
    return KeyMetadataResponse(KeyMetadata=_metadata(md))


@router.get("/keys", name="ListKeys")
def list_keys(keys: KeysDep, caller: CallerDep) -> KeyListResponse:
    """Every key of the account with its metadata, oldest first."""
    return KeyListResponse(Keys=[_metadata(md) for md in keys.list_keys(context=caller.context)])


@router.post("/keys/{key_id:path}/rotate", name="RotateKeyOnDemand")
def rotate_key(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> KeyIdResponse:
    """Add a new material version now; old ciphertexts keep decrypting."""
    return KeyIdResponse(KeyId=keys.rotate_key_on_demand(key_id, context=caller.context))


@router.post("/keys/{key_id:path}/enable", name="EnableKey")
def enable_key(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> KeyMetadataResponse:
    """Disabled -> Enabled."""
    return KeyMetadataResponse(
        KeyMetadata=_metadata(keys.enable_key(key_id, context=caller.context))
    )


@router.post("/keys/{key_id:path}/disable", name="DisableKey")
def disable_key(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> KeyMetadataResponse:
    """Enabled -> Disabled: the key stops encrypting and decrypting."""
    md = keys.disable_key(key_id, context=caller.context)
    return KeyMetadataResponse(KeyMetadata=_metadata(md))


@router.post("/keys/{key_id:path}/schedule-deletion", name="ScheduleKeyDeletion")
def schedule_key_deletion(
    key_id: KeyPath, keys: KeysDep, caller: CallerDep, body: ScheduleDeletionBody | None = None
) -> ScheduleDeletionResponse:
    """Make the key unusable now and delete it after 7-30 days (default 30)."""
    window = (body or ScheduleDeletionBody()).PendingWindowInDays
    done = keys.schedule_key_deletion(key_id, pending_window_in_days=window, context=caller.context)
    return ScheduleDeletionResponse(
        KeyId=done.key_id,
        DeletionDate=done.deletion_date,
        KeyState=str(done.key_state),
        PendingWindowInDays=done.pending_window_in_days,
    )


@router.post("/keys/{key_id:path}/cancel-deletion", name="CancelKeyDeletion")
def cancel_key_deletion(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> KeyMetadataResponse:
    """Cancel a scheduled deletion; the key comes back Disabled."""
    md = keys.cancel_key_deletion(key_id, context=caller.context)
    return KeyMetadataResponse(KeyMetadata=_metadata(md))


@router.get("/keys/{key_id:path}/rotation", name="GetKeyRotationStatus")
def get_rotation(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> RotationStatusResponse:
    """Whether the key rotates automatically, its period and next date."""
    return _rotation(keys.get_key_rotation_status(key_id, context=caller.context))


@router.put("/keys/{key_id:path}/rotation", name="EnableKeyRotation")
def enable_rotation(
    key_id: KeyPath, keys: KeysDep, caller: CallerDep, body: EnableRotationBody | None = None
) -> RotationStatusResponse:
    """Rotate automatically every ``RotationPeriodInDays`` (90-2560; default from settings)."""
    period = (body or EnableRotationBody()).RotationPeriodInDays
    return _rotation(
        keys.enable_key_rotation(key_id, rotation_period_in_days=period, context=caller.context)
    )


@router.delete("/keys/{key_id:path}/rotation", name="DisableKeyRotation")
def disable_rotation(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> RotationStatusResponse:
    """Stop automatic rotation (existing material versions stay)."""
    return _rotation(keys.disable_key_rotation(key_id, context=caller.context))


@router.get("/keys/{key_id:path}/rotations", name="ListKeyRotations")
def list_rotations(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> RotationsResponse:
    """Completed rotations, oldest first."""
    return RotationsResponse(
        Rotations=[
            RotationOut(
                KeyId=r.key_id,
                Version=r.version,
                RotationDate=r.rotation_date,
                RotationType=str(r.rotation_type),
            )
            for r in keys.list_key_rotations(key_id, context=caller.context)
        ]
    )


@router.get("/keys/{key_id:path}/policy", name="GetKeyPolicy")
def get_policy(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> PolicyResponse:
    """The key policy document (JSON text)."""
    return PolicyResponse(
        Policy=keys.get_key_policy(key_id, context=caller.context), PolicyName="default"
    )


@router.put("/keys/{key_id:path}/policy", name="PutKeyPolicy", status_code=204)
def put_policy(key_id: KeyPath, body: PutPolicyBody, keys: KeysDep, caller: CallerDep) -> Response:
    """Replace the key policy (a JSON object of at most 32 KB)."""
    keys.put_key_policy(key_id, body.Policy, context=caller.context)
    return Response(status_code=204)


@router.get("/keys/{key_id:path}/tags", name="ListResourceTags")
def list_tags(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> TagsResponse:
    """The key's tags."""
    tags = keys.list_resource_tags(key_id, context=caller.context)
    return TagsResponse(Tags=[{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())])


@router.post("/keys/{key_id:path}/tags", name="TagResource", status_code=204)
def tag_key(key_id: KeyPath, body: TagsBody, keys: KeysDep, caller: CallerDep) -> Response:
    """Add or overwrite tags."""
    keys.tag_resource(key_id, _tags(body.Tags, "TagResource"), context=caller.context)
    return Response(status_code=204)


@router.post("/keys/{key_id:path}/untag", name="UntagResource", status_code=204)
def untag_key(key_id: KeyPath, body: UntagBody, keys: KeysDep, caller: CallerDep) -> Response:
    """Remove tags by key."""
    keys.untag_resource(key_id, body.TagKeys, context=caller.context)
    return Response(status_code=204)


@router.get("/keys/{key_id:path}/public-key", name="GetPublicKey")
def get_public_key(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> PublicKeyResponse:
    """The public key of an asymmetric key (DER SubjectPublicKeyInfo, base64)."""
    result = keys.get_public_key(key_id, context=caller.context)
    return PublicKeyResponse(
        KeyId=result.key_id,
        PublicKey=result.public_key,
        KeySpec=result.key_spec,
        KeyUsage=result.key_usage,
        SigningAlgorithms=list(result.signing_algorithms),
    )


@router.get("/keys/{key_id:path}", name="DescribeKey")
def describe_key(key_id: KeyPath, keys: KeysDep, caller: CallerDep) -> KeyMetadataResponse:
    """Metadata of one key (404 also when the caller may not describe it)."""
    with hidden_as_not_found("kms:DescribeKey", not_found_message(key_id)):
        md = keys.describe_key(key_id, context=caller.context)
    return KeyMetadataResponse(KeyMetadata=_metadata(md))


# ------------------------------------------------------------------------------------ aliases


@router.post("/aliases", name="CreateAlias")
def create_alias(body: CreateAliasBody, keys: KeysDep, caller: CallerDep) -> AliasResponse:
    """Name a key ``alias/…``; the name must be free."""
    entry = keys.create_alias(body.AliasName, body.TargetKeyId, context=caller.context)
    return AliasResponse(Alias=_alias(entry))


@router.get("/aliases", name="ListAliases")
def list_aliases(
    keys: KeysDep,
    caller: CallerDep,
    key_id: Annotated[str | None, Query(alias="key-id", max_length=2048)] = None,
) -> AliasListResponse:
    """Every alias, or those of ``key-id``, by name."""
    entries = keys.list_aliases(key_id=key_id, context=caller.context)
    return AliasListResponse(Aliases=[_alias(e) for e in entries])


@router.put("/aliases/{alias_name:path}", name="UpdateAlias")
def update_alias(
    alias_name: str, body: UpdateAliasBody, keys: KeysDep, caller: CallerDep
) -> AliasResponse:
    """Point an existing alias at another key."""
    entry = keys.update_alias(alias_name, body.TargetKeyId, context=caller.context)
    return AliasResponse(Alias=_alias(entry))


@router.delete("/aliases/{alias_name:path}", name="DeleteAlias", status_code=204)
def delete_alias(alias_name: str, keys: KeysDep, caller: CallerDep) -> Response:
    """Remove an alias; the key is untouched."""
    keys.delete_alias(alias_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ crypto


@router.post("/encrypt", name="Encrypt")
def encrypt(body: EncryptBody, keys: KeysDep, caller: CallerDep) -> EncryptResponse:
    """Encrypt 1-4096 bytes; decrypting needs the same ``EncryptionContext``."""
    result = keys.encrypt(
        body.KeyId,
        body.Plaintext,
        encryption_context=body.EncryptionContext,
        context=caller.context,
    )
    return EncryptResponse(
        CiphertextBlob=result.ciphertext_blob,
        KeyId=result.key_id,
        EncryptionAlgorithm=result.encryption_algorithm,
    )


@router.post("/decrypt", name="Decrypt")
def decrypt(body: DecryptBody, keys: KeysDep, caller: CallerDep) -> DecryptResponse:
    """Decrypt a blob (the key is named inside it); the context must match exactly."""
    result = keys.decrypt(
        body.CiphertextBlob,
        encryption_context=body.EncryptionContext,
        key_id=body.KeyId,
        context=caller.context,
    )
    return DecryptResponse(
        Plaintext=result.plaintext,
        KeyId=result.key_id,
        EncryptionAlgorithm=result.encryption_algorithm,
    )


@router.post("/re-encrypt", name="ReEncrypt")
def re_encrypt(body: ReEncryptBody, keys: KeysDep, caller: CallerDep) -> ReEncryptResponse:
    """Move a ciphertext to another key or context without exposing its plaintext."""
    result = keys.re_encrypt(
        body.CiphertextBlob,
        body.DestinationKeyId,
        source_encryption_context=body.SourceEncryptionContext,
        destination_encryption_context=body.DestinationEncryptionContext,
        source_key_id=body.SourceKeyId,
        context=caller.context,
    )
    return ReEncryptResponse(
        CiphertextBlob=result.ciphertext_blob,
        KeyId=result.key_id,
        SourceKeyId=result.source_key_id,
        SourceEncryptionAlgorithm=result.encryption_algorithm,
        DestinationEncryptionAlgorithm=result.encryption_algorithm,
    )


@router.post("/generate-data-key", name="GenerateDataKey")
def generate_data_key(body: DataKeyBody, keys: KeysDep, caller: CallerDep) -> DataKeyResponse:
    """A fresh data key: its plaintext (use once) and its encrypted copy."""
    dk = keys.generate_data_key(
        body.KeyId,
        encryption_context=body.EncryptionContext,
        key_spec=body.KeySpec,
        number_of_bytes=body.NumberOfBytes,
        context=caller.context,
    )
    return DataKeyResponse(
        CiphertextBlob=dk.ciphertext_blob, Plaintext=dk.plaintext, KeyId=dk.key_id
    )


@router.post("/generate-data-key-without-plaintext", name="GenerateDataKeyWithoutPlaintext")
def generate_data_key_without_plaintext(
    body: DataKeyBody, keys: KeysDep, caller: CallerDep
) -> DataKeyWithoutPlaintextResponse:
    """A fresh data key returned only encrypted."""
    dk = keys.generate_data_key_without_plaintext(
        body.KeyId,
        encryption_context=body.EncryptionContext,
        key_spec=body.KeySpec,
        number_of_bytes=body.NumberOfBytes,
        context=caller.context,
    )
    return DataKeyWithoutPlaintextResponse(CiphertextBlob=dk.ciphertext_blob, KeyId=dk.key_id)


@router.post("/sign", name="Sign")
def sign(body: SignBody, keys: KeysDep, caller: CallerDep) -> SignResponse:
    """Sign 1-4096 bytes (``MessageType`` ``RAW``) or a digest (``DIGEST``) with a signing key."""
    result = keys.sign(
        body.KeyId,
        body.Message,
        signing_algorithm=body.SigningAlgorithm,
        message_type=body.MessageType,
        context=caller.context,
    )
    return SignResponse(
        KeyId=result.key_id, Signature=result.signature, SigningAlgorithm=result.signing_algorithm
    )


@router.post("/verify", name="Verify")
def verify(body: VerifyBody, keys: KeysDep, caller: CallerDep) -> VerifyResponse:
    """Check a signature; 400 ``invalid-signature`` when it does not verify (as KMS)."""
    result = keys.verify(
        body.KeyId,
        body.Message,
        body.Signature,
        signing_algorithm=body.SigningAlgorithm,
        message_type=body.MessageType,
        context=caller.context,
    )
    return VerifyResponse(
        KeyId=result.key_id,
        SignatureValid=result.signature_valid,
        SigningAlgorithm=result.signing_algorithm,
    )


__all__ = ["not_found_message", "router"]
