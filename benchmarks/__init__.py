"""Benchmarks for numbad (run as ``python -m benchmarks.<name>``)."""
