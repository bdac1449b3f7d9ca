"""Hourly figures, per phone number, maintained by the analytics consumer as events arrive (in
the transaction of its inbox), and rebuilt from the raw log on an operator's request."""
