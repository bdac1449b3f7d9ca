"""Alerts analytics evaluates from what it knows (docs/metrics.md, "Alerts in the console"): the
PrometheusRule's alerts, from the heartbeats, the dead-letter read model and the rollups, with
their state in the analytics schema, shown by the API and the console and told to a
Slack-compatible webhook (``service.AlertService``)."""
