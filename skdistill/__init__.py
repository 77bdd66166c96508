"""skdistill: dataset distillation and knowledge distillation for tabular data.

The public estimators and functions live in this flat namespace; every other
module is private.
"""

from ._baselines import (
    ClassMeanSampler,
    KMeansSampler,
    OptimizedRealSampler,
    RandomRealSampler,
)
from ._dataset import DistilledDataset
from ._dataset_distiller import DatasetDistiller
from ._distilled_mlp import DistilledMLPClassifier
from ._kd_metaparam_tuner import KDMetaparamTuner
from ._metrics import (
    ComparisonTable,
    DistillationScore,
    comparison_table,
    distillation_accuracy,
    distillation_ratio,
)
from ._plotting import (
    DistilledDataDisplay,
    LearningRateScheduleDisplay,
    MetaparamPathDisplay,
)
from ._text import (
    SentenceEmbedder,
    TextBaselineSampler,
    TextConvNetClassifier,
    TextDatasetDistiller,
)
from ._utils import DivergenceError
from ._version import __version__ as __version__

__all__ = [
    "ClassMeanSampler",
    "ComparisonTable",
    "DatasetDistiller",
    "DistillationScore",
    "DistilledDataDisplay",
    "DistilledDataset",
    "DistilledMLPClassifier",
    "DivergenceError",
    "KDMetaparamTuner",
    "KMeansSampler",
    "LearningRateScheduleDisplay",
    "MetaparamPathDisplay",
    "OptimizedRealSampler",
    "RandomRealSampler",
    "SentenceEmbedder",
    "TextBaselineSampler",
    "TextConvNetClassifier",
    "TextDatasetDistiller",
    "comparison_table",
    "distillation_accuracy",
    "distillation_ratio",
]
