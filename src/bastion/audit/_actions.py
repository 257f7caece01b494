"""The audit room's actions, declared with the gate.

``cloudtrail:LookupEvents`` is CloudTrail's own; CloudTrail validates logs with a CLI command
and queries with CloudTrail Lake's ``StartQuery``, so Bastion names those actions after them;
``ExportEvents`` and ``CreateDigest`` are Bastion's (CloudTrail delivers files and digests by
itself).
"""

from bastion.gate import Action, register_actions

TRAIL = "AWS::CloudTrail::Trail"

ACTIONS = [
    Action(
        name="cloudtrail:LookupEvents",
        resource=TRAIL,
        doc="Find audit records by event name, user, resource, source, access key or time.",
        read_only=True,
    ),
    Action(
        name="cloudtrail:ValidateLogs",
        resource=TRAIL,
        doc="Check the hash chain and the signed digests; name the first tampered record.",
        read_only=True,
    ),
    Action(
        name="cloudtrail:StartQuery",
        resource=TRAIL,
        doc="Run one read-only DuckDB SELECT over the 'events' view of the trail.",
        read_only=True,
    ),
    Action(
        name="cloudtrail:ExportEvents",
        resource=TRAIL,
        doc="Write the trail as CloudTrail log and digest files to a folder or object store.",
    ),
    Action(
        name="cloudtrail:CreateDigest",
        resource=TRAIL,
        doc="Sign a digest of the records since the previous digest now.",
    ),
]

register_actions(ACTIONS)
