"""Benchmarks against peers, run by hand with `make bench` (never in CI)."""
