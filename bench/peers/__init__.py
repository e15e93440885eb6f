"""The bench's peers: supervision's fix job written with Python stream-processing libraries, each
in its own idiom and its own virtual environment (bench/peer_bench.py runs them)."""
