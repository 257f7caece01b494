"""Events the monitor room emits (in the same transaction as the change they describe)."""

from bastion.events import declare_event

BASELINE_CREATED = declare_event(
    "monitor.BaselineCreated",
    "A baseline's statistics.json and constraints.json were stored: job_name, job_arn, "
    "statistics_uri, constraints_uri, dataset, item_count, feature_count",
).kind
