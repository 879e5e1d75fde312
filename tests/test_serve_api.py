"""``supervisor-rules serve``'s HTTP API against the running server (a real process on a free port,
tests/webserver.py): every endpoint, the error answers and their codes, the body limit, OpenAPI."""

from __future__ import annotations

import http.client
import re
import signal
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.resources import policies_dir
from supervisor_rules.web import MAX_BODY_BYTES, QUESTIONS
from webserver import get_json, post_json, request, serving

DISMISSED = {"as_of": "2024-06-01", "appointment": {"method": "open", "start": "2020-01-01"}}
OPEN = {"as_of": "2024-01-10", "person": {"supports_party_line": True, "honest": True}}


@pytest.fixture(scope="module")
def url():
    with serving() as base:  # every shipped policy
        yield base


def _meta_less(decision: dict) -> dict:
    return {k: v for k, v in decision.items() if k != "meta"}


def test_policies_lists_every_shipped_policy(url):
    status, body = get_json(url + "/v1/policies")
    assert status == 200
    ids = [p["id"] for p in body["policies"]]
    assert ids == sr.builtin_policy_ids()
    for entry in body["policies"]:
        policy = sr.builtin_policy(entry["id"])
        assert entry["title"] == policy.title and entry["sha256"] == policy.sha256


def test_policy_detail_has_articles_schema_and_labels(url):
    for policy_id in sr.builtin_policy_ids():
        policy = sr.builtin_policy(policy_id)
        status, body = get_json(f"{url}/v1/policies/{policy_id}")
        assert status == 200
        assert [a["cite"] for a in body["articles"]] == [a.cite for a in policy.articles]
        assert [a["text"] for a in body["articles"]] == [a.text for a in policy.articles]
        first = next(a for a, info in zip(body["articles"], policy.articles) if info.provisions)
        assert first["provisions"][0]["ref"] and first["provisions"][0]["cite"]
        assert body["schema"] == policy.schema()
        assert body["labels"]["values"] == policy.text_labels.values
        assert body["labels"]["words"]["zh"]["status_values"]["dismissed"] == "已解聘"
        document = body["document"]  # tools.render.policy_document: the rules in words, with coverage
        assert [a["cite"] for a in document["articles"]] == [a.cite for a in policy.articles]
        worded = [rule for a in document["articles"] for p in a["provisions"] for rule in p["rules"]]
        assert worded and document["coverage"] is not None  # the tests beside the shipped policies ran


def test_evaluate_decides_as_the_library_does(url):
    policy = sr.builtin_policy("wuhan")
    status, body = post_json(url + "/v1/policies/wuhan/evaluate", DISMISSED)
    assert status == 200
    expected = policy.evaluate(DISMISSED).to_dict()
    assert _meta_less(body) == _meta_less(json.loads(json.dumps(expected)))
    assert body["status"] == "dismissed"
    status, body = post_json(url + "/v1/policies/wuhan/evaluate", OPEN)
    assert status == 200 and body["open_questions"] == policy.evaluate(OPEN).to_dict()["open_questions"]


def test_evaluate_query_options(url):
    status, body = post_json(url + "/v1/policies/wuhan/evaluate?explanation=false", DISMISSED)
    assert status == 200 and "explanation" not in body and body["status"] == "dismissed"
    status, body = post_json(url + "/v1/policies/wuhan/evaluate?only=status,eligibility", DISMISSED)
    assert status == 200 and body["status"] == "dismissed"
    assert not {"recusal", "report", "violations", "term", "grounds"} & set(body)  # the term ran, unasked
    assert body["eligibility"]["result"] and "findings" not in body
    status, body = post_json(url + "/v1/policies/wuhan/evaluate?only=status,nonsense", DISMISSED)
    assert status == 400 and body["problems"][0]["code"] == "query"
    assert all(q in body["problems"][0]["message"] for q in QUESTIONS)
    status, body = post_json(url + "/v1/policies/wuhan/evaluate?explanation=maybe", DISMISSED)
    assert status == 400 and body["problems"][0]["path"] == "?explanation"
    status, body = post_json(url + "/v1/policies/wuhan/evaluate?lang=zh", DISMISSED)
    assert status == 400 and body["problems"][0]["path"] == "?lang"


