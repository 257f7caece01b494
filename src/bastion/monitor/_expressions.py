"""Schedule expressions: SageMaker's ``cron(...)``, EventBridge's ``rate(...)``, plain cron.

* ``cron(0 * ? * * *)`` — AWS's six fields (minutes, hours, day of month, month, day of week,
  year); ``?`` means any, the year must be ``*``, days of week are 1-7 = SUN-SAT (or names).
  SageMaker's hourly ``cron(0 * ? * * *)`` and daily ``cron(0 0 ? * * *)`` are two of them.
* ``rate(1 hour)``, ``rate(30 minutes)``, ``rate(1 day)`` — every period, aligned on the epoch
  (``rate(1 hour)`` fires on the hour, ``rate(1 day)`` at 00:00 UTC).
* ``0 * * * *`` — a standard five-field cron line (croniter's grammar).

Every time is UTC. An expression yields the scheduled times after a moment, and the analysis
window of each time: from the previous scheduled time up to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter  # type: ignore[import-untyped]

from bastion.errors import Invalid

EXPRESSION_RULE = (
    "cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>) as in SageMaker, e.g. "
    "cron(0 * ? * * *) hourly, rate(<n> minute(s)|hour(s)|day(s)), e.g. rate(1 hour), or a "
    "five-field cron line such as '0 * * * *' (UTC)"
)
_RATE = re.compile(r"rate\(\s*([1-9][0-9]{0,5})\s+(minute|minutes|hour|hours|day|days)\s*\)")
_AWS_CRON = re.compile(r"cron\((.*)\)")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_DAY_NAMES = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}


def _aws_day_of_week(field: str, text: str) -> str:
    """AWS numbers days 1-7 from Sunday; cron 0-6. Names pass through."""

    def one(token: str) -> str:
        if token.isdigit():
            day = int(token)
            if not 1 <= day <= 7:
                raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE)
            return str(day - 1)
        return token

    out = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        out.append("-".join(one(t) for t in part.split("-")) + step)
    return ",".join(out)


def _cron_line(text: str) -> str:
    """The five-field cron line of an AWS ``cron(...)`` expression."""
    match = _AWS_CRON.fullmatch(text)
    assert match is not None
    fields = match.group(1).split()
    if len(fields) != 6:
        raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE)
    minute, hour, dom, month, dow, year = fields
    if year not in ("*", "?"):
        raise Invalid(
            "schedule_expression",
            got=text,
            expected="a cron expression whose year field is * (schedules do not end)",
        )
    if "?" in (minute, hour, month) or any(ch in text for ch in "LW#"):
        raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE)
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else _aws_day_of_week(dow, text)
    return f"{minute} {hour} {dom} {month} {dow}"


@dataclass(frozen=True)
class ScheduleExpression:
    """A parsed expression: ``text`` as given, and either a cron line or a fixed period."""

    text: str
    cron: str | None = None
    period: timedelta | None = None

    @classmethod
    def parse(cls, text: object) -> ScheduleExpression:
        """Parse and check an expression (its period must be at least a minute)."""
        if not isinstance(text, str) or not text.isprintable() or len(text) > 256:
            raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE)
        clean = text.strip()
        rate = _RATE.fullmatch(clean)
        if rate:
            count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
            return cls(text=clean, period=timedelta(seconds=count * _UNIT[unit]))
        line = _cron_line(clean) if _AWS_CRON.fullmatch(clean) else clean
        if len(line.split()) != 5 or not croniter.is_valid(line):
            raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE)
        expression = cls(text=clean, cron=line)
        try:
            expression.next_after(datetime(2026, 1, 1, tzinfo=UTC))
        except (ValueError, KeyError, OverflowError):
            raise Invalid("schedule_expression", got=text, expected=EXPRESSION_RULE) from None
        return expression

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled time strictly after ``moment``."""
        moment = moment.astimezone(UTC)
        if self.period is not None:
            step = self.period.total_seconds()
            ticks = math.floor(moment.timestamp() / step) + 1
            return datetime.fromtimestamp(ticks * step, tz=UTC)
        result: datetime = croniter(self.cron, moment).get_next(datetime)
        return datetime.fromtimestamp(result.timestamp(), tz=UTC)

    def previous(self, moment: datetime) -> datetime:
        """The last scheduled time strictly before ``moment``."""
        moment = moment.astimezone(UTC)
        if self.period is not None:
            step = self.period.total_seconds()
            ticks = math.ceil(moment.timestamp() / step) - 1
            return datetime.fromtimestamp(ticks * step, tz=UTC)
        result: datetime = croniter(self.cron, moment).get_prev(datetime)
        return datetime.fromtimestamp(result.timestamp(), tz=UTC)

    def times(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Scheduled times in ``(after, until]``, oldest first."""
        moment = self.next_after(after)
        while moment <= until:
            yield moment
            moment = self.next_after(moment)

    def window(self, scheduled: datetime) -> tuple[datetime, datetime]:
        """The analysis window of a scheduled time: ``[previous time, scheduled time)``."""
        return self.previous(scheduled), scheduled
