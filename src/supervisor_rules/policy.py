"""Loading policies (with their imports) and evaluating cases: the ``Policy`` object."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import attrs

from supervisor_rules.contracts import case as case_module
from supervisor_rules.contracts.decision_schema import decision_schema
from supervisor_rules import questions
from supervisor_rules.lang import checker, keywords, nodes, parser
from supervisor_rules.engine import BACKENDS, codegen, compiler, runtime
from supervisor_rules.contracts.decision import CalendarStamp, Citation, Decision, Meta, Notice, TextLabels, steps_of
from supervisor_rules.explain import Explained
from supervisor_rules.errors import CaseProblem, Diagnostic, PolicyError, PolicySyntaxError, RulesError
from supervisor_rules.resources import VERSION, path_problem, policies_dir
from supervisor_rules.dates.workdays import WorkdayCalendar, default_calendar

MAX_IMPORTS = 32

# BACKENDS (engine/__init__.py): the evaluation backends ``Policy.evaluate_with`` runs, re-exported here.


# The generated fast paths (codegen.py) for case validation and evaluation. codegen imports case and
# runtime, so they never import it: this layer installs it. Imported with the package, not on the first
# evaluation, so that evaluating reads no file.
def _generate(compiled: compiler.CompiledPolicy, traced: bool = False, only: tuple[str, ...] | None = None,
              fused: bool = False):
    return codegen.generate(compiled, traced=traced, only=only, fused=fused)


runtime.use_generator(_generate)
case_module.use_fast_validators(codegen.validator)


class _Deferred:
    """A fused evaluation's explanation (``Explained``), made on first use from the facts' values the
    evaluator read: the facts dict only the explanation, the trace and the open questions read is built
    only for them. The values are the case's as validated (lists copied as tuples, records as new dicts),
    so a case changed after ``evaluate`` changes nothing here."""

    __slots__ = ("policy", "values", "sections", "labels", "made")

    def __init__(self, policy: "Policy", values: tuple, sections: frozenset, labels):
        self.policy, self.values, self.sections, self.labels = policy, values, sections, labels
        self.made: Explained | None = None

    def explained(self) -> Explained:
        if self.made is None:
            policy = self.policy
            facts = runtime.fused_facts(policy._compiled, self.values)
            self.made = Explained(policy._compiled, facts, self.sections, policy._calendar_source, self.labels)
        return self.made

    def trace(self, decision: Decision) -> tuple:
        return self.explained().trace(decision)

    def reasons(self, decision: Decision) -> tuple:
        return self.explained().reasons(decision)

    def open_questions(self, decision: Decision) -> tuple:
        return self.explained().open_questions(decision)


@attrs.frozen
class ArticleInfo:
    """An article of the policy, for applications that show the regulation."""

    number: int
    cite: str
    text: str | None
    chapter: int | None
    text_only: bool
    provisions: tuple[Citation, ...]


class Policy:
    """A loaded, checked and compiled policy. Load once; ``evaluate`` is cheap and pure."""

    def __init__(self, compiled: compiler.CompiledPolicy, warnings: tuple[Diagnostic, ...] = (),
                 calendar: WorkdayCalendar | None = None, source: str = "<string>", sha256: str = ""):
        self._compiled = compiled
        # Of the policy's source and its imports (``source_digest``), for audit: the decision's meta.
        self.sha256 = sha256
        self._sections = compiled.checked.sections
        self._defaults = case_module.closed_world_defaults(self._sections)
        # A policy that counts working days gets its calendar now, not in its first evaluation
        # (building the default one reads the chinesecalendar package).
        # (Every deadline but `immediately` reads it: art. 203 moves a period's last day off a day off.)
        counts_workdays = any(rule.due is not None and rule.due[1] != "immediately" for rule in compiled.duties)
        self._calendar = calendar if calendar is not None or not counts_workdays else default_calendar()
        self.warnings = warnings
        self.source = source
        self._calendar_source = lambda: self.calendar  # what evaluation calls where it counts working days
        header = compiled.checked.header
        self.id: str = compiled.id
        self.title: str | None = compiled.title
        self.authority: str | None = header.authority if header else None
        self.document: str | None = header.document if header else None
        # The header's dates (docs/language.md, "Dates in force"): None where the header gives none;
        # ``effective`` is None too for `effective on issuance` (no day is written down).
        self.effective: dt.date | None = (header.effective if header and isinstance(header.effective, dt.date)
                                          else None)
        self.effective_on_issuance: bool = bool(header and header.effective == "on_issuance")
        self.repealed: dt.date | None = header.repealed if header else None
        self.valid_until: dt.date | None = header.valid_until if header else None
        self.trial: bool = bool(header and header.status == "trial")
        by_article: dict[int, list[Citation]] = {}
        for citation in compiled.citations:  # one pass: policies may have thousands of articles
            by_article.setdefault(citation.article, []).append(citation)
        self.articles: tuple[ArticleInfo, ...] = tuple(_article_info(a, tuple(by_article.get(a.number, ())))
                                                       for a in compiled.checked.articles)

    def in_force(self, day: dt.date) -> bool:
        """Whether the header's dates put ``day`` within the policy's time in force (from ``effective``,
        before ``repealed``, through ``valid_until``; a date the header does not give bounds nothing)."""
        return not ((self.effective is not None and day < self.effective)
                    or (self.repealed is not None and day >= self.repealed)
                    or (self.valid_until is not None and day > self.valid_until))

    @functools.cached_property
    def invariants(self) -> tuple[Any, ...]:
        """The policy's invariants, compiled on first use (``check`` reads them; ``evaluate`` never does)."""
        from supervisor_rules.tools.invariants import compile_invariants
        return compile_invariants(self._compiled.checked)

    def __reduce__(self) -> tuple[Any, ...]:
        # What crosses to another process (a ProcessPoolExecutor's worker) is the checked policy; the
        # worker compiles it again (its generated code is built there on first use). Nothing is re-read
        # from files, so the copy is this policy even if its files have changed since.
        return _rebuild_policy, (self._compiled.checked, self.warnings, self._calendar, self.source, self.sha256)

    def __repr__(self) -> str:
        return f"<Policy {self.id!r}: {self.title or ''} ({len(self.articles)} articles)>"

    @property
    def calendar(self) -> WorkdayCalendar:
        """The working-day calendar deadlines are counted on (chinesecalendar unless replaced)."""
        if self._calendar is None:
            self._calendar = default_calendar()
        return self._calendar

    def with_calendar(self, calendar: WorkdayCalendar) -> "Policy":
        """The same policy counting working days on ``calendar`` (e.g. with a newly published year)."""
        if not isinstance(calendar, WorkdayCalendar):
            raise RulesError(f"with_calendar takes a WorkdayCalendar, not {type(calendar).__name__}")
        return Policy(self._compiled, self.warnings, calendar, self.source, self.sha256)

    @functools.cached_property
    def meta(self) -> Meta:
        """What every decision of this policy carries as ``meta`` (DECISION.md): the same object each time."""
        calendar = self.calendar
        return Meta(self.sha256, VERSION, CalendarStamp(calendar.source, calendar.version or calendar.digest(),
                                                        tuple(sorted(calendar.years))))

    @property
    def compiled(self) -> compiler.CompiledPolicy:
        """The compiled form (rules, citations, the checked AST): what the package's tools read."""
        return self._compiled

    @property
    def sections(self) -> Mapping[str, checker.Section]:
        """The case format's sections as checked: name → its fields and their types."""
        return self._sections

    def read_case(self, case: Mapping, as_of: dt.date | str | None = None) -> tuple[dict, frozenset, dt.date]:
        """``(facts, sections present, as_of)``: the case as evaluation reads it, closed-world
        defaults filled in. Raises ``CaseError`` for an invalid case or ``as_of``."""
        if as_of is not None and type(as_of) is not dt.date:  # a datetime is refused by parse_date
            as_of = self._as_of(as_of)
        return case_module.validate(self._sections, case, as_of, self._defaults)

    def evaluate(self, case: Mapping, *, as_of: dt.date | str | None = None,
                 only: Iterable[str] | None = None) -> Decision:
        """Decide one case (a dict in the case format). Raises ``CaseError`` for an invalid case.

        ``only``: just these questions (``eligibility``, ``term``, ``status``, ``grounds``, ``recusal``,
        ``obligations``, ``violations``, ``report``, ``notices``, ``findings``), answered by code made for
        them and what they read; the other fields are None and ``to_dict()`` leaves them out, and
        ``missing_facts`` lists what those questions lack. An unknown name is a ``ValueError``."""
        fields = asked_fields(only) if only is not None else None
        if as_of is not None and type(as_of) is not dt.date:
            as_of = self._as_of(as_of)
        # One pass: code generated for the policy (and the fields asked) checks the case as it reads it and
        # decides from what it read. Anything it does not accept — a problem, an unusual type — it leaves
        # to the thorough path below, which rejects an invalid case with every problem.
        fused = runtime.fused_path(self._compiled, fields)  # made on first use, one per set of fields asked
        if fused is not None:
            done = fused(case, as_of, self._calendar_source)
            if done is not None:
                decision, sections, day, values = done
                if fields is not None:
                    decision.only = fields
                decision.meta = self.meta
                labels = decision._labels = self.text_labels
                decision._explained = _Deferred(self, values, sections, labels.facts)
                return decision
        facts, sections, day = self.read_case(case, as_of)
        decision = runtime.evaluate(self._compiled, facts, sections, day, self._calendar_source, None, fields)
        self.stamp(decision, facts, sections, day)
        return decision

    @staticmethod
    def _as_of(as_of) -> dt.date:
        """An ``as_of`` given as text (or anything but a date) as a date; ``CaseError`` if it is none."""
        problems: list = []
        day = case_module.parse_date(as_of, "as_of", problems)
        if day is None:  # then problems says why
            raise case_module.CaseError(problems)
        return day

    def stamp(self, decision: Decision, facts: dict, sections: frozenset, day: dt.date) -> None:
        """Give a decision this policy made from ``read_case``'s ``facts``, ``sections`` and ``day`` its
        ``meta`` stamp, and its trace and explanation to compute on first use (``evaluate`` does this)."""
        # One object per decision (the explanation, and the trace on first use): evaluation pays little.
        decision.meta = self.meta
        labels = decision._labels = self.text_labels
        decision._explained = Explained(self._compiled, facts, sections, self._calendar_source, labels.facts)

    def evaluate_with(self, backend: str, case: Mapping, *, as_of: dt.date | str | None = None,
                      only: Iterable[str] | None = None) -> Decision:
        """Decide one case on the named backend (one of ``BACKENDS``), explanation included (``only`` as
        for ``evaluate``).

        ``generated`` is what ``evaluate`` runs: code generated for this policy. ``interpreter``
        walks the compiled rules one closure at a time. ``reference`` (``engine/reference.py``) is a
        plain, unoptimised interpreter that walks the checked rules (``compiled.checked``) directly,
        written from docs/decisions.md: it shares with the other two only the calendar arithmetic
        (``dates/``) and the decision types, none of the compiler's or the runtime's code. All three
        must give the same decision and the same explanation: the conformance suite
        (``tests/conformance``) holds them to it."""
        if backend not in BACKENDS:
            shown = _shown(backend) if isinstance(backend, str) else type(backend).__name__  # str(10**5000) raises
            raise RulesError(f"no backend `{shown}`; the backends are {', '.join(BACKENDS)}")
        if backend == "generated":
            decision = self.evaluate(case, as_of=as_of, only=only)
            decision.trace  # noqa: B018 (recorded now, on the backend asked for)
            return decision
        fields = asked_fields(only)
        facts, sections, day = self.read_case(case, as_of)
        if backend == "reference":
            from supervisor_rules.engine import reference  # only the conformance suite and its kin ask for it
            decision = reference.evaluate(self.compiled.checked, facts, sections, day, lambda: self.calendar,
                                          fields)
            self.stamp(decision, facts, sections, day)
            return decision
        records: list = []
        decision = runtime.interpret(self._compiled, facts, sections, day, lambda: self.calendar, records, fields)
        decision._steps = steps_of(records)
        self.stamp(decision, facts, sections, day)
        return decision

    def evaluate_many(self, cases: Iterable[Mapping], *, as_of: dt.date | str | None = None,
                      only: Iterable[str] | None = None) -> Iterator[Decision]:
        """Decide each case in turn (lazily); an invalid case raises ``CaseError`` when reached; ``only`` as
        for ``evaluate`` (a bad one raises at once)."""
        return _each(self.evaluate, cases, as_of, asked_fields(only))

    def schema(self) -> dict:
        """The policy's case format as JSON Schema."""
        return case_module.json_schema(self.id, self.title, self._sections)

    @functools.cached_property
    def text_labels(self) -> TextLabels:
        """The rule file's labels of its facts, enum values and duties, for ``Decision.to_text``."""
        return _text_labels([self])

    def decision_schema(self) -> dict:
        """The JSON Schema of this policy's decisions (``Decision.to_dict()``), its codes enumerated."""
        return decision_schema(self.id, self.title, [self.id], *_decision_codes([self]))

    @property
    def facts(self) -> dict[str, dict[str, str]]:
        """Declared facts: section → fact → its type in words."""
        return {name: {f: str(info.type) for f, info in section.fields.items()}
                for name, section in self._sections.items()}


