"""`bastion models …`: the model registry (one SDK call per command).

Versions are named ``GROUP --version N``; ``load`` without ``--version`` takes the newest
Approved version. ``register`` reads the training features from a CSV or Parquet file to infer the
signature (``--label`` names the target column to leave out).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from bastion.cli._common import JsonOption, emit, parse_pairs, session
from bastion.errors import Invalid
from bastion.registry import ApprovalStatus, ModelPackage

app = typer.Typer(
    help="Model registry: groups, signed versions, approval, safe loading, trust decisions.",
    no_args_is_help=True,
)

GROUP_COLUMNS = ["name", "versions", "description", "created_by", "created_at"]
PACKAGE_COLUMNS = ["version", "flavor", "approval_status", "approval_by", "metrics", "created_at"]
HISTORY_COLUMNS = ["from_status", "to_status", "by", "at", "reason"]
TRUST_COLUMNS = ["sha256", "artifact_format", "decided_by", "decided_at", "reason"]

GroupArg = typer.Argument(..., help="Model package group, e.g. fraud-detector")
VersionOption = typer.Option(..., "--version", "-v", help="Version number (1, 2, …).")
ReasonOption = typer.Option(..., "--reason", help="Why (kept in the approval history and audit).")


def _summary(package: ModelPackage) -> dict[str, object]:
    return {
        "group": package.group,
        "version": package.version,
        "arn": package.arn,
        "flavor": package.flavor,
        "approval_status": package.approval_status.value,
        "approval_by": package.approval_by,
        "metrics": package.metrics,
        "manifest_sha256": package.manifest_sha256,
        "created_at": package.created_at,
    }


def read_table(path: Path, *, label: str | None = None) -> pd.DataFrame:
    """A CSV (optionally gzipped) or Parquet file as a DataFrame, without the ``label`` column."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        frame = pd.read_parquet(path)
    elif name.endswith((".csv", ".csv.gz")):
        frame = pd.read_csv(path)
    else:
        raise Invalid("training-data", got=str(path), expected="a .csv, .csv.gz or .parquet file")
    if label is not None:
        if label not in frame.columns:
            raise Invalid("label", got=label, expected=f"a column of {path.name}")
        frame = frame.drop(columns=[label])
    return frame


