"""The test harness that starts real processes: the service, PostgreSQL, Redis, job workers, Chromium.

The browser and fault tests use it, and so do the benchmarks (tools built on
the test harness): benchmarks/ imports from here, and tests never import
benchmarks/.
"""