def _text_labels(policies: Iterable[Policy]) -> TextLabels:
    facts: dict[str, str] = {}
    values: dict[str, str] = {}

    def enums(kind, seen: set) -> None:
        if isinstance(kind, checker.ListT):
            enums(kind.element, seen)
        elif isinstance(kind, checker.EnumT):
            for value, label in zip(kind.values, kind.labels):
                if label:
                    values.setdefault(value, label)
        elif isinstance(kind, checker.RecordT) and kind.name not in seen:
            seen.add(kind.name)
            for info in kind.fields.values():
                enums(info.type, seen)

    for policy in policies:
        for name, section in policy.sections.items():
            for field, info in section.fields.items():
                if info.label:
                    facts.setdefault(f"{name}.{field}", info.label)
                enums(info.type, set())
        # The codes rules put in a decision, by their labels (a duty's): after the policy's enum values,
        # so that a code that is also one of its values keeps the value's label.
        for provision in policy.compiled.checked.provisions:
            for rule in provision.rules:
                kind = questions.kind_of(rule)
                if kind is not None and kind.labels is not None:
                    for code, label in kind.labels(rule):
                        values.setdefault(code, label)
    cites = {c.ref: c.cite for policy in policies for c in policy.compiled.citations}
    return TextLabels(facts, values, cites)


