"""`make bench`: token endpoint and API call as shares of the bare references, both databases.

    python benchmarks/bench.py [--database sqlite|postgresql] [--seconds S] [--rounds N]
                               [--no-pin] [--database-uri URI]

Runs benchmarks/token_bench.py's and benchmarks/api_bench.py's benchmarks on SQLite, then on a
PostgreSQL server the harness starts itself, pinned unless BENCH_PIN=0 or --no-pin
(benchmarks/harness.py), and ends with a summary of the ratios.
"""

import sys

import ratios
from api_bench import API
from token_bench import TOKEN

if __name__ == "__main__":
    sys.exit(ratios.main(__doc__, [TOKEN, API]))
