"""The test harness that starts real processes: the service, PostgreSQL, Redis, job workers, Chromium;
and the ``gridreg`` command run in-process against a fresh SQLite city (cli.py).

The browser and fault tests use it, and so do the benchmarks (tools built on
the test harness): benchmarks/ imports from here, and tests never import
benchmarks/.
"""
