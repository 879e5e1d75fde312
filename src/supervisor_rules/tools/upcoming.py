"""``supervisor-rules upcoming POLICY ROSTER --within 60d``: what falls due across a roster.

Each case of the roster (JSON Lines or CSV, with ids: ``tools/roster.py``) is decided by the
policy's public ``evaluate``; its events are read from the decision:

- ``term_end``: the term's ``last_day`` within the window while the supervisor is appointed (no
  valid renewal reaches past it: one is due, or the appointment ends by itself);
- ``duty_due``: a duty ``owed`` whose ``due`` date is within the window;
- ``duty_overdue``: a duty ``overdue``, whenever it fell due;
- ``calendar_missing``: a notice that the working-day calendar lacks a year
  (``workdays.missing_year_in``), dated 1 January of that year (or ``as_of``, if later), within
  the window: a deadline may fall there and cannot be counted until the year is supplied.

The window is ``[as_of, as_of + within]``, ``as_of`` each case's own (or ``--as-of``). Events are
listed in date order, then in roster order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from supervisor_rules.contracts import case as case_module
from supervisor_rules.contracts.decision import TEXT_WORDS
from supervisor_rules.dates import periods
from supervisor_rules.dates.workdays import missing_year_in
from supervisor_rules.errors import CaseError, RulesError
from supervisor_rules.tools import roster
from supervisor_rules.tools.roster import NO_ID

#: The longest window ``--within`` takes, in days (ten years).
MAX_WINDOW_DAYS = 3660
_WITHIN = re.compile(r"([0-9]{1,5})([dwmy])\Z")
KINDS = ("duty_overdue", "term_end", "duty_due", "calendar_missing")


def window_end(as_of: dt.date, within: str) -> dt.date:
    """The last day of the window ``within`` (``60d``, ``8w``, ``3m``, ``1y``) from ``as_of``: days and
    weeks counted on, months and years by the Civil Code's period rule (the corresponding day, or
    the month's last). Raises ValueError for anything else, or a window over ten years."""
    found = _WITHIN.match(within.strip().lower()) if isinstance(within, str) else None
    if found is None:
        raise ValueError(f"expected a window such as 60d, 8w, 3m or 1y, got {within!r:.40}")
    count, unit = int(found.group(1)), found.group(2)
    if count * {"d": 1, "w": 7, "m": 30, "y": 366}[unit] > MAX_WINDOW_DAYS:
        raise ValueError(f"a window of {within.strip()} is over the limit of ten years")
    try:
        if unit in "dw":
            return as_of + dt.timedelta(days=count * (7 if unit == "w" else 1))
        return periods.add_months(as_of, count * (12 if unit == "y" else 1))
    except (OverflowError, periods.PeriodOutOfRange):
        return dt.date.max


@attrs.frozen
class Event:
    """One thing falling due for one case of the roster."""

    ident: Any  # the record's id, or roster.NO_ID
    line: int  # where the record is in the roster
    kind: str  # one of KINDS
    date: dt.date
    as_of: dt.date
    ref: str | None
    cite: str | None
    detail: Mapping[str, Any]  # what the description says: duty, state, year, renewal, …

    @property
    def overdue(self) -> bool:
        return self.date < self.as_of

    def describe(self, lang: str = "zh", values: Mapping[str, str] | None = None) -> str:
        """A short description in ``lang`` (zh or en); ``values`` names codes in Chinese."""
        zh = lang == "zh"
        d = self.detail
        if self.kind == "term_end":
            term = d.get("terms")
            if zh:
                text = (f"第 {term} 届聘期届满" if term else "聘期届满") + "，尚未记录续聘：届满前续聘，否则自然解聘"
                if d.get("invalid_renewal"):
                    text += f"（{d['invalid_renewal']} 的续聘记录无效）"
                return text
            text = (f"term {term} ends" if term else "the term ends") + \
                "; no renewal recorded yet: renew by then, or the appointment ends"
            if d.get("invalid_renewal"):
                text += f" (the renewal recorded on {d['invalid_renewal']} is invalid)"
            return text
        if self.kind in ("duty_due", "duty_overdue"):
            duty = d["duty"]
            who = TEXT_WORDS[lang]["who"].get(d.get("bearer", ""), d.get("bearer", ""))
            if zh:
                name = (values or {}).get(duty) or duty
                return f"{name}（由{who}履行）" + ("已逾期" if self.kind == "duty_overdue" else "到期")
            return f"{duty} (owed by the {who}) " + ("overdue" if self.kind == "duty_overdue" else "falls due")
        year = d["year"]
        if zh:
            return f"缺少 {year} 年的工作日历，该年的期限无法计算：用 --calendar FILE 补充"
        return f"no working-day calendar for {year}: deadlines in it cannot be counted; supply it with --calendar FILE"

    def to_dict(self, lang: str = "zh", values: Mapping[str, str] | None = None) -> dict:
        out: dict = {} if self.ident is NO_ID else {"id": self.ident}
        out.update({"line": self.line, "kind": self.kind, "date": self.date.isoformat(), "overdue": self.overdue,
                    "as_of": self.as_of.isoformat(), "ref": self.ref, "cite": self.cite,
                    "description": self.describe(lang, values)})
        return out


