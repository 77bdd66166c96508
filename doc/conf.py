"""Sphinx configuration of the skdistill documentation.

Build (from the repository root)::

    pip install -e ".[docs]"
    python -m sphinx -b html doc doc/_build/html

The gallery (``examples/plot_*.py``) runs at build time; every example takes
seconds on a laptop CPU.
"""

import os
import re
import warnings

import skdistill

# -- Project -----------------------------------------------------------------

project = "skdistill"
author = "the skdistill developers"
copyright = "2026, the skdistill developers"
release = skdistill.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
default_role = "literal"

# -- API reference ------------------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Markdown (the user-guide pages are Markdown) ----------------------------

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# -- Gallery -----------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": os.path.join("..", "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdistill",),
    "backreferences_dir": os.path.join("modules", "generated"),
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
}

# Examples run with the Agg backend; silence the non-interactive warning.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"skdistill {release}"
html_theme_options = {
    "description": "Dataset and knowledge distillation for tabular data",
    "fixed_sidebar": True,
    "page_width": "1100px",
}
html_static_path = []

# -- Hooks -------------------------------------------------------------------


def _plain_search_property_docs():
    """numpydoc takes the summary of a property listed under Attributes from
    the property itself; ``BaseSearchCV.n_features_in_`` (inherited by the
    distilled searches) links scikit-learn's glossary, absent here. Give the
    property a plain summary for this build only."""
    from sklearn.model_selection._search import BaseSearchCV

    prop = BaseSearchCV.n_features_in_
    BaseSearchCV.n_features_in_ = property(
        prop.fget, doc="Number of features seen during ``fit``."
    )


_plain_search_property_docs()

_SHAPE = re.compile(r"shape \(([^()]*)\)")


def _escape_fitted_names_in_shapes(app, what, name, obj, options, lines):
    """Escape ``n_features_in_`` in "of shape (n, n_features_in_)" type lines.

    A word ending in an underscore is a reference in reStructuredText; in the
    shape of an array it names a fitted attribute. Runs before numpydoc.
    """
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(
            lambda m: "shape (" + re.sub(r"(\w)_\b", r"\1\\_", m.group(1)) + ")", line
        )


_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _unlink_sklearn_labels(app, what, name, obj, options, lines):
    """Plain text for the ``:ref:`` and ``:term:`` roles of inherited
    scikit-learn docstrings (``score``, ``get_params``, ...): their targets live
    in scikit-learn's documentation, not in this one."""
    # A property (``n_features_in_`` of a search) has no module of its own.
    owner = getattr(obj, "fget", obj)
    if not (getattr(owner, "__module__", None) or "").startswith("sklearn"):
        return
    # As literals: a name such as ``classes_`` is a reference in plain text.
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: f"``{m.group(1)}``", line)


def _skip_metadata_routing(app, what, name, obj, skip, options):
    """Leave out scikit-learn's metadata-routing methods (``set_*_request``)."""
    if re.fullmatch(r"set_\w+_request|get_metadata_routing", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _escape_fitted_names_in_shapes, 400)
    app.connect("autodoc-process-docstring", _unlink_sklearn_labels, 400)
    app.connect("autodoc-skip-member", _skip_metadata_routing)
