"""The HTTP service of ``supervisor-rules serve`` (INTERFACE.md, "serve"): a Starlette application.

Routes::

    GET  /                               the web page (static/index.html, app.js, style.css)
    GET  /v1/policies                    ids, titles, sha256 of the loaded policies
    GET  /v1/policies/{id}               articles and provisions, the case schema and the labels the page shows
    POST /v1/policies/{id}/evaluate      a case in, the decision out (?only=a,b  ?explanation=false)
    POST /v1/policies/{id}/explain       the same, with the summary and the reasons as text (?lang=zh|en)
    GET  /policies/{id}/document         the policy to read, as HTML
    GET  /openapi.json                   OpenAPI 3.1, the case and decision schemas as components

Every error is JSON ``{"problems": [{"path", "code", "message", "message_zh"}]}``: 422 for a case the
policy refuses (the codes of ``CaseError``), 400 for a body that is not JSON or a bad query, 413 for a
body over ``MAX_BODY_BYTES`` (refused while it is read, never held whole), 404 for an unknown policy
(with the loaded ids). The service decides and stores nothing; it is meant for localhost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

import supervisor_rules as sr
from supervisor_rules.contracts.case import json_problem
from supervisor_rules.contracts.case import loads as case_loads
from supervisor_rules.contracts.decision import TEXT_WORDS
from supervisor_rules import questions
from supervisor_rules.tools import render as rendering

#: The largest request body the service reads (a case's JSON text); more is refused with 413 while
#: it arrives. A real case is a few kilobytes; the library's own limit (16 MiB) is for files.
MAX_BODY_BYTES = 1024 * 1024

#: The question names of ``?only=`` (INTERFACE.md v2, ``Policy.evaluate(case, only=...)``): the
#: decision's fields the questions decide.
QUESTIONS = tuple(questions.ONLY)

_STATIC = ("index.html", "app.js", "style.css")
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                  ".css": "text/css; charset=utf-8"}
# The page loads only its own files: no inline script, nothing from elsewhere.
_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_COMPONENT = re.compile(r"[^A-Za-z0-9._-]")


# --------------------------------------------------------------------------- errors
def _problem(path: str, code: str, message: str, message_zh: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message, "message_zh": message_zh}


def _problems(status: int, *problems: dict[str, str], **extra: Any) -> JSONResponse:
    return JSONResponse({"problems": list(problems), **extra}, status_code=status, headers=_HEADERS)


class _BadRequest(Exception):
    """A request refused before any case is read: its response is ready."""

    def __init__(self, response: JSONResponse):
        super().__init__(response.status_code)
        self.response = response


def _too_large() -> _BadRequest:
    return _BadRequest(_problems(413, _problem(
        "", "too_large", f"the request body is over the limit of {MAX_BODY_BYTES:,} bytes",
        f"请求体超过 {MAX_BODY_BYTES:,} 字节的上限")))


# --------------------------------------------------------------------------- the policies' faces
def _latest(policy: Any) -> Any:
    """The version that shows a family's text (its latest); a policy shows itself."""
    versions = getattr(policy, "versions", None)
    return versions[-1] if versions else policy


def _summary(policy_id: str, policy: Any) -> dict[str, Any]:
    shown = _latest(policy)
    return {"id": policy_id, "title": policy.title, "sha256": getattr(policy, "sha256", None) or shown.sha256,
            "versions": [v.id for v in getattr(policy, "versions", ())] or None}


def rules_in_words(policy: Any, lang: str = "zh") -> dict:
    """The policy's articles and provisions with their rules in words and the coverage of its tests
    (``tools.render.policy_document``), for ``GET /v1/policies/{id}`` (``document``); a family's latest
    version's."""
    shown = _latest(policy)
    return rendering.policy_document(shown, lang, tests=rendering.tests_beside(shown))


def document_html(policy_id: str, policy: Any) -> str:
    """The page of ``GET /policies/{id}/document``: the rendered policy (``render``), its stylesheet beside
    it at ``render.css``."""
    return rendering.document_html(rules_in_words(policy, "zh"))


def _articles(policy: Any) -> list[dict[str, Any]]:
    return [{"number": a.number, "cite": a.cite, "text": a.text, "chapter": a.chapter, "text_only": a.text_only,
             "provisions": [{"ref": p.ref, "cite": p.cite, "text": p.text} for p in a.provisions]}
            for a in _latest(policy).articles]