def test_explain_gives_the_text_in_one_language(url):
    policy = sr.builtin_policy("wuhan")
    status, body = post_json(url + "/v1/policies/wuhan/explain?lang=zh", DISMISSED)
    assert status == 200
    decision = policy.evaluate(DISMISSED)
    assert body["explanation"] == decision.explain(lang="zh") and body["summary"] == decision.to_text(lang="zh")
    assert "状态：已解聘" in body["summary"] and body["decision"]["status"] == "dismissed"
    status, body = post_json(url + "/v1/policies/wuhan/explain?lang=en", DISMISSED)
    assert status == 200 and body["explanation"] == decision.explain(lang="en")


@pytest.mark.parametrize(("case", "path", "code"), [
    ({"as_of": "2024-13-01"}, "as_of", "date"),
    ({"as_of": "2024-01-01", "persn": {}}, "persn", "unknown_key"),
    ({"as_of": "2024-01-01", "person": {"honest": "yes"}}, "person.honest", "type"),
    ({"person": {}}, "as_of", "required"),
    ([1, 2], "", "type"),
])
def test_bad_case_is_422_with_coded_problems(url, case, path, code):
    status, body = post_json(url + "/v1/policies/wuhan/evaluate", case)
    assert status == 422
    assert any(p["path"] == path and p["code"] == code for p in body["problems"]), body
    for problem in body["problems"]:
        assert set(problem) == {"path", "code", "message", "message_zh"} and problem["message_zh"]


def test_non_json_body_is_400(url):
    for body in (b"{as_of", b"\xff\xfe", b"", b'{"as_of": "2024-01-01", "as_of": "2024-01-02"}'):
        status, _, answer = request(url + "/v1/policies/wuhan/evaluate", body, method="POST")
        problems = json.loads(answer)["problems"]
        assert status == 400 and problems[0]["code"] == "json", (body, problems)


def test_unknown_policy_is_404_with_the_known_ids(url):
    status, body = post_json(url + "/v1/policies/nowhere/evaluate", DISMISSED)
    assert status == 404 and body["policies"] == sr.builtin_policy_ids()
    assert body["problems"][0]["code"] == "unknown_policy"
    status, body = get_json(url + "/v1/policies/nowhere")
    assert status == 404 and body["policies"] == sr.builtin_policy_ids()


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def test_body_over_the_limit_is_413_by_its_length(url):
    # The declared length alone refuses it: the answer comes before any of the body is sent.
    connection = _connection(url)
    try:
        connection.putrequest("POST", "/v1/policies/wuhan/evaluate")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["problems"][0]["code"] == "too_large"
    finally:
        connection.close()


def test_body_over_the_limit_is_413_while_it_arrives(url):
    # Chunked: no length declared, so the limit is kept while reading. The server answers before
    # the client is done; it does not read (nor hold) the rest.
    connection = _connection(url)
    try:
        connection.putrequest("POST", "/v1/policies/wuhan/evaluate")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        chunk = b" " * 65536
        sent = 0
        try:
            while sent <= MAX_BODY_BYTES + len(chunk):
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            connection.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: what the rest of the test checks
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["problems"][0]["code"] == "too_large"
    finally:
        connection.close()


def test_openapi_is_valid_and_carries_the_schemas(url):
    status, document = get_json(url + "/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    from openapi_spec_validator import validate

    validate(document)
    schemas = document["components"]["schemas"]
    for policy_id in sr.builtin_policy_ids():
        policy = sr.builtin_policy(policy_id)
        case = {k: v for k, v in policy.schema().items() if k != "$id"}
        assert schemas[f"case_{policy_id}"] == json.loads(json.dumps(case).replace(
            '"#/', f'"#/components/schemas/case_{policy_id}/'))
        decision = {k: v for k, v in policy.decision_schema().items() if k != "$id"}
        assert schemas[f"decision_{policy_id}"] == json.loads(json.dumps(decision).replace(
            '"#/', f'"#/components/schemas/decision_{policy_id}/'))
        post = document["paths"][f"/v1/policies/{policy_id}/evaluate"]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"case_{policy_id}")
        assert set(post["responses"]) == {"200", "400", "404", "413", "422"}


