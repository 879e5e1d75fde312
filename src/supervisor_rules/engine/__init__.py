"""Evaluation: the compiler turns a checked policy into rules, ``codegen`` generates the
decision function, ``runtime`` interprets the same rules (the trace and the fallback)."""
