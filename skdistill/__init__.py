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
    "ClassMeanSampler": "._baselines",
    "KMeansSampler": "._baselines",
    "OptimizedRealSampler": "._baselines",
    "RandomRealSampler": "._baselines",
    "DistilledDataset": "._dataset",
    "DatasetDistiller": "._dataset_distiller",
    "DistilledMLPClassifier": "._distilled_mlp",
    "KDMetaparamTuner": "._kd_metaparam_tuner",
    "ComparisonTable": "._metrics",
    "DistillationScore": "._metrics",
    "comparison_table": "._metrics",
    "distillation_accuracy": "._metrics",
    "distillation_ratio": "._metrics",
    "DistilledDataDisplay": "._plotting",
    "LearningRateScheduleDisplay": "._plotting",
    "MetaparamPathDisplay": "._plotting",
    "SentenceEmbedder": "._text",
    "TextBaselineSampler": "._text",
    "TextConvNetClassifier": "._text",
    "TextDatasetDistiller": "._text",
    "DivergenceError": "._utils",
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