def _labels(policy: Any) -> dict[str, Any]:
    """What the page names things by: the rule file's labels of facts and enum values, and the
    decision's words (status, effects, each question's values) in both languages."""
    words = {lang: {key: value for key, value in table.items() if isinstance(value, dict)}
             for lang, table in TEXT_WORDS.items()}
    labels = policy.text_labels
    return {"facts": dict(labels.facts), "values": dict(labels.values), "words": words}


# --------------------------------------------------------------------------- deciding
def _decide(policy: Any, case: Any, only: tuple[str, ...] | None) -> Any:
    if not isinstance(case, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
                type(None): "null"}.get(type(case), type(case).__name__)
        raise sr.CaseError([sr.CaseProblem("", "type", f"a case must be a JSON object, got {kind}",
                                           f"案件必须是 JSON 对象，收到的是 {kind}")])
    return policy.evaluate(case, only=only)


def _query(request: Request, known: tuple[str, ...]) -> tuple[tuple[str, ...] | None, bool, str]:
    params = request.query_params
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise _BadRequest(_problems(400, _problem(
            f"?{unknown[0][:40]}", "query", f"unknown query parameter {unknown[0][:40]!r}; known here: "
                                            f"{', '.join(known)}", f"未知的查询参数 {unknown[0][:40]!r}；"
                                                                   f"可用：{'、'.join(known)}")))
    only = None
    if "only" in params:
        names = [n.strip() for n in params["only"].split(",") if n.strip()]
        try:
            only = questions.only_fields(names)  # the library's own check and message
        except ValueError as exc:
            raise _BadRequest(_problems(400, _problem(
                "?only", "query", str(exc), f"only 须为以逗号分隔的问题名；可选：{'、'.join(QUESTIONS)}"))) from None
    explanation = params.get("explanation", "true").lower()
    if explanation not in ("true", "false", "1", "0"):
        raise _BadRequest(_problems(400, _problem("?explanation", "query", "explanation is true or false",
                                                  "explanation 只能是 true 或 false")))
    lang = params.get("lang", "zh")
    if lang not in TEXT_WORDS:
        raise _BadRequest(_problems(400, _problem("?lang", "query", f"lang is one of {', '.join(TEXT_WORDS)}",
                                                  f"lang 只能是 {'、'.join(TEXT_WORDS)}")))
    return only, explanation in ("true", "1"), lang


async def _read_body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it passes ``MAX_BODY_BYTES``: by its declared length
    before anything is read, else while it arrives (a chunked body declares none)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or len(declared) > 18):
        raise _BadRequest(_problems(400, _problem("", "invalid", "bad Content-Length", "Content-Length 无效")))
    if declared is not None and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> Any:
    try:
        return case_loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise _BadRequest(_problems(400, _problem("", "json", "the body is not valid UTF-8",
                                                  "请求体不是有效的 UTF-8"))) from None
    except (ValueError, RecursionError) as exc:
        message = json_problem(exc) or f"invalid JSON: {' '.join(str(exc).split())[:200]}"
        raise _BadRequest(_problems(400, _problem("", "json", message, f"请求体不是有效的 JSON：{message}"))) from None


def _case_problems(exc: sr.CaseError) -> JSONResponse:
    return _problems(422, *(_problem(p.path, p.code, p.text("en"), p.text("zh")) for p in exc.problems))


# --------------------------------------------------------------------------- OpenAPI
def _component(name: str) -> str:
    return _COMPONENT.sub("_", name)


def _rebased(schema: Any, name: str) -> Any:
    """A policy's JSON Schema as an OpenAPI component: its own ``$id`` dropped and its ``#/$defs/…``
    references pointed at the component, since in the document they resolve from the document's root."""
    if isinstance(schema, dict):
        return {key: (f"#/components/schemas/{name}/" + value[2:] if key == "$ref" and isinstance(value, str)
                      and value.startswith("#/") else _rebased(value, name))
                for key, value in schema.items() if key != "$id"}
    if isinstance(schema, list):
        return [_rebased(item, name) for item in schema]
    return schema


