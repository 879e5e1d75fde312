"""The reference interpreter: the checked rules, walked as docs/decisions.md describes them.

The other two backends (``runtime.interpret`` over compiled closures, and the code
``codegen`` generates) are built for speed. This one is built to be read: it walks
``checked.provisions`` and the expressions of ``lang/nodes`` directly, each time,
and computes every answer the way the documentation states it. It shares with
them only the calendar arithmetic of ``dates/`` (Civil Code periods, the
working-day calendar) and the decision types; nothing of the compiler, the
closure interpreter or the generated code. The conformance suite
(``tests/conformance``) holds all three to the same decisions and explanations.

Values are Kleene's three: ``True``, ``False`` and ``None`` (unknown).

The order of evaluation, and so of the explanation's steps, is fixed:
eligibility → term and renewals → grounds and status → violations → recusal →
obligations → report → notices. Each rule reads only what is decided before it
(the checker sees to that).
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any, Callable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import Checked, Provision
from supervisor_rules.dates import periods
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar
from supervisor_rules.contracts.decision import (Citation, Decision, DutyState, Effect, Eligibility,
                                                 EligibilityResult, Ground, InvalidRenewal, Notice, Obligation,
                                                 Recusal, RecusalResult, Report, ReportResult, Status, Step,
                                                 Term, UndeterminedRenewal, Violation)
from supervisor_rules.errors import RulesError

__all__ = ["evaluate"]


# ------------------------------------------------------------------ Kleene's three values
def kleene_and(values) -> bool | None:
    """False if any is false; else unknown if any is unknown; else true (true for none at all)."""
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def kleene_or(values) -> bool | None:
    """True if any is true; else unknown if any is unknown; else false (false for none at all)."""
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def kleene_not(value) -> bool | None:
    return None if value is None else not value


_COMPARISONS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
                ">=": operator.ge}


# ------------------------------------------------------------------ the policy's rules, in provision order
@attrs.define
class _Rule:
    """One rule of the policy, with the provision it stands under."""

    node: Any
    provision: Provision
    citation: Citation
    reads: tuple[str, ...] = ()  # the facts (section.fact) it reads, first reading first
    sections: frozenset[str] = frozenset()  # the sections whose presence makes it ask something


def _citation(provision: Provision) -> Citation:
    return Citation(provision.article, provision.paragraph, provision.item, provision.sub, provision.ref, provision.cite,
                    provision.text)


def _under(provision: Provision, ref: n.ArticleRef) -> bool:
    """Whether a provision falls under a reference, as docs/language.md says: ``article N`` is the whole
    article; ``article N paragraph P`` that paragraph with its items (paragraph 1 is the article's own
    text and the items before paragraph 2); an item without a paragraph is the first paragraph's; an
    item takes its sub-items along, a range ``(i)-(j)`` each of its items."""
    if provision.article != ref.article:
        return False
    if ref.paragraph is None and ref.item is None:
        return True
    paragraph = provision.paragraph if provision.paragraph is not None else 1
    if paragraph != (ref.paragraph if ref.paragraph is not None else 1):
        return False
    if ref.item is None:
        return True
    if provision.item is None or not ref.item <= provision.item <= (ref.last or ref.item):
        return False
    return ref.sub is None or provision.sub == ref.sub


def _sections_of(keys) -> frozenset[str]:
    return frozenset(key.split(".", 1)[0] for key in keys)


class _Policy:
    """The checked policy, sorted into what each question reads. Built afresh for each evaluation:
    nothing is kept between cases."""

    def __init__(self, checked: Checked):
        header = checked.header
        self.id = header.id if header is not None else ""
        self.provisions = checked.provisions
        self.open_facts = frozenset(f"{name}.{field}" for name, section in checked.sections.items()
                                    for field, info in section.fields.items() if not info.closed)
        # Where each provision stands, for lists "in the order of the provisions in the regulation".
        self.position: dict[Citation, int] = {}
        kinds: dict[type, list[_Rule]] = {}
        for provision in checked.provisions:
            citation = _citation(provision)
            self.position.setdefault(citation, len(self.position))
            for node in provision.rules:
                kinds.setdefault(type(node), []).append(_Rule(node, provision, citation))
        self.requirements = kinds.get(n.Require, [])
        self.preferences = kinds.get(n.Prefer, [])
        self.prohibitions = kinds.get(n.Prohibit, [])
        terms, renewals, records = kinds.get(n.Term, []), kinds.get(n.Renewal, []), kinds.get(n.DismissalRecord, [])
        self.term = terms[0] if terms else None
        self.renewal = renewals[0] if renewals else None
        self.record = records[0] if records else None
        self.grounds = kinds.get(n.Ground, [])
        self.recusals = kinds.get(n.Recusal, [])
        self.duties = kinds.get(n.Duty, [])
        self.scopes = kinds.get(n.ReportScope, [])
        self.categories = kinds.get(n.ReportCategory, [])
        self.rewards = kinds.get(n.Reward, [])
        self.notices = kinds.get(n.Notice, [])
        # What each rule reads. Requirements and prohibitions first: `satisfies` and `violates` stand
        # for what they read.
        for rule in self.requirements:
            rule.reads = self.reads(rule.node.condition, rule.node.guard)
            # A requirement asks about the section of what it requires, not of its guard.
            rule.sections = _sections_of(self.reads(rule.node.condition))
        for rule in self.prohibitions:
            rule.reads = (rule.node.path.dotted,)
        for rule in self.preferences:
            # A preference `prefer X when G` reads as `(not G) or X`: its guard is read first.
            rule.reads = self.reads(rule.node.guard, rule.node.condition)
        if self.term is not None:
            self.term.reads = (self.term.node.start.dotted,)
        if self.renewal is not None:
            self.renewal.reads = self.reads(self.renewal.node.condition, var=self.renewal.node.var)
        if self.record is not None:
            self.record.reads = (self.record.node.path.dotted,)
        for rule in (*self.grounds, *self.recusals, *self.scopes, *self.categories, *self.rewards, *self.notices):
            rule.reads = self.reads(rule.node.condition)
            rule.sections = _sections_of(rule.reads)
        for rule in self.duties:
            duty = rule.node
            rule.reads = self.reads(duty.when, duty.met, duty.breached, duty.due.base if duty.due else None,
                                    duty.done_on)
            # A duty arises for a case that has a section its condition reads (or always, reading none).
            rule.sections = _sections_of(self.reads(duty.when))

    def requirements_under(self, ref: n.ArticleRef) -> list[_Rule]:
        return [rule for rule in self.requirements if _under(rule.provision, ref)]

    def prohibitions_under(self, ref: n.ArticleRef) -> list[_Rule]:
        return [rule for rule in self.prohibitions if _under(rule.provision, ref)]

    def reads(self, *exprs, var: str | None = None) -> tuple[str, ...]:
        """The facts the expressions read, each once, in reading order (left to right, outside in);
        ``satisfies`` reads what its requirements read, ``violates`` the lists its prohibitions
        name. ``var``: a renewal record's name, whose fields are no facts."""
        found: dict[str, None] = {}

        def visit(node) -> None:
            if node is None:
                return
            if isinstance(node, (tuple, list)):
                for item in node:
                    visit(item)
                return
            if not attrs.has(type(node)):
                return
            if isinstance(node, n.Path):
                if node.parts[0] != var:
                    found.setdefault(node.dotted)
                return
            if isinstance(node, n.Satisfies):
                for rule in self.requirements_under(node.ref):
                    for key in rule.reads:
                        found.setdefault(key)
            elif isinstance(node, n.Violates):
                for rule in self.prohibitions_under(node.ref):
                    found.setdefault(rule.node.path.dotted)
            for field in attrs.fields(type(node)):
                if field.name != "span":
                    visit(getattr(node, field.name))

        for expr in exprs:
            visit(expr)
        return tuple(found)


