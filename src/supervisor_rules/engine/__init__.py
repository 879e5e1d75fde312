"""Evaluation: the compiler turns a checked policy into rules, ``codegen`` generates the
decision function, ``runtime`` interprets the same rules (the trace and the fallback), and
``reference`` walks the checked rules plainly; ``questions`` holds one module per decision
question, which the three iterate."""

#: The evaluation backends ``Policy.evaluate_with`` runs; ``evaluate`` is the first.
BACKENDS = ("generated", "interpreter", "reference")