def openapi_document(policies: Mapping[str, Any]) -> dict[str, Any]:
    """The service's OpenAPI 3.1 description: one ``evaluate`` path per loaded policy, its case and
    decision schemas (``policy.schema()``, ``policy.decision_schema()``) as components."""
    problems = {"$ref": "#/components/schemas/Problems"}

    def answer(text: str, schema: dict) -> dict:
        return {"description": text, "content": {"application/json": {"schema": schema}}}

    errors = {"400": answer("not JSON, or a bad query parameter / 请求体不是 JSON 或查询参数有误", problems),
              "404": answer("no such policy / 没有该办法", problems),
              "413": answer(f"body over {MAX_BODY_BYTES:,} bytes / 请求体过大", problems),
              "422": answer("the case's problems / 案件有误", problems)}
    query = [{"name": "only", "in": "query", "required": False,
              "description": "questions to decide, comma-separated: " + ", ".join(QUESTIONS),
              "schema": {"type": "string"}},
             {"name": "explanation", "in": "query", "required": False,
              "description": "false: the decision without its explanation",
              "schema": {"type": "string", "enum": ["true", "false", "1", "0"]}}]
    lang = {"name": "lang", "in": "query", "required": False, "description": "language of the text",
            "schema": {"type": "string", "enum": sorted(TEXT_WORDS)}}
    schemas: dict[str, Any] = {
        "Problem": {"type": "object", "required": ["path", "code", "message", "message_zh"],
                    "properties": {"path": {"type": "string"}, "code": {"type": "string"},
                                   "message": {"type": "string"}, "message_zh": {"type": "string"}}},
        "Problems": {"type": "object", "required": ["problems"],
                     "properties": {"problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                                    "policies": {"type": "array", "items": {"type": "string"}}}},
        "PolicySummary": {"type": "object", "required": ["id", "title", "sha256"],
                          "properties": {"id": {"type": "string"}, "title": {"type": ["string", "null"]},
                                         "sha256": {"type": ["string", "null"]},
                                         "versions": {"type": ["array", "null"], "items": {"type": "string"}}}},
    }
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "the web page / 网页", "operationId": "page",
                      "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
        "/v1/policies": {"get": {"summary": "the loaded policies / 已加载的办法", "operationId": "listPolicies",
                                 "responses": {"200": answer("ids, titles, sha256", {
                                     "type": "object", "properties": {"policies": {
                                         "type": "array", "items": {"$ref": "#/components/schemas/PolicySummary"}}}})}}},
        "/v1/policies/{id}": {"get": {
            "summary": "a policy's articles and provisions / 办法的条文", "operationId": "getPolicy",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "enum": list(policies)}}],
            "responses": {"200": answer("the articles, the case schema, the labels", {"type": "object"}),
                          "404": errors["404"]}}},
    }
    for policy_id, policy in policies.items():
        name = _component(policy_id)
        schemas[f"case_{name}"] = _rebased(policy.schema(), f"case_{name}")
        schemas[f"decision_{name}"] = _rebased(policy.decision_schema(), f"decision_{name}")
        body = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/case_{name}"}}}}
        decision = {"$ref": f"#/components/schemas/decision_{name}"}
        paths[f"/v1/policies/{policy_id}/evaluate"] = {"post": {
            "summary": f"decide a case under {policy_id} / 判断案件", "operationId": f"evaluate_{name}",
            "parameters": query, "requestBody": body,
            "responses": {"200": answer("the decision (DECISION.md)", decision), **errors}}}
        paths[f"/v1/policies/{policy_id}/explain"] = {"post": {
            "summary": f"decide a case under {policy_id}, with its reasons as text / 判断并说明理由",
            "operationId": f"explain_{name}", "parameters": [lang], "requestBody": body,
            "responses": {"200": answer("the decision, its summary and its reasons in one language", {
                "type": "object", "required": ["decision", "summary", "explanation"],
                "properties": {"decision": decision, "summary": {"type": "string"},
                               "explanation": {"type": "string"}}}), **errors}}}
    return {"openapi": "3.1.0",
            "info": {"title": "supervisor-rules", "version": sr.__version__,
                     "description": "Decide cases under the loaded policies (INTERFACE.md, serve). "
                                    "依已加载的办法判断案件。"},
            "paths": paths, "components": {"schemas": schemas}}


