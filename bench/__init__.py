"""Benchmark harness: raw-HTTP load driver, workloads, ceiling app and runner."""
