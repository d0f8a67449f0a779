"""What the cloud parts share (collectors/aws.py, gcp.py, azure.py): the skip and budget model, and the
series summary of cloud.json (avg, p95, max and when).

A cloud part reads a few parts (the instance, its replicas, the metrics, ...). A missing permission or a
missing object skips one part and names what fixes it (an IAM action, a role); no credentials, a refused
token or an unreachable endpoint ends the whole cloud part with one skip. Everything runs under one time
budget (30 s by default): nothing new is started once it is spent, and a throttled call is retried only
while the budget lasts. No SDK is imported here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

DEFAULT_BUDGET = 30.0
WINDOW_DAYS = 14
GIB = 1024**3

T = TypeVar("T")


class _Fatal(Exception):
    """The cloud part cannot go on (no credentials, bad token, unreachable, out of budget): one skip."""

    def __init__(self, reason: str, iam_action: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iam_action = iam_action


class _PartSkipped(Exception):
    """One part cannot be read (denied, not found, throttled past the retries): its skip, the rest goes on."""

    def __init__(self, reason: str, iam_action: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iam_action = iam_action


Fatal = _Fatal
PartSkipped = _PartSkipped


class Throttled(Exception):
    """Raised by a call the provider answered with 429: :meth:`Budget.retrying` retries it."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


@dataclass
class Budget:
    """The time budget of one cloud part and the skips it collected."""

    deadline: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Budget:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def check(self, what: str | None = None) -> None:
        if self.clock() >= self.deadline:
            raise _Fatal("the time budget for the cloud part was spent before this call; the rest is not read", what)

    def retrying(self, call: Callable[[], T], *, attempts: int = 3, backoff: float = 0.5,
                 on_give_up: Callable[[], Exception]) -> T:
        """``call()`` again after a :class:`Throttled`, with backoff (or the server's Retry-After), while the
        budget lasts: ``attempts`` calls at most, then ``on_give_up()`` is raised."""
        for attempt in range(attempts):
            self.check()
            try:
                return call()
            except Throttled as exc:
                if attempt == attempts - 1:
                    break
                wait = exc.retry_after if exc.retry_after is not None else backoff * 2**attempt
                if wait >= self.remaining():
                    break
                self.sleep(max(0.0, wait))
        raise on_give_up()

    def part(self, name: str, function: Callable[[], Any], default: Any = None) -> Any:
        try:
            return function()
        except _PartSkipped as exc:
            self.skipped.append({"part": name, "reason": exc.reason, "iam_action": exc.iam_action})
            return default


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _number(value: float) -> float | int:
    rounded = round(value, 4)
    return int(rounded) if rounded == int(rounded) else rounded


p95 = _p95
number = _number


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summarise(averages: Sequence[tuple[datetime, float]], maxima: Sequence[tuple[datetime, float]], unit: str,
              *, growth: bool = False) -> dict[str, Any] | None:
    """One series of cloud.json: avg and p95 of the period averages, the highest period maximum and when it
    was (UTC), in ``unit``; with ``growth`` (a used-bytes series) the growth in GiB per day from the first
    period to the last. None when there is no point."""
    if not averages or not maxima:
        return None
    values = [v for _, v in averages]
    when, top = max(maxima, key=lambda item: (item[1], -item[0].timestamp()))
    summary: dict[str, Any] = {"avg": _number(sum(values) / len(values)), "p95": _number(_p95(values)),
                               "max": _number(top), "max_at": iso(when), "unit": unit}
    if growth and len(averages) > 1:
        ordered = sorted(averages)
        days = (ordered[-1][0] - ordered[0][0]).total_seconds() / 86400
        if days > 0:
            summary["growth_gib_per_day"] = _number((ordered[-1][1] - ordered[0][1]) / GIB / days)
    return summary


def one_line(document: Mapping[str, Any]) -> str:
    """What the CLI prints after the cloud part: what was read, or the first reason it was not."""
    instances = document.get("instances") or []
    skipped = document.get("skipped") or []
    head = f"cloud: {len(instances)} instance(s) read in {document.get('region')}"
    if not skipped:
        return head
    first = skipped[0]
    action = f" [{first['iam_action']}]" if first.get("iam_action") else ""
    more = f" (+{len(skipped) - 1} more skipped, listed in cloud.json)" if len(skipped) > 1 else ""
    return f"{head}; skipped {first['part']}: {first['reason']}{action}{more}"
