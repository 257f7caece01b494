"""`bastion monitor …`: baselines, batch checks, schedules, executions, reports, the scheduler.

Each command is one SDK call (``bastion.connect(...).monitor``). Data is a local path or an
``s3://bucket/prefix`` of the Bastion store; outputs go to the store (``--output s3://…``,
encrypted) and/or to local files (``--out-dir``, ``--report``). ``--json`` prints
machine-readable output instead of the Rich summary.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from bastion.cli._common import JsonOption, console, emit, parse_pairs, session, to_jsonable
from bastion.errors import Invalid

if TYPE_CHECKING:
    from bastion.monitor import Baseline, CheckJob, ExecutionSummary, MonitoringSchedule

app = typer.Typer(
    help="Data-quality monitoring: baseline, check (batch drift), schedule, executions, report, "
    "scheduler.",
    no_args_is_help=True,
)
schedule_app = typer.Typer(
    help="Monitoring schedules: create, list, describe, update, delete, start, stop.",
    no_args_is_help=True,
)
executions_app = typer.Typer(
    help="Monitoring executions: list, describe, retry.", no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")
app.add_typer(executions_app, name="executions")

SCHEDULE_COLUMNS = ["name", "status", "schedule_expression", "endpoint_name", "dataset_uri"]
EXECUTION_COLUMNS = [
    "execution_id",
    "schedule_name",
    "scheduled_time",
    "status",
    "violation_count",
    "item_count",
    "skipped_records",
    "failure_reason",
]

FormatOption = typer.Option(
    None, "--format", help="csv, jsonl or parquet (default: from each file's suffix)."
)
NoHeaderOption = typer.Option(False, "--no-header", help="CSV without a header (_c0, _c1, …).")
DelimiterOption = typer.Option(None, "--delimiter", help="CSV delimiter (default: sniffed).")
KmsKeyOption = typer.Option(
    None, "--kms-key", help="KMS key for stored outputs (default: the bucket's default key)."
)


def _format(
    fmt: str | None,
    no_header: bool,
    delimiter: str | None,
    *,
    feature_names: str | None = None,
    capture_index: list[str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"format": fmt, "header": not no_header, "delimiter": delimiter}
    if feature_names:
        spec["feature_names"] = [n.strip() for n in feature_names.split(",")]
    if capture_index:
        spec["capture_index_names"] = capture_index
    return spec


def is_store_uri(value: str | None) -> bool:
    """``s3://…`` names the Bastion store; anything else is a local path."""
    return value is not None and value.startswith("s3://")


def _data(value: str) -> str | Path:
    return value if is_store_uri(value) else Path(value)


def _local_baseline(folder: Path) -> Baseline:
    from bastion.monitor import read_baseline

    statistics, constraints = folder / "statistics.json", folder / "constraints.json"
    for path in (statistics, constraints):
        if not path.is_file():
            raise Invalid(
                "baseline",
                got=str(folder),
                expected="a folder holding statistics.json and constraints.json, or an s3:// URI",
            )
    return read_baseline(statistics, constraints)


# ------------------------------------------------------------------------------------- summary


def _summary(
    *, title: str, status: str, violations: list[dict[str, Any]], drift: dict[str, Any] | None
) -> None:
    """Violations first, then the drift table: SageMaker's distance beside the verdict."""
    colour = {"Completed": "green", "CompletedWithViolations": "red"}.get(status, "yellow")
    console.print(f"[bold]{title}[/bold]: [{colour}]{status}[/{colour}]", highlight=False)
    if violations:
        table = Table(title=f"{len(violations)} violation(s)")
        for column in ("feature", "check", "description"):
            table.add_column(column, overflow="fold")
        for v in violations:
            table.add_row(v["feature_name"], v["constraint_check_type"], v["description"])
        console.print(table)
    else:
        console.print("no violations")
    features = (drift or {}).get("features", [])
    if features:
        table = Table(title="drift (SageMaker distance | calibrated verdict)")
        for column in (
            "feature",
            "kind",
            "distance",
            "threshold",
            "over",
            "PSI",
            "BH p",
            "verdict",
        ):
            table.add_column(column, justify="left" if column in ("feature", "kind") else "right")
        for f in features:
            table.add_row(
                f["feature"],
                f["kind"],
                _number(f.get("distance")),
                _number(f.get("threshold")),
                "[red]yes[/red]" if f.get("exceeds") else "",
                _number(f.get("psi")),
                _number(f.get("p_adjusted")),
                "[red]drift[/red]" if f.get("drifted") else "",
            )
        console.print(table)


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != 0 and abs(value) < 1e-4:
        return f"{value:.1e}"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _write_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, sort_keys=True, default=str) + "\n")