@attrs.frozen
class BadRecord:
    """A roster record that could not be decided: where, its id if it has one, what is wrong."""

    ident: Any
    line: int
    error: str
    problems: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        out: dict = {} if self.ident is NO_ID else {"id": self.ident}
        out.update({"line": self.line, "error": self.error, "problems": list(self.problems)})
        return out


def case_events(policy, case: Mapping, within: str, *, ident: Any = NO_ID, line: int = 0,
                as_of: dt.date | None = None) -> list[Event]:
    """The events of one case (``Policy.evaluate``; a family's too). Raises ``CaseError`` for an invalid
    case, ValueError for a bad ``within``."""
    decision = policy.evaluate(case, as_of=as_of)
    day = decision.as_of
    end = window_end(day, within)
    events: list[Event] = []
    term = decision.term
    if (term is not None and term.last_day is not None and str(decision.status) in ("active", "unknown")
            and day <= term.last_day <= end):
        ref = _term_ref(decision)
        invalid = [r.on for r in term.invalid_renewals if r.on <= term.last_day]
        events.append(Event(ident, line, "term_end", term.last_day, day, ref, _cite(policy, case, ref),
                            {"terms": term.terms, "invalid_renewal": invalid[-1].isoformat() if invalid else None}))
    for o in decision.obligations:
        state = str(o.state)
        if state == "overdue" or (state == "owed" and o.due is not None and o.due <= end):
            kind = "duty_overdue" if state == "overdue" else "duty_due"
            events.append(Event(ident, line, kind, o.due or day, day, o.citation.ref, o.citation.cite,
                                {"duty": o.duty, "bearer": o.bearer, "state": state}))
    seen: set[int] = set()
    for notice in decision.notices:
        year = missing_year_in(notice.message)
        if year is None or year in seen:
            continue
        seen.add(year)
        try:
            date = max(day, dt.date(year, 1, 1))
        except ValueError:
            continue
        if date <= end:
            citation = notice.citation
            events.append(Event(ident, line, "calendar_missing", date, day, citation.ref if citation else None,
                                citation.cite if citation else None, {"year": year}))
    return events


def _term_ref(decision) -> str | None:
    """The provision that fixes the term (the ``term`` reason's ``ref``), if the explanation names one."""
    for reason in decision.explanation:
        data = reason.to_dict()
        if data.get("conclusion") == "term":
            return data.get("ref")
    return None


def _cite(policy, case: Mapping, ref: str | None) -> str | None:
    if ref is None:
        return None
    select = getattr(policy, "select", None)
    vehicle = select(case)[0] if select is not None else policy
    for article in vehicle.articles:
        for citation in article.provisions:
            if citation.ref == ref:
                return citation.cite
        if str(article.number) == ref:
            return article.cite
    return None


