"""Risk: the explainable, versioned risk instrument and the monthly reassessment (危险性评估)."""
