"""Demo part 3: train the fraud model, register it signed and encrypted, refuse a tampered file
and a raw pickle, approve it as a reviewer, render its model card and its lineage."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import lightgbm as lgb
import pandas as pd
from _story import Story, expect, expect_error
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import bastion
from bastion.errors import AccessDenied, SignatureMismatch, UnsafeModelFormat
from bastion.registry.lineage import mermaid_graph
from bastion.settings import Settings

GROUP = "fraud-detector"
FEATURES = [
    "funded_amnt",
    "int_rate",
    "annual_inc",
    "delinq_2yrs",
    "inq_last_6mths",
    "revol_util",
    "open_il_6m",
    "total_bal_il",
    "all_util",
    "inq_last_12m",
]
DATA_URI = "s3://fraud-data/raw/lending_club.csv"


def run(story: Story, settings: Settings, owner: Any, workdir: Path) -> dict[str, Any]:
    """Returns what later parts need: the training features and the approved version."""
    state: dict[str, Any] = {}

    def train() -> str:
        raw = owner.store.get_object("fraud-data", "raw/lending_club.csv")
        frame = pd.read_csv(io.BytesIO(raw), usecols=[*FEATURES, "label"])
        x_train, x_test, y_train, y_test = train_test_split(
            frame[FEATURES], frame["label"], test_size=0.25, random_state=7, stratify=frame["label"]
        )
        model = lgb.LGBMClassifier(n_estimators=120, learning_rate=0.08, num_leaves=31, verbose=-1)
        model.fit(x_train, y_train)
        auc = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
        state.update(model=model, x_train=x_train, x_test=x_test, auc=auc)
        return (
            f"LightGBM on {len(x_train):,} loans read back from the encrypted store "
            f"({len(FEATURES)} features); holdout AUC {auc:.3f}"
        )

    story.step("train the fraud model (LightGBM) on the encrypted dataset", train)

    def register() -> str:
        owner.registry.create_model_package_group(GROUP, description="Lending fraud/default risk")
        version = owner.registry.register_model(
            GROUP,
            model=state["model"].booster_,
            training_data=state["x_train"],
            training_data_uris=[DATA_URI],
            metrics={"auc": state["auc"]},
            description="LightGBM, 120 trees",
        )
        state["version"] = version
        sig = version.signature.inputs
        return (
            f"{version.arn} — {version.approval_status.value}\n"
            f"  flavor {version.flavor}, files {[f.path for f in version.files]}, "
            f"manifest {version.manifest_sha256[:16]}… signed by {version.signing_key_arn}\n"
            f"  signature: {len(sig)} inputs, e.g. {sig[1].name} {sig[1].type.value} "
            f"[{sig[1].minimum:g}, {sig[1].maximum:g}]; outputs {len(version.signature.outputs)}"
        )

    story.step("register it: encrypted, signed, signature inferred", register)

    def tamper() -> str:
        version = state["version"]
        bucket, _, prefix = version.artifact_uri.removeprefix("s3://").partition("/")
        victim = version.files[0].path
        original = owner.store.get_object(bucket, prefix + victim)
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        owner.store.put_object(bucket, prefix + victim, bytes(changed))
        refused = expect_error(
            lambda: owner.registry.load_model(GROUP, version.version), SignatureMismatch
        )
        owner.store.put_object(bucket, prefix + victim, original)
        owner.registry.load_model(GROUP, version.version)
        pickled = workdir / "model.bin"
        pickled.write_bytes(pickle.dumps(state["model"]))
        unsafe = expect_error(
            lambda: owner.registry.register_model(
                GROUP, path=pickled, training_data=state["x_train"]
            ),
            UnsafeModelFormat,
        )
        return (
            f"one byte changed in {victim} -> refused: {refused.message}\n"
            f"original restored -> loads again\n"
            f"a raw pickle -> refused: {unsafe.message[:160]}…"
        )

    story.step("a tampered artifact and a raw pickle are refused", tamper)

    def approve() -> str:
        version = state["version"]
        owner.access.create_user("data-scientist")
        owner.access.put_user_policy(
            "data-scientist",
            "build",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["sagemaker:*ModelPackage*"], "Resource": "*"},
                    {
                        "Effect": "Deny",
                        "Action": "sagemaker:UpdateModelPackage",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}
                        },
                    },
                ],
            },
        )
        owner.access.create_user("model-reviewer")
        owner.access.put_user_policy(
            "model-reviewer",
            "review",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["sagemaker:UpdateModelPackage", "sagemaker:Describe*"],
                        "Resource": "*",
                    },
                ],
            },
        )
        scientist = owner.access.create_api_token(user_name="data-scientist").token
        reviewer = owner.access.create_api_token(user_name="model-reviewer").token
        with bastion.connect(settings=settings, token=scientist) as ds:
            denied = expect_error(
                lambda: ds.registry.approve(GROUP, version.version, reason="mine"), AccessDenied
            )
        with bastion.connect(settings=settings, token=reviewer) as rv:
            done = rv.registry.approve(GROUP, version.version, reason="AUC above floor; reviewed")
        expect(done.approval_status.value == "Approved", "the reviewer could not approve")
        return (
            f"data-scientist approving its own model -> denied ({denied.message[:90]}…)\n"
            f"model-reviewer -> {done.approval_status.value} by {done.approval_by}"
        )

    story.step("approve as a reviewer (the author may not)", approve)

    def card_and_lineage() -> str:
        version = state["version"]
        card = owner.cards.create_model_card(
            "fraud-detector-card",
            model_package_arn=version.arn,
            content={
                "intended_uses": {
                    "purpose_of_model": "Flag risky loan applications for review",
                    "risk_rating": "Medium",
                }
            },
        )
        export = owner.cards.export_model_card(card.name, format="html")
        html_path = workdir / "fraud-detector-card.html"
        html_path.write_text(export.text)
        expect("<script src=" not in export.text, "the card's HTML pulls remote scripts")
        [package] = owner.lineage.list_artifacts(source_uri=version.arn).entities
        upstream = owner.lineage.upstream(package.arn)
        sources = {v.entity.source_uri for v in upstream.vertices}
        expect(DATA_URI in sources, "lineage lost the training dataset")
        graph = mermaid_graph(upstream)
        (workdir / "fraud-detector-lineage.mmd").write_text(graph)
        return (
            f"model card {card.name} v{card.version} ({card.status.value}) -> {html_path.name} "
            f"({len(export.text):,} bytes, self-contained HTML)\n"
            f"lineage upstream of v{version.version}: {len(upstream.vertices)} entities, "
            f"incl. {DATA_URI}\n{graph}"
        )

    story.step("model card and lineage graph", card_and_lineage)
    return state
