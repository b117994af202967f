"""Former name of :mod:`nqpf.assessment.smart_factory_tiers` (智能工厂梯度培育), kept for imports."""

from nqpf.assessment.smart_factory_tiers import *  # noqa: F403
from nqpf.assessment.smart_factory_tiers import __all__  # noqa: F401
