"""Data, never code, across the sandbox boundary.

The grader and the learner's process exchange JSON messages, each preceded by its length
(8 bytes, big-endian).  Arrays travel as dtype, shape and base64 bytes; tuples, dicts and
NumPy scalars keep their type; a test function (the numerical-gradient exercise needs one)
travels as a :class:`FunctionSpec` -- a name and parameters -- and is rebuilt on the other
side.  Nothing is pickled, so decoding a message can never run code.

Examples
--------
>>> import numpy as np
>>> decode(encode((np.arange(3.0), {"k": 2})))
(array([0., 1., 2.]), {'k': 2})
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MAX_MESSAGE_BYTES = 64 * 2**20  # what the grader sends (inputs): trusted
MAX_REPLY_BYTES = 8 * 2**20  # what the learner's process sends back: far more than any answer
MAX_DEPTH = 32
MAX_NODES = 100_000  # values in one decoded message (an array counts as one)
HEADER_BYTES = 8


class WireError(ValueError):
    """A message that is not valid data (too large, malformed, not numeric)."""


@dataclass(frozen=True)
class Unsupported:
    """Stands for a value that cannot travel as data; ``what`` says what it was, in words
    ("a generator object", "an array of dtype object")."""

    what: str


# --- test functions that travel as data ------------------------------------------------------

def _quadratic(x, *, A, b):
    v = x.reshape(-1)
    return float(0.5 * v @ A @ v + b @ v)


def _sin_sum(x, *, w):
    return float(np.sum(np.sin(w * x)))


def _log_sum_exp(x):
    m = x.max()
    return float(m + np.log(np.sum(np.exp(x - m))))


FUNCTIONS = {"quadratic": _quadratic, "sin_sum": _sin_sum, "log_sum_exp": _log_sum_exp}


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """A scalar test function ``f(x)`` named by ``kind`` with array parameters.

    >>> import numpy as np
    >>> FunctionSpec("sin_sum", {"w": np.ones(2)})(np.zeros(2))
    0.0
    """

    kind: str
    params: Mapping

    def __call__(self, x) -> float:
        return FUNCTIONS[self.kind](x, **self.params)

    def __repr__(self) -> str:
        return f"<test function {self.kind}>"


def materialize(value):
    """A deep copy of ``value`` (arrays, tuples, dicts, test functions) for one call."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, FunctionSpec):
        return FunctionSpec(value.kind, materialize(dict(value.params)))
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


# --- encoding ------------------------------------------------------------------------------

def _array_like(value):
    """A NumPy view of a torch/CuPy array, or None."""
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if module.startswith("cupy") and hasattr(value, "get"):
        return value.get()
    return None


_PLAIN = ((int, int.__index__), (float, float.__float__), (str, str.__str__))


def _encode_array(value: np.ndarray):
    value = np.ndarray.view(value, np.ndarray)  # a subclass may lie about its shape or dtype
    if value.dtype.kind not in "biufc":
        return {"__unsupported__": f"an array of dtype {value.dtype}"}
    if value.nbytes > MAX_REPLY_BYTES:
        limit = MAX_REPLY_BYTES // 2**20
        return {"__unsupported__": f"an array of shape {value.shape} ({value.nbytes:,} bytes, "
                                   f"more than the {limit} MB a result may have)"}
    data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
    return {"__array__": [value.dtype.str, list(value.shape), data]}


def encode(value, depth: int = 0):
    """``value`` as JSON-ready data; anything else becomes an ``__unsupported__`` marker whose
    text says, for the learner, what it was."""
    if depth > MAX_DEPTH:
        return {"__unsupported__": "a structure nested too deeply"}
    if value is None or type(value) in (bool, float, str):
        return value
    if type(value) is int:
        if abs(value) < 2**63:
            return value
        return {"__unsupported__": f"an integer of {value.bit_length()} bits, too "
                                   "large to be a number here"}
    for plain, convert in _PLAIN:  # a subclass of int, float or str: keep the plain value
        if isinstance(value, plain):
            return encode(convert(value), depth)
    if isinstance(value, np.generic):
        value = np.asarray(value)
    converted = None if isinstance(value, np.ndarray) else _array_like(value)
    if converted is not None:
        value = converted
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)]
                             for k, v in value.items()]}
    if isinstance(value, FunctionSpec):
        return {"__function__": [value.kind, encode(dict(value.params), depth + 1)]}
    name = type(value).__name__
    return {"__unsupported__": f"{'an' if name[:1] in 'aeiou' else 'a'} {name} object"}


