"""collectors/series.py: counter rates across restarts and gaps, the summary figures, the weekly profile."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.series import bucket, counter_rates, history_document, iso, summarise, weekly_profile

MONDAY = datetime(2026, 11, 23, tzinfo=UTC).timestamp()  # a Monday, 00:00 UTC


def test_counter_rates_skip_a_reset_and_a_gap_instead_of_averaging_over_them() -> None:
    samples = [(0, 100), (60, 700), (120, 1300), (180, 50), (240, 650), (600, 4250), (660, 4850)]
    rates = counter_rates(samples, max_gap=120)
    assert rates.points == [(60, 10.0), (120, 10.0), (240, 10.0), (660, 10.0)]
    assert rates.resets == [180]  # the counter went down: a restart, no rate for that minute
    assert [(g.start, g.end) for g in rates.gaps] == [(240, 600)]
    assert rates.gaps[0].as_dict() == {"start": "1970-01-01T00:04:00Z", "end": "1970-01-01T00:10:00Z",
                                       "seconds": 360}
    # without max_gap the long interval gives its (true, averaged) rate
    assert (600, 10.0) in counter_rates(samples).points


def test_summarise_nearest_rank_and_first_time_of_the_max() -> None:
    values: list[float | None] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, None]
    points = [(i * 60.0, v) for i, v in enumerate(values)]
    stats = summarise(points)
    assert stats == {"avg": 5.9091, "p95": 10, "p99": 10, "max": 10, "max_at": iso(540.0)}
    assert summarise([]) is None
    assert summarise([(0, None)]) is None


def test_weekly_profile_names_the_busiest_hour_and_day() -> None:
    points = []
    for day in range(14):
        for hour in range(24):
            busy = 500.0 if (day % 7 == 1 and hour == 14) else 100.0 + hour
            points.append((MONDAY + day * 86400 + hour * 3600, busy))
    profile = weekly_profile(points, "queries_per_second")
    assert profile is not None
    assert profile["busiest_hour"] == 14 and profile["busiest_day"] == "Tuesday"
    assert profile["busiest_hour_of_week"] == {"day": "Tuesday", "hour": 14, "avg": 500}
    assert profile["by_hour"][0] == 100 and len(profile["by_weekday"]) == 7


def test_bucket_keeps_at_most_max_points_and_the_mean() -> None:
    points = [(float(t), float(t % 10)) for t in range(1000)]
    out = bucket(points, 100)
    assert len(out) == 100
    assert sum(v for _, v in out) / len(out) == 4.5
    assert bucket(points[:5], 100) == [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]


def test_history_document_names_an_empty_series_missing() -> None:
    doc = history_document("watch", 0, 3600, 60, {"queries_per_second": ("per_second", [(60, 5.0), (120, 7.0)]),
                                                  "cpu_percent": ("percent", [])})
    assert doc["window"] == {"start": iso(0), "end": iso(3600), "step_seconds": 60}
    assert doc["series"]["queries_per_second"]["max"] == 7 and "cpu_percent" not in doc["series"]
    assert doc["missing"] == [{"series": "cpu_percent", "reason": "no sample in the window"}]
    assert doc["weekly_profile"]["busiest_hour"] == 0
