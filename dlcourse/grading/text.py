"""One rule for every string a submission can put in front of an instructor.

Error messages, function and file names, student IDs read from file names: all of it is
written by the learner (or by their code) and is printed to a terminal, stored in the
gradebook and exported to a spreadsheet.  :func:`clean` makes such text safe to show: one
line, no terminal escape sequences, no control or bidirectional-override characters, no lone
surrogates (which cannot be encoded as UTF-8 and would abort a print or a database insert).

Examples
--------
>>> clean("ok\\x1b[2J\\x1b[31mred\\nline")
'ok red line'
>>> clean("bad \\udc80 byte")
'bad \\ufffd byte'
>>> clean("x" * 10, limit=5)
'xxxx…'
"""

from __future__ import annotations

import re
import unicodedata

# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|\x9b[0-?]*[ -/]*[@-~]")
# Control (Cc), format (Cf: bidi overrides, zero-width), surrogate (Cs), line/paragraph
# separators (Zl, Zp) and unassigned private-use noise is left alone; these are not.
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _safe_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cs":
        return "\ufffd"
    return " " if category in _UNSAFE else char


def clean(value, limit: int | None = None) -> str:
    """``value`` as one printable line (see the module docstring).

    Parameters
    ----------
    value : object
        Usually a str; anything else is turned into one with ``str`` first (bytes are
        decoded as UTF-8 with replacement characters).
    limit : int, optional
        Cut the result to at most ``limit`` characters, marking the cut with "…".

    Returns
    -------
    str
        Whitespace runs collapsed to one space, no leading or trailing space.
    """
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        try:
            text = value if isinstance(value, str) else str(value)
        except Exception:  # noqa: BLE001 -- a hostile __str__
            text = f"<{type(value).__name__}>"
        text = str.__str__(text) if isinstance(text, str) else "<not text>"
    text = _ESCAPES.sub(" ", text)
    text = "".join(c if c.isprintable() else _safe_char(c) for c in text)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    return text