def _decision_codes(policies: Iterable[Policy]) -> tuple[set[str], set[str], set[str], set[str]]:
    """The provision refs, duty, violation and conclusion codes decisions of ``policies`` can show."""
    refs: set[str] = set()
    duties: set[str] = set()
    violations: set[str] = set()
    findings: set[str] = set()
    for policy in policies:
        compiled = policy.compiled
        refs.update(citation.ref for citation in compiled.citations)
        duties.update(rule.code for rule in compiled.rules_of("duties") if rule.code is not None)
        for rule in compiled.rules_of("prohibitions"):
            violations.update(rule.codes)
        findings.update(rule.code for rule in compiled.rules_of("conclusions") if rule.code is not None)
    return refs, duties, violations, findings


def _rebuild_policy(checked: checker.Checked, warnings: tuple[Diagnostic, ...], calendar: WorkdayCalendar | None,
                    source: str, sha256: str = "") -> Policy:
    return Policy(compiler.compile_policy(checked), warnings, calendar, source, sha256)


def _article_info(article: nodes.Article, citations: tuple[Citation, ...]) -> ArticleInfo:
    text_only = any(isinstance(r, nodes.TextOnly) for r in article.rules)
    head = citations[0]
    return ArticleInfo(article.number, head.cite, article.text, article.chapter, text_only, citations)


# ------------------------------------------------------------------ loading
def _source_lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").splitlines()


def _load_modules(text: str, source: str, base_dir: Path | None):
    """Parse ``text`` and every file it imports. Returns (root, imported, lines, problems, digest): the
    digest is ``source_digest`` of the texts read."""
    lines: dict[str, list[str]] = {source: _source_lines(text)}
    texts = [text]
    root = parser.parse_module(text, source, cache=os.path.isfile(source))  # a file: likely loaded again
    imported: list[nodes.Module] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()
    try:
        top = (base_dir or Path.cwd()).resolve()  # imports stay inside the policy's own folder tree
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        raise PolicySyntaxError(source, 1, 1, "", (), "the folder to import from cannot be resolved "
                                                      "(a symbolic link loop, or it is not reachable)") from None
    queue = [(root, base_dir)]
    while queue:
        module, folder = queue.pop(0)
        for imp in module.imports:
            refused = _refused_import(imp.path)
            if refused is not None:
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: {refused}"))
                continue
            target = (folder or Path.cwd()) / imp.path
            try:
                resolved = target.resolve()
                inside = resolved.is_relative_to(top)
                exists = inside and resolved.is_file()
                size = resolved.stat().st_size if exists else 0
            except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a symlink loop, …
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: "
                                                     f"{getattr(exc, 'strerror', None) or exc}"))
                continue
            if not inside:
                # Said before looking: whether the file exists out there is not the policy's business.
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: an import stays inside "
                                                     f"the folder of the policy it serves ({top.name}/)"))
                continue
            if resolved in seen:
                continue
            seen.add(resolved)
            if len(seen) > MAX_IMPORTS:
                problems.append(_at(imp.span, lines, f"more than {MAX_IMPORTS} imported files"))
                return root, imported, lines, problems, source_digest(texts)
            if not exists:
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: no such file next to "
                                                     f"{module.source}"))
                continue
            if size > parser.MAX_SOURCE_BYTES:
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: {parser.too_large(size)}"))
                continue
            try:
                data = resolved.read_text(encoding="utf-8")
                sub = _parse_imported(data, str(target))
            except PolicySyntaxError as exc:
                problems.extend(exc.diagnostics)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                reason = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
                problems.append(_at(imp.span, lines, f"cannot import `{_shown(imp.path)}`: {reason}"))
                continue
            lines[str(target)] = _source_lines(data)
            texts.append(data)
            imported.append(sub)
            queue.append((sub, target.parent))
    return root, imported, lines, problems, source_digest(texts)


