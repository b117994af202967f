"""The dashboard's region options: read from its sums when unfiltered, by their own query
when filtered; the same options either way (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select
from tests.web.test_dashboard import _demo_world

from nqpf.web.authz import load_actor
from nqpf.web.models import User
from nqpf.web.services import dashboard as svc


def test_region_options_from_the_sums_equal_the_query(app, monkeypatch):
    accounts = _demo_world(app, monkeypatch)
    with app.state.session_factory() as s:
        for role in ("园区工作人员", "平台管理员", "外地主管部门人员"):
            user = s.scalar(select(User).where(User.email == accounts.by_role(role).email))
            actor = load_actor(s, user)
            queried = svc._region_options(s, actor)
            assert svc.dashboard(s, actor).region_options == queried, role
            assert svc.dashboard(s, actor, industry="C").region_options == queried, role
            if role == "园区工作人员":
                assert len(queried) > 3  # the province, the prefecture and its counties
