"""The SDK face of the key service: every operation goes through the gate.

Each method is the snake_case of the KMS API with keyword arguments, and takes an optional
:class:`~bastion.gate.RequestContext` (a service calling on a user's behalf passes
``RequestContext(invoked_by="s3.amazonaws.com")``). The gate authorizes the key's ARN (an alias
is resolved to the key it names, as KMS does) and records CloudTrail-shaped request parameters:
``keyId``, ``encryptionContext``, ``keySpec``, ``signingAlgorithm`` … — never plaintext, messages,
signatures or key material.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Protocol, TypeVar

from bastion.access import Principal, ResourceInfo, request_tag_keys
from bastion.clock import Clock, iso_z
from bastion.db import Database
from bastion.errors import BastionError, Invalid
from bastion.gate import Gate, RequestContext
from bastion.keys import _actions  # noqa: F401  (declares the kms:* actions)
from bastion.keys._ciphertext import peek_key_id
from bastion.keys._models import (
    KEY_SPEC,
    KEY_USAGE,
    AliasEntry,
    DataKey,
    DecryptResult,
    EncryptedDataKey,
    EncryptResult,
    KeyMetadata,
    MaintenanceReport,
    PublicKeyResult,
    ReEncryptResult,
    Rotation,
    RotationStatus,
    ScheduledDeletion,
    SignResult,
    VerifyResult,
)
from bastion.keys._root import RootSealer
from bastion.keys._service import POLICY_NAME, KeyService
from bastion.keys.backends import KeyBackend, LocalKeystore
from bastion.settings import Settings
from bastion.types import AccountId, Arn

T = TypeVar("T")

MAINTENANCE_CALLER = "kms.amazonaws.com"


class KeysRuntime(Protocol):
    """What the keys client needs from :class:`bastion._runtime.Runtime`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def sealer(self) -> RootSealer: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...


def backend_from_settings(runtime: KeysRuntime) -> KeyBackend:
    """The key backend named by ``BASTION_KEYS__BACKEND`` (only ``local`` ships in this release)."""
    name = runtime.settings.keys.backend
    if name == LocalKeystore.name:
        return LocalKeystore(runtime.sealer)
    raise Invalid(
        "BASTION_KEYS__BACKEND",
        got=name,
        expected="'local' (Vault transit and AWS KMS backends are a tested interface only in "
        "this release; see docs/keys.md)",
    )


def _metadata_element(md: KeyMetadata) -> dict[str, Any]:
    """KeyMetadata as CloudTrail's responseElements.keyMetadata."""
    element: dict[str, Any] = {
        "aWSAccountId": md.aws_account_id,
        "keyId": md.key_id,
        "arn": md.arn,
        "creationDate": iso_z(md.creation_date),
        "enabled": md.enabled,
        "description": md.description,
        "keyUsage": md.key_usage,
        "keyState": str(md.key_state),
        "origin": md.origin,
        "keyManager": md.key_manager,
        "keySpec": md.key_spec,
    }
    if md.encryption_algorithms:
        element["encryptionAlgorithms"] = list(md.encryption_algorithms)
    if md.signing_algorithms:
        element["signingAlgorithms"] = list(md.signing_algorithms)
    if md.deletion_date is not None:
        element["deletionDate"] = iso_z(md.deletion_date)
    return element


def _with_context_keys(
    context: RequestContext | None, encryption_context: object
) -> RequestContext | None:
    """Expose the encryption context to policy conditions (kms:EncryptionContext:<key>)."""
    if not isinstance(encryption_context, Mapping) or not encryption_context:
        return context
    base = context or RequestContext()
    extra = dict(base.extra)
    extra["kms:EncryptionContextKeys"] = sorted(str(k) for k in encryption_context)
    for key, value in encryption_context.items():
        extra[f"kms:EncryptionContext:{key}"] = value
    return replace(base, extra=extra)


