"""Benchmark instances for matchkracht: a seeded generator of synthetic registries."""
