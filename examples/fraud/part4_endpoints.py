"""Demo part 4: deploy the approved fraud model, invoke it as seed 003's role, show bad requests
refused with the field named, a roll-back in one call, and the audit trail of invocations."""

from __future__ import annotations

import json
from typing import Any

from _story import Story, expect, expect_error

import bastion
from bastion.errors import AccessDenied, Invalid
from bastion.serving import DataCaptureConfig, ProductionVariant
from bastion.settings import Settings

GROUP = "fraud-detector"


def run(story: Story, settings: Settings, owner: Any, registry_state: dict[str, Any]) -> None:
    version = registry_state["version"]
    rows = registry_state["x_test"].head(5)

    def deploy() -> str:
        owner.store.create_bucket("fraud-capture", default_key_id="alias/fraud-data")
        owner.endpoints.create_endpoint_config(
            "fraud-v1",
            data_capture=DataCaptureConfig(
                destination_s3_uri="s3://fraud-capture/datacapture", initial_sampling_percentage=100
            ),
            variants=[
                ProductionVariant(
                    variant_name="AllTraffic", model_group=GROUP, model_version=version.version
                )
            ],
        )
        endpoint = owner.endpoints.create_endpoint("fraud", config_name="fraud-v1")
        return (
            f"{endpoint.arn}: {endpoint.status.value} "
            f"(config fraud-v1, v{version.version} verified and loaded)"
        )

    story.step("deploy the approved model to endpoint 'fraud'", deploy)

    def invoke() -> str:
        owner.access.create_user("fraud-client")
        owner.access.put_user_policy(
            "fraud-client",
            "invoke-only",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"},
                    {"Effect": "Deny", "Action": "sagemaker:DeleteEndpoint", "Resource": "*"},
                ],
            },
        )
        token = owner.access.create_api_token(user_name="fraud-client").token
        with bastion.connect(settings=settings, token=token) as app:
            csv_body = rows.to_csv(header=False, index=False).encode()
            answer = app.endpoints.invoke_endpoint("fraud", csv_body, content_type="text/csv")
            as_json = app.endpoints.invoke_endpoint(
                "fraud",
                json.dumps({"instances": rows.to_dict(orient="records")}).encode(),
                content_type="application/json",
                inference_id="demo-1",
            )
            bad = expect_error(
                lambda: app.endpoints.invoke_endpoint("fraud", b"1,2,3", content_type="text/csv"),
                Invalid,
            )
            worse = expect_error(
                lambda: app.endpoints.invoke_endpoint(
                    "fraud", csv_body.replace(b",", b",x", 1), content_type="text/csv"
                ),
                Invalid,
            )
            expect_error(lambda: app.endpoints.delete_endpoint("fraud"), AccessDenied)
        scores = [line.split(",")[-1][:6] for line in answer.body.decode().split()]
        expect(len(scores) == len(rows), "the endpoint did not score every row")
        return (
            f"text/csv, {len(rows)} rows -> variant {answer.variant}, P(default) {scores}\n"
            f"application/json (SageMaker 'instances') -> {as_json.body[:60].decode()}…\n"
            f"3 columns instead of {rows.shape[1]} -> 400 {bad.message[:100]}…\n"
            f"text in a numeric feature -> 400 {worse.message[:100]}…\n"
            f"DeleteEndpoint as the client -> denied"
        )

    story.step("invoke as an invoke-only client; bad requests name the field", invoke)

    def captured() -> str:
        owner.endpoints.capture.ship()
        listing = owner.store.list_objects("fraud-capture", prefix="datacapture/fraud/")
        expect(bool(listing.objects), "no capture part was written")
        part = listing.objects[0].key
        records = [
            json.loads(line)
            for o in listing.objects
            for line in owner.store.get_object("fraud-capture", o.key).splitlines()
        ]
        first = records[0]
        expect(len(records) >= 2, "not every successful invocation was captured")
        at_rest = b"".join(
            p.read_bytes() for p in (settings.home / "store").rglob("*") if p.is_file()
        )
        sample = first["captureData"]["endpointInput"]["data"][:20].encode()
        expect(sample not in at_rest, "a capture record is readable at rest")
        return (
            f"{len(records)} records (every successful invocation) in "
            f"{len(listing.objects)} hourly part(s): "
            f"s3://fraud-capture/{part}\n"
            f"one record holds request and response: "
            f"{sorted(first['captureData'])}, inferenceId "
            f"{first['eventMetadata'].get('inferenceId')}; ciphertext at rest"
        )

    story.step("every invocation captured (100 %), encrypted, SageMaker's layout", captured)

    def rollback() -> str:
        second = owner.registry.register_model(
            GROUP,
            model=registry_state["model"].booster_,
            training_data=registry_state["x_train"],
            metrics={"auc": registry_state["auc"]},
            description="retrained",
        )
        owner.registry.approve(GROUP, second.version, reason="retrained on the same data")
        owner.endpoints.create_endpoint_config(
            "fraud-v2",
            variants=[
                ProductionVariant(
                    variant_name="AllTraffic", model_group=GROUP, model_version=second.version
                )
            ],
        )
        owner.endpoints.update_endpoint("fraud", config_name="fraud-v2")
        back = owner.endpoints.rollback_endpoint("fraud")
        expect(back.config_name == "fraud-v1", "rollback did not restore fraud-v1")
        invocations = owner.audit.lookup(event_name="InvokeEndpoint", max_results=50).events
        return (
            f"update to fraud-v2 (v{second.version}), then rollback in one call "
            f"-> {back.config_name}\n"
            f"InvokeEndpoint calls in the audit trail (data events): {len(invocations)}"
        )

    story.step("update and roll back in one call; invocations are audited", rollback)
