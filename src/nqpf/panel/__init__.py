"""Entity × period panels: dataframes of any kind in, numpy arrays out, labels back.

See :class:`Panel`.
"""

from nqpf.panel.panel import Panel

__all__ = ["Panel"]
