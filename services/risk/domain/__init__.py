"""Pure risk rules: the versioned, explainable instrument."""
