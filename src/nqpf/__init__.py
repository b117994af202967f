"""nqpf — measuring, diagnosing and steering new quality productive forces (新质生产力).

Subpackages
-----------
indices
    Composite indices on panel data: normalisation, objective and subjective weights,
    TOPSIS, grey relational analysis, coupling coordination, obstacle degree.
panel
    Long/wide panel tables (pandas, Polars, PyArrow, DuckDB) to arrays and back.
disparity
    Regional disparity and dynamics: Gini and Dagum decomposition, Theil, kernel density,
    Markov and spatial Markov chains, spatial weights, Moran's I, σ/β convergence.
assessment
    Enterprise frameworks as versioned data (MIIT SME digital level 2024 …), scoring, and
    energy/carbon accounting.
systems
    Indicator systems as versioned YAML data.
"""

from nqpf.exceptions import DataValidationError, NqpfError

__version__ = "0.1.0"
__all__ = ["DataValidationError", "NqpfError", "__version__"]