@app.command("create-group")
def create_group(
    group: str = GroupArg,
    description: str = typer.Option("", "--description", help="What the model is for."),
    tag: list[str] | None = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Create a model package group.

    Example: bastion models create-group fraud-detector --description "card fraud" --tag team=risk
    """
    with session() as client:
        made = client.registry.create_model_package_group(
            group, description=description, tags=parse_pairs(tag, field="tag") or None
        )
    emit(made, as_json=as_json, columns=GROUP_COLUMNS, title="group created")


@app.command("groups")
def groups(as_json: bool = JsonOption) -> None:
    """List model package groups.

    Example: bastion models groups --json
    """
    with session() as client:
        found = client.registry.list_model_package_groups()
    emit(found, as_json=as_json, columns=GROUP_COLUMNS, title="model package groups")


@app.command()
def register(
    group: str = GroupArg,
    path: Path = typer.Argument(
        ..., exists=True, help="Saved model: a .skops/.onnx/LightGBM/XGBoost file or folder."
    ),
    training_data: Path = typer.Option(
        ..., "--training-data", exists=True, dir_okay=False, help="CSV/Parquet of features."
    ),
    label: str | None = typer.Option(None, "--label", help="Target column to leave out."),
    data_uri: list[str] | None = typer.Option(
        None, "--data-uri", help="Where the training data lies (lineage), e.g. s3://b/train.csv"
    ),
    metric: list[str] | None = typer.Option(None, "--metric", help="NAME=NUMBER; repeatable."),
    description: str = typer.Option("", "--description", help="What changed in this version."),
    tag: list[str] | None = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Register a new version: stored encrypted, signed, signature inferred, PendingManualApproval.

    Example: bastion models register fraud-detector model.skops --training-data train.csv
    --label is_fraud --metric auc=0.91 --data-uri s3://fraud-data/train.csv
    """
    with session() as client:
        metrics: dict[str, float] = {}
        for name, value in parse_pairs(metric, field="metric").items():
            try:
                metrics[name] = float(value)
            except ValueError:
                raise Invalid(f"metric {name}", got=value, expected="a number") from None
        package = client.registry.register_model(
            group,
            path=path,
            training_data=read_table(training_data, label=label),
            training_data_uris=data_uri or (),
            metrics=metrics,
            description=description,
            tags=parse_pairs(tag, field="tag") or None,
        )
    emit(_summary(package), as_json=as_json, title="version registered")


@app.command("list")
def list_versions(
    group: str = GroupArg,
    status: ApprovalStatus | None = typer.Option(None, "--status", help="Only this status."),
    as_json: bool = JsonOption,
) -> None:
    """List a group's versions.

    Example: bastion models list fraud-detector --status Approved
    """
    with session() as client:
        found = client.registry.list_model_packages(group, approval_status=status)
    emit([_summary(p) for p in found], as_json=as_json, columns=PACKAGE_COLUMNS, title=group)


@app.command()
def describe(
    group: str = GroupArg, version: int = VersionOption, as_json: bool = JsonOption
) -> None:
    """Describe one version (files, signature, metrics, approval).

    Example: bastion models describe fraud-detector --version 1 --json
    """
    with session() as client:
        package = client.registry.describe_model_package(group, version)
    emit(package.describe(), as_json=as_json, title=f"{group} v{version}")


@app.command()
def approve(
    group: str = GroupArg,
    version: int = VersionOption,
    reason: str = ReasonOption,
    as_json: bool = JsonOption,
) -> None:
    """Approve a version for deployment (needs sagemaker:UpdateModelPackage).

    Example: bastion models approve fraud-detector --version 3 --reason "passed bias review"
    """
    with session() as client:
        package = client.registry.approve(group, version, reason=reason)
    emit(_summary(package), as_json=as_json, title="approved")


@app.command()
def reject(
    group: str = GroupArg,
    version: int = VersionOption,
    reason: str = ReasonOption,
    as_json: bool = JsonOption,
) -> None:
    """Reject a version.

    Example: bastion models reject fraud-detector --version 2 --reason "AUC below floor"
    """
    with session() as client:
        package = client.registry.reject(group, version, reason=reason)
    emit(_summary(package), as_json=as_json, title="rejected")


@app.command()
def history(
    group: str = GroupArg, version: int = VersionOption, as_json: bool = JsonOption
) -> None:
    """Every approval status a version had, who set it and why.

    Example: bastion models history fraud-detector --version 1
    """
    with session() as client:
        records = client.registry.approval_history(group, version)
    emit(records, as_json=as_json, columns=HISTORY_COLUMNS, title=f"{group} v{version}")


@app.command()
def delete(group: str = GroupArg, version: int = VersionOption, as_json: bool = JsonOption) -> None:
    """Delete a version that is not Approved, and its stored files.

    Example: bastion models delete fraud-detector --version 2
    """
    with session() as client:
        client.registry.delete_model_package(group, version)
    emit({"group": group, "version": version, "deleted": True}, as_json=as_json, title="deleted")


@app.command()
def load(
    group: str = GroupArg,
    version: int | None = typer.Option(None, "--version", "-v", help="Default: newest Approved."),
    predict: Path | None = typer.Option(
        None, "--predict", exists=True, dir_okay=False, help="CSV/Parquet of rows to score."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Verify a version's signature and hashes, load it, and optionally score rows.

    Example: bastion models load fraud-detector --predict new_rows.csv
    """
    with session() as client:
        model = client.registry.load_model(group, version)
        result: dict[str, object] = {"group": group, "flavor": model.flavor, "verified": True}
        if predict is not None:
            result["predictions"] = [
                _plain(v) for v in pd.DataFrame(model.predict(read_table(predict))).to_numpy()
            ]
    emit(result, as_json=as_json, title="loaded")


def _plain(row: object) -> object:
    values = list(row) if hasattr(row, "__iter__") else [row]
    out = [v.item() if hasattr(v, "item") else v for v in values]
    return out[0] if len(out) == 1 else out


@app.command()
def trust(
    sha256: str = typer.Argument(..., help="SHA-256 of the pickle-family file."),
    artifact_format: str = typer.Option(..., "--format", help="pickle, joblib, cloudpickle …"),
    reason: str = ReasonOption,
    as_json: bool = JsonOption,
) -> None:
    """Record that one unsafe (pickle-family) file may be loaded (needs
    bastion:TrustUnsafeModelFormat; audited).

    Example: bastion models trust 3f1c…e9 --format joblib --reason "legacy model, reviewed"
    """
    with session() as client:
        decision = client.registry.trust_unsafe_artifact(
            sha256, artifact_format=artifact_format, reason=reason
        )
    emit(decision, as_json=as_json, columns=TRUST_COLUMNS, title="trust recorded")


@app.command("trusted")
def trusted(as_json: bool = JsonOption) -> None:
    """List recorded trust decisions.

    Example: bastion models trusted
    """
    with session() as client:
        found = client.registry.list_trust_decisions()
    emit(found, as_json=as_json, columns=TRUST_COLUMNS, title="trust decisions")


@app.command()
def lineage(
    group: str = GroupArg,
    version: int = VersionOption,
    direction: str = typer.Option(
        "Ascendants", "--direction", help="Ascendants, Descendants or Both."
    ),
    depth: int | None = typer.Option(None, "--depth", help="How far (default: any depth)."),
    mermaid: bool = typer.Option(False, "--mermaid", help="Print a Mermaid graph instead."),
    as_json: bool = JsonOption,
) -> None:
    """What a version came from (datasets, jobs) or where it went (endpoints).

    Example: bastion models lineage fraud-detector --version 1 --mermaid
    """
    from bastion.registry.lineage import mermaid_graph

    with session() as client:
        package = client.registry.describe_model_package(group, version)
        found = client.lineage.list_artifacts(source_uri=package.arn).entities
        if not found:
            raise Invalid("version", got=version, expected="a version the lineage graph knows")
        result = client.lineage.query_lineage(found[0].arn, direction=direction, max_depth=depth)
    if mermaid:
        typer.echo(mermaid_graph(result))
        return
    rows = [
        {
            "depth": v.depth,
            "type": v.entity.lineage_type.value,
            "arn": v.arn,
            "source": v.entity.source_uri,
        }
        for v in result.vertices
    ]
    emit(
        rows,
        as_json=as_json,
        columns=["depth", "type", "source", "arn"],
        title=f"{group} v{version}",
    )


@app.command()
def card(
    group: str = GroupArg,
    version: int = VersionOption,
    out: Path = typer.Option(..., "--out", help="Where to write the card (.html or .md)."),
    as_json: bool = JsonOption,
) -> None:
    """Draft (or update) the version's model card from the registry and export it.

    Example: bastion models card fraud-detector --version 1 --out card.html
    """
    from bastion.errors import NotFound

    fmt = "markdown" if out.suffix.lower() == ".md" else "html"
    name = f"{group}-v{version}"
    with session() as client:
        package = client.registry.describe_model_package(group, version)
        try:
            made = client.cards.describe_model_card(name)
        except NotFound:
            made = client.cards.create_model_card(name, model_package_arn=package.arn)
        export = client.cards.export_model_card(name, format=fmt)
    out.write_text(export.text)
    emit(
        {
            "card": made.name,
            "version": made.version,
            "status": made.status.value,
            "written": str(out),
        },
        as_json=as_json,
        title="model card",
    )
