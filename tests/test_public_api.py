"""The public namespace and every public signature, held to a snapshot.

A reorganisation of the private modules must leave what users import and call
as it is. ``tests/data/public_api.json`` records ``skdistill.__all__`` and the
signature of every public name (for a class: its constructor, its public
methods and its properties). A deliberate change of the API updates the
snapshot in the same commit: run this file with ``SKDISTILL_UPDATE_API=1``.
"""

import inspect
import json
import os
import pathlib
import re

import skdistill

SNAPSHOT = pathlib.Path(__file__).parent / "data" / "public_api.json"


def _signature(obj):
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None
    # Classes in annotations by their public name, not the private module.
    return re.sub(r"skdistill(\.\w+)*\.(\w+)", r"\2", signature)


def public_api():
    """``{name: description}`` of every public name of the package."""
    api = {"__all__": list(skdistill.__all__)}
    for name in skdistill.__all__:
        obj = getattr(skdistill, name)
        if not inspect.isclass(obj):
            api[name] = {"signature": _signature(obj)}
            continue
        members = {}
        for member, value in inspect.getmembers(obj):
            if member.startswith("_"):
                continue
            if isinstance(inspect.getattr_static(obj, member), property):
                members[member] = "property"
            elif callable(value):
                members[member] = _signature(value)
        api[name] = {"signature": _signature(obj), "members": members}
    return api


def test_public_namespace_and_signatures_match_the_snapshot():
    api = public_api()
    if os.environ.get("SKDISTILL_UPDATE_API"):
        SNAPSHOT.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert api["__all__"] == expected["__all__"]
    changed = sorted(
        name for name in set(api) | set(expected) if api.get(name) != expected.get(name)
    )
    assert not changed, (
        f"the public API of {changed} changed; if on purpose, update the snapshot "
        "(SKDISTILL_UPDATE_API=1)"
    )
