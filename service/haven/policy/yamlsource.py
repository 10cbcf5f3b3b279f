"""YAML read into plain values, remembering where each value and key was written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from haven.policy.errors import PolicyError

PathPart = str | int
DocPath = tuple[PathPart, ...]

# Limits that keep a hostile or mistaken file from stalling or crashing a process that
# loads it (a hot reload runs inside the API and every worker). Each is far above what a
# policy needs; each breach is an ordinary file:line:column error.
MAX_FILE_BYTES = 1_048_576
MAX_DEPTH = 64
# Values after aliases are expanded: "billion laughs" files stay small on disk but expand
# exponentially.
MAX_VALUES = 100_000
MAX_SCALAR_CHARS = 10_000
MAX_NUMBER_DIGITS = 30
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _TooMuch(Exception):
    """A limit was passed; reading stops with one error."""

    def __init__(self, error: PolicyError) -> None:
        self.error = error


@dataclass
class SourceMap:
    """Line and column (1-based) of every value, and of every mapping key, in one file."""

    file: Path
    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def value_at(self, path: DocPath) -> tuple[int, int]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return (1, 1)

    def key_at(self, path: DocPath) -> tuple[int, int]:
        return self.keys.get(path) or self.value_at(path)

    def error(self, path: DocPath, message: str, hint: str | None = None, *, key: bool = False) -> PolicyError:
        line, column = self.key_at(path) if key else self.value_at(path)
        return PolicyError(self.file, line, column, message, hint)


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Reader:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.errors: list[PolicyError] = []
        self._scalars = yaml.constructor.SafeConstructor()
        self._values = 0
        # The collection nodes being read, to find an alias used inside its own anchor.
        self._open: set[int] = set()

    def _stop(self, node: yaml.Node, message: str, hint: str | None = None) -> _TooMuch:
        line, column = _position(node)
        return _TooMuch(PolicyError(self.source.file, line, column, message, hint))

    def read(self, node: yaml.Node, path: DocPath) -> Any:
        self.source.values[path] = _position(node)
        self._values += 1
        if self._values > MAX_VALUES:
            raise self._stop(node, f"aliases expand to more than {MAX_VALUES} values", "use fewer or smaller aliases")
        if len(path) > MAX_DEPTH:
            raise self._stop(node, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self._open:
                raise self._stop(node, "a recursive alias: an anchor is used inside itself")
            self._open.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self._open.discard(id(node))
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        text = str(node.value)
        if len(text) > MAX_SCALAR_CHARS:
            raise self._stop(node, f"a value of more than {MAX_SCALAR_CHARS} characters")
        if node.tag in (_INT_TAG, _FLOAT_TAG) and len(text) > MAX_NUMBER_DIGITS:
            raise self._stop(node, f"a number of more than {MAX_NUMBER_DIGITS} digits")
        return self._scalars.construct_object(node)

    def _collection(self, node: yaml.Node, path: DocPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, str):
                    line, column = _position(key_node)
                    self.errors.append(
                        PolicyError(
                            self.source.file, line, column,
                            f"key {key!r} is not a string",
                            "quote it: YAML reads yes/no/on/off as booleans",
                        )
                    )  # fmt: skip
                    continue
                if key in result:
                    line, column = _position(key_node)
                    first = self.source.keys[(*path, key)]
                    self.errors.append(
                        PolicyError(
                            self.source.file, line, column,
                            f"duplicate key '{key}' (first at line {first[0]})",
                        )
                    )  # fmt: skip
                    continue
                self.source.keys[(*path, key)] = _position(key_node)
                result[key] = self.read(value_node, (*path, key))
            return result
        return [self.read(item, (*path, i)) for i, item in enumerate(node.value)]


_KEY_ON_LINE = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:#]*?)\s*:(?:\s|$)")


def syntax_error(file: Path, text: str, line: int, column: int, problem: str) -> PolicyError:
    """PyYAML's complaint put in a policy author's terms: which key, and how to fix it."""
    lines = text.splitlines()
    found = _KEY_ON_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    key = f"'{found.group(1)}'" if found else "this line"
    message, hint = f"YAML syntax: {problem}", None
    if "expected <block end>" in problem or "did not find expected key" in problem:
        message = f"YAML syntax: {key} is not indented like the keys around it"
        hint = "line up the keys of one mapping in the same column, with spaces"
    elif "mapping values are not allowed" in problem:
        message = f"YAML syntax: {key} is indented under a value that cannot hold keys"
        hint = "indent it like the keys beside it, or quote a value that contains ': '"
    elif "\\t" in problem:
        message = "YAML syntax: a tab indents this line"
        hint = "indent with spaces; YAML does not allow tabs"
    elif "could not find expected ':'" in problem:
        message = f"YAML syntax: {key} is missing the ':' after it"
        hint = "write 'key: value', with a space after the colon"
    elif "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        message = f"YAML syntax: a '{{' or '[' is not closed ({problem})"
        hint = "close every { and [ on the line that opens it, or use indented lines instead"
    return PolicyError(file, line, column, message, hint)


def too_large(file: Path, size: int) -> PolicyError:
    return PolicyError(file, 1, 1, f"the file is {size} bytes, more than {MAX_FILE_BYTES}")


def read_yaml(file: Path) -> tuple[Any, SourceMap, list[PolicyError]]:
    """The document's value, where its parts are, and any syntax errors."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, SourceMap(file), [too_large(file, size)]
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, SourceMap(file), [PolicyError(file, 1, 1, f"cannot read the file: {exc}")]
    return parse_yaml(text, file)


def parse_yaml(text: str, file: Path) -> tuple[Any, SourceMap, list[PolicyError]]:
    """As `read_yaml`, for a document not read from a file (an upload); errors name `file`."""
    source = SourceMap(file)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return None, source, [too_large(file, size)]
    try:
        # PyYAML composes nodes recursively: measure the nesting on its (flat) event stream
        # first, so 10,000 '[' is an error at its place, not a RecursionError.
        deep = _too_deep(text)
        if deep is not None:
            line, column = deep
            return None, source, [PolicyError(file, line, column, f"nested more than {MAX_DEPTH} levels deep")]
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, source, [syntax_error(file, text, line, column, exc.problem or exc.context or "invalid YAML")]
    except yaml.YAMLError as exc:
        return None, source, [PolicyError(file, 1, 1, f"YAML syntax: {exc}")]
    if node is None:
        return None, source, [PolicyError(file, 1, 1, "the file is empty; expected a policy")]
    reader = _Reader(source)
    try:
        value = reader.read(node, ())
    except _TooMuch as exc:
        return None, source, [exc.error]
    return value, source, reader.errors


def _too_deep(text: str) -> tuple[int, int] | None:
    """Where the nesting first goes past MAX_DEPTH, or None."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None
