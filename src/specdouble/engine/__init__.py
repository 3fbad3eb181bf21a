"""The compiled request path: an operation plan built once from what Connexion loaded.

Plain Python and jsonschema-rs only; nothing here imports Connexion,
Starlette or uvicorn. The HTTP edge (``specdouble.http.compiled``) hands in
the parsed operations, handlers and error renderer, and installs the
:class:`~specdouble.engine.pipeline.Pipeline` in front of the Connexion app,
which serves whatever the plan declines.
"""