# --------------------------------------------------------------------------- the application
class _KnownHosts:
    """Answers only requests whose ``Host`` names one of ``hosts`` (any port); others get 400 with a
    ``host`` problem. Bound to loopback, this keeps a web page elsewhere from reaching the service
    through a name that resolves to 127.0.0.1 (DNS rebinding)."""

    def __init__(self, app: Any, hosts: list[str]):
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host", "").lower()
            name = host[:host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
            if name not in self.hosts:
                names = sorted(self.hosts)
                response = _problems(400, _problem("", "host", f"this service answers only to {', '.join(names)}",
                                                   f"本服务只接受发往 {'、'.join(names)} 的请求"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)



def create_app(policies: Mapping[str, Any], *, allowed_hosts: list[str] | None = None) -> Starlette:
    """The ASGI application serving ``policies`` (id → ``Policy`` or ``Family``).

    ``allowed_hosts``: the ``Host`` headers answered (the command line passes the loopback names when
    it binds to localhost, so a web page elsewhere cannot reach the service by DNS rebinding); None
    answers any."""
    loaded = dict(policies)
    openapi = openapi_document(loaded)
    static = {name: resources.files("supervisor_rules.web").joinpath("static", name).read_bytes() for name in _STATIC}

    def unknown(policy_id: str) -> JSONResponse:
        shown = policy_id[:80]
        return _problems(404, _problem("", "unknown_policy",
                                       f"no policy {shown!r}; loaded: {', '.join(loaded)}",
                                       f"没有办法 {shown!r}；已加载：{'、'.join(loaded)}"), policies=list(loaded))

    async def page(request: Request) -> Response:
        return Response(static["index.html"], media_type=_CONTENT_TYPES[".html"], headers=_HEADERS)

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return _problems(404, _problem("", "not_found", "no such file", "没有该文件"))
        return Response(static[name], media_type=_CONTENT_TYPES["." + name.rsplit(".", 1)[1]], headers=_HEADERS)

    async def list_policies(request: Request) -> Response:
        return JSONResponse({"policies": [_summary(i, p) for i, p in loaded.items()]}, headers=_HEADERS)

    async def get_policy(request: Request) -> Response:
        policy_id = request.path_params["id"]
        if policy_id not in loaded:
            return unknown(policy_id)
        policy = loaded[policy_id]
        return JSONResponse({**_summary(policy_id, policy), "articles": _articles(policy),
                             "document": await run_in_threadpool(rendered, policy_id, "words"),
                             "schema": policy.schema(),
                             "labels": _labels(policy)}, headers=_HEADERS)

    documents: dict[tuple[str, str], Any] = {}  # (id, what) → the rendered document: the tests run once

    def rendered(policy_id: str, what: str) -> Any:
        key = (policy_id, what)
        if key not in documents:
            policy = loaded[policy_id]
            documents[key] = (rules_in_words(policy, "zh") if what == "words"
                              else document_html(policy_id, policy))
        return documents[key]

    async def document(request: Request) -> Response:
        policy_id = request.path_params["id"]
        if policy_id not in loaded:
            return unknown(policy_id)
        page = await run_in_threadpool(rendered, policy_id, "page")
        return HTMLResponse(page, headers=_HEADERS)

    async def favicon(request: Request) -> Response:
        return Response(status_code=204, headers=_HEADERS)  # no icon, and no 404 in a browser's console

    async def document_css(request: Request) -> Response:
        return Response(rendering.stylesheet(), media_type="text/css; charset=utf-8", headers=_HEADERS)

    async def decide(request: Request, explained: bool) -> Response:
        policy_id = request.path_params["id"]
        if policy_id not in loaded:
            return unknown(policy_id)
        try:
            only, explanation, lang = _query(request, ("lang",) if explained else ("only", "explanation"))
            case = _parse(await _read_body(request))
        except _BadRequest as exc:
            return exc.response
        policy = loaded[policy_id]

        def work() -> dict:
            decision = _decide(policy, case, None if explained else only)
            if explained:
                return {"decision": decision.to_dict(), "summary": decision.to_text(lang=lang),
                        "explanation": decision.explain(lang=lang)}
            return decision.to_dict(explanation=explanation)
        try:
            return JSONResponse(await run_in_threadpool(work), headers=_HEADERS)
        except sr.CaseError as exc:
            return _case_problems(exc)

    async def evaluate(request: Request) -> Response:
        return await decide(request, explained=False)

    async def explain(request: Request) -> Response:
        return await decide(request, explained=True)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi, headers=_HEADERS)

    routes = [Route("/", page), Route("/static/{name}", static_file), Route("/openapi.json", openapi_json),
              Route("/v1/policies", list_policies), Route("/v1/policies/{id}", get_policy),
              Route("/v1/policies/{id}/evaluate", evaluate, methods=["POST"]),
              Route("/v1/policies/{id}/explain", explain, methods=["POST"]),
              Route("/policies/{id}/document", document), Route("/policies/{id}/render.css", document_css),
              Route("/favicon.ico", favicon)]
    middleware = [Middleware(_KnownHosts, hosts=allowed_hosts)] if allowed_hosts else []
    return Starlette(routes=routes, middleware=middleware)
