"""`bastion endpoints …`: endpoint configs, deployments, rollback and invocations.

A config names its variants as ``--variant NAME=GROUP:VERSION[:WEIGHT]`` (repeatable); ``invoke``
sends a CSV or JSON file (or ``--body``) and prints the model's answer.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli._common import JsonOption, emit, session
from bastion.errors import Invalid
from bastion.serving import DataCaptureConfig, Endpoint, ProductionVariant

app = typer.Typer(
    help="Endpoints: configs (variants, capture), deploy, update, rollback, invoke.",
    no_args_is_help=True,
)

ENDPOINT_COLUMNS = ["name", "status", "config_name", "previous_config_name", "weights"]
NameArg = typer.Argument(..., help="Endpoint name, e.g. fraud")


def _variant(text: str) -> ProductionVariant:
    name, sep, target = text.partition("=")
    parts = target.split(":")
    if not sep or len(parts) not in (2, 3) or not parts[1].isdigit():
        raise Invalid(
            "variant", got=text, expected="NAME=GROUP:VERSION[:WEIGHT], e.g. A=fraud:3:0.5"
        )
    try:
        weight = float(parts[2]) if len(parts) == 3 else 1.0
    except ValueError:
        raise Invalid("variant", got=text, expected="a number as WEIGHT") from None
    return ProductionVariant(
        variant_name=name, model_group=parts[0], model_version=int(parts[1]), initial_weight=weight
    )


def _summary(e: Endpoint) -> dict[str, object]:
    return {
        "name": e.name,
        "arn": e.arn,
        "status": e.status.value,
        "config_name": e.config_name,
        "previous_config_name": e.previous_config_name,
        "weights": e.weights,
    }


@app.command("create-config")
def create_config(
    name: str = typer.Argument(..., help="Config name, e.g. fraud-v1"),
    variant: list[str] = typer.Option(..., "--variant", help="NAME=GROUP:VERSION[:WEIGHT]"),
    capture: str | None = typer.Option(
        None, "--capture", help="s3://bucket/prefix to capture requests and responses into"
    ),
    sampling: int = typer.Option(100, "--sampling", help="Capture sampling percentage."),
    as_json: bool = JsonOption,
) -> None:
    """Create an endpoint config.

    Example: bastion endpoints create-config fraud-v1 --variant AllTraffic=fraud:1
    --capture s3://fraud-capture/fraud
    """
    with session() as client:
        config = client.endpoints.create_endpoint_config(
            name,
            variants=[_variant(v) for v in variant],
            data_capture=None
            if capture is None
            else DataCaptureConfig(
                destination_s3_uri=capture, initial_sampling_percentage=sampling
            ),
        )
    emit(
        {
            "name": config.name,
            "arn": config.arn,
            "variants": [v.to_dict() for v in config.variants],
        },
        as_json=as_json,
        title="endpoint config created",
    )


@app.command()
def create(
    name: str = NameArg,
    config: str = typer.Option(..., "--config", help="Endpoint config to deploy."),
    as_json: bool = JsonOption,
) -> None:
    """Deploy an endpoint (Approved versions only, unless you may override).

    Example: bastion endpoints create fraud --config fraud-v1
    """
    with session() as client:
        made = client.endpoints.create_endpoint(name, config_name=config)
    emit(_summary(made), as_json=as_json, columns=ENDPOINT_COLUMNS, title="endpoint created")


@app.command()
def update(
    name: str = NameArg,
    config: str = typer.Option(..., "--config", help="New endpoint config."),
    as_json: bool = JsonOption,
) -> None:
    """Switch an endpoint to a new config (the current one is kept for rollback).

    Example: bastion endpoints update fraud --config fraud-v2
    """
    with session() as client:
        done = client.endpoints.update_endpoint(name, config_name=config)
    emit(_summary(done), as_json=as_json, columns=ENDPOINT_COLUMNS, title="endpoint updated")


@app.command()
def rollback(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """Go back to the previous config.

    Example: bastion endpoints rollback fraud
    """
    with session() as client:
        done = client.endpoints.rollback_endpoint(name)
    emit(_summary(done), as_json=as_json, columns=ENDPOINT_COLUMNS, title="rolled back")


@app.command("list")
def list_endpoints(as_json: bool = JsonOption) -> None:
    """List endpoints.

    Example: bastion endpoints list
    """
    with session() as client:
        found = client.endpoints.list_endpoints()
    emit([_summary(e) for e in found], as_json=as_json, columns=ENDPOINT_COLUMNS, title="endpoints")


@app.command()
def describe(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """Describe an endpoint.

    Example: bastion endpoints describe fraud --json
    """
    with session() as client:
        found = client.endpoints.describe_endpoint(name)
    emit(_summary(found), as_json=as_json, columns=ENDPOINT_COLUMNS, title=name)


@app.command()
def delete(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """Delete an endpoint (its configs stay).

    Example: bastion endpoints delete fraud
    """
    with session() as client:
        client.endpoints.delete_endpoint(name)
    emit({"name": name, "deleted": True}, as_json=as_json, title="endpoint deleted")


@app.command()
def invoke(
    name: str = NameArg,
    file: Path | None = typer.Argument(None, exists=True, dir_okay=False, help="CSV/JSON body."),
    body: str | None = typer.Option(None, "--body", help="The body as text instead of a file."),
    content_type: str = typer.Option(
        "text/csv", "--content-type", help="text/csv or application/json"
    ),
    accept: str | None = typer.Option(None, "--accept", help="text/csv or application/json"),
    variant: str | None = typer.Option(None, "--variant", help="Target-Variant."),
    as_json: bool = JsonOption,
) -> None:
    """Send one request to an endpoint and print the model's answer.

    Example: bastion endpoints invoke fraud --body "16100,13.99,35000,0"
    """
    if (file is None) == (body is None):
        raise typer.BadParameter("give a FILE or --body, not both")
    data = file.read_bytes() if file is not None else str(body).encode()
    with session() as client:
        answer = client.endpoints.invoke_endpoint(
            name, data, content_type=content_type, accept=accept, target_variant=variant
        )
    emit(
        {
            "variant": answer.variant,
            "inference_id": answer.inference_id,
            "content_type": answer.content_type,
            "body": answer.body.decode(),
        },
        as_json=as_json,
        title=name,
    )