def roster_records(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Any, Any]]:
    """(line, id, case or an exception) for each non-blank JSON line."""
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, NO_ID, CaseError([("", "line is not valid UTF-8")])
                continue
        if number == 1:
            raw = raw.lstrip("\ufeff")
        if not raw.strip(" \t\r\n"):
            continue
        if len(raw) > case_module.MAX_CASE_BYTES:
            yield number, NO_ID, CaseError([("", f"line is {case_module.too_large(len(raw))}")])
            continue
        try:
            case = case_module.loads(raw)
        except (ValueError, RecursionError) as exc:
            yield number, NO_ID, CaseError([("", case_module.json_problem(exc) or "invalid JSON")])
            continue
        if not isinstance(case, dict):
            yield number, NO_ID, CaseError([("", "a case must be a JSON object")])
            continue
        try:
            ident, case = roster.split_id(case)
        except CaseError as exc:
            yield number, NO_ID, exc
            continue
        yield number, ident, case


def csv_records(header: tuple[str, ...], rows: Iterable[roster.Row], policy) -> Iterator[tuple[int, Any, Any]]:
    """(line, id, case or an exception) for each CSV record (``roster.HeaderError`` for a bad header)."""
    cases = roster.CsvCases(header, roster.field_types(policy))
    for row in rows:
        try:
            ident, case = cases.case(row.cells)
        except CaseError as exc:
            yield row.line, getattr(exc, "record_id", NO_ID), exc
            continue
        yield row.line, ident, case


def upcoming(policy, records: Iterable[tuple[int, Any, Any]], within: str,
             as_of: dt.date | None = None) -> tuple[list[Event], list[BadRecord]]:
    """(every event of the roster's records, in date order then roster order; the records that could
    not be decided). ``records`` as ``roster_records`` / ``csv_records`` give them."""
    window_end(dt.date(2000, 1, 1), within)  # a bad window is refused before any record is read
    events: list[Event] = []
    bad: list[BadRecord] = []
    for line, ident, case in records:
        if isinstance(case, Exception):
            bad.append(_bad(ident, line, case))
            continue
        try:
            events.extend(case_events(policy, case, within, ident=ident, line=line, as_of=as_of))
        except (RulesError, ValueError) as exc:
            bad.append(_bad(ident, line, exc))
    events.sort(key=lambda e: (e.date, e.line, KINDS.index(e.kind)))
    return events, bad


def _bad(ident: Any, line: int, exc: Exception) -> BadRecord:
    if isinstance(exc, CaseError):
        payload = exc.to_dict()
        return BadRecord(ident, line, payload["error"], tuple(payload["problems"]))
    return BadRecord(ident, line, " ".join(str(exc).split()))


KIND_WORDS = {
    "zh": {"term_end": "聘期届满", "duty_due": "义务到期", "duty_overdue": "义务逾期", "calendar_missing": "缺少日历"},
    "en": {"term_end": "term ends", "duty_due": "duty due", "duty_overdue": "duty overdue",
           "calendar_missing": "calendar missing"},
}


def text_line(event: Event, lang: str = "zh", values: Mapping[str, str] | None = None) -> str:
    """``2024-07-01  W-001  聘期届满  第N条（N）  …`` — one event as a line of text."""
    who = roster.who(event.ident, event.line, lang)
    where = (f"{event.cite}（{event.ref}）" if lang == "zh" and event.cite else
             f"art. {event.ref}" if event.ref else "")
    late = ("（已逾期）" if lang == "zh" else " (overdue)") if event.overdue else ""
    return "  ".join(p for p in (event.date.isoformat() + late, who, KIND_WORDS[lang][event.kind], where,
                                 event.describe(lang, values)) if p)


CSV_COLUMNS = ("id", "line", "date", "overdue", "kind", "ref", "cite", "description")


def csv_cells(event: Event, lang: str = "zh", values: Mapping[str, str] | None = None) -> list[str]:
    data = event.to_dict(lang, values)
    return [roster.column_text(data, c) for c in CSV_COLUMNS]


def json_document(events: list[Event], bad: list[BadRecord], within: str, lang: str = "zh",
                  values: Mapping[str, str] | None = None) -> str:
    return json.dumps({"within": within, "events": [e.to_dict(lang, values) for e in events],
                       "errors": [b.to_dict() for b in bad]}, ensure_ascii=False, indent=2)
