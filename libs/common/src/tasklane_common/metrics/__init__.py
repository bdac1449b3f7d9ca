"""Prometheus metrics: one registry per service instance, the messaging layer's own metrics, and
the ``/metrics`` route (see docs/metrics.md for every metric, its labels and its meaning)."""

from tasklane_common.metrics.messaging import MessagingMetrics
from tasklane_common.metrics.registry import ServiceMetrics
from tasklane_common.metrics.route import metrics_router

__all__ = ["MessagingMetrics", "ServiceMetrics", "metrics_router"]
