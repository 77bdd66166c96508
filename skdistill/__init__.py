"""skdistill: dataset distillation and knowledge distillation for tabular data.

The public estimators live in this flat namespace; every other module is
private.
"""

from ._dataset_distiller import DatasetDistiller
from ._kd_metaparam_tuner import KDMetaparamTuner
from ._utils import DivergenceError

__all__ = [
    "DatasetDistiller",
    "DivergenceError",
    "KDMetaparamTuner",
]
__version__ = "0.1.0.dev0"
