"""Python syntax highlighting for the editor, the examples preview and anything else showing code.

One left-to-right scan per line keeps strings and comments exclusive: a `#` inside a string is not
a comment and a keyword inside a comment is not a keyword. Triple-quoted strings that run past the
end of a line carry over through the block state.
"""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from workbench.ui.theme import Theme, current_theme, theme_manager

# Soft keywords (match, case, type) stay plain: `type` is far more often the builtin.
KEYWORDS = frozenset(keyword.kwlist)
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))

# Block states: -1/0 = nothing open; otherwise which triple quote is still open at the line's end.
_NO_STATE = 0
_OPEN_TRIPLE = {'"""': 1, "'''": 2}
_TRIPLE_OF_STATE = {state: quote for quote, state in _OPEN_TRIPLE.items()}

_STRING_START = re.compile(r"(?i)(?:[rbfu]|rb|br|fr|rf)?('''|\"\"\"|'|\")")
_NUMBER = re.compile(
    r"(?i)(?:0x[0-9a-f_]+|0o[0-7_]+|0b[01_]+"
    r"|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:e[+-]?\d[\d_]*)?j?)"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECORATOR = re.compile(r"@[A-Za-z_][A-Za-z0-9_.]*")


class PythonHighlighter(QSyntaxHighlighter):
    """Colours from the current theme's `code` table; re-highlights when the theme changes."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._set_theme(current_theme())
        theme_manager().changed.connect(self._on_theme_changed)

    def formats(self) -> dict[str, QTextCharFormat]:
        """The format used for each token kind (keyword, builtin, string, comment, …)."""
        return self._formats

    def _on_theme_changed(self, theme: Theme) -> None:
        self._set_theme(theme)
        self.rehighlight()

    def _set_theme(self, theme: Theme) -> None:
        self._formats = {}
        for kind, colour in theme.code.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if kind in ("keyword", "definition"):
                fmt.setFontWeight(QFont.Weight.DemiBold)
            if kind == "comment":
                fmt.setFontItalic(True)
            self._formats[kind] = fmt

    def _apply(self, start: int, length: int, kind: str) -> None:
        if length > 0 and kind in self._formats:
            self.setFormat(start, length, self._formats[kind])

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self.setCurrentBlockState(_NO_STATE)
        pos = 0
        previous = self.previousBlockState()
        if previous in _TRIPLE_OF_STATE:
            pos = self._continue_string(text, 0, _TRIPLE_OF_STATE[previous])
            if pos < 0:
                return
        after_def = False  # the identifier after `def`/`class` is a definition
        n = len(text)
        while pos < n:
            ch = text[pos]
            if ch == "#":
                self._apply(pos, n - pos, "comment")
                return
            match = _STRING_START.match(text, pos)
            if match is not None:
                quote = match.group(1)
                end = self._continue_string(text, match.end(), quote, start=pos)
                if end < 0:
                    return
                pos = end
                after_def = False
                continue
            if ch == "@" and (pos == 0 or not text[:pos].strip()):
                deco = _DECORATOR.match(text, pos)
                if deco is not None:
                    self._apply(pos, deco.end() - pos, "decorator")
                    pos = deco.end()
                    continue
            word = _IDENTIFIER.match(text, pos)
            if word is not None:
                name = word.group(0)
                kind = None
                if after_def:
                    kind = "definition"
                elif name in ("self", "cls"):
                    kind = "self"
                elif name in KEYWORDS:
                    kind = "keyword"
                elif name in BUILTINS and not _is_attribute(text, pos):
                    kind = "builtin"
                if kind is not None:
                    self._apply(pos, len(name), kind)
                after_def = name in ("def", "class")
                pos = word.end()
                continue
            if ch.isdigit() or (ch == "." and pos + 1 < n and text[pos + 1].isdigit()):
                number = _NUMBER.match(text, pos)
                if number is not None and number.end() > pos:
                    self._apply(pos, number.end() - pos, "number")
                    pos = number.end()
                    continue
            if not ch.isspace():
                after_def = False
            pos += 1

    def _continue_string(self, text: str, pos: int, quote: str, start: int | None = None) -> int:
        """Colour a string from `start` (or the line start) up to its closing `quote`.

        Returns the index after the string, or -1 when it is still open at the end of the line
        (the block state then records which triple quote to look for on the next line).
        """
        begin = 0 if start is None else start
        i = pos
        n = len(text)
        while i < n:
            if text[i] == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                end = i + len(quote)
                self._apply(begin, end - begin, "string")
                return end
            i += 1
        self._apply(begin, n - begin, "string")
        if len(quote) == 3:
            self.setCurrentBlockState(_OPEN_TRIPLE[quote])
        return -1


def _is_attribute(text: str, pos: int) -> bool:
    """`x.sum` is a method, not the builtin `sum`."""
    i = pos - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    return i >= 0 and text[i] == "."