# ------------------------------------------------------------------ one evaluation
class _Evaluation:
    def __init__(self, policy: _Policy, facts: dict, sections: frozenset, as_of: dt.date,
                 calendar_source: Callable[[], WorkdayCalendar]):
        self.policy = policy
        self.facts = facts
        self.sections = sections
        self.as_of = as_of
        self.calendar_source = calendar_source
        self.expired: bool | None = None  # set once the term is known
        self.dismissed: bool | None = None  # set once the status is known
        self.missing: set[str] = set()
        self.steps: list[Step] = []
        self.notices: list[Notice] = []

    # -------------------------------------------------------------- bookkeeping
    def step(self, rule: _Rule, kind: str, outcome, shown: dict | None = None) -> None:
        """One step of the explanation: the rule's provision and kind, its outcome, the facts it read."""
        if shown is None:
            shown = {key: self.facts.get(key) for key in rule.reads}
        self.steps.append(Step(rule.citation, kind, outcome, shown))

    def unknown(self, rule: _Rule) -> None:
        """The rule's answer is unknown: the open-world facts it reads that the case lacks are missing."""
        self.missing.update(key for key in rule.reads if key in self.policy.open_facts and key not in self.facts)

    def asks(self, rule_sections: frozenset[str]) -> bool:
        """A rule reading facts of sections the case does not have asks nothing of it."""
        return not rule_sections or bool(rule_sections & self.sections)

    # -------------------------------------------------------------- expressions
    def value(self, e, record: dict | None = None, var: str | None = None):
        """The value of expression ``e``; ``record`` is the renewal record that ``var`` names."""
        if isinstance(e, n.Path):
            if var is not None and e.parts[0] == var:
                return (record or {}).get(e.parts[1])
            return self.facts.get(e.dotted)
        if isinstance(e, n.Literal):
            return e.value
        if isinstance(e, n.Name):
            return e.name  # an enum value, compared with a fact
        if isinstance(e, n.AsOf):
            return self.as_of
        if isinstance(e, n.Expired):
            return self.expired
        if isinstance(e, n.Dismissed):
            return self.dismissed
        if isinstance(e, n.Not):
            return kleene_not(self.value(e.operand, record, var))
        if isinstance(e, n.And):
            return kleene_and(self.value(o, record, var) for o in e.operands)
        if isinstance(e, n.Or):
            return kleene_or(self.value(o, record, var) for o in e.operands)
        if isinstance(e, n.Compare):
            left = self.value(e.left, record, var)
            right = self.value(e.right, record, var)
            if left is None or right is None:
                return None
            return _COMPARISONS[e.op](left, right)
        if isinstance(e, n.Member):
            v = self.value(e.operand, record, var)
            if v is None:
                return None
            inside = v in {name.name for name in e.values}
            return not inside if e.negated else inside
        if isinstance(e, n.Has):
            v = self.value(e.operand, record, var)
            return None if v is None else e.value.name in v
        if isinstance(e, n.HasAny):
            v = self.value(e.operand, record, var)
            return None if v is None else any(name.name in v for name in e.values)
        if isinstance(e, n.IsKnown):
            if isinstance(e.operand, n.Name):  # `SECTION is known`: the case has the section
                known = e.operand.name in self.sections
            else:
                known = self.value(e.operand, record, var) is not None
            return not known if e.negated else known
        if isinstance(e, n.IsEmpty):
            v = self.value(e.operand, record, var)
            if v is None:
                return None
            empty = len(v) == 0
            return not empty if e.negated else empty
        if isinstance(e, n.Satisfies):
            # Every requirement under the provision holds (Kleene AND of them).
            return kleene_and(self.requirement(rule) for rule in self.policy.requirements_under(e.ref))
        if isinstance(e, n.Violates):
            # Some conduct the provision prohibits was recorded (Kleene OR over its prohibitions).
            found = []
            for rule in self.policy.prohibitions_under(e.ref):
                recorded = self.facts.get(rule.node.path.dotted)
                found.append(None if recorded is None else any(v.name in recorded for v in rule.node.values))
            return kleene_or(found)
        raise RulesError(f"the reference interpreter cannot evaluate {type(e).__name__} in a rule")

    def requirement(self, rule: _Rule):
        """A requirement ``require X when G`` holds as ``(not G) or X``."""
        node = rule.node
        if node.guard is None:
            return self.value(node.condition)
        return kleene_or((kleene_not(self.value(node.guard)), self.value(node.condition)))

    def preference(self, rule: _Rule):
        node = rule.node
        if node.guard is None:
            return self.value(node.condition)
        return kleene_or((kleene_not(self.value(node.guard)), self.value(node.condition)))

    # -------------------------------------------------------------- eligibility
    def eligibility(self) -> Eligibility:
        policy = self.policy
        asked: frozenset[str] = frozenset().union(*(rule.sections for rule in policy.requirements))
        if not policy.requirements or not asked & self.sections:
            return Eligibility(EligibilityResult.NOT_APPLICABLE)
        unmet, undetermined = [], []
        for rule in policy.requirements:
            holds = self.requirement(rule)
            self.step(rule, "require", holds)
            if holds is False:
                unmet.append(rule.citation)
            elif holds is None:
                undetermined.append(rule.citation)
                self.unknown(rule)
        if unmet:
            result = EligibilityResult.INELIGIBLE
        elif undetermined:
            result = EligibilityResult.UNKNOWN
        else:
            result = EligibilityResult.ELIGIBLE
        preferred: bool | None = None
        held: list[Citation] = []
        if policy.preferences:
            values = []
            for rule in policy.preferences:
                holds = self.preference(rule)
                self.step(rule, "prefer", holds)
                values.append(holds)
                if holds is True:
                    held.append(rule.citation)
                elif holds is None:
                    self.unknown(rule)
            preferred = True if held else None if None in values else False
        return Eligibility(result, tuple(unmet), tuple(undetermined), preferred, tuple(held))

    # -------------------------------------------------------------- term and renewals
    def term(self) -> Term | None:
        rule = self.policy.term
        if rule is None:
            return None
        node: n.Term = rule.node
        start = self.facts.get(node.start.dotted)
        if start is None:
            # Nobody appointed: no term, and nothing that can expire. Not an unknown: another question.
            self.step(rule, "term", None)
            self.expired = False
            return None
        months = node.amount * 12 if node.unit == "years" else node.amount

        def last_day(k: int) -> dt.date:
            """Term k (0: the first) ends (k + 1) terms after the original start (Civil Code 201-202)."""
            return periods.add_months(start, months * (k + 1))

        def term_of(day: dt.date) -> int:
            """The term a day on or after the start falls in: the first that has not ended before it."""
            # A first guess that is surely not past the answer: terms ending in an earlier month than
            # the day's have ended before it.
            elapsed = (day.year - start.year) * 12 + (day.month - start.month)
            k = max(elapsed // months - 1, 0)
            while last_day(k) < day:
                k += 1
            return k

        valid: list[dt.date] = []
        invalid: list[InvalidRenewal] = []
        undetermined: list[UndeterminedRenewal] = []
        possible = {0}  # how many valid renewals the chain may have reached so far
        renewal = self.policy.renewal
        if renewal is not None:
            source: n.Renewal = renewal.node
            field = source.dated.parts[1]
            shown_key = f"{source.source.dotted}[].{field}"
            for record in self.facts.get(source.source.dotted) or ():
                on = record[field]
                condition = self.value(source.condition, record, source.var)
                # A renewal applies to the term in which it is dated; one before the start, to none.
                dated_in = term_of(on) if on >= start else None
                outcomes, following = set(), set()
                for count in possible:
                    if dated_in == count and condition is True:
                        outcomes.add("valid")
                        following.add(count + 1)
                    elif dated_in == count and condition is None:
                        outcomes.add("unknown")
                        following.update((count, count + 1))
                    else:  # too late, too early, a second one in the term, or its conditions fail
                        outcomes.add("invalid")
                        following.add(count)
                on_time = dated_in is not None and dated_in in possible
                possible = following
                if outcomes == {"valid"}:
                    valid.append(on)
                    outcome = "valid"
                elif outcomes == {"invalid"}:
                    if on_time and condition is False:
                        why = self.renewal_reasons(renewal, False)
                    else:  # late, before the start or a second in the term: the term's article
                        why = (rule.citation,)
                    invalid.append(InvalidRenewal(on, why))
                    outcome = "invalid"
                else:
                    undetermined.append(UndeterminedRenewal(on, self.renewal_reasons(renewal, None)))
                    self.unknown(renewal)
                    outcome = None
                shown = {shown_key: on, **{key: self.facts.get(key) for key in renewal.reads}}
                self.step(renewal, "renewal", outcome, shown)
        earliest, latest = last_day(min(possible)), last_day(max(possible))
        if self.as_of > latest:
            self.expired = True
        elif self.as_of <= earliest:
            self.expired = False
        else:
            self.expired = None
        known = len(possible) == 1
        if not known:
            self.unknown(rule)
        self.step(rule, "term", latest.isoformat() if known else None, {node.start.dotted: start})
        years = node.amount if node.unit == "years" else node.amount / 12
        return Term(years, start, earliest if known else None,  # type: ignore[arg-type]
                    min(possible) + 1 if known else None, tuple(valid), tuple(invalid), tuple(undetermined))

    def renewal_reasons(self, renewal: _Rule, wanted) -> tuple[Citation, ...]:
        """Why a renewal's conditions fail (``wanted`` False) or are open (None): the requirements a
        `satisfies` condition stands for that have that value; else the renewal's own provision."""
        condition = renewal.node.condition
        if isinstance(condition, n.Satisfies):
            found = tuple(rule.citation for rule in self.policy.requirements_under(condition.ref)
                          if self.requirement(rule) is wanted)
            if found:
                return found
        return (renewal.citation,)

    # -------------------------------------------------------------- grounds and status
    def status(self, term: Term | None) -> tuple[list[Ground], Status]:
        if term is None or self.as_of < term.start:
            return [], Status.NOT_APPOINTED  # grounds are only looked for while appointed
        grounds: list[Ground] = []
        ends, ending_unknown = False, False
        for rule in self.policy.grounds:
            holds = self.value(rule.node.condition)
            self.step(rule, "ground", holds)
            ending = rule.node.effect != "discretionary"  # discretionary grounds never end the appointment
            if holds is True:
                grounds.append(Ground(rule.citation, Effect(rule.node.effect)))
                ends = ends or ending
            elif holds is None:
                self.unknown(rule)
                ending_unknown = ending_unknown or ending
        record = self.policy.record
        if record is not None:
            on = self.facts.get(record.node.path.dotted)
            recorded = on is not None and on <= self.as_of  # a dismissal recorded for later does not count yet
            self.step(record, "record", recorded)
            ends = ends or recorded
        if ends:
            return grounds, Status.DISMISSED
        return grounds, Status.UNKNOWN if ending_unknown else Status.ACTIVE

    # -------------------------------------------------------------- violations
    def violations(self) -> list[Violation]:
        out: list[Violation] = []
        for rule in self.policy.prohibitions:
            key = rule.node.path.dotted
            codes = {v.name for v in rule.node.values}
            kept = [code for code in self.facts.get(key) or () if code in codes]  # in the case's order
            out.extend(Violation(code, rule.citation) for code in kept)
            self.step(rule, "prohibit", kept)
        return out

    # -------------------------------------------------------------- recusal
    def recusal(self) -> Recusal:
        rules = self.policy.recusals
        asked: frozenset[str] = frozenset().union(*(rule.sections for rule in rules))
        if not rules or not asked & self.sections:
            return Recusal(RecusalResult.NOT_APPLICABLE)
        holding, open_ = [], False
        for rule in rules:
            holds = self.value(rule.node.condition)
            self.step(rule, "recusal", holds)
            if holds is True:
                holding.append(rule)
            elif holds is None:
                open_ = True
                self.unknown(rule)
        if not holding:
            return Recusal(RecusalResult.UNKNOWN if open_ else RecusalResult.NOT_REQUIRED)
        # `required` (the supervisor shall recuse) outranks `request` (shall ask to); the strongest
        # kind is the answer, citing every rule of that kind that holds.
        rank = {"required": 2, "request": 1}
        strongest = max(rank[rule.node.kind] for rule in holding)
        chosen = [rule for rule in holding if rank[rule.node.kind] == strongest]
        return Recusal(RecusalResult(chosen[0].node.kind), chosen[0].node.decided_by,
                       tuple(rule.citation for rule in chosen))

    # -------------------------------------------------------------- obligations
    def obligations(self) -> list[Obligation]:
        out = []
        for rule in self.policy.duties:
            duty: n.Duty = rule.node
            if not self.asks(rule.sections):
                continue
            arises = self.value(duty.when) if duty.when is not None else True
            if arises is not True:
                if arises is None:  # whether the duty arises is open: its facts are missing
                    self.unknown(rule)
                self.step(rule, "duty", arises)
                continue
            if duty.due is not None:
                due, state = self.deadline(rule)
            else:
                due = None
                met = self.value(duty.met) if duty.met is not None else None
                breached = self.value(duty.breached) if duty.breached is not None else None
                state = DutyState.MET if met is True else DutyState.BREACHED if breached is True else DutyState.OWED
            out.append(Obligation(duty.code, rule.citation, due, state))
            self.step(rule, "duty", str(state))
        return out

    def deadline(self, rule: _Rule) -> tuple[dt.date | None, DutyState]:
        """A deadline duty: its due date (None where it cannot be computed) and state."""
        duty: n.Duty = rule.node
        assert duty.due is not None and duty.done_on is not None
        amount, unit = duty.due.amount, duty.due.unit
        base = self.facts.get(duty.due.base.dotted)
        done = self.facts.get(duty.done_on.dotted)
        if base is None:
            return None, DutyState.UNKNOWN
        try:
            if unit == "working_days":  # the N-th working day after the base (the base not counted)
                due = self.calendar_source().add_working_days(base, amount)
            elif unit == "days":
                due = base + dt.timedelta(days=amount)
            elif unit == "months":
                due = periods.add_months(base, amount)
            else:  # years
                due = periods.add_months(base, amount * 12)
        except MissingCalendarYear as exc:
            # Never guessed: no due date, and a notice names the missing year.
            self.notices.append(Notice(rule.citation, f"缺少 {exc.year} 年的工作日历（国务院放假安排），"
                                                      f"无法计算期限: {exc}"))
            # N working days are at least N calendar days: until then the duty cannot be late.
            if done is None and self.as_of <= base + dt.timedelta(days=amount):
                return None, DutyState.OWED
            return None, DutyState.UNKNOWN
        except (periods.PeriodOutOfRange, OverflowError):
            return None, DutyState.UNKNOWN
        if done is not None:
            return due, DutyState.MET if done <= due else DutyState.OVERDUE
        return due, DutyState.OVERDUE if self.as_of > due else DutyState.OWED

    # -------------------------------------------------------------- report
    def report(self) -> Report:
        policy = self.policy
        rules = [*policy.scopes, *policy.categories]
        asked: frozenset[str] = frozenset().union(*(rule.sections for rule in rules))
        if not rules or not asked & self.sections:
            return Report(ReportResult.NOT_APPLICABLE)
        # In scope: every scope rule holds (Kleene AND) ...
        scope_values = []
        for rule in policy.scopes:
            holds = self.value(rule.node.condition)
            self.step(rule, "scope", holds)
            scope_values.append(holds)
            if holds is None:
                self.unknown(rule)
        scope = kleene_and(scope_values)
        # ... and, where the policy has categories, one of them does: the first that holds is the category.
        category: Citation | None = None
        category_values = []
        for rule in policy.categories:
            holds = self.value(rule.node.condition)
            self.step(rule, "category", holds)
            category_values.append(holds)
            if holds is True:
                category = rule.citation
                break
            if holds is None:
                self.unknown(rule)
        categorised = kleene_or(category_values) if policy.categories else True
        in_scope = kleene_and((scope, categorised))
        if in_scope is None:
            return Report(ReportResult.UNKNOWN, category)
        if in_scope is False:
            return Report(ReportResult.OUT_OF_SCOPE, None)
        for rule in policy.rewards:
            holds = self.value(rule.node.condition)
            self.step(rule, "reward", holds)
            if holds is True:
                return Report(ReportResult.IN_SCOPE, category, True, rule.node.rules)
            if holds is None:
                self.unknown(rule)
        return Report(ReportResult.IN_SCOPE, category, False, None)

    # -------------------------------------------------------------- notices
    def rule_notices(self) -> None:
        for rule in self.policy.notices:
            if not self.asks(rule.sections):
                continue
            holds = self.value(rule.node.condition)
            self.step(rule, "notice", holds)  # advisory: an unknown notice leaves nothing open
            if holds is True:
                self.notices.append(Notice(rule.citation, rule.node.message))

    def sorted_notices(self) -> tuple[Notice, ...]:
        """In the order of the provisions they cite (stable; a notice citing none last)."""
        last = len(self.policy.position)
        return tuple(sorted(self.notices, key=lambda notice: self.policy.position.get(notice.citation, last)
                            if notice.citation is not None else last))


def evaluate(checked: Checked, facts: dict, sections: frozenset, as_of: dt.date,
             calendar_source: Callable[[], WorkdayCalendar]) -> Decision:
    """Decide one validated case (``Policy.read_case`` gives ``facts``, ``sections`` and ``as_of``) under
    the checked policy, explanation included. ``calendar_source()`` gives the working-day calendar;
    it is called only where working days are counted."""
    run = _Evaluation(_Policy(checked), facts, sections, as_of, calendar_source)
    eligibility = run.eligibility()
    term = run.term()
    grounds, status = run.status(term)
    run.dismissed = True if status == Status.DISMISSED else None if status == Status.UNKNOWN else False
    run.steps.append(Step(None, "status", str(status), {}))
    violations = run.violations()
    recusal = run.recusal()
    obligations = run.obligations()
    report = run.report()
    run.rule_notices()
    return Decision(policy=run.policy.id, as_of=as_of, eligibility=eligibility, term=term, status=status,
                    grounds=tuple(grounds), recusal=recusal, obligations=tuple(obligations),
                    violations=tuple(violations), report=report, notices=run.sorted_notices(),
                    missing_facts=tuple(sorted(run.missing)), explanation=tuple(run.steps))
