"""A version's files: prepared in a private folder, signed, stored encrypted, verified on load.

This is where the registry meets the safe flavors (``registry/flavors``), the manifest signer
(``registry/_signing``), the key service (the signing key) and the store (the registry bucket).
Every key and store call is made as the registry's caller, so it is authorized and audited too.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion.errors import Conflict, Invalid, NotFound
from bastion.gate import RequestContext
from bastion.keys import KeysClient
from bastion.registry import flavors
from bastion.registry._models import ArtifactFile, ModelPackage
from bastion.registry._signing import (
    SignedManifest,
    build_manifest,
    sign_manifest,
    verify_directory,
)
from bastion.settings import Settings
from bastion.store import StoreClient

LoadedModel = flavors.LoadedModel
SIGNING_KEY_SPEC = "ECC_NIST_P256"


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A model folder ready to sign: its flavor and the model loaded from it (for outputs)."""

    flavor: str
    framework_version: str
    loaded: LoadedModel


@dataclass(frozen=True, kw_only=True)
class Signed:
    """A signed manifest as the registry stores it."""

    files: tuple[ArtifactFile, ...]
    document: dict[str, Any]
    sha256: str
    key_arn: str


class Artifacts:
    """Prepare, sign, upload, download-and-verify, and remove version files."""

    def __init__(self, *, settings: Settings, keys: KeysClient, store: StoreClient) -> None:
        self.settings = settings
        self.keys = keys
        self.store = store

    # ----------------------------------------------------------------------------- register

    def prepare(
        self,
        folder: Path,
        *,
        model: object | None,
        path: str | Path | None,
        trusted: frozenset[str],
        context: RequestContext,
    ) -> Prepared:
        """Fill ``folder`` with the model's files and load it back through its flavor."""
        folder.mkdir(parents=True)
        if model is not None:
            flavors.save_model(model, folder)
        elif str(path).startswith("s3://"):
            self._download(str(path), folder, context)
        else:
            _copy_in(Path(str(path)), folder)
        total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        limit = self.settings.registry.max_artifact_bytes
        if total > limit:
            raise Invalid(
                "path",
                got=f"{total} bytes",
                expected=f"at most {limit} bytes (settings.registry.max_artifact_bytes)",
                operation="CreateModelPackage",
            )
        loaded = flavors.load_model(
            folder,
            trusted_sha256=trusted,
            trusted_types=self.settings.registry.trusted_skops_types,
        )
        return Prepared(
            flavor=loaded.flavor, framework_version=loaded.framework_version, loaded=loaded
        )

    def sign(self, folder: Path, *, context: RequestContext) -> Signed:
        """Hash every file and sign the manifest with the registry's signing key."""
        key_arn = self._signing_key(context)
        signed = sign_manifest(build_manifest(folder), keys=self.keys, key_id=key_arn)
        return Signed(
            files=tuple(
                ArtifactFile(path=f.path, sha256=f.sha256, size=f.size) for f in signed.files
            ),
            document=signed.to_dict(),
            sha256=signed.sha256,
            key_arn=key_arn,
        )

    def upload(self, folder: Path, prefix: str, *, context: RequestContext) -> str:
        """Put every file encrypted under ``prefix`` of the registry bucket; returns its URI."""
        bucket = self._bucket(context)
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = file.relative_to(folder).as_posix()
            self.store.put_object(bucket, f"{prefix}/{rel}", file, context=context)
        return f"s3://{bucket}/{prefix}/"

    # ----------------------------------------------------------------------------- load

    def load(
        self,
        package: ModelPackage,
        signed: dict[str, Any],
        *,
        trusted: frozenset[str],
        context: RequestContext,
    ) -> LoadedModel:
        """Download the version's files, verify them against the signed manifest, load them."""
        manifest = SignedManifest.from_dict(signed)
        with tempfile.TemporaryDirectory(prefix="bastion-load-") as tmp:
            folder = Path(tmp) / "model"
            folder.mkdir()
            self._download(package.artifact_uri, folder, context)
            verify_directory(
                folder, manifest, keys=self.keys, key_id=self.settings.registry.signing_key_alias
            )
            return flavors.load_model(
                folder,
                trusted_sha256=trusted,
                trusted_types=self.settings.registry.trusted_skops_types,
            )

    def _download(self, uri: str, folder: Path, context: RequestContext) -> None:
        """Every object under the ``s3://bucket/prefix`` URI into ``folder`` (decrypted)."""
        bucket, prefix = _split(uri)
        keys = self._keys(bucket, prefix, context)
        if not keys:
            raise Invalid(
                "ModelDataUrl", got=uri, expected="an s3://bucket/prefix/ holding the model files"
            )
        for key in keys:
            rel = key[len(prefix) :].lstrip("/") or key.rpartition("/")[2]
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            self.store.download_object(bucket, key, target, context=context)

    def _keys(self, bucket: str, prefix: str, context: RequestContext) -> list[str]:
        """Every stored key under ``prefix`` (extra files must be seen, not skipped)."""
        keys: list[str] = []
        token: str | None = None
        while True:
            page = self.store.list_objects(
                bucket, prefix=prefix, continuation_token=token, context=context
            )
            keys += [o.key for o in page.objects]
            if not page.is_truncated:
                return keys
            token = page.next_continuation_token

    def remove(self, package: ModelPackage, *, context: RequestContext) -> None:
        """Delete a version's stored files."""
        bucket, prefix = _split(package.artifact_uri)
        for file in package.files:
            try:
                self.store.delete_object(bucket, f"{prefix}{file.path}", context=context)
            except NotFound:
                continue

    # ----------------------------------------------------------------------------- keys/bucket

    def _signing_key(self, context: RequestContext) -> str:
        return self._aliased_key(
            self.settings.registry.signing_key_alias,
            "Bastion model registry: signs version manifests",
            context,
            key_usage="SIGN_VERIFY",
            key_spec=SIGNING_KEY_SPEC,
        )

    def _bucket(self, context: RequestContext) -> str:
        bucket = self.settings.registry.bucket
        try:
            self.store.head_bucket(bucket, context=context)
        except NotFound:
            key_alias = self.settings.registry.key_alias
            self._aliased_key(
                key_alias, "Bastion model registry: encrypts model artifacts", context
            )
            with contextlib.suppress(Conflict):  # made meanwhile by another registration
                self.store.create_bucket(bucket, default_key_id=key_alias, context=context)
        return bucket

    def _aliased_key(
        self,
        alias: str,
        description: str,
        context: RequestContext,
        *,
        key_usage: str = "ENCRYPT_DECRYPT",
        key_spec: str = "SYMMETRIC_DEFAULT",
    ) -> str:
        """The ARN of the key ``alias`` names, made on first use; when two registrations race,
        the loser schedules its own key for deletion and uses the winner's."""
        try:
            return str(self.keys.describe_key(alias, context=context).arn)
        except NotFound:
            key = self.keys.create_key(
                description=description, key_usage=key_usage, key_spec=key_spec, context=context
            )
            try:
                self.keys.create_alias(alias, key.key_id, context=context)
            except Conflict:
                self.keys.schedule_key_deletion(
                    key.key_id, pending_window_in_days=7, context=context
                )
                return str(self.keys.describe_key(alias, context=context).arn)
            return str(key.arn)


def _copy_in(source: Path, folder: Path) -> None:
    if source.is_symlink():
        raise Invalid("path", got=str(source), expected="a regular file or folder, not a symlink")
    if source.is_file():
        shutil.copy2(source, folder / source.name)
        return
    if not source.is_dir():
        raise Invalid("path", got=str(source), expected="an existing model file or folder")
    for item in source.rglob("*"):
        if item.is_symlink():
            raise Invalid(
                "path",
                got=str(item),
                expected="a model folder without symlinks (copy the files they point to)",
            )
    shutil.copytree(source, folder, dirs_exist_ok=True)


def _split(uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix
