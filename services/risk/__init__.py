"""Risk: the explainable, versioned risk instrument and the monthly key-person list (危险性评估, 一月一认定).

Today only the process, probes and database exist; the domain is issue #5.
"""