def source_digest(texts: Iterable[str]) -> str:
    """The SHA-256 (hex) of a policy's files: each text as UTF-8 followed by a NUL byte, the policy's own
    first, then the files it imports in the order they are read (breadth first, each once). Names and
    places do not count: the same rules give the same digest wherever they are kept."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _refused_import(path: str) -> str | None:
    """Why an import path is refused before any file is looked at, or None."""
    if not path.endswith(".rules"):
        return "an import names a rule file (`*.rules`)"
    if Path(path).is_absolute() or path.startswith(("~", "\\")) or (len(path) > 1 and path[1] == ":"):
        return "an import is a path relative to the importing file"
    if "\0" in path:
        return "the path holds a NUL character"
    return None


def _shown(path: str) -> str:
    """An import path as a message quotes it: short, one line, no control characters."""
    text = "".join(c if c.isprintable() else "?" for c in path)
    return text if len(text) <= 80 else text[:77] + "…"


@functools.lru_cache(maxsize=64)
def _parse_imported(text: str, source: str) -> nodes.Module:
    """An imported file's module, parsed once per process for each content.

    Policies share vocabularies (every shipped policy imports ``common.rules``),
    and a module is immutable, so loading the next policy reuses the parse.
    Keyed by the text itself: an edited file is parsed afresh. Imports are files: kept in the per-user
    cache of parsed files too, for the next process.
    """
    return parser.parse_module(text, source, cache=True)


def _at(span: nodes.Span, lines: dict, message: str) -> Diagnostic:
    source_lines = lines.get(span.source) or []
    line = source_lines[span.line - 1] if 0 < span.line <= len(source_lines) else None
    return Diagnostic(span.source, span.line, span.column, message, "error", line)


@attrs.frozen
class _Parsed:
    """A rule file as parsed, with what it imports and the lines of each: what a family's composites
    are built from (``_composite``)."""

    root: nodes.Module
    imported: tuple[nodes.Module, ...]
    lines: dict[str, list[str]] = attrs.field(eq=False)
    sha256: str = attrs.field(default="", eq=False)


def _build(text: str, source: str, base_dir: Path | None):
    """(compiled policy or None, every diagnostic)."""
    compiled, diagnostics, _ = _build_parsed(text, source, base_dir)
    return compiled, diagnostics


def _build_parsed(text: str, source: str, base_dir: Path | None):
    """(compiled policy or None, every diagnostic, the parsed files)."""
    root, imported, lines, problems, digest = _load_modules(text, source, base_dir)
    checked = checker.check(root, imported, lines)
    diagnostics = (*problems, *checked.diagnostics)
    parsed = _Parsed(root, tuple(imported), lines, digest)
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics, parsed
    return compiler.compile_policy(checked), diagnostics, parsed


def parse_policy(text: str, source: str = "inline", *, base_dir: str | Path | None = None,
                 calendar: WorkdayCalendar | None = None) -> Policy:
    """A policy from rule text; imports resolve against ``base_dir`` (default: the working directory)."""
    return _parse_policy(text, source, base_dir, calendar)[0]


def _parse_policy(text: str, source: str, base_dir: str | Path | None,
                  calendar: WorkdayCalendar | None) -> tuple[Policy, _Parsed]:
    if not isinstance(text, str):
        raise PolicySyntaxError(str(source), 1, 1, "", (), f"rule text must be a str, not {type(text).__name__}")
    if not isinstance(source, str):
        raise PolicySyntaxError("inline", 1, 1, "", (), f"source must be a str, not {type(source).__name__}")
    folder = _as_path(base_dir, "base_dir", source) if base_dir is not None else None
    compiled, diagnostics, parsed = _build_parsed(text, source, folder)
    errors = [d for d in diagnostics if d.severity == "error"]
    if compiled is None:
        raise PolicyError(errors)
    if compiled.checked.header is None:
        raise PolicyError([Diagnostic(source, 1, 1, "this file is a vocabulary to import, not a policy: "
                                                    "it has no `policy` / `办法` header")])
    return (Policy(compiled, tuple(d for d in diagnostics if d.severity == "warning"), calendar, source,
                   parsed.sha256), parsed)


def load_policy(path: str | Path, *, calendar: WorkdayCalendar | None = None) -> "Policy | Family":
    """A policy from a rule file (UTF-8); imports resolve next to it. A family file (``*.family``)
    gives its ``Family`` (``load_family``), which evaluates as a policy does."""
    if is_family_path(path):
        return load_family(path, calendar=calendar)
    return _load_rules(path, calendar)


def _load_rules(path: str | Path, calendar: WorkdayCalendar | None = None) -> Policy:
    return _load_parsed(path, calendar)[0]


def _load_parsed(path: str | Path, calendar: WorkdayCalendar | None = None) -> tuple[Policy, _Parsed]:
    path = _as_path(path, "a rule file's path")
    text = _read(path)
    return _parse_policy(text, str(path), path.parent, calendar)


def _as_path(value, what: str, source: str | None = None) -> Path:
    """``value`` as a Path, or a PolicySyntaxError that says what was given instead."""
    shown = path_problem(value)
    if shown is None:
        return Path(value)
    raise PolicySyntaxError(source or "<arguments>", 1, 1, "", (), f"{what}: expected a str or Path, got {shown}")


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
    except (OSError, ValueError) as exc:
        raise PolicySyntaxError(str(path), 1, 1, "", (), f"cannot read rule file: {getattr(exc, 'strerror', None) or exc}") from None
    if size > parser.MAX_SOURCE_BYTES:
        raise PolicySyntaxError(str(path), 1, 1, "", (), parser.too_large(size))
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PolicySyntaxError(str(path), 1, 1, "", (), f"cannot read rule file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        data = path.read_bytes()
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicySyntaxError(str(path), line, column, "", (),
                                f"rule file is not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


_HEADER = re.compile(r"^\s*(?:policy|办法)\s+\S", re.M)


def builtin_policy_ids() -> list[str]:
    """Ids of the policies shipped with the package."""
    return sorted(p.stem for p in policies_dir().glob("*.rules") if _HEADER.search(p.read_text(encoding="utf-8")))


@functools.cache
def _builtin(policy_id: str) -> Policy:
    path = policies_dir() / f"{policy_id}.rules"
    return _load_rules(path)


def builtin_policy(policy_id: str, *, calendar: WorkdayCalendar | None = None) -> Policy:
    """A policy shipped in the package, by id (``builtin_policy_ids()`` lists them)."""
    ids = builtin_policy_ids()
    if not isinstance(policy_id, str):
        raise RulesError(f"a shipped policy's id is a str (one of {', '.join(ids)}), not {type(policy_id).__name__}")
    if policy_id not in ids:
        hint = checker.suggest(policy_id, ids)
        raise RulesError(f"no shipped policy `{policy_id}`{hint}; shipped: {', '.join(ids)}")
    policy = _builtin(policy_id)
    return policy.with_calendar(calendar) if calendar is not None else policy


def resolve_policy(name: str | Path) -> "Policy | Family":
    """A path to a rule file (or a family file), or the id of a shipped policy."""
    path = _as_path(name, "a policy (a rule file's path or a shipped id)")
    if os.path.exists(path) or str(name).endswith((".rules", FAMILY_SUFFIX)) or "/" in str(name):
        return load_policy(path)
    return builtin_policy(str(name))


def check_text(text: str, source: str = "<stdin>", *, base_dir: str | Path | None = None) -> list[Diagnostic]:
    """Every problem (errors and warnings) in a rule file's text, named ``source``; imports resolve
    against ``base_dir`` (default: the working directory). Never raises for the text's problems."""
    if not isinstance(text, str) or not isinstance(source, str):
        wrong = text if not isinstance(text, str) else source
        raise RulesError(f"check_text takes the rule text and its source name as str, not {type(wrong).__name__}")
    try:
        folder = _as_path(base_dir, "base_dir", source) if base_dir is not None else None
        return list(_build(text, source, folder)[1])
    except PolicyError as exc:
        return list(exc.diagnostics)


def check_paths(names: Iterable[str | Path]) -> list[Diagnostic]:
    """Every problem (errors and warnings) in the given rule files or shipped ids; never raises for them.
    One name (a str or Path) is taken as a list of one."""
    if isinstance(names, (str, Path)):
        names = [names]
    if not isinstance(names, Iterable):
        raise RulesError(f"check_paths takes rule files or shipped ids, not {type(names).__name__}")
    out: list[Diagnostic] = []
    for name in names:
        try:
            path = _as_path(name, "a rule file's path")
        except PolicyError as exc:
            out.extend(exc.diagnostics)
            continue
        if not os.path.exists(path) and not str(name).endswith(".rules") and str(name) in builtin_policy_ids():
            path = policies_dir() / f"{name}.rules"
        try:
            if is_family_path(path):
                out.extend(_build_family(path)[1])
                continue
            text = _read(path)
            out.extend(_build(text, str(path), path.parent)[1])
        except PolicyError as exc:
            out.extend(exc.diagnostics)
    return out


# ------------------------------------------------------------------ families of dated versions
#: A family file names the dated versions of one regulation (docs/language.md, "Families of versions").
FAMILY_SUFFIX = ".family"
MAX_VERSIONS = 32
#: Selector lines (`term by SECTION.FACT`) a family file may have, and the composite policies
#: (a version with another version's rules of a kind) they may make: each is checked and compiled at load.
MAX_SELECTORS = 4
MAX_COMPOSITES = 128
_FAMILY_WORDS = {"family": "family", "版本族": "family", "version": "version", "版本": "version"}
_FAMILY_LINE = re.compile(r'^(?P<lead>[ \t\u3000]*)(?P<word>[^ \t\u3000]+)(?P<gap>[ \t\u3000]*)(?P<rest>.*?)[ \t\u3000]*$')
_TOKEN = re.compile(r"[^ \t\u3000]+")
_SELECTOR_WORDS = ("by", "按")
_QUOTED = re.compile(r'^"(?P<path>[^"\\]*)"(?:[ \t\u3000]+"(?P<title>[^"\\]*)")?$')
_FAMILY_ID = re.compile(r"^[^\W\d]\w*$")
_FACT_NAME = re.compile(r"^[^\W\d]\w*\.[^\W\d]\w*$")
_LINE_FORMS = ('`family ID` / `版本族 ID`, `version "FILE.rules"` / `版本 "FILE.rules"` and '
               '`KIND by SECTION.FACT` / `KIND 按 SECTION.FACT`')


