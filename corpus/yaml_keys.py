"""YAML mappings that refuse a key written twice, for the project's hand-edited files.

Plain YAML keeps the last of two equal keys without a word, so a file's second `fi:` or
second source of one name would silently drop the first. Mix `UniqueKeys` in before a
loader class (`class Loader(UniqueKeys, yaml.SafeLoader)`), or read with `safe_load`; a
repeated key is then a `yaml.constructor.ConstructorError` with its line, which the
readers report as a YAML error of that file.
"""

from __future__ import annotations

from typing import Any

import yaml


class UniqueKeys:
    """Loader mixin: a mapping with a key given twice is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class UniqueKeyLoader(UniqueKeys, yaml.SafeLoader):
    """The safe loader, refusing a key given twice."""


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, except that a mapping with a key given twice is an error."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a safe loader)
