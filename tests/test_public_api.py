"""The public surface of each package is pinned: what ``__all__`` promises, imports."""

import importlib

import pytest

import assistant
import ingest


@pytest.mark.parametrize("package", [assistant, ingest])
def test_all_is_sorted_and_every_name_imports(package):
    assert package.__all__ == sorted(package.__all__)
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        importlib.import_module("assistant").Nope  # noqa: B018
