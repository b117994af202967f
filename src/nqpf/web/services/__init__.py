"""Use cases of the platform: the routes (pages and JSON API) call these; no HTTP here.

Each write is one transaction that also records its :class:`~nqpf.web.models.AuditEvent`;
the service commits, or rolls back and raises a :mod:`nqpf.web.errors` error.
"""