@attrs.frozen
class _VersionLine:
    path: str
    line: int
    column: int


@attrs.frozen
class Selector:
    """A family file's ``KIND by SECTION.FACT`` / ``KIND 按 SECTION.FACT``: the rules of that kind come
    from the version in force on the case's date fact, not on its ``as_of`` (docs/language.md,
    "Families of versions")."""

    kind: str  # the rule kind (``RuleKind.kind``: "term")
    en: str  # its statement keyword in English and in Chinese ("term", "聘期")
    zh: str
    fact: str  # "SECTION.FACT"
    line: int  # where the family file says so
    column: int
    fact_column: int


def _kind_words() -> dict[str, questions.RuleKind]:
    """Every spelling of a rule kind's statement keyword (either language) → its ``RuleKind``."""
    out: dict[str, questions.RuleKind] = {}
    for kind in questions.rule_kinds():
        row = keywords.lookup(kind.word)
        for spelling in (row.spellings() if row is not None else (kind.word,)):
            out[spelling] = kind
    return out


def _spelled(kind: questions.RuleKind) -> tuple[str, str]:
    row = keywords.lookup(kind.word)
    return (row.en[0], row.zh[0]) if row is not None else (kind.word, kind.word)


class Family:
    """The dated versions of one regulation, each a ``Policy``; a case is decided by the version in
    force on its ``as_of`` (docs/language.md, "Families of versions"), except the rules of a kind the
    family file selects by a date fact of the case (``term by SECTION.FACT``), which come from
    the version in force on that date: the case is then decided by a *composite*, the ``as_of``
    version with those rules spliced in, checked and compiled when the family is loaded.
    ``evaluate``, ``evaluate_with`` and ``evaluate_many`` are ``Policy``'s; the decision's ``policy``
    is the id of the ``as_of`` version, and its notices open with one naming that version, then one
    for each kind taken from another version."""

    def __init__(self, family_id: str, title: str | None, versions: tuple[Policy, ...], source: str,
                 selectors: tuple[Selector, ...] = (), same: tuple[tuple[int, ...], ...] = (),
                 composites: Mapping[tuple, Policy] | None = None):
        self.id = family_id
        self.title = title
        self.versions = versions
        self.source = source
        self.selectors = selectors
        # same[s][v]: the first version whose rules of selector s's kind (and their provisions) are
        # version v's; composites: (as_of version, same[s][chosen] for each selector) → the composite.
        self._same = same
        self._composites = dict(composites or {})
        self.warnings: tuple[Diagnostic, ...] = tuple(w for v in versions for w in v.warnings)

    def __repr__(self) -> str:
        return f"<Family {self.id!r}: {len(self.versions)} versions>"

    def with_calendar(self, calendar: WorkdayCalendar) -> "Family":
        """The same family, every version and composite counting working days on ``calendar``."""
        if not isinstance(calendar, WorkdayCalendar):
            raise RulesError(f"with_calendar takes a WorkdayCalendar, not {type(calendar).__name__}")
        return Family(self.id, self.title, tuple(v.with_calendar(calendar) for v in self.versions), self.source,
                      self.selectors, self._same,
                      {key: policy.with_calendar(calendar) for key, policy in self._composites.items()})

    def version_for(self, day: dt.date) -> Policy | None:
        """The version in force on ``day`` by the family's order: the last one effective on or before
        it (a repealed or expired one still, when no later one has taken effect), or None before all."""
        chosen = None
        for version in self.versions:
            if version.effective is not None and version.effective <= day:
                chosen = version
        return chosen

    @property
    def composites(self) -> tuple[tuple[str, Policy], ...]:
        """Every composite the selectors can make, named (``v2025 with term from v2021``), in load order."""
        out = []
        for (i, key), policy in self._composites.items():
            taken = [f"{s.en} from {self.versions[j].id}" for s, j, own in zip(self.selectors, key, self._same_key(i))
                     if j != own]
            out.append((f"{self.versions[i].id} with {', '.join(taken)}", policy))
        return tuple(out)

    def _position(self, version: Policy) -> int:
        return next(k for k, v in enumerate(self.versions) if v is version)

    def _same_key(self, i: int) -> tuple[int, ...]:
        return tuple(same[i] for same in self._same)

    def _choose(self, case: Mapping, as_of) -> tuple[Policy, Notice | None]:
        problems: list = []
        raw = as_of if as_of is not None else (case.get("as_of") if isinstance(case, Mapping) else None)
        day = raw if type(raw) is dt.date else case_module.parse_date(raw, "as_of", problems) if raw is not None else None
        if day is None or problems:
            return self.versions[-1], None  # its evaluation reports the case's problem
        chosen = self.version_for(day)
        if chosen is None:
            first = self.versions[0]
            return first, Notice(None, f"基准日 {day.isoformat()} 早于最早版本的施行日期 "
                                       f"{_day(first.effective)}：按最早版本 {_named(first)}判断")
        return chosen, Notice(None, f"适用版本 {_named(chosen)}，{_day(chosen.effective)} 施行，按基准日 "
                                    f"{day.isoformat()} 选定")

    def select(self, case: Mapping, as_of: dt.date | str | None = None) -> tuple[Policy, tuple[Notice, ...]]:
        """What decides ``case``: the version in force on its ``as_of``, or the composite its selectors'
        date facts choose; and the notices that say so. Raises ``CaseError`` for a case the ``as_of``
        version refuses (when there are selectors to read it)."""
        version, notice = self._choose(case, as_of)
        notices = [notice] if notice is not None else []
        if not self.selectors:
            return version, tuple(notices)
        i = self._position(version)
        facts = version.read_case(case, as_of)[0]
        key = []
        for selector, same in zip(self.selectors, self._same):
            j, note = self._kind_version(selector, facts.get(selector.fact), i)
            key.append(same[j])
            if note is not None:
                notices.append(note)
        own = self._same_key(i)
        vehicle = version if tuple(key) == own else self._composites[(i, tuple(key))]
        return vehicle, tuple(notices)

    def _kind_version(self, selector: Selector, day: object, i: int) -> tuple[int, Notice | None]:
        """The version selector's rules come from, for a case decided by version ``i``, and its notice."""
        if not isinstance(day, dt.date):
            if i == 0:
                return i, None
            return i, Notice(None, f"{selector.zh}规则：{selector.fact} 未知，按基准日适用 {_named(self.versions[i])}")
        found = self.version_for(day)
        j = min(self._position(found) if found is not None else 0, i)
        if j == i:
            return i, None
        chosen = self.versions[j]
        if found is None:
            return j, Notice(None, f"{selector.zh}规则适用最早版本 {_named(chosen)}：{selector.fact} "
                                   f"{day.isoformat()} 早于其施行日期 {_day(chosen.effective)}")
        return j, Notice(None, f"{selector.zh}规则适用 {_named(chosen)}，按 {selector.fact} {day.isoformat()} 选定")

    @staticmethod
    def _noted(decision: Decision, notices: tuple[Notice, ...]) -> Decision:
        if not notices or decision.notices is None:  # none, or not asked for (``only``)
            return decision
        return attrs.evolve(decision, notices=(*notices, *decision.notices))

    def evaluate(self, case: Mapping, *, as_of: dt.date | str | None = None,
                 only: Iterable[str] | None = None) -> Decision:
        """Decide one case under the version in force on its ``as_of`` (and its selectors' choices)."""
        fields = asked_fields(only)
        vehicle, notices = self.select(case, as_of)
        return self._noted(vehicle.evaluate(case, as_of=as_of, only=fields), notices)

    def evaluate_with(self, backend: str, case: Mapping, *, as_of: dt.date | str | None = None,
                      only: Iterable[str] | None = None) -> Decision:
        """``Policy.evaluate_with`` on what ``select`` chooses for the case."""
        fields = asked_fields(only)
        vehicle, notices = self.select(case, as_of)
        return self._noted(vehicle.evaluate_with(backend, case, as_of=as_of, only=fields), notices)

    def evaluate_many(self, cases: Iterable[Mapping], *, as_of: dt.date | str | None = None,
                      only: Iterable[str] | None = None) -> Iterator[Decision]:
        """Decide each case in turn (lazily), each under its own version."""
        return _each(self.evaluate, cases, as_of, asked_fields(only))

    @functools.cached_property
    def text_labels(self) -> TextLabels:
        """The labels of the versions' facts, enum values and duties (the latest version's first)."""
        return _text_labels(reversed(self.versions))

    def decision_schema(self) -> dict:
        """The JSON Schema of the family's decisions: any version's (or composite's) decision."""
        vehicles = [*self.versions, *(policy for _, policy in self.composites)]
        return decision_schema(self.id, self.title, [v.id for v in self.versions], *_decision_codes(vehicles))

    def schema(self) -> dict:
        """The case format as JSON Schema: the versions' own when they agree, else a case valid for any
        one of them (``anyOf``; a case is checked by the version that decides it)."""
        schemas = [v.schema() for v in self.versions]
        bodies = [{k: s[k] for k in s if k not in ("$schema", "$id", "title")} for s in schemas]
        head = {"$schema": schemas[-1]["$schema"], "$id": f"supervisor-rules:{self.id}:case",
                "title": f"Case for {self.title or self.id}"}
        if all(body == bodies[-1] for body in bodies):
            return {**head, **bodies[-1]}
        return {**head, "description": "a case valid for one version of the family; the version in force on "
                                       "its as_of checks and decides it",
                "anyOf": [{"title": f"{v.id}, in force from {_day(v.effective)}", **body}
                          for v, body in zip(self.versions, bodies)]}


