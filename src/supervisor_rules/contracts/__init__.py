"""The public contracts as code: the case a caller sends (``case``, CASE.md) and the decision
it gets back (``decision``, DECISION.md)."""
