"""The analysts' figures over the rollups: summaries, time series in any IANA zone, per-number
overviews, CSV exports, failure drill-downs, and the operators' recompute."""