def asked_fields(only: Iterable[str] | None) -> tuple[str, ...] | None:
    """``only=`` checked (``questions.only_fields``): the fields asked for in Decision's order, or None
    for the whole decision (also when every field is asked for)."""
    if only is None:
        return None
    known = _ASKED.get(only) if type(only) is tuple else None  # an application asks the same tuple each time
    if known is not None:
        return known[0]
    fields = questions.only_fields(only)
    answer = None if len(fields) == len(questions.ONLY) else fields
    if type(only) is tuple and len(_ASKED) < 1024 and all(type(name) is str for name in only):
        _ASKED[only] = (answer,)
    return answer


_ASKED: dict[tuple, tuple] = {}  # ``only`` tuples seen → (``asked_fields`` of it,)


def _each(evaluate, cases: Iterable[Mapping], as_of, only: tuple[str, ...] | None = None) -> Iterator[Decision]:
    """``evaluate_many`` of a policy or a family: lazily, a bad argument refused when iteration starts."""
    if not isinstance(cases, Iterable) or isinstance(cases, (str, bytes, Mapping)):
        raise case_module.CaseError([CaseProblem(
            "", "invalid", f"evaluate_many takes an iterable of cases, not {type(cases).__name__}",
            f"evaluate_many 接受案件的可迭代对象，而不是 {type(cases).__name__}")])
    for item in cases:
        yield evaluate(item, as_of=as_of, only=only)


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "?"


def _named(version: Policy) -> str:
    return f"{version.id}（{version.document}）" if version.document else version.id


def load_family(path: str | Path, *, calendar: WorkdayCalendar | None = None) -> Family:
    """A family of dated versions from a family file (``*.family``); raises ``PolicyError`` listing
    every problem, each positioned (in the family file, or in a version's rule file)."""
    path = _as_path(path, "a family file's path")
    family, diagnostics = _build_family(path, calendar)
    errors = [d for d in diagnostics if d.severity == "error"]
    if family is None or errors:
        raise PolicyError(errors)
    return family