# ------------------------------------------------------------------------------------- jobs


@app.command()
def baseline(
    data: str = typer.Argument(..., help="A local file or glob, or s3://bucket/prefix."),
    output: str | None = typer.Option(
        None, "--output", help="Store the files encrypted under s3://bucket/prefix."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Write statistics.json and constraints.json to this folder."
    ),
    job_name: str | None = typer.Option(None, "--job-name", help="Processing job name."),
    fmt: str | None = FormatOption,
    no_header: bool = NoHeaderOption,
    delimiter: str | None = DelimiterOption,
    comparison_method: str = typer.Option("Robust", "--comparison-method", help="Robust|Simple"),
    categorical_method: str = typer.Option(
        "LInfinity", "--categorical-method", help="LInfinity|ChiSquared"
    ),
    kms_key: str | None = KmsKeyOption,
    as_json: bool = JsonOption,
) -> None:
    """Suggest a baseline: SageMaker's statistics.json and constraints.json of DATA.

    Example: bastion monitor baseline s3://fraud-data/train/ --output s3://fraud-data/baseline
    """
    from bastion.monitor import write_constraints, write_statistics

    with session() as client:
        job = client.monitor.suggest_baseline(
            _data(data),
            output_uri=output,
            job_name=job_name,
            dataset_format=_format(fmt, no_header, delimiter),
            comparison_method=comparison_method,  # type: ignore[arg-type]
            categorical_drift_method=categorical_method,  # type: ignore[arg-type]
            kms_key_id=kms_key,
        )
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_statistics(job.baseline.statistics, out_dir / "statistics.json")
            write_constraints(job.baseline.constraints, out_dir / "constraints.json")
    stats = job.baseline.statistics
    result = {
        "job_name": job.job_name,
        "job_arn": job.job_arn,
        "item_count": stats.dataset.item_count,
        "features": len(stats.features),
        "statistics_uri": job.statistics_uri,
        "constraints_uri": job.constraints_uri,
        "out_dir": str(out_dir) if out_dir else None,
    }
    if as_json:
        _write_json(result)
        return
    table = Table(title=f"baseline {job.job_name}")
    for column in ("feature", "type", "present", "missing"):
        table.add_column(column)
    for feature in stats.features:
        common = feature.common
        table.add_row(
            feature.name,
            str(feature.inferred_type),
            _number(common.num_present if common else None),
            _number(common.num_missing if common else None),
        )
    console.print(table)
    emit(result, as_json=False, columns=["item_count", "statistics_uri", "out_dir"])


