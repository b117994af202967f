"""Technical matching (技术匹配): rank solutions for an enterprise's need, with reasons.

>>> from nqpf.matching import make_catalogue, rank
>>> result = rank({"enterprise_id": "E1", "scene": "设备管理", "current_level": 2,
...                "target_level": 3, "text": "设备预测性维护，减少停机"},
...               make_catalogue(80, seed=2), top=2)
>>> [m.rank for m in result.matches]
[1, 2]

The pieces:

* :mod:`~nqpf.matching.models` — :class:`Need`, :class:`Solution` (and its
  :class:`SceneLift`, :class:`Case`, :class:`Kpi`), built from mappings with errors that
  name the field in English and Chinese;
* :mod:`~nqpf.matching.scenes` — the 16 SME-2024 scenes and the 40 典型场景, their
  labels and the crosswalk between them;
* :mod:`~nqpf.matching.facts` — the facts of an assessment (:func:`facts_from_assessment`)
  and :class:`Condition`, one prerequisite on them;
* :mod:`~nqpf.matching.engine` — :class:`MatchIndex` (fit once, rank many needs) and
  :func:`rank`, with :func:`check_gates` for one solution;
* :mod:`~nqpf.matching.result` — :class:`MatchResult`, :class:`Match`, :class:`NearMiss`;
* :mod:`~nqpf.matching.weights` and :mod:`~nqpf.matching.text` — the weights file and
  the Chinese tokenizer (rjieba + domain lexicon), both data;
* :mod:`~nqpf.matching.synthetic` — :func:`make_catalogue` (示例数据，非真实统计).
"""

from nqpf.matching.engine import GateCheck, MatchIndex, check_gates, rank
from nqpf.matching.facts import (
    Condition,
    FactSpec,
    check_facts,
    facts_from_assessment,
    load_facts,
)
from nqpf.matching.models import (
    DEPLOYMENTS,
    PRICE_BANDS,
    SIZE_CLASSES,
    STANDINGS,
    Case,
    Kpi,
    Need,
    SceneLift,
    Solution,
    need_from_mapping,
    solution_from_mapping,
)
from nqpf.matching.result import GATES, Match, MatchResult, NearMiss
from nqpf.matching.scenes import resolve_scene, scene_label, scenes
from nqpf.matching.synthetic import SYNTHETIC_NOTE, make_catalogue
from nqpf.matching.text import Tokenizer, default_tokenizer
from nqpf.matching.weights import COMPONENTS, MatchWeights, load_weights

__all__ = [
    "COMPONENTS",
    "DEPLOYMENTS",
    "GATES",
    "PRICE_BANDS",
    "SIZE_CLASSES",
    "STANDINGS",
    "SYNTHETIC_NOTE",
    "Case",
    "Condition",
    "FactSpec",
    "GateCheck",
    "Kpi",
    "Match",
    "MatchIndex",
    "MatchResult",
    "MatchWeights",
    "NearMiss",
    "Need",
    "SceneLift",
    "Solution",
    "Tokenizer",
    "check_facts",
    "check_gates",
    "default_tokenizer",
    "facts_from_assessment",
    "load_facts",
    "load_weights",
    "make_catalogue",
    "need_from_mapping",
    "rank",
    "resolve_scene",
    "scene_label",
    "scenes",
    "solution_from_mapping",
]
