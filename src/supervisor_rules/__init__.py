"""supervisor-rules: the regulations on medical-insurance social supervisors (医疗保障社会监督员), as rules.

    import supervisor_rules as sr
    policy = sr.load_policy("path/to/policy.rules")   # or sr.builtin_policy(ID)
    decision = policy.evaluate(case)                   # a dict in the case format
    decision.status, decision.to_dict(), decision.explain()

The Python code knows no regulation: every article, fact and city lives in the
rule files (see ``sr.builtin_policy_ids()`` for the shipped ones).
"""

from supervisor_rules.contracts.decision import (Citation, Decision, DutyState, Effect, Eligibility, EligibilityResult, Ground, Notice, Obligation, Recusal, RecusalResult, Report, ReportResult, Status, Step, Term, Violation)
from supervisor_rules.errors import CaseError, CaseProblem, Diagnostic, PolicyError, PolicySyntaxError, RulesError
from supervisor_rules.policy import (ArticleInfo, Family, Policy, builtin_policy, builtin_policy_ids, check_paths, check_text, load_family, load_policy, parse_policy, resolve_policy)
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar, default_calendar

from supervisor_rules.resources import VERSION as __version__

__all__ = [
    "ArticleInfo", "CaseError", "CaseProblem", "Citation", "Decision", "Diagnostic", "DutyState", "Effect", "Eligibility",
    "EligibilityResult", "Family", "Ground", "MissingCalendarYear", "Notice", "Obligation", "Policy", "PolicyError",
    "PolicySyntaxError", "Recusal", "RecusalResult", "Report", "ReportResult", "RulesError", "Status", "Step",
    "Term", "Violation", "WorkdayCalendar", "builtin_policy", "builtin_policy_ids", "check_paths", "check_text", "default_calendar",
    "load_family", "load_policy", "parse_policy", "resolve_policy",
]
