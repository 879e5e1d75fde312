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
from supervisor_rules.explain.conclusions import FIELD_OF, conclusions, is_open, value_in
from supervisor_rules.contracts.reasons import Reason
from supervisor_rules.explain.reasons import MAX_LEAVES, Explainer, closures_of

__all__ = ["Explained", "Reason", "MAX_LEAVES", "MAX_REEVALUATIONS", "value_in", "is_open"]


class Explained:
    """The explanation of one decision, computed on first use: ``reasons()`` (each conclusion's tree, with
    ``would_change_if``) and ``open_questions()``."""

    __slots__ = ("compiled", "facts", "sections", "calendar_source", "labels", "_reasons", "_questions",
                 "_changes", "_bare", "_whole", "_truncated")

    def __init__(self, compiled: CompiledPolicy, facts: dict, sections: frozenset, calendar_source,
                 labels: dict | None = None):
        self.compiled, self.facts, self.sections = compiled, facts, sections
        self.calendar_source, self.labels = calendar_source, labels
        self._reasons: tuple[Reason, ...] | None = None
        self._questions: tuple[dict, ...] | None = None
        self._changes: Changes | None = None
        self._bare: list[Reason] | None = None
        self._truncated = False  # the whole explanation's trees were cut short at MAX_LEAVES
        self._whole: Decision | None = None

    def trace(self, decision: Decision) -> tuple:
        """The decision's trace (``Decision.trace``): every rule the evaluation met, recorded by evaluating
        the same case again with the recorder on (the first evaluation recorded nothing, so cost nothing)."""
        steps: list = []
        runtime.evaluate(self.compiled, self.facts, self.sections, decision.as_of, self.calendar_source, steps,
                         decision.only)
        return tuple(steps)

    def _whole_of(self, decision: Decision) -> Decision:
        """The decision of every question: an ``only=`` decision is explained from the whole one (a tree may
        name what another question decided: the term's end, the status), then cut to the fields asked for."""
        if decision.only is None:
            return decision
        if self._whole is None:
            self._whole = runtime.evaluate(self.compiled, self.facts, self.sections, decision.as_of,
                                           self.calendar_source)
        return self._whole

    def _changes_for(self, decision: Decision) -> Changes:
        if self._changes is None:
            compiled, calendar = self.compiled, self.calendar_source

            def reevaluate(facts: dict, sections: frozenset, as_of: dt.date, only: tuple | None) -> Decision:
                return runtime.evaluate(compiled, facts, sections, as_of, calendar, None, only)
            closures = closures_of(compiled)
            self._changes = Changes(self.facts, self.sections, decision, closures.fact_types, reevaluate,
                                    compiled.renewal, self.labels, closures.representatives, closures.kinds)
        return self._changes

    def _bare_reasons(self, decision: Decision) -> list[Reason]:
        if self._bare is None:
            explainer = Explainer(self.compiled, self.facts, self.sections, decision, self.calendar_source)
            self._bare = conclusions(explainer)
            self._truncated = explainer.full()
        return self._bare

    def _open_reasons(self, decision: Decision) -> list[Reason]:
        """The trees of the open conclusions: from the whole explanation where it is built (and was not
        cut short at ``MAX_LEAVES``), else built for those conclusions alone (the same trees: what an open
        question asks for does not depend on the other conclusions' trees), so that ``open_questions``
        does not pay for every tree, and is the same whether or not the explanation was asked for first."""
        if self._bare is not None and not self._truncated:
            return [r for r in self._bare if is_open(r)]
        explainer = Explainer(self.compiled, self.facts, self.sections, decision, self.calendar_source)
        return [r for r in conclusions(explainer, open_only=True) if is_open(r)]

    def reasons(self, decision: Decision) -> tuple[Reason, ...]:
        """Each conclusion's reason tree, with the verified changes that would change it."""
        if self._reasons is None:
            whole = self._whole_of(decision)
            changes = self._changes_for(whole)
            out = []
            for reason in self._bare_reasons(whole):
                if decision.only is None or FIELD_OF[reason.conclusion] in decision.only:
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
                whole = self._whole_of(decision)
                asked = self._changes_for(whole).open_questions(self._open_reasons(whole))
                self._questions = tuple(q for q in asked if decision.only is None
                                        or FIELD_OF[q["question"]] in decision.only)
        return self._questions
