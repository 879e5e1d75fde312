"""The pytest plugin (``supervisor_rules.pytest_plugin``, entry point ``pytest11``): policy test files
collected as pytest items when asked for (``--policy-tests`` or ``policy_tests = true``)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

pytest_plugins = ("pytester",)

RULES = ('policy tiny\n  title "小办法"\nfacts person "申请人" {\n  honest: bool "诚信"\n}\n'
         'article 1 "申请人应当诚信。"\n  require person.honest\n')
TESTS = """tests:
  - name: honest is eligible
    case: {as_of: 2024-01-01, person: {honest: true}}
    expect: {eligibility: {result: eligible}}
  - name: dishonest is ineligible
    case: {as_of: 2024-01-01, person: {honest: false}}
    expect: {eligibility: {result: ineligible}}
  - name: a wrong expectation
    why: written wrong on purpose
    case: {as_of: 2024-01-01, person: {honest: true}}
    expect: {eligibility: {result: ineligible}}
"""


@pytest.fixture
def folder(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".rules", tiny=RULES)
    (pytester.path / "tiny.tests.yaml").write_text(TESTS, encoding="utf-8")
    return pytester


def test_the_entry_point_is_registered():
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group="pytest11") if e.value == "supervisor_rules.pytest_plugin"]
    assert found, "pyproject.toml's [project.entry-points.pytest11] (reinstall the package after changing it)"


def test_off_unless_asked(folder):
    result = folder.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes()  # nothing collected: a project's test run never picks a test file by surprise
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_collects_and_runs_each_test_by_name(folder):
    result = folder.runpytest("-p", "no:cacheprovider", "--policy-tests", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*tiny.tests.yaml::honest is eligible PASSED*",
                                 "*tiny.tests.yaml::dishonest is ineligible PASSED*",
                                 "*tiny.tests.yaml::a wrong expectation FAILED*"])


def test_a_failure_shows_expected_and_actual(folder):
    result = folder.runpytest("-p", "no:cacheprovider", "--policy-tests")
    result.stdout.fnmatch_lines(["*policy test failed: a wrong expectation*", "*why: written wrong on purpose*",
                                 "*eligibility.result:*", "*expected: ineligible*", "*actual:   eligible*"])
    assert "Traceback" not in result.stdout.str()


def test_k_selects_by_name(folder):
    result = folder.runpytest("-p", "no:cacheprovider", "--policy-tests", "-k", "dishonest")
    result.assert_outcomes(passed=1, deselected=2)


def test_the_ini_option_turns_it_on(folder):
    folder.makeini("[pytest]\npolicy_tests = true\n")
    folder.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2, failed=1)


def test_junitxml(folder):
    result = folder.runpytest("-p", "no:cacheprovider", "--policy-tests", "--junitxml=report.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    suite = ET.parse(folder.path / "report.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["honest is eligible", "dishonest is ineligible", "a wrong expectation"]


def test_a_test_file_naming_a_shipped_policy(pytester):
    (pytester.path / "mine.tests.yaml").write_text(
        "policy: wuhan\ntests:\n  - name: nothing yet\n    case: {as_of: 2024-01-01}\n"
        "    expect: {status: not_appointed}\n", encoding="utf-8")
    pytester.runpytest("-p", "no:cacheprovider", "--policy-tests").assert_outcomes(passed=1)


def test_a_broken_test_file_is_a_collection_error(pytester):
    (pytester.path / "broken.tests.yaml").write_text("tests: [\n", encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider", "--policy-tests")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.tests.yaml*"])


def test_the_shipped_policies_tests_pass_under_pytest(pytester):
    from supervisor_rules.resources import policies_dir

    result = pytester.runpytest("-p", "no:cacheprovider", "--policy-tests",
                                str(Path(policies_dir()) / "wuhan.tests.yaml"))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 50 and "failed" not in outcomes
