"""`make bench`: throughput, latency, cost growth and memory, beside raw Kafka, in one run."""
