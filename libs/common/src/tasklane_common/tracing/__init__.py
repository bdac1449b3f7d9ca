"""Spans an operator reads: messaging (publish/process), database statements, HTTP server spans.

The tracer provider itself is set up by ``tasklane_common.telemetry``; these modules only shape the
spans each hop produces, one call site per hop, so that instrumentation stays out of the domain.
"""
