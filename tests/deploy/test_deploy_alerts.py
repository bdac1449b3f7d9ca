"""The PrometheusRule and the Grafana dashboard, read as files: every alert carries a severity and
its runbook, and has promtool cases that fire and that stay silent (`make alerts` runs them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULE = ROOT / "deploy" / "k8s" / "monitoring" / "prometheusrule.yaml"
TESTS = ROOT / "deploy" / "prometheus" / "alerts.test.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "tasklane.json"
SEVERITIES = {"critical", "warning", "info"}
METRICS_DOC = ROOT / "docs" / "metrics.md"


def alerts() -> list[dict[str, Any]]:
    spec = yaml.safe_load(RULE.read_text())["spec"]
    return [r for g in spec["groups"] for r in g["rules"] if "alert" in r]


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: a["alert"])
def test_every_alert_has_a_severity_and_a_runbook(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in SEVERITIES
    annotations = alert["annotations"]
    assert {"summary", "description", "runbook", "runbook_url"} <= set(annotations)
    anchor = annotations["runbook_url"].rsplit("#", 1)[1]
    headings = [
        line.lstrip("#").strip() for line in METRICS_DOC.read_text().splitlines() if line.startswith("#")
    ]
    slugs = {h.lower().replace(" ", "-").replace(",", "").replace("(", "").replace(")", "") for h in headings}
    assert anchor in slugs, f"docs/metrics.md has no section for {anchor}"


def test_every_severity_is_used() -> None:
    assert {a["labels"]["severity"] for a in alerts()} == SEVERITIES


def test_every_alert_is_tested_firing_and_silent() -> None:
    cases = [c for group in yaml.safe_load(TESTS.read_text())["tests"] for c in group["alert_rule_test"]]
    names = {a["alert"] for a in alerts()}
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == names
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} == names


def test_the_dashboard_is_grafana_json_with_prometheus_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert all(t["expr"] for t in panel["targets"])


def test_analytics_evaluates_the_same_alerts_with_the_same_severities_and_runbooks() -> None:
    # The console's alerts (tasklane_analytics.alerts) and Prometheus' must read alike.
    from tasklane_analytics.alerts.catalogue import RULES
    from tasklane_analytics.alerts.conditions import WATCHED

    by_name = {a["alert"]: a for a in alerts()}
    assert set(RULES) == set(by_name), "analytics and the PrometheusRule must know the same alerts"
    for name, rule in RULES.items():
        assert name in by_name, f"{name} is not in the PrometheusRule"
        found = by_name[name]
        assert found["labels"]["severity"] == rule.severity.value, name
        assert found["annotations"]["summary"] == rule.summary, name
        assert found["annotations"]["runbook"] == rule.runbook, name
        assert found["annotations"]["runbook_url"] == rule.runbook_url, name
    selector = by_name["TasklaneQueueWithoutConsumers"]["expr"]
    assert f'queue=~"{WATCHED.pattern}"' in selector
