"""The rule-replay sandbox: `make replay FROM=… TO=… POLICY=…` (docs/operations.md)."""