def test_answers_match_their_schemas_in_the_document(url):
    from jsonschema import Draft202012Validator

    _, document = get_json(url + "/openapi.json")

    def check(body: object, name: str) -> None:
        Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"}).validate(body)

    _, body = post_json(url + "/v1/policies/wuhan/evaluate", DISMISSED)
    check(body, "decision_wuhan")
    check(DISMISSED, "case_wuhan")
    _, body = post_json(url + "/v1/policies/wuhan/evaluate", {"as_of": "nonsense"})
    check(body, "Problems")


def test_page_static_files_and_document(url):
    status, headers, page = request(url + "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"/static/app.js" in page and "default-src 'self'" in headers["content-security-policy"]
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, _ = request(f"{url}/static/{name}")
        assert status == 200 and headers["content-type"].startswith(kind)
    assert request(url + "/static/../app.py")[0] == 404
    status, headers, text = request(url + "/policies/wuhan/document")
    assert status == 200 and "第五条" in text.decode() and "自然解聘" in text.decode()
    assert 'href="render.css"' in text.decode()  # the rendered document, its stylesheet beside it
    status, headers, css = request(url + "/policies/wuhan/render.css")
    assert status == 200 and headers["content-type"].startswith("text/css") and b"@media print" in css
    assert request(url + "/policies/nowhere/document")[0] == 404


def test_a_foreign_host_header_is_refused(url):
    # Bound to localhost, the service answers only to localhost's names (no DNS rebinding).
    status, _, body = request(url + "/v1/policies", headers={"Host": "attacker.example"})
    assert status == 400 and json.loads(body)["problems"][0]["code"] == "host"
    status, _, _ = request(url + "/v1/policies", headers={"Host": "localhost:1234"})
    assert status == 200


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "supervisor_rules", "serve", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_usage_errors_exit_2():
    result = _serve("nowhere")
    assert result.returncode == 2 and "unknown policy" in result.stderr
    result = _serve("--port", "70000")
    assert result.returncode == 2
    result = _serve("wuhan", "--calendar", "/nonexistent/calendar.json")
    assert result.returncode == 2 and "--calendar" in result.stderr
    result = subprocess.run([sys.executable, "-m", "supervisor_rules", "--format", "json", "serve"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "--format" in result.stderr
    result = _serve("wuhan", "wuhan")
    assert result.returncode == 2 and "id" in result.stderr


def test_port_in_use_exits_2(url):
    port = urllib.parse.urlsplit(url).port
    result = _serve("wuhan", "--port", str(port))
    assert result.returncode == 2 and "cannot listen" in result.stderr


def test_serves_a_rule_file_with_a_calendar(tmp_path):
    calendar = tmp_path / "calendar.json"
    calendar.write_text(json.dumps({"2031": {"holidays": ["2031-01-01"], "workdays": []}}), encoding="utf-8")
    rules = policies_dir() / "wuhan.rules"
    with serving(str(rules), "--calendar", str(calendar)) as base:
        status, body = get_json(base + "/v1/policies")
        assert [p["id"] for p in body["policies"]] == ["wuhan"]
        status, decision = post_json(base + "/v1/policies/wuhan/evaluate", DISMISSED)
        assert status == 200 and "2031" in json.dumps(decision["meta"])


def test_serves_a_family_by_the_version_in_force():
    family = Path(__file__).resolve().parent.parent / "examples" / "policies" / "lanjiang.family"
    with serving(str(family)) as base:
        _, body = get_json(base + "/v1/policies")
        [entry] = body["policies"]
        assert entry["versions"] and len(entry["versions"]) > 1
        _, detail = get_json(f"{base}/v1/policies/{entry['id']}")
        assert detail["articles"]
        status, decision = post_json(f"{base}/v1/policies/{entry['id']}/evaluate", {"as_of": "2024-06-01"})
        assert status == 200 and decision["policy"] in entry["versions"]
        from openapi_spec_validator import validate

        validate(get_json(base + "/openapi.json")[1])


def test_ctrl_c_stops_the_service_cleanly():
    proc = subprocess.Popen([sys.executable, "-m", "supervisor_rules", "serve", "wuhan", "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://[^ ]+:\d+", line).group(0)
        assert get_json(url + "/v1/policies")[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
