"""Enterprises on the platform: the names of its three modules in one place.

* :mod:`~nqpf.web.services.profiles` — rights, listing, creating and editing profiles;
* :mod:`~nqpf.web.services.shares` — whom an enterprise shares its data with;
* :mod:`~nqpf.web.services.enterprise_import` — bulk import from CSV / XLSX.

The field rules themselves are :mod:`nqpf.services.enterprises`'.
"""

from __future__ import annotations

from nqpf.codes import province_names
from nqpf.web.services.enterprise_import import (
    IMPORT_COLUMNS,
    ImportReport,
    import_enterprises,
    import_template_csv,
)
from nqpf.web.services.profiles import (
    FIELD_LABELS,
    FIELDS,
    STAGES,
    EnterprisePage,
    InvalidInput,
    can_create,
    create_enterprise,
    format_chains,
    get_enterprise,
    latest_levels,
    list_enterprises,
    parse_chains,
    update_enterprise,
)
from nqpf.web.services.shares import (
    add_share,
    list_providers,
    list_shares,
    may_manage_shares,
    remove_share,
)

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "IMPORT_COLUMNS",
    "STAGES",
    "EnterprisePage",
    "ImportReport",
    "InvalidInput",
    "add_share",
    "can_create",
    "create_enterprise",
    "format_chains",
    "get_enterprise",
    "import_enterprises",
    "import_template_csv",
    "latest_levels",
    "list_enterprises",
    "list_providers",
    "list_shares",
    "may_manage_shares",
    "parse_chains",
    "province_names",
    "remove_share",
    "update_enterprise",
]