@app.command()
def check(
    data: str = typer.Option(..., "--data", help="A local file or glob, or s3://bucket/prefix."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="s3:// folder, or local folder, with statistics.json and constraints.json.",
    ),
    statistics: str | None = typer.Option(None, "--statistics", help="statistics.json (s3://)."),
    constraints: str | None = typer.Option(None, "--constraints", help="constraints.json (s3://)."),
    output: str | None = typer.Option(
        None, "--output", help="Store the outputs encrypted under s3://bucket/prefix."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Write statistics.json, constraint_violations.json, drift.json."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write the HTML report here."),
    job_name: str | None = typer.Option(None, "--job-name", help="Processing job name."),
    fmt: str | None = FormatOption,
    no_header: bool = NoHeaderOption,
    delimiter: str | None = DelimiterOption,
    kms_key: str | None = KmsKeyOption,
    as_json: bool = JsonOption,
) -> None:
    """Batch drift: check DATA against a baseline; exit code 1 when violations are found.

    Example: bastion monitor check --baseline s3://fraud-data/baseline --data s3://fraud-data/2026-03/
    """
    from bastion.monitor import read_baseline

    with session() as client:
        local: Baseline | None = None
        baseline_uri = None
        if baseline is not None and not is_store_uri(baseline):
            local = _local_baseline(Path(baseline))
        else:
            baseline_uri = baseline
        if local is None and statistics and not is_store_uri(statistics) and constraints:
            local = read_baseline(Path(statistics), Path(constraints))
            statistics = constraints = None
        job = client.monitor.check(
            _data(data),
            baseline=local,
            baseline_uri=baseline_uri,
            statistics_uri=statistics,
            constraints_uri=constraints,
            output_uri=output,
            job_name=job_name,
            dataset_format=_format(fmt, no_header, delimiter),
            report=report is not None or output is not None,
            kms_key_id=kms_key,
        )
    _local_outputs(job, out_dir, report)
    result = job.result
    violations = [to_jsonable(v) for v in result.violations]
    drift = json.loads(json.dumps(to_jsonable(result.drift.to_dict()), default=str))
    if as_json:
        _write_json(
            {
                "job_name": job.job_name,
                "status": result.status,
                "item_count": result.profile.item_count,
                "violations": violations,
                "drift": drift,
                "outputs": dict(job.outputs),
                "report": str(report) if report else None,
            }
        )
    else:
        _summary(title=job.job_name, status=result.status, violations=violations, drift=drift)
        for name, uri in job.outputs.items():
            console.print(f"{name}: {uri}", highlight=False)
        if report is not None:
            console.print(f"report: {report}", highlight=False)
    if result.violations:
        raise typer.Exit(1)


def _local_outputs(job: CheckJob, out_dir: Path | None, report: Path | None) -> None:
    from bastion.monitor import to_json

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "statistics.json").write_bytes(to_json(job.result.statistics))
        (out_dir / "constraint_violations.json").write_bytes(to_json(job.result.violations_file()))
        drift = to_jsonable(job.result.drift.to_dict())
        (out_dir / "drift.json").write_text(json.dumps(drift, indent=2, default=str) + "\n")
    if report is not None and job.report_html is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(job.report_html, encoding="utf-8")


# ------------------------------------------------------------------------------------- schedules


def _schedule_row(s: MonitoringSchedule) -> dict[str, Any]:
    row = to_jsonable(s)
    row["last_execution"] = (
        {
            "scheduled_time": s.last_execution.scheduled_time.isoformat(),
            "status": s.last_execution.status.value,
        }
        if s.last_execution
        else None
    )
    return dict(row)