def _build_family(path: Path, calendar: WorkdayCalendar | None = None) -> tuple[Family | None, list[Diagnostic]]:
    text = _read(path)
    source = str(path)
    lines = _source_lines(text)
    problems: list[Diagnostic] = []

    def problem(line: int, column: int, message: str, severity: str = "error", length: int = 1) -> None:
        problems.append(Diagnostic(source, line, column, message, severity,
                                   lines[line - 1] if line <= len(lines) else None, length))

    family_id: str | None = None
    title: str | None = None
    listed: list[_VersionLine] = []
    selected: list[tuple[Selector, questions.RuleKind]] = []
    kinds = _kind_words()
    for number, raw in enumerate(lines, 1):
        body = _uncommented(raw)
        match = _FAMILY_LINE.match(body)
        if match is None:
            continue
        column = len(match.group("lead")) + 1
        word, rest = match.group("word"), match.group("rest")
        rest_column = column + len(word) + len(match.group("gap"))
        kind = _FAMILY_WORDS.get(word)
        if kind is None:
            # A selector: KIND by SECTION.FACT (tokens found in one pass: no regular expression that
            # backtracks over a long line)
            tokens = list(_TOKEN.finditer(body))
            by = next((k for k, t in enumerate(tokens) if k > 0 and t.group() in _SELECTOR_WORDS), None)
            if by is None:
                problem(number, column, f"a family file has {_LINE_FORMS} lines, not `{_shown(word)}`")
                continue
            if family_id is None:
                problem(number, column, "a family file starts with `family ID` / `版本族 ID`")
                continue
            named = " ".join(t.group() for t in tokens[:by])
            fact = " ".join(t.group() for t in tokens[by + 1:])
            fact_column = tokens[by + 1].start() + 1 if by + 1 < len(tokens) else tokens[by].end() + 1
            kind_length = tokens[by - 1].end() - tokens[0].start()
            rule_kind = kinds.get(named)
            if rule_kind is None:
                hint = checker.suggest(named, kinds)
                words = ", ".join(f"`{en}` / `{zh}`" for en, zh in dict.fromkeys(_spelled(k) for k in kinds.values()))
                problem(number, column, f"`{_shown(named)}` is not a kind of rule{hint}; a selector names one "
                                        f"by its statement's keyword: {words}", length=kind_length)
                continue
            if not _FACT_NAME.match(fact):
                problem(number, fact_column, "a selector is `KIND by SECTION.FACT` / `KIND 按 SECTION.FACT`: "
                                             "one date fact of the case after `by` / `按`", length=max(len(fact), 1))
                continue
            first = next((s for s, k in selected if k is rule_kind), None)
            if first is not None:
                problem(number, column, f"the `{first.en}` rules are selected twice (first on line {first.line})")
                continue
            if len(selected) >= MAX_SELECTORS:
                problem(number, column, f"more than {MAX_SELECTORS} selectors")
                continue
            en, zh = _spelled(rule_kind)
            selected.append((Selector(rule_kind.kind, en, zh, fact, number, column, fact_column), rule_kind))
            continue
        if kind == "family":
            parts = rest.split(None, 1)
            if family_id is not None:
                problem(number, column, "the family is named twice")
            elif listed or selected:
                problem(number, column, "the family's name comes first, before its versions")
            elif not parts or not _FAMILY_ID.match(parts[0]):
                problem(number, rest_column, "`family` / `版本族` is followed by the family's id (a name), then an "
                                             "optional \"title\"")
            else:
                family_id = parts[0]
                if len(parts) > 1:
                    quoted = re.fullmatch(r'"([^"\\]*)"', parts[1].strip())
                    if quoted is None:
                        problem(number, rest_column + len(parts[0]) + 1, "the family's title is one quoted string")
                    else:
                        title = quoted.group(1)
            continue
        quoted = _QUOTED.match(rest)
        if quoted is None or quoted.group("title") is not None:
            problem(number, rest_column, "`version` / `版本` is followed by one quoted path: version \"FILE.rules\"")
            continue
        if family_id is None and not listed:
            problem(number, column, "a family file starts with `family ID` / `版本族 ID`")
        listed.append(_VersionLine(quoted.group("path"), number, rest_column))
    if family_id is None and not problems:
        problem(1, 1, "a family file starts with `family ID` / `版本族 ID`")
    if not listed and not problems:
        problem(1, 1, "a family lists at least one `version \"FILE.rules\"` / `版本 \"FILE.rules\"`")
    if len(listed) > MAX_VERSIONS:
        problem(listed[MAX_VERSIONS].line, 1, f"more than {MAX_VERSIONS} versions")
        listed = listed[:MAX_VERSIONS]

    top = path.parent.resolve()  # as imports do: a version stays inside the family file's folder tree
    versions: list[tuple[_VersionLine, Policy, _Parsed]] = []
    warnings: list[Diagnostic] = []
    seen: dict[Path, int] = {}
    for item in listed:
        shown = _shown(item.path)
        if item.path.endswith(FAMILY_SUFFIX):
            problem(item.line, item.column, f"version `{shown}` is a family: families do not nest (a version is "
                                            "a rule file, `*.rules`)")
            continue
        refused = _refused_import(item.path)
        if refused is not None:
            problem(item.line, item.column, f"cannot use version `{shown}`: "
                                            f"{refused.replace('an import names', 'a version is').replace('an import is a path relative to the importing file', 'a version is a path relative to the family file')}")
            continue
        try:
            resolved = (path.parent / item.path).resolve()
            inside = resolved.is_relative_to(top)
            exists = inside and resolved.is_file()
        except (OSError, ValueError, RuntimeError) as exc:
            problem(item.line, item.column, f"cannot use version `{shown}`: {getattr(exc, 'strerror', None) or exc}")
            continue
        if not inside:
            problem(item.line, item.column, f"cannot use version `{shown}`: a version stays inside the folder of its "
                                            f"family file ({top.name}/)")
            continue
        if not exists:
            problem(item.line, item.column, f"cannot use version `{shown}`: no such file next to {source}")
            continue
        if resolved in seen:
            problem(item.line, item.column, f"version `{shown}` is listed twice (first on line {seen[resolved]})")
            continue
        seen[resolved] = item.line
        try:
            version, parsed = _load_parsed(path.parent / item.path, calendar)
        except PolicyError as exc:
            problems.extend(exc.diagnostics)
            problem(item.line, item.column, f"version `{shown}` does not load (its problems are listed)")
            continue
        versions.append((item, version, parsed))
        warnings.extend(version.warnings)

    ids: dict[str, int] = {}
    previous: tuple[_VersionLine, Policy] | None = None
    for item, version, _ in versions:
        if version.id in ids:
            problem(item.line, item.column, f"version `{_shown(item.path)}` has the id `{version.id}` of the version "
                                            f"on line {ids[version.id]}: each version has its own id")
        ids.setdefault(version.id, item.line)
        if version.effective is None:
            problem(item.line, item.column, f"version `{_shown(item.path)}` gives no effective date: a version "
                                            "of a family needs `施行 YYYY-MM-DD` / `effective YYYY-MM-DD`")
            continue
        if previous is not None:
            before_line, before = previous
            assert before.effective is not None
            if version.effective <= before.effective:
                problem(item.line, item.column,
                        f"versions are listed oldest first: `{_shown(item.path)}` takes effect on "
                        f"{version.effective.isoformat()}, not after `{_shown(before_line.path)}` "
                        f"({before.effective.isoformat()}, line {before_line.line})")
                continue
            ends = _end_of(before)
            if ends is None or ends > version.effective:
                until = (f"through {(ends - dt.timedelta(days=1)).isoformat()}" if ends is not None
                         else "with no end")
                problem(item.line, item.column,
                        f"versions overlap: `{_shown(before_line.path)}` is in force {until}, and "
                        f"`{_shown(item.path)}` takes effect on {version.effective.isoformat()}; give the older one "
                        f"`废止 {version.effective.isoformat()}` / `repealed {version.effective.isoformat()}` "
                        "(the day the newer one repeals it)")
        previous = (item, version)
    if problems or family_id is None or not versions:
        return None, problems + warnings
    selectors = tuple(s for s, _ in selected)
    same, composites = _compose(versions, selected, problem, problems)
    if any(d.severity == "error" for d in problems):
        return None, problems + warnings
    family = Family(family_id, title, tuple(v for _, v, _ in versions), source, selectors, same, composites)
    return family, problems + warnings


