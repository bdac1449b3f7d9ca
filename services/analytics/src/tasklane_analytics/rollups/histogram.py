"""Response times as a histogram with fixed buckets: counts add up across hours and numbers, so
any period's average and percentiles come from the sum of its hours' buckets."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping

# Upper bounds (exclusive) of the buckets in milliseconds; the last bucket is open-ended.
BOUNDS_MS: tuple[int, ...] = (
    250,
    500,
    1000,
    1500,
    2000,
    3000,
    4000,
    5000,
    7500,
    10_000,
    15_000,
    20_000,
    30_000,
    45_000,
    60_000,
    120_000,
    300_000,
    600_000,
)
BUCKETS = len(BOUNDS_MS) + 1


def bucket_of(ms: float) -> int:
    return bisect_right(BOUNDS_MS, max(ms, 0.0))


def bounds_of(bucket: int) -> tuple[float, float]:
    """``[low, high)`` of a bucket; the last one's high is infinite."""
    low = 0.0 if bucket == 0 else float(BOUNDS_MS[bucket - 1])
    high = float(BOUNDS_MS[bucket]) if bucket < len(BOUNDS_MS) else math.inf
    return low, high


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The ``q``-quantile (0 < q <= 1) read from bucket counts: the bucket holding the rank-th
    smallest value (rank = ceil(q * n)), linearly interpolated inside it. Always within the
    bounds of the bucket that holds the true value; the open last bucket reports its low bound."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in range(BUCKETS):
        n = counts.get(bucket, 0)
        if n <= 0:
            continue
        if seen + n >= rank:
            low, high = bounds_of(bucket)
            if math.isinf(high):
                return low
            return low + (high - low) * (rank - seen - 0.5) / n
        seen += n
    return None  # pragma: no cover - the loop always reaches the rank
