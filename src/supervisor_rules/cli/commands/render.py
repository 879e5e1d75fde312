"""``supervisor-rules render POLICY [NEW] -o DIR``: the policy as an HTML document (``tools/render.py``).

Each article's text beside its rules in words (Chinese by the rule file's labels; ``--lang en``: by
code), cross-references as links, the definitions and invariants in words, the header, and coverage by
the policy's tests (``POLICY.tests.yaml`` beside the rule file, when there is one) marked per
provision. With ``NEW`` (or ``--diff NEW``): a redline of POLICY → NEW, text and rule changes marked
side by side with the behavioural witnesses of ``diff`` (``--examples N`` cases drawn, default
``DEFAULT_REDLINE_EXAMPLES``). Writes ``index.html`` and ``render.css`` into DIR (created if missing; no
other file is touched). Exit 0 done; 2 for a usage error, a policy that cannot be read (its problems as
``file:line:col``), an unreadable test file or a DIR that cannot be written.
"""

from __future__ import annotations

import argparse
import os
import sys

import supervisor_rules as sr
from supervisor_rules.cli.output import unknown_policy
from supervisor_rules.tools import policytests as pt
from supervisor_rules.tools import render as rd

PROG = "supervisor-rules"
EXIT_OK, EXIT_USAGE = 0, 2


def register(commands, options) -> None:
    p = commands.add_parser(
        "render", help="the policy as an HTML document: each article's text beside its rules in words",
        description="Write the policy as a static HTML document (index.html and render.css in DIR): each "
                    "article and provision with its text beside its rules in words, cross-references as "
                    "links, definitions and invariants in words, the header, and coverage by the policy's "
                    "tests per provision. With NEW: a redline of POLICY against NEW, text and rule changes "
                    "side by side with witness cases. Exit 0 done, 2 usage error or unreadable input.")
    p.add_argument("policy", metavar="POLICY", help="a rule file or a shipped policy id")
    p.add_argument("new", metavar="NEW", nargs="?", default=None,
                   help="a second rule file or shipped id: render a redline of POLICY → NEW")
    p.add_argument("--diff", dest="diff", metavar="NEW", default=None, help="the same as giving NEW")
    p.add_argument("-o", "--output", dest="output", required=True, metavar="DIR",
                   help="the folder to write index.html and render.css into (created if missing)")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="the language of the rules in words: zh (default, by the rule file's labels) or en")
    p.add_argument("--examples", type=_count, default=None, metavar="N",
                   help=f"redline only: cases the behavioural search draws (default "
                        f"{rd.DEFAULT_REDLINE_EXAMPLES}; 0 compares text and rules only)")
    p.add_argument("--no-tests", dest="no_tests", action="store_true",
                   help="do not run the policy's tests for coverage marks")
    p.set_defaults(handler=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= rd.MAX_REDLINE_EXAMPLES:
        raise argparse.ArgumentTypeError(f"expected 0 to {rd.MAX_REDLINE_EXAMPLES} examples, got {text!r}")
    return value


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG} render: error: {message}\n")
    return EXIT_USAGE


def _load(name: str):
    """(policy, None) or (None, the error's lines)."""
    if not os.path.exists(name) and not name.endswith((".rules", ".family")) and "/" not in name:
        shipped = list(sr.builtin_policy_ids())
        if name not in shipped:
            return None, unknown_policy(name, shipped)
    try:
        policy = sr.resolve_policy(name)
    except sr.PolicyError as exc:
        return None, "\n".join([f"invalid policy {name} / 规则文件有误"] + [d.header() for d in exc.diagnostics])
    except (sr.RulesError, OSError) as exc:
        return None, f"cannot load policy {name} / 无法读取规则文件: {' '.join(str(exc).split())}"
    if isinstance(policy, sr.Family):
        versions = " ".join(v.source for v in policy.versions[-2:])
        return None, (f"{name} is a family of versions; render takes one rule file (such as its versions: "
                      f"{versions}) / 请指定版本族中的一个规则文件")
    return policy, None


def run(args) -> int:
    lang = args.lang or "zh"
    new_name = args.new or args.diff
    if args.new and args.diff:
        return _fail("give NEW or --diff NEW, not both / NEW 与 --diff 只能给出一个")
    if new_name is None and args.examples is not None:
        return _fail("--examples applies to a redline only (render OLD NEW) / --examples 仅用于修订对照")
    policy, problem = _load(args.policy)
    if policy is None:
        return _fail(problem)
    try:
        if new_name is not None:
            new, problem = _load(new_name)
            if new is None:
                return _fail(problem)
            examples = rd.DEFAULT_REDLINE_EXAMPLES if args.examples is None else args.examples
            if examples:
                try:
                    import hypothesis  # noqa: F401
                except ImportError:
                    return _fail("the redline's behavioural search needs hypothesis (pip install hypothesis), "
                                 "or pass --examples 0 / 行为比较需要 hypothesis")
            written = rd.render_redline_html(policy, new, args.output, lang=lang, examples=examples)
        else:
            tests = None if args.no_tests else rd.tests_beside(policy)
            if tests is not None:
                tests = pt.load_tests(tests)
            written = rd.render_html(policy, args.output, lang=lang, tests=tests)
    except pt.TestFileError as exc:
        return _fail("cannot read the tests / 无法读取测试文件\n" + "\n".join(d.header() for d in exc.diagnostics))
    except rd.RenderError as exc:
        return _fail(str(exc))
    sys.stdout.write("".join(f"{path}\n" for path in written))
    return EXIT_OK
