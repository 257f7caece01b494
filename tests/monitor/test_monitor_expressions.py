"""Schedule expressions: SageMaker's cron, rate(...), five-field cron; scheduled times and
windows; what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.monitor import ScheduleExpression

T = datetime(2026, 3, 4, 10, 17, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("cron(0 * ? * * *)", datetime(2026, 3, 4, 11, tzinfo=UTC)),
        ("cron(0 0 ? * * *)", datetime(2026, 3, 5, tzinfo=UTC)),
        ("cron(30 6 ? * MON-FRI *)", datetime(2026, 3, 5, 6, 30, tzinfo=UTC)),
        ("cron(0 12 ? * 1 *)", datetime(2026, 3, 8, 12, tzinfo=UTC)),  # 1 = Sunday in AWS
        ("cron(0 8 1 * ? *)", datetime(2026, 4, 1, 8, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", datetime(2026, 3, 4, 10, 30, tzinfo=UTC)),
        ("rate(1 hour)", datetime(2026, 3, 4, 11, tzinfo=UTC)),
        ("rate(30 minutes)", datetime(2026, 3, 4, 10, 30, tzinfo=UTC)),
        ("rate(1 day)", datetime(2026, 3, 5, tzinfo=UTC)),
        ("rate( 2 hours )", datetime(2026, 3, 4, 12, tzinfo=UTC)),
        ("0 * * * *", datetime(2026, 3, 4, 11, tzinfo=UTC)),
    ],
)
def test_next_time(text: str, after: datetime) -> None:
    expression = ScheduleExpression.parse(text)
    assert expression.next_after(T) == after
    start, end = expression.window(after)
    assert end == after and start < end and expression.next_after(start) == end


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hourly",
        "rate(0 hours)",
        "rate(1 week)",
        "rate(-1 hours)",
        "cron(0 * ? * * 2026)",
        "cron(0 * ? *)",
        "cron(0 * L * ? *)",
        "cron(0 * ? * 6L *)",
        "cron(0 * ? * 1#2 *)",
        "cron(? * * * * *)",
        "cron(0 * ? * 9 *)",
        "* * * * * *",
        "99 * * * *",
        "rate(1 hour)\n",
        "x" * 300,
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(Invalid, match="schedule_expression"):
        ScheduleExpression.parse(text)


def test_times_in_a_range() -> None:
    hourly = ScheduleExpression.parse("cron(0 * ? * * *)")
    times = list(
        hourly.times(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 3, tzinfo=UTC))
    )
    assert times == [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (1, 2, 3)]
    assert hourly.previous(datetime(2026, 1, 1, 3, tzinfo=UTC)) == datetime(
        2026, 1, 1, 2, tzinfo=UTC
    )


@given(
    minutes=st.integers(1, 60 * 24 * 3),
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_rates_are_aligned_and_strictly_ordered(minutes: int, moment: datetime) -> None:
    expression = ScheduleExpression.parse(f"rate({minutes} minutes)")
    following = expression.next_after(moment)
    before = expression.previous(moment)
    period = timedelta(minutes=minutes)
    assert before < moment < following
    assert following - period <= moment < following
    assert int(following.timestamp()) % (minutes * 60) == 0
    assert expression.previous(following) == following - period