def _with_condition_values(
    context: RequestContext | None, values: Mapping[str, object]
) -> RequestContext | None:
    """Expose request values to policy conditions (``kms:SigningAlgorithm`` …).

    They replace any value of the same name the caller put in ``context``, so a condition on
    them always sees what the request really asks for.
    """
    shown = {k: v for k, v in values.items() if isinstance(v, str)}
    if not shown:
        return context
    base = context or RequestContext()
    return replace(base, extra={**base.extra, **shown})


def _with_request_tags(context: RequestContext | None, tags: object) -> RequestContext | None:
    """Expose the tags being set to policy conditions (aws:RequestTag/<key>, aws:TagKeys)."""
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) for k in tags):
        return context  # refused by the service's validation, after the gate
    extra = request_tag_keys(tags)
    if not extra:
        return context
    base = context or RequestContext()
    return replace(base, extra={**base.extra, **extra})


def _data_key_params(
    key_id: object, encryption_context: object, key_spec: str | None, number_of_bytes: int | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"keyId": key_id}
    if encryption_context is not None:
        params["encryptionContext"] = encryption_context
    if number_of_bytes is not None:
        params["numberOfBytes"] = number_of_bytes
    if key_spec is not None or number_of_bytes is None:
        params["keySpec"] = key_spec or "AES_256"
    return params


