"""The two article flows: PM products, work types and travel expense types
<-> eAccounting articles, with the master of `masterForProducts`, paired at
first sync by code + name (the seed)."""

from __future__ import annotations

from ledgerbridge.core.components import Flow
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi
from ledgerbridge.plugins.eaccounting.sync.articles import ENTITY, MATCH
from ledgerbridge.plugins.eaccounting.sync.ea_articles import (
    EaArticleMapper,
    EaArticleReference,
    EaArticleSource,
    EaArticleTarget,
)
from ledgerbridge.plugins.eaccounting.sync.pm_articles import (
    PmArticleMapper,
    PmArticleReference,
    PmArticleSource,
    PmArticleTarget,
)


def article_flows(pm: SeveraApi, ea: EAccountingApi, master: str) -> list[Flow]:
    ea_ref = EaArticleReference(ea)
    pm_ref = PmArticleReference(pm, ea_ref)
    return [
        Flow(
            "pm_articles",
            ENTITY,
            PmArticleSource(pm, pm_ref),
            EaArticleMapper(ea_ref),
            EaArticleTarget(ea, ea_ref),
            description="Visma PM products, work types and travel expense types -> "
            "eAccounting articles",
            master=master,
            match=MATCH,
        ),
        Flow(
            "eaccounting_articles",
            ENTITY,
            EaArticleSource(ea, ea_ref),
            PmArticleMapper(),
            PmArticleTarget(pm, pm_ref),
            description="eAccounting articles -> Visma PM products",
            master=master,
            match=MATCH,
        ),
    ]
