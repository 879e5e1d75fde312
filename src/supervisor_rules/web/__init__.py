"""``supervisor-rules serve``: a local HTTP service and web page over ``Policy``'s public face.

    from supervisor_rules.web import create_app
    app = create_app({"my-policy": policy})          # an ASGI application (Starlette)

Needs the ``serve`` extra (``pip install 'supervisor-rules[serve]'``: Starlette and uvicorn). The
API and the page are described in docs/serve.md; the page is three static files (``static/``), with
no build step.
"""

from supervisor_rules.web.app import MAX_BODY_BYTES, QUESTIONS, create_app, openapi_document

__all__ = ["MAX_BODY_BYTES", "QUESTIONS", "create_app", "openapi_document"]
