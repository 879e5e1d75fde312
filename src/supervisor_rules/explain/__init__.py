"""Explanations of a decision (DECISION.md v2): the reason tree of each conclusion (``reasons``,
``conclusions``), the changes that would change it and the questions still open (``changes``).

Built after the evaluation, from the decision and the facts it was made from, and only when asked for
(``Decision.explanation``, ``Decision.open_questions``, ``to_dict()``): ``Policy.evaluate`` hands the
decision an ``Explained`` and pays nothing more. Every backend's decision gets the same explanation,
since it is a function of the decision, the facts and the policy.
"""

from __future__ import annotations

import datetime as dt

from supervisor_rules.engine import runtime
from supervisor_rules.engine.compiler import CompiledPolicy
from supervisor_rules.contracts.decision import Decision
from supervisor_rules.explain.changes import MAX_REEVALUATIONS, Changes
from supervisor_rules.explain.conclusions import conclusions, is_open, value_in
from supervisor_rules.contracts.reasons import Reason
from supervisor_rules.explain.reasons import MAX_LEAVES, Explainer, closures_of

__all__ = ["Explained", "Reason", "MAX_LEAVES", "MAX_REEVALUATIONS", "value_in", "is_open"]


class Explained:
    """The explanation of one decision, computed on first use: ``reasons()`` (each conclusion's tree, with
    ``would_change_if``) and ``open_questions()``."""

    __slots__ = ("compiled", "facts", "sections", "calendar_source", "labels", "_reasons", "_questions",
                 "_changes", "_bare")

    def __init__(self, compiled: CompiledPolicy, facts: dict, sections: frozenset, calendar_source,
                 labels: dict | None = None):
        self.compiled, self.facts, self.sections = compiled, facts, sections
        self.calendar_source, self.labels = calendar_source, labels
        self._reasons: tuple[Reason, ...] | None = None
        self._questions: tuple[dict, ...] | None = None
        self._changes: Changes | None = None
        self._bare: list[Reason] | None = None

    def _changes_for(self, decision: Decision) -> Changes:
        if self._changes is None:
            compiled, calendar = self.compiled, self.calendar_source

            def reevaluate(facts: dict, sections: frozenset, as_of: dt.date) -> Decision:
                return runtime.evaluate(compiled, facts, sections, as_of, calendar)
            closures = closures_of(compiled)
            self._changes = Changes(self.facts, self.sections, decision, closures.fact_types, reevaluate,
                                    compiled.renewal, self.labels, closures.representatives)
        return self._changes

    def _bare_reasons(self, decision: Decision) -> list[Reason]:
        if self._bare is None:
            self._bare = conclusions(Explainer(self.compiled, self.facts, self.sections, decision,
                                               self.calendar_source))
        return self._bare

    def reasons(self, decision: Decision) -> tuple[Reason, ...]:
        """Each conclusion's reason tree, with the verified changes that would change it."""
        if self._reasons is None:
            changes = self._changes_for(decision)
            out = []
            for reason in self._bare_reasons(decision):
                out.append(Reason(reason.conclusion, reason.value, reason.ref, reason.because,
                                  changes.would_change_if(reason), reason.key, reason.not_fired))
            self._reasons = tuple(out)
        return self._reasons

    def open_questions(self, decision: Decision) -> tuple[dict, ...]:
        """For each open conclusion, the facts that could decide it and what each answer gives."""
        if self._questions is None:
            if not decision.missing_facts:
                self._questions = ()
            else:
                self._questions = self._changes_for(decision).open_questions(self._bare_reasons(decision))
        return self._questions