@schedule_app.command("create")
def schedule_create(
    name: str = typer.Argument(..., help="Schedule name (letters, digits, hyphens)."),
    expression: str = typer.Option(
        ..., "--expression", help="cron(0 * ? * * *) hourly, rate(1 day), or a cron line."
    ),
    output: str = typer.Option(..., "--output", help="s3://bucket/prefix for the outputs."),
    baseline: str | None = typer.Option(None, "--baseline", help="s3:// baseline folder."),
    statistics: str | None = typer.Option(None, "--statistics", help="s3://…/statistics.json"),
    constraints: str | None = typer.Option(None, "--constraints", help="s3://…/constraints.json"),
    endpoint: str | None = typer.Option(None, "--endpoint", help="Endpoint whose capture to read."),
    capture: str | None = typer.Option(
        None, "--capture", help="The endpoint's capture destination, s3://bucket/prefix."
    ),
    data: str | None = typer.Option(None, "--data", help="Batch dataset: s3://bucket/prefix."),
    fmt: str | None = FormatOption,
    no_header: bool = NoHeaderOption,
    delimiter: str | None = DelimiterOption,
    feature_names: str | None = typer.Option(
        None, "--feature-names", help="Comma-separated names of captured CSV columns."
    ),
    capture_index: list[str] | None = typer.Option(
        None, "--capture-index", help="endpointInput and/or endpointOutput; repeatable."
    ),
    kms_key: str | None = KmsKeyOption,
    no_metrics: bool = typer.Option(False, "--no-metrics", help="Publish no metrics."),
    tag: list[str] | None = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Create a monitoring schedule over an endpoint's capture or a batch dataset.

    Example: bastion monitor schedule create fraud-hourly --endpoint fraud --capture
    s3://fraud-capture/datacapture --baseline s3://fraud-data/baseline --output
    s3://fraud-data/monitoring --expression "cron(0 * ? * * *)"
    """
    with session() as client:
        made = client.monitor.create_monitoring_schedule(
            name,
            schedule_expression=expression,
            output_uri=output,
            baseline_uri=baseline,
            statistics_uri=statistics,
            constraints_uri=constraints,
            endpoint_name=endpoint,
            capture_uri=capture,
            dataset_uri=data,
            dataset_format=_format(
                fmt, no_header, delimiter, feature_names=feature_names, capture_index=capture_index
            ),
            kms_key_id=kms_key,
            publish_metrics=not no_metrics,
            tags=parse_pairs(tag, field="tag"),
        )
    emit(_schedule_row(made), as_json=as_json, columns=SCHEDULE_COLUMNS)


@schedule_app.command("list")
def schedule_list(
    endpoint: str | None = typer.Option(None, "--endpoint", help="Only this endpoint's."),
    status: str | None = typer.Option(None, "--status", help="Scheduled, Stopped, …"),
    name_contains: str | None = typer.Option(None, "--name-contains", help="Part of the name."),
    as_json: bool = JsonOption,
) -> None:
    """List monitoring schedules, newest first.

    Example: bastion monitor schedule list --endpoint fraud
    """
    with session() as client:
        found = client.monitor.list_monitoring_schedules(
            endpoint_name=endpoint, status=status, name_contains=name_contains
        )
    emit([_schedule_row(s) for s in found], as_json=as_json, columns=SCHEDULE_COLUMNS)


@schedule_app.command("describe")
def schedule_describe(
    name: str = typer.Argument(..., help="Schedule name."), as_json: bool = JsonOption
) -> None:
    """Describe a schedule and its last execution.

    Example: bastion monitor schedule describe fraud-hourly --json
    """
    with session() as client:
        found = client.monitor.describe_monitoring_schedule(name)
    emit(
        _schedule_row(found),
        as_json=as_json,
        columns=[*SCHEDULE_COLUMNS, "planned_through", "last_execution"],
    )


@schedule_app.command("update")
def schedule_update(
    name: str = typer.Argument(..., help="Schedule name."),
    expression: str | None = typer.Option(None, "--expression", help="New expression."),
    output: str | None = typer.Option(None, "--output", help="New output prefix."),
    baseline: str | None = typer.Option(None, "--baseline", help="New s3:// baseline folder."),
    kms_key: str | None = KmsKeyOption,
    metrics: bool | None = typer.Option(None, "--metrics/--no-metrics", help="Publish metrics."),
    as_json: bool = JsonOption,
) -> None:
    """Change a schedule.

    Example: bastion monitor schedule update fraud-hourly --expression "rate(1 day)"
    """
    with session() as client:
        found = client.monitor.update_monitoring_schedule(
            name,
            schedule_expression=expression,
            output_uri=output,
            baseline_uri=baseline,
            kms_key_id=kms_key,
            publish_metrics=metrics,
        )
    emit(_schedule_row(found), as_json=as_json, columns=SCHEDULE_COLUMNS)


@schedule_app.command("delete")
def schedule_delete(
    name: str = typer.Argument(..., help="Schedule name."), as_json: bool = JsonOption
) -> None:
    """Delete a schedule and its execution records (outputs stay in the store).

    Example: bastion monitor schedule delete fraud-hourly
    """
    with session() as client:
        client.monitor.delete_monitoring_schedule(name)
    emit({"deleted": name}, as_json=as_json)


@schedule_app.command("start")
def schedule_start(
    name: str = typer.Argument(..., help="Schedule name."), as_json: bool = JsonOption
) -> None:
    """Start a stopped schedule (from now on).

    Example: bastion monitor schedule start fraud-hourly
    """
    with session() as client:
        found = client.monitor.start_monitoring_schedule(name)
    emit(_schedule_row(found), as_json=as_json, columns=SCHEDULE_COLUMNS)


@schedule_app.command("stop")
def schedule_stop(
    name: str = typer.Argument(..., help="Schedule name."), as_json: bool = JsonOption
) -> None:
    """Stop a schedule (pending executions become Stopped).

    Example: bastion monitor schedule stop fraud-hourly
    """
    with session() as client:
        found = client.monitor.stop_monitoring_schedule(name)
    emit(_schedule_row(found), as_json=as_json, columns=SCHEDULE_COLUMNS)


# ------------------------------------------------------------------------------------- executions


@executions_app.command("list")
def executions_list(
    schedule: str | None = typer.Option(None, "--schedule", help="Only this schedule's."),
    endpoint: str | None = typer.Option(None, "--endpoint", help="Only this endpoint's."),
    status: str | None = typer.Option(None, "--status", help="Completed, Failed, …"),
    max_results: int = typer.Option(20, "--max", help="At most this many (1-100)."),
    next_token: str | None = typer.Option(None, "--next-token", help="Continue a listing."),
    as_json: bool = JsonOption,
) -> None:
    """List executions, newest scheduled time first.

    Example: bastion monitor executions list --schedule fraud-hourly --status Failed
    """
    with session() as client:
        page = client.monitor.list_monitoring_executions(
            schedule_name=schedule,
            endpoint_name=endpoint,
            status=status,
            max_results=max_results,
            next_token=next_token,
        )
    if as_json:
        _write_json({"executions": page.executions, "next_token": page.next_token})
        return
    emit(list(page.executions), as_json=False, columns=EXECUTION_COLUMNS)
    if page.next_token:
        console.print(f"more: --next-token {page.next_token}", highlight=False)


@executions_app.command("describe")
def executions_describe(
    execution_id: str = typer.Argument(..., help="Execution id."), as_json: bool = JsonOption
) -> None:
    """Describe one execution.

    Example: bastion monitor executions describe 5b23a9bb3ea940de8ce65356cc6a5dcd
    """
    with session() as client:
        found = client.monitor.describe_monitoring_execution(execution_id)
    emit(found, as_json=as_json, columns=[*EXECUTION_COLUMNS, "output_uri"])


@executions_app.command("retry")
def executions_retry(
    execution_id: str = typer.Argument(..., help="A Failed or Stopped execution's id."),
    as_json: bool = JsonOption,
) -> None:
    """Run a failed or stopped execution again, now.

    Example: bastion monitor executions retry 5b23a9bb3ea940de8ce65356cc6a5dcd
    """
    with session() as client:
        found = client.monitor.retry_monitoring_execution(execution_id)
    emit(found, as_json=as_json, columns=EXECUTION_COLUMNS)


@app.command()
def report(
    execution_id: str = typer.Argument(..., help="Execution id."),
    out: Path | None = typer.Option(None, "--out", help="Write the HTML report here."),
    as_json: bool = JsonOption,
) -> None:
    """Summarise an execution's outputs; save its HTML report with --out.

    Example: bastion monitor report 5b23a9bb3ea940de8ce65356cc6a5dcd --out report.html
    """
    with session() as client:
        outputs = client.monitor.execution_outputs(execution_id)
    execution: ExecutionSummary = outputs.execution
    if out is not None:
        if outputs.report_html is None:
            raise _no_report(execution)
        out.write_text(outputs.report_html, encoding="utf-8")
    if as_json:
        _write_json(
            {
                "execution": execution,
                "violations": outputs.violations,
                "drift": outputs.drift,
                "report": str(out) if out else execution.report_uri,
            }
        )
        return
    title = f"{execution.schedule_name} at {execution.scheduled_time.isoformat()}"
    _summary(
        title=title,
        status=execution.status.value,
        violations=outputs.violations,
        drift=outputs.drift,
    )
    if execution.failure_reason:
        console.print(f"failure reason: {execution.failure_reason}", highlight=False)
    console.print(f"report: {out or execution.report_uri}", highlight=False)


def _no_report(execution: ExecutionSummary) -> typer.Exit:
    console.print(
        f"[red]error:[/red] execution {execution.execution_id} has no report.html "
        f"({execution.status.value})",
        highlight=False,
    )
    return typer.Exit(2)


@app.command()
def scheduler(
    once: bool = typer.Option(False, "--once", help="One round, then exit."),
    as_json: bool = JsonOption,
) -> None:
    """Run the monitoring scheduler (until Ctrl-C / SIGTERM); state lives in the database.

    Example: bastion monitor scheduler --once
    """
    with session() as client:
        worker = client.monitor.scheduler()
        if once:
            done = worker.tick()
            emit(list(done), as_json=as_json, columns=EXECUTION_COLUMNS)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print(f"scheduler {worker.worker} running; Ctrl-C stops it", highlight=False)
        worker.run(stop)
