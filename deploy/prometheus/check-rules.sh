#!/usr/bin/env bash
# `make test`'s check of the alert rules: extract spec.groups of the PrometheusRule into a plain
# rules file, then `promtool check rules` and `promtool test rules` (alerts.test.yaml).
#
# promtool comes from Debian's prometheus package. Where it is not on PATH, the package is
# downloaded with apt and only unpacked into .tools/ (`dpkg-deb -x`): nothing is installed
# system-wide and no Prometheus server is ever started.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROMTOOL="$(command -v promtool || true)"
if [[ -z "$PROMTOOL" ]]; then
  PROMTOOL=.tools/prometheus/usr/bin/promtool
  if [[ ! -x "$PROMTOOL" ]]; then
    download="$(mktemp -d)"
    trap 'rm -rf "$download"' EXIT
    (cd "$download" && { apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; })
    mkdir -p .tools/prometheus
    dpkg-deb -x "$download"/prometheus_*.deb .tools/prometheus
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work" ${download:+"$download"}' EXIT
python3 - deploy/k8s/monitoring/prometheusrule.yaml "$work/rules.yaml" <<'PY'
import json, sys
import yaml  # the workspace's dev dependency: run through `uv run`
rule = yaml.safe_load(open(sys.argv[1]))
assert rule["kind"] == "PrometheusRule", rule["kind"]
json.dump({"groups": rule["spec"]["groups"]}, open(sys.argv[2], "w"), indent=1)
PY
cp deploy/prometheus/alerts.test.yaml "$work/"
"$PROMTOOL" check rules "$work/rules.yaml"
"$PROMTOOL" test rules "$work/alerts.test.yaml"