def _compose(versions: list[tuple[_VersionLine, Policy, _Parsed]], selected: list[tuple[Selector, questions.RuleKind]],
             problem, listed: list[Diagnostic]) -> tuple[tuple[tuple[int, ...], ...], dict[tuple, Policy]]:
    """The selectors' composites: for each version ``i`` (a case's ``as_of`` version) and each choice of
    an earlier or equal version for each selector's date fact, the version ``i`` with those versions'
    rules of the selectors' kinds in place of its own. Checked and compiled here, so that a choice that
    does not fit is an error at the selector's line now, not at some case's evaluation."""
    # Versions whose rules of a kind, with the provisions that hold them, are alike give alike composites.
    slices = [[_slice(version.compiled.checked, kind.node) for _, version, _ in versions] for _, kind in selected]
    same = tuple(tuple(next(k for k in range(v + 1) if rules[k] == rules[v]) for v in range(len(rules)))
                 for rules in slices)
    undated = False
    for (selector, kind), rules in zip(selected, slices):
        section, fact = selector.fact.split(".")
        for item, version, _ in versions:
            declared = version.sections.get(section)
            info = declared.fields.get(fact) if declared is not None else None
            if info is None or info.type != checker.DATE:
                why = "does not declare it" if info is None else f"declares it as {info.type}"
                problem(selector.line, selector.fact_column,
                        f"`{selector.fact}` is not a date fact of version `{_shown(item.path)}` (it {why}): the "
                        "fact a selector names is declared, as a date, by every version", length=len(selector.fact))
                undated = True
                break
        if not any(rules):
            problem(selector.line, selector.column, f"no version has `{selector.en}` rules: the selector chooses "
                                                    "nothing", "warning")
    if undated:
        return same, {}
    # The date facts: selectors on one fact choose together.
    groups: dict[str, list[int]] = {}
    for s, (selector, _) in enumerate(selected):
        groups.setdefault(selector.fact, []).append(s)
    plans: list[tuple[int, tuple[int, ...], dict[int, int]]] = []  # (i, key, selector → version grafted)
    for i in range(len(versions)):
        own = tuple(same[s][i] for s in range(len(selected)))
        options = []
        for members in groups.values():
            choices: dict[tuple, int] = {}
            for j in range(i + 1):
                choices.setdefault(tuple(same[s][j] for s in members), j)
            options.append([(members, j) for j in choices.values()])
        for combo in itertools.product(*options):
            chosen = list(own)
            for members, j in combo:
                for s in members:
                    chosen[s] = same[s][j]
            if tuple(chosen) == own:
                continue
            plans.append((i, tuple(chosen), {s: chosen[s] for s in range(len(selected)) if chosen[s] != own[s]}))
    if len(plans) > MAX_COMPOSITES:
        last = selected[-1][0]
        problem(last.line, last.column, f"the selectors make {len(plans)} composite versions, more than "
                                        f"{MAX_COMPOSITES}")
        return same, {}
    composites: dict[tuple, Policy] = {}
    refused: set[tuple[int, int]] = set()
    shown_problems: set[tuple] = set()
    for i, key, grafted in plans:
        item_i, version_i, parsed_i = versions[i]
        grafts: list[checker.Provision] = []
        lines = dict(parsed_i.lines)
        fits = True
        for s, j in grafted.items():
            selector, kind = selected[s]
            item_j, _, parsed_j = versions[j]
            reference = _reference_in(slices[s][j])
            if reference is not None:
                fits = False
                if (s, j) not in refused:
                    refused.add((s, j))
                    problem(selector.line, selector.column,
                            f"the `{selector.en}` rules of version `{_shown(item_j.path)}` refer to provisions "
                            f"({_shown(item_j.path)}: `satisfies` / `violates` on line {reference.line}): a reference reads the numbering of its own file, so they cannot "
                            f"be taken into another version")
                continue
            grafts.extend(slices[s][j])
            lines.update(parsed_j.lines)
        if not fits:
            continue
        stripped = _without(parsed_i.root, {selected[s][1].node for s in grafted})
        checked = checker.check(stripped, list(parsed_i.imported), lines, tuple(grafts))
        if checked.errors:
            taken = " and ".join(f"the `{selected[s][0].en}` rules of `{_shown(versions[j][0].path)}`"
                                 for s, j in grafted.items())
            when = " and ".join(f"`{selected[s][0].fact}` falls in the time of `{_shown(versions[j][0].path)}`"
                                for s, j in grafted.items())
            for s in grafted:
                selector = selected[s][0]
                problem(selector.line, selector.column,
                        f"version `{_shown(item_i.path)}` with {taken} does not check (its problems are listed): "
                        f"it decides so a case whose {when}")
            for d in checked.errors:
                mark = (d.source, d.line, d.column, d.message)
                if mark not in shown_problems:
                    shown_problems.add(mark)
                    listed.append(d)
            continue
        # Its digest: of the digests of the versions it is made of (its own first, then those grafted in).
        digest = hashlib.sha256(" ".join([version_i.sha256, *(versions[j][1].sha256 for j in grafted.values())])
                                .encode("ascii")).hexdigest()
        composites[(i, key)] = Policy(compiler.compile_policy(checked), (), version_i._calendar, version_i.source,
                                      digest)
    return same, composites


def _slice(checked: checker.Checked, node: type) -> tuple[checker.Provision, ...]:
    """The provisions of a checked policy that hold rules of one kind, each with those rules only."""
    return tuple(attrs.evolve(p, rules=tuple(r for r in p.rules if type(r) is node))
                 for p in checked.provisions if any(type(r) is node for r in p.rules))


def _reference_in(provisions: tuple[checker.Provision, ...]) -> nodes.Span | None:
    """Where the first `satisfies` / `violates` in these provisions' rules stands, or None."""
    for provision in provisions:
        for found in nodes.walk(provision.rules):
            if isinstance(found, (nodes.Satisfies, nodes.Violates)):
                return found.span
    return None


def _without(module: nodes.Module, kinds: set[type]) -> nodes.Module:
    """``module`` with no rule of ``kinds`` left in any provision."""
    def kept(rules: tuple) -> tuple:
        return tuple(r for r in rules if type(r) not in kinds)

    def item(i: nodes.Item) -> nodes.Item:
        return attrs.evolve(i, rules=kept(i.rules), subitems=tuple(attrs.evolve(s, rules=kept(s.rules))
                                                                   for s in i.subitems))

    def article(a: nodes.Article) -> nodes.Article:
        return attrs.evolve(a, rules=kept(a.rules), items=tuple(item(i) for i in a.items),
                            paragraphs=tuple(attrs.evolve(p, rules=kept(p.rules), items=tuple(item(i) for i in p.items))
                                             for p in a.paragraphs))
    return attrs.evolve(module, articles=tuple(article(a) for a in module.articles))


def _uncommented(line: str) -> str:
    """``line`` without its comment: from a `#` outside quotes to the end."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:index]
    return line


def _end_of(version: Policy) -> dt.date | None:
    """The first day ``version`` is no longer in force by its own header, or None (no end given)."""
    ends = [d for d in (version.repealed, version.valid_until + dt.timedelta(days=1)
                        if version.valid_until is not None else None) if d is not None]
    return min(ends) if ends else None


def is_family_path(name: str | Path) -> bool:
    """Whether ``name`` names a family file (``*.family``); False for anything that is not a str or
    Path (whose ``str()`` may raise: a 5,000-digit int), which the caller then refuses in its own words."""
    return isinstance(name, (str, Path)) and str(name).endswith(FAMILY_SUFFIX)