class KeysClient:
    """Master keys, aliases, rotation, data keys and small-payload encryption (KMS semantics).

    >>> key = bastion.keys.create_key(description="fraud data")        # doctest: +SKIP
    >>> bastion.keys.create_alias("alias/fraud-data", key.key_id)      # doctest: +SKIP
    >>> dk = bastion.keys.generate_data_key("alias/fraud-data",        # doctest: +SKIP
    ...     encryption_context={"bucket": "models"})
    """

    def __init__(self, runtime: KeysRuntime, *, backend: KeyBackend | None = None) -> None:
        self.runtime = runtime
        self._service = KeyService(
            db=runtime.db,
            backend=backend if backend is not None else backend_from_settings(runtime),
            clock=runtime.clock,
            account_id=runtime.account_id,
            region=runtime.settings.region,
        )
        runtime.gate.register_resource_provider("kms", self._key_resource)

    def _key_resource(self, arn: str) -> ResourceInfo | None:
        """The key policy and tags of a key ARN, for the authorizer (``None``: no such key)."""
        if ":key/" not in arn:
            return None
        try:
            policy = self._service.get_key_policy(arn)
            tags = self._service.list_resource_tags(arn)
        except BastionError:
            return None
        return ResourceInfo(
            policy=policy, policy_name="key policy", policy_required=True, tags=tags
        )

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        return self.runtime.gate.call(
            self.runtime.principal,
            f"kms:{action}",
            resource,
            params,
            handler,
            context=context,
            respond=respond,
        )

    def _key(self, key_id: object) -> Arn:
        return self._service.resource_arn(key_id)

    # ----------------------------------------------------------------- keys

    def create_key(
        self,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        policy: str | None = None,
        key_usage: str = KEY_USAGE,
        key_spec: str = KEY_SPEC,
        context: RequestContext | None = None,
    ) -> KeyMetadata:
        """Create a key; ``policy`` defaults to the KMS default policy.

        The default is a symmetric encryption key (AES-256-GCM). ``key_usage="SIGN_VERIFY"`` with
        an asymmetric ``key_spec`` (``ECC_NIST_P256``, ``ECC_NIST_P384``, ``ECC_NIST_P521``,
        ``ECC_SECG_P256K1``, ``ECC_NIST_EDWARDS25519``, ``RSA_2048/3072/4096``) makes a signing
        key whose private key never leaves the key service. Policies see the request's values as
        ``kms:KeyUsage`` and ``kms:KeySpec``.
        """
        params: dict[str, Any] = {
            "description": description,
            "keyUsage": key_usage,
            "keySpec": key_spec,
        }
        if tags:
            params["tags"] = (
                [{"tagKey": k, "tagValue": v} for k, v in tags.items()]
                if isinstance(tags, Mapping)
                else tags
            )
        if policy is not None:
            params["policy"] = policy
        return self._call(
            "CreateKey",
            self._service.key_arn("*"),
            params,
            lambda: self._service.create_key(
                description=description,
                tags=tags,
                policy=policy,
                key_usage=key_usage,
                key_spec=key_spec,
            ),
            _with_condition_values(
                _with_request_tags(context, tags),
                {"kms:KeyUsage": key_usage, "kms:KeySpec": key_spec},
            ),
            lambda md: {"keyMetadata": _metadata_element(md)},
        )

    def describe_key(self, key_id: str, *, context: RequestContext | None = None) -> KeyMetadata:
        """Metadata of a key named by id, ARN, alias name or alias ARN."""
        return self._call(
            "DescribeKey",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.describe_key(key_id),
            context,
        )

    def list_keys(self, *, context: RequestContext | None = None) -> list[KeyMetadata]:
        """Every key of the account, oldest first (each with its full metadata)."""
        return self._call(
            "ListKeys", self._service.key_arn("*"), {}, self._service.list_keys, context
        )

    def enable_key(self, key_id: str, *, context: RequestContext | None = None) -> KeyMetadata:
        """Disabled -> Enabled."""
        return self._call(
            "EnableKey",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.enable_key(key_id),
            context,
        )

    def disable_key(self, key_id: str, *, context: RequestContext | None = None) -> KeyMetadata:
        """Enabled -> Disabled: the key stops encrypting and decrypting."""
        return self._call(
            "DisableKey",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.disable_key(key_id),
            context,
        )

    def schedule_key_deletion(
        self,
        key_id: str,
        *,
        pending_window_in_days: int = 30,
        context: RequestContext | None = None,
    ) -> ScheduledDeletion:
        """Make the key unusable now; ``run_maintenance`` deletes it after 7-30 days."""
        return self._call(
            "ScheduleKeyDeletion",
            self._key(key_id),
            {"keyId": key_id, "pendingWindowInDays": pending_window_in_days},
            lambda: self._service.schedule_key_deletion(
                key_id, pending_window_in_days=pending_window_in_days
            ),
            context,
            lambda s: {
                "keyId": s.key_id,
                "deletionDate": iso_z(s.deletion_date),
                "keyState": str(s.key_state),
                "pendingWindowInDays": s.pending_window_in_days,
            },
        )

    def cancel_key_deletion(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> KeyMetadata:
        """Cancel a scheduled deletion; the key comes back Disabled (enable it to use it)."""
        return self._call(
            "CancelKeyDeletion",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.cancel_key_deletion(key_id),
            context,
            lambda md: {"keyId": md.arn},
        )

    # ----------------------------------------------------------------- aliases

    def create_alias(
        self, alias_name: str, target_key_id: str, *, context: RequestContext | None = None
    ) -> AliasEntry:
        """Name a key ``alias/…``; the name must be free."""
        return self._call(
            "CreateAlias",
            self._alias_arn(alias_name),
            {"aliasName": alias_name, "targetKeyId": target_key_id},
            lambda: self._service.create_alias(alias_name, target_key_id),
            context,
        )

    def update_alias(
        self, alias_name: str, target_key_id: str, *, context: RequestContext | None = None
    ) -> AliasEntry:
        """Point an existing alias at another key."""
        return self._call(
            "UpdateAlias",
            self._alias_arn(alias_name),
            {"aliasName": alias_name, "targetKeyId": target_key_id},
            lambda: self._service.update_alias(alias_name, target_key_id),
            context,
        )

    def delete_alias(self, alias_name: str, *, context: RequestContext | None = None) -> None:
        """Remove an alias; the key is untouched."""
        self._call(
            "DeleteAlias",
            self._alias_arn(alias_name),
            {"aliasName": alias_name},
            lambda: self._service.delete_alias(alias_name),
            context,
        )

    def list_aliases(
        self, *, key_id: str | None = None, context: RequestContext | None = None
    ) -> list[AliasEntry]:
        """Every alias (or those of ``key_id``), sorted by name."""
        params = {"keyId": key_id} if key_id is not None else {}
        resource = self._key(key_id) if key_id is not None else self._service.alias_arn("alias/*")
        return self._call(
            "ListAliases", resource, params, lambda: self._service.list_aliases(key_id), context
        )

    def _alias_arn(self, alias_name: object) -> str:
        if isinstance(alias_name, str) and alias_name.startswith("alias/"):
            return self._service.alias_arn(alias_name)
        return self._service.alias_arn("alias/*")

    # ----------------------------------------------------------------- rotation

    def enable_key_rotation(
        self,
        key_id: str,
        *,
        rotation_period_in_days: int | None = None,
        context: RequestContext | None = None,
    ) -> RotationStatus:
        """Rotate automatically every ``rotation_period_in_days`` (90-2560), at maintenance.

        Without a period, ``settings.keys.rotation_period_days`` applies (default 365, as KMS).
        """
        if rotation_period_in_days is None:
            rotation_period_in_days = self.runtime.settings.keys.rotation_period_days
        return self._call(
            "EnableKeyRotation",
            self._key(key_id),
            {"keyId": key_id, "rotationPeriodInDays": rotation_period_in_days},
            lambda: self._service.enable_key_rotation(
                key_id, rotation_period_in_days=rotation_period_in_days
            ),
            context,
        )

    def disable_key_rotation(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> RotationStatus:
        """Stop automatic rotation (existing versions stay)."""
        return self._call(
            "DisableKeyRotation",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.disable_key_rotation(key_id),
            context,
        )

    def get_key_rotation_status(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> RotationStatus:
        """Whether the key rotates automatically, its period and next date."""
        return self._call(
            "GetKeyRotationStatus",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.get_key_rotation_status(key_id),
            context,
        )

    def rotate_key_on_demand(self, key_id: str, *, context: RequestContext | None = None) -> Arn:
        """Add a material version now; returns the key ARN."""
        return self._call(
            "RotateKeyOnDemand",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.rotate_key_on_demand(key_id),
            context,
            lambda arn: {"keyId": arn},
        )

    def list_key_rotations(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> list[Rotation]:
        """Completed rotations of a key, oldest first."""
        return self._call(
            "ListKeyRotations",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.list_key_rotations(key_id),
            context,
        )

    # ----------------------------------------------------------------- policy and tags

    def get_key_policy(
        self,
        key_id: str,
        *,
        policy_name: str = POLICY_NAME,
        context: RequestContext | None = None,
    ) -> str:
        """The key policy document (JSON text)."""
        return self._call(
            "GetKeyPolicy",
            self._key(key_id),
            {"keyId": key_id, "policyName": policy_name},
            lambda: self._service.get_key_policy(key_id, policy_name=policy_name),
            context,
        )

    def put_key_policy(
        self,
        key_id: str,
        policy: str,
        *,
        policy_name: str = POLICY_NAME,
        context: RequestContext | None = None,
    ) -> None:
        """Replace the key policy (a JSON object of at most 32 KB)."""
        self._call(
            "PutKeyPolicy",
            self._key(key_id),
            {"keyId": key_id, "policyName": policy_name, "policy": policy},
            lambda: self._service.put_key_policy(key_id, policy, policy_name=policy_name),
            context,
        )

    def tag_resource(
        self, key_id: str, tags: Mapping[str, str], *, context: RequestContext | None = None
    ) -> None:
        """Add or overwrite tags."""
        shown = (
            [{"tagKey": k, "tagValue": v} for k, v in tags.items()]
            if isinstance(tags, Mapping)
            else tags
        )
        self._call(
            "TagResource",
            self._key(key_id),
            {"keyId": key_id, "tags": shown},
            lambda: self._service.tag_resource(key_id, tags),
            _with_request_tags(context, tags),
        )

    def untag_resource(
        self, key_id: str, tag_keys: Sequence[str], *, context: RequestContext | None = None
    ) -> None:
        """Remove tags by key."""
        self._call(
            "UntagResource",
            self._key(key_id),
            {"keyId": key_id, "tagKeys": tag_keys},
            lambda: self._service.untag_resource(key_id, tag_keys),
            context,
        )

    def list_resource_tags(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> dict[str, str]:
        """The key's tags."""
        return self._call(
            "ListResourceTags",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.list_resource_tags(key_id),
            context,
        )

    # ----------------------------------------------------------------- cryptography

    def generate_data_key(
        self,
        key_id: str,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_spec: str | None = None,
        number_of_bytes: int | None = None,
        context: RequestContext | None = None,
    ) -> DataKey:
        """A fresh data key (``AES_256`` unless told): plaintext + blob + key ARN."""
        return self._call(
            "GenerateDataKey",
            self._key(key_id),
            _data_key_params(key_id, encryption_context, key_spec, number_of_bytes),
            lambda: self._service.generate_data_key(
                key_id,
                encryption_context=encryption_context,
                key_spec=key_spec,
                number_of_bytes=number_of_bytes,
            ),
            _with_context_keys(context, encryption_context),
        )

    def generate_data_key_without_plaintext(
        self,
        key_id: str,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_spec: str | None = None,
        number_of_bytes: int | None = None,
        context: RequestContext | None = None,
    ) -> EncryptedDataKey:
        """A fresh data key returned only encrypted."""
        return self._call(
            "GenerateDataKeyWithoutPlaintext",
            self._key(key_id),
            _data_key_params(key_id, encryption_context, key_spec, number_of_bytes),
            lambda: self._service.generate_data_key_without_plaintext(
                key_id,
                encryption_context=encryption_context,
                key_spec=key_spec,
                number_of_bytes=number_of_bytes,
            ),
            _with_context_keys(context, encryption_context),
        )

    def encrypt(
        self,
        key_id: str,
        plaintext: bytes,
        *,
        encryption_context: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> EncryptResult:
        """Encrypt 1-4096 bytes; decrypting needs the same encryption context."""
        params: dict[str, Any] = {"keyId": key_id, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if encryption_context is not None:
            params["encryptionContext"] = encryption_context
        return self._call(
            "Encrypt",
            self._key(key_id),
            params,
            lambda: self._service.encrypt(key_id, plaintext, encryption_context=encryption_context),
            _with_context_keys(context, encryption_context),
        )

    def _blob_arn(self, blob: object, key_id: object) -> str:
        if key_id is not None:
            return self._key(key_id)
        claimed = peek_key_id(blob)
        return self._service.key_arn(claimed if claimed is not None else "*")

    def decrypt(
        self,
        ciphertext_blob: bytes,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> DecryptResult:
        """Decrypt a blob (the key is named inside it); the context must match exactly."""
        params: dict[str, Any] = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if key_id is not None:
            params["keyId"] = key_id
        if encryption_context is not None:
            params["encryptionContext"] = encryption_context
        return self._call(
            "Decrypt",
            self._blob_arn(ciphertext_blob, key_id),
            params,
            lambda: self._service.decrypt(
                ciphertext_blob, encryption_context=encryption_context, key_id=key_id
            ),
            _with_context_keys(context, encryption_context),
        )

    def re_encrypt(
        self,
        ciphertext_blob: bytes,
        destination_key_id: str,
        *,
        source_encryption_context: Mapping[str, str] | None = None,
        destination_encryption_context: Mapping[str, str] | None = None,
        source_key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> ReEncryptResult:
        """Move a ciphertext to another key (or context) without exposing its plaintext.

        The gate authorizes the source key (the one whose material decrypts); the destination
        key is recorded in the request parameters.
        """
        params: dict[str, Any] = {
            "destinationKeyId": destination_key_id,
            "sourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "destinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        }
        if source_key_id is not None:
            params["sourceKeyId"] = source_key_id
        if source_encryption_context is not None:
            params["sourceEncryptionContext"] = source_encryption_context
        if destination_encryption_context is not None:
            params["destinationEncryptionContext"] = destination_encryption_context
        return self._call(
            "ReEncrypt",
            self._blob_arn(ciphertext_blob, source_key_id),
            params,
            lambda: self._service.re_encrypt(
                ciphertext_blob,
                destination_key_id,
                source_encryption_context=source_encryption_context,
                destination_encryption_context=destination_encryption_context,
                source_key_id=source_key_id,
            ),
            _with_context_keys(context, source_encryption_context),
        )

    # ----------------------------------------------------------------- signing

    @staticmethod
    def _signing_params(
        key_id: object, message_type: object, signing_algorithm: object
    ) -> dict[str, Any]:
        return {
            "keyId": key_id,
            "messageType": message_type,
            "signingAlgorithm": signing_algorithm,
        }

    def sign(
        self,
        key_id: str,
        message: bytes,
        *,
        signing_algorithm: str,
        message_type: str = "RAW",
        context: RequestContext | None = None,
    ) -> SignResult:
        """Sign up to 4096 bytes (``message_type="RAW"``) or a digest (``"DIGEST"``).

        ``signing_algorithm`` is one of the key's ``signing_algorithms`` (``ECDSA_SHA_256`` for
        an ``ECC_NIST_P256`` key, ``ED25519_SHA_512`` for ``ECC_NIST_EDWARDS25519`` …). Policies
        see ``kms:SigningAlgorithm`` and ``kms:MessageType``.
        """
        return self._call(
            "Sign",
            self._key(key_id),
            self._signing_params(key_id, message_type, signing_algorithm),
            lambda: self._service.sign(
                key_id, message, signing_algorithm=signing_algorithm, message_type=message_type
            ),
            _with_condition_values(
                context,
                {"kms:SigningAlgorithm": signing_algorithm, "kms:MessageType": message_type},
            ),
        )

    def verify(
        self,
        key_id: str,
        message: bytes,
        signature: bytes,
        *,
        signing_algorithm: str,
        message_type: str = "RAW",
        context: RequestContext | None = None,
    ) -> VerifyResult:
        """Check a signature made by the key; raises ``InvalidSignature`` when it does not verify.

        As KMS's Verify, a valid signature returns ``signature_valid=True`` and anything else
        is an error (``KMSInvalidSignatureException``), recorded in the audit trail.
        """
        return self._call(
            "Verify",
            self._key(key_id),
            self._signing_params(key_id, message_type, signing_algorithm),
            lambda: self._service.verify(
                key_id,
                message,
                signature,
                signing_algorithm=signing_algorithm,
                message_type=message_type,
            ),
            _with_condition_values(
                context,
                {"kms:SigningAlgorithm": signing_algorithm, "kms:MessageType": message_type},
            ),
        )

    def get_public_key(
        self, key_id: str, *, context: RequestContext | None = None
    ) -> PublicKeyResult:
        """The public key of a signing key (DER ``SubjectPublicKeyInfo``; ``.pem`` for PEM)."""
        return self._call(
            "GetPublicKey",
            self._key(key_id),
            {"keyId": key_id},
            lambda: self._service.get_public_key(key_id),
            context,
        )

    # ----------------------------------------------------------------- maintenance

    def run_maintenance(self, *, context: RequestContext | None = None) -> MaintenanceReport:
        """Rotate keys whose rotation date has come and delete keys whose deletion date passed.

        Each rotation and deletion is its own gate call (``kms:RotateKey``/``kms:DeleteKey``),
        recorded as invoked by ``kms.amazonaws.com`` like KMS's own service events. Run it from a
        scheduler (``bastion keys maintain``); it is safe to run at any time and repeatedly.
        """
        ctx = context or RequestContext(invoked_by=MAINTENANCE_CALLER, event_type="AwsServiceEvent")
        rotated: list[Arn] = []
        deleted: list[Arn] = []
        for key_id in self._service.due_rotations():
            arn = self._service.key_arn(key_id)
            if self._call(
                "RotateKey",
                arn,
                {"keyId": arn},
                partial(self._service.rotate_if_due, key_id),
                ctx,
            ):
                rotated.append(arn)
        for key_id in self._service.due_deletions():
            arn = self._service.key_arn(key_id)
            if self._call(
                "DeleteKey",
                arn,
                {"keyId": arn},
                partial(self._service.delete_if_due, key_id),
                ctx,
            ):
                deleted.append(arn)
        return MaintenanceReport(rotated=tuple(rotated), deleted=tuple(deleted))
