"""The services' common library: envelope, Kafka plumbing, outbox/inbox, settings, logging, metrics."""