def _decode_array(dtype, shape, data):
    dtype = np.dtype(str(dtype))
    if dtype.kind not in "biufc":
        raise WireError(f"arrays of dtype {dtype} are not data")
    if not (isinstance(shape, list) and len(shape) <= 32
            and all(type(n) is int and 0 <= n < 2**40 for n in shape)):
        raise WireError("malformed array shape")
    raw = base64.b64decode(data, validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _check_size(data) -> None:
    """Raise WireError if ``data`` holds more than :data:`MAX_NODES` values, before anything
    is built from it (a message of a million small numbers costs the reader seconds)."""
    stack, count = [data], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise WireError(f"a message holds more than {MAX_NODES:,} values")
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict) and "__array__" not in value:
            stack.extend(value.values())


def decode(data, *, functions: bool = False, depth: int = 0):
    """Inverse of :func:`encode`.  ``functions=False`` refuses test functions (grader side)."""
    if depth == 0:
        _check_size(data)
    if depth > MAX_DEPTH:
        raise WireError("message nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, functions=functions, depth=depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError("malformed message")
    (tag, body), = data.items()
    if tag == "__array__":
        return _decode_array(*body)
    if tag == "__tuple__":
        return tuple(decode(v, functions=functions, depth=depth + 1) for v in body)
    if tag == "__dict__":
        return {decode(k, depth=depth + 1): decode(v, functions=functions, depth=depth + 1)
                for k, v in body}
    if tag == "__unsupported__":
        return Unsupported(str(body)[:200])
    if tag == "__function__" and functions and body[0] in FUNCTIONS:
        return FunctionSpec(body[0], decode(body[1], functions=True, depth=depth + 1))
    raise WireError(f"unexpected {tag} in message")


# --- the protocol's messages, for both sides ----------------------------------------------
# grader -> runner: one `start`, then `call`s.  runner -> grader: a `cell` and a `cell_done`
# per cell, one `ready`, then one `reply` per call.  Nothing else is ever sent.

REPLY_STATUSES = ("ok", "raised", "refused", "not_written", "missing")


def start(*, cells, skip, functions, allowed, denied) -> dict:
    """Run ``cells`` (but not the indices in ``skip``) under the import allow-list ``allowed``
    and with the folders ``denied`` unreadable, then describe ``functions``."""
    return {"op": "start", "cells": list(cells), "skip": sorted(skip),
            "functions": list(functions), "allowed": list(allowed),
            "denied": [str(d) for d in denied]}


def call(*, function: str, args: tuple, kwargs: dict, forbidden) -> dict:
    """Call the learner's ``function`` on the (encoded) arguments under the runtime guard."""
    return {"op": "call", "function": function, "args": encode(tuple(args)),
            "kwargs": encode(dict(kwargs)), "forbidden": list(forbidden)}


def cell(index: int) -> dict:
    return {"event": "cell", "index": index}


def cell_done(index: int, *, error: str | None = None, memory: bool = False) -> dict:
    return {"event": "cell_done", "index": index, "error": error, "memory": memory}


def ready(names: dict) -> dict:
    """After the cells: for each function name, "function", "missing" or a type name."""
    return {"event": "ready", "names": names}


def reply(status: str, **fields) -> dict:
    """The answer to a call: ``ok`` (``value``), ``raised`` (``error``, ``memory``),
    ``refused`` (``names``), ``not_written`` or ``missing``."""
    if status not in REPLY_STATUSES:
        raise ValueError(f"unknown reply status {status!r}")
    return {"status": status, **fields}


# --- framing -------------------------------------------------------------------------------

def frame(message: dict) -> bytes:
    """``message`` as bytes: an 8-byte length, then compact JSON."""
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return len(payload).to_bytes(HEADER_BYTES, "big") + payload


class FrameReader:
    """Collects bytes as they arrive and hands out whole messages."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES):
        self.buffer = bytearray()
        self.max_bytes = max_bytes

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk

    def next_message(self) -> dict | None:
        """The next complete message, or None if it has not fully arrived yet."""
        if len(self.buffer) < HEADER_BYTES:
            return None
        size = int.from_bytes(self.buffer[:HEADER_BYTES], "big")
        if size > self.max_bytes:
            raise WireError(f"a message of {size} bytes is larger than the "
                            f"{self.max_bytes // 2**20} MB limit")
        if len(self.buffer) < HEADER_BYTES + size:
            return None
        payload = bytes(self.buffer[HEADER_BYTES:HEADER_BYTES + size])
        del self.buffer[:HEADER_BYTES + size]
        try:
            message = json.loads(payload)
        except (ValueError, RecursionError):
            raise WireError("a message is not valid JSON") from None
        if not isinstance(message, dict):
            raise WireError("a message is not a JSON object")
        return message


def read_message(stream) -> dict | None:
    """Blocking read of one message from a binary ``stream``; None at end of stream."""
    header = stream.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES:
        return None
    reader = FrameReader()
    reader.feed(header)
    size = int.from_bytes(header, "big")
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            return None
        reader.feed(chunk)
        size -= len(chunk)
    return reader.next_message()
