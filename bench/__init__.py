"""`python run.py bench`: Collab's performance benchmark.

Every figure compares the product's path with a baseline measured in the same
run (raw Huey, a trivial route, the idle process), variants interleaved
A B A B …; `bench.cli` prints the table and writes bench/results.json.
"""
