"""Former name of :mod:`nqpf.assessment.quality_sme_tiers` (优质中小企业梯度培育), kept for imports."""

from nqpf.assessment.quality_sme_tiers import *  # noqa: F403
from nqpf.assessment.quality_sme_tiers import __all__  # noqa: F401
