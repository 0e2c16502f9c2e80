"""How big a user's regular expression becomes once ``regex`` has compiled it.

Why this exists: ``regex`` unrolls counted repeats when it compiles, so ``(a{10}){10}``
turns into a hundred copies of ``a``, and nesting multiplies: ``(((a{100}){100}){100}){100}``
is a hundred million nodes and took gigabytes of memory to compile. Every single count is
small, so a per-count limit cannot catch it; the size of the unrolled pattern can.

``expansion_size`` is an upper bound of that size, computed from the pattern text:

- a character, escape or ``[class]`` counts 1;
- a group counts 1 plus its contents, and alternatives add up (``a|bc`` counts 3);
- ``{n}``, ``{n,m}``, ``{n,}`` and ``{,m}`` multiply the item before them (a character,
  a class or a whole group with everything nested inside it) by the larger count;
- ``*``, ``+`` and ``?`` are loops, not copies, and multiply nothing.

The walk errs on the side of counting too much: anything it does not recognise counts as a
character, and a ``[class]`` ends at its first possible ``]``, which is never later than
where ``regex`` ends it. Verbose mode (``(?x)``) is refused because its comments could hide
brackets from this walk; a one-line filter rule has no use for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# A counted repeat: {n}, {n,m}, {n,}, {,m} and {,}; ASCII digits only, as regex reads them.
_COUNT = regex.compile(r"\{([0-9]*)(,?)([0-9]*)\}")
# Inline flags such as (?i), (?x), (?V1), (?i-s:...) and the flags they switch on.
_FLAGS = regex.compile(r"\(\?([a-zA-Z0-9]*)(?:-[a-zA-Z0-9]*)?[:)]")
# Escapes that take a braced or angled argument: \p{L}, \N{...}, \g<name>, \k<name>, \x{41}.
_BRACED_ESCAPE = regex.compile(r"\\[pPNxuUgk](\{[^}]*\}|<[^>]*>)")


class VerbosePatternError(ValueError):
    """The pattern turns on verbose mode, whose comments this walk does not follow."""


@dataclass(slots=True)
class _Group:
    """Sizes inside one open group: finished alternatives, the current one, its last item."""

    alternatives: int = 0
    current: int = 0
    last: int = 0

    def add(self, size: int) -> None:
        self.current += size
        self.last = size

    def repeat(self, count: int) -> None:
        """Multiply the last item by ``count`` (at least 1: ``{0}`` is not trusted to shrink)."""
        extra = self.last * (max(count, 1) - 1)
        self.current += extra
        self.last += extra

    def total(self) -> int:
        return self.alternatives + self.current


def expansion_size(pattern: str) -> int:
    """An upper bound of how many nodes ``regex`` makes of ``pattern`` by unrolling repeats."""
    stack = [_Group()]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        group = stack[-1]
        if char == "\\":
            braced = _BRACED_ESCAPE.match(pattern, i)
            i = braced.end() if braced else i + 2
            group.add(1)
            continue
        if char == "[":
            i = _class_end(pattern, i)
            group.add(1)
            continue
        if char == "(":
            if pattern.startswith("(?#", i):  # a comment: regex skips to the first ")"
                close = pattern.find(")", i)
                i = len(pattern) if close < 0 else close + 1
                continue
            flags = _FLAGS.match(pattern, i)
            if flags and "x" in flags.group(1):
                raise VerbosePatternError("verbose mode (?x) is not supported in filters")
            stack.append(_Group())
            i += 1
            continue
        if char == ")" and len(stack) > 1:
            inner = stack.pop().total()
            stack[-1].add(inner + 1)
            i += 1
            continue
        if char == "|":
            group.alternatives += group.current
            group.current = group.last = 0
            i += 1
            continue
        count = _COUNT.match(pattern, i) if char == "{" else None
        if count is not None:
            low, _comma, high = count.groups()
            group.repeat(max(int(low or 0), int(high or 0)))
            i = count.end()
            continue
        if char not in "*+?":
            group.add(1)
        i += 1
    # Groups left open (the pattern will not compile anyway) still count in full.
    while len(stack) > 1:
        inner = stack.pop().total()
        stack[-1].add(inner + 1)
    return stack[0].total()


def _class_end(pattern: str, start: int) -> int:
    """The index after the ``]`` that closes the class opened at ``start``.

    A ``]`` right after ``[`` or ``[^`` is a member, not the end, as in ``regex``.
    """
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i + 1
        i += 1
    return len(pattern)
