"""The metrics room's actions, named as CloudWatch's IAM actions.

CloudWatch's metric actions take no resource ARN (``*``); PutMetricData supplies the
``cloudwatch:namespace`` condition key, so a policy can confine a writer to its namespaces.
"""

from bastion.gate import Action, register_actions

PUT_METRIC_DATA = "cloudwatch:PutMetricData"
GET_METRIC_STATISTICS = "cloudwatch:GetMetricStatistics"
GET_METRIC_DATA = "cloudwatch:GetMetricData"
LIST_METRICS = "cloudwatch:ListMetrics"
ANY = "*"

ACTIONS = (
    Action(
        name=PUT_METRIC_DATA,
        resource=ANY,
        doc="Publish datapoints (values, values with counts, or statistic sets) to a namespace",
        condition_keys=("cloudwatch:namespace",),
    ),
    Action(
        name=GET_METRIC_STATISTICS,
        resource=ANY,
        doc="Statistics of one metric by period: Average, Sum, Minimum, Maximum, SampleCount, pNN",
        read_only=True,
    ),
    Action(
        name=GET_METRIC_DATA,
        resource=ANY,
        doc="One statistic of several metrics by period, newest first",
        read_only=True,
    ),
    Action(
        name=LIST_METRICS,
        resource=ANY,
        doc="The metrics of a namespace, by name and dimensions",
        read_only=True,
    ),
)

register_actions(ACTIONS)
