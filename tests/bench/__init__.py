"""Tests of the benchmarks' own statistics and data (bench/)."""
