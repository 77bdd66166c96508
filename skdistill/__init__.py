"""skdistill: dataset distillation and knowledge distillation for tabular data.

The public estimators and functions live in this flat namespace; every other
module is private.

The names are imported on first use (PEP 562), not with the package: the
``skdistill`` command is a module of this package, and importing torch takes
seconds, during which Ctrl-C must reach the command's own handler (exit 130,
one line) rather than interrupt the import of the package.
"""

import importlib

from ._version import __version__ as __version__

_MODULE_OF = {
    "ClassMeanSampler": "._tabular.baselines",
    "HerdingSampler": "._tabular.baselines",
    "KMeansSampler": "._tabular.baselines",
    "OptimizedRealSampler": "._tabular.baselines",
    "RandomRealSampler": "._tabular.baselines",
    "DistilledDataset": "._data.dataset",
    "FeatureTransform": "._data.feature_transform",
    "DatasetDistiller": "._tabular.distiller",
    "DistilledMLPClassifier": "._tabular.classifier",
    "KDMetaparamTuner": "._kd.tuner",
    "DistilledRandomizedSearchCV": "._model_selection.randomized",
    "DistilledSearchCV": "._model_selection.search",
    "ComparisonTable": "._eval.metrics",
    "DistillationScore": "._eval.metrics",
    "comparison_table": "._eval.metrics",
    "distillation_accuracy": "._eval.metrics",
    "distillation_ratio": "._eval.metrics",
    "DistilledDataDisplay": "._eval.plotting",
    "LearningRateScheduleDisplay": "._eval.plotting",
    "MetaparamPathDisplay": "._eval.plotting",
    "SentenceEmbedder": "._text.embedding",
    "TextBaselineSampler": "._text.baselines",
    "TextConvNetClassifier": "._text.classifier",
    "TextDatasetDistiller": "._text.distiller",
    "DivergenceError": "._utils",
    "DivergenceWarning": "._utils",
}

__all__ = sorted(_MODULE_OF, key=lambda name: (name[0].islower(), name))


def __getattr__(name):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
