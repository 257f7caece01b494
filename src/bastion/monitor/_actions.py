"""The monitor room's actions, named as SageMaker's (``sagemaker:*``), and its resource types.

Baselines and one-off checks are processing jobs (``CreateProcessingJob``), as SageMaker's
``suggest_baseline`` and batch monitoring jobs are; each scheduled execution is recorded as a
processing job started by the monitoring service on the scheduler's behalf. SageMaker has no
DescribeMonitoringExecution (it describes the processing job) and cannot retry an execution:
``DescribeMonitoringExecution`` and ``RetryMonitoringExecution`` are Bastion's, on the schedule.
"""

from bastion.access import ResourceType, register_resource_types
from bastion.gate import Action, register_actions

SCHEDULE = "AWS::SageMaker::MonitoringSchedule"
JOB = "AWS::SageMaker::ProcessingJob"

CREATE_SCHEDULE = "sagemaker:CreateMonitoringSchedule"
DESCRIBE_SCHEDULE = "sagemaker:DescribeMonitoringSchedule"
LIST_SCHEDULES = "sagemaker:ListMonitoringSchedules"
UPDATE_SCHEDULE = "sagemaker:UpdateMonitoringSchedule"
DELETE_SCHEDULE = "sagemaker:DeleteMonitoringSchedule"
START_SCHEDULE = "sagemaker:StartMonitoringSchedule"
STOP_SCHEDULE = "sagemaker:StopMonitoringSchedule"
LIST_EXECUTIONS = "sagemaker:ListMonitoringExecutions"
DESCRIBE_EXECUTION = "sagemaker:DescribeMonitoringExecution"
RETRY_EXECUTION = "sagemaker:RetryMonitoringExecution"
CREATE_JOB = "sagemaker:CreateProcessingJob"

register_resource_types(
    [
        ResourceType(
            name=SCHEDULE,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:"
            "monitoring-schedule/${MonitoringScheduleName}",
        ),
        ResourceType(
            name=JOB,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:processing-job/${ProcessingJobName}",
        ),
    ]
)

ACTIONS = (
    Action(
        name=CREATE_SCHEDULE,
        resource=SCHEDULE,
        doc="Create a data-quality monitoring schedule over an endpoint's capture or a dataset",
        condition_keys=("aws:RequestTag/${TagKey}", "aws:TagKeys"),
    ),
    Action(
        name=DESCRIBE_SCHEDULE,
        resource=SCHEDULE,
        doc="Describe a monitoring schedule and its last execution",
        read_only=True,
    ),
    Action(
        name=LIST_SCHEDULES,
        resource=SCHEDULE,
        doc="List monitoring schedules, by endpoint, status or name",
        read_only=True,
    ),
    Action(
        name=UPDATE_SCHEDULE,
        resource=SCHEDULE,
        doc="Change a schedule's expression, baseline, input format or outputs",
    ),
    Action(
        name=DELETE_SCHEDULE,
        resource=SCHEDULE,
        doc="Delete a schedule and its execution records (outputs stay in the store)",
    ),
    Action(
        name=START_SCHEDULE,
        resource=SCHEDULE,
        doc="Start a stopped schedule (from now on; stopped time is not caught up)",
    ),
    Action(
        name=STOP_SCHEDULE,
        resource=SCHEDULE,
        doc="Stop a schedule; its pending executions become Stopped",
    ),
    Action(
        name=LIST_EXECUTIONS,
        resource=SCHEDULE,
        doc="List monitoring executions, newest scheduled time first",
        read_only=True,
    ),
    Action(
        name=DESCRIBE_EXECUTION,
        resource=SCHEDULE,
        doc="Describe one execution (Bastion's), or read its outputs back",
        read_only=True,
    ),
    Action(
        name=RETRY_EXECUTION,
        resource=SCHEDULE,
        doc="Run a failed or stopped execution again, now (Bastion's)",
    ),
    Action(
        name=CREATE_JOB,
        resource=JOB,
        doc="Run a processing job: suggest a baseline, check a dataset, or a scheduled execution",
    ),
)

register_actions(ACTIONS)
