"""Fetch a file once, check it, keep it: the download cache behind the real data sets.

Where trust ends: the network and whatever sits in the cache folder are not trusted.  A
file enters the cache only after its MD5 matches the published checksum (the ones
torchvision lists for the same files), and it enters it in one step: bytes arrive in
``<name>.part`` beside it, and :func:`os.replace` renames the verified file into place.
So a half-downloaded file never sits under the real name.

An *interrupted* download (the connection dropped, the learner pressed stop) keeps its
``.part`` file; the next call asks the server for the rest (an HTTP ``Range`` request) and
checks the whole file again.  A file that fails its checksum is deleted -- a resumed one
is then downloaded once more from the start.  A cached file that fails its checksum is
removed and downloaded again.

Every failure -- offline, refused, timed out, a checksum mismatch, an unwritable cache --
raises :class:`DatasetUnavailable` with one sentence naming the file, its URL and the path
where a copy downloaded by hand should go; never a traceback from inside urllib.

Environment
-----------
``DLCOURSE_DATA``
    The cache folder; default: the platform's user cache folder
    (``~/.cache/dlcourse/data`` on Linux), from :mod:`platformdirs`.
``DLCOURSE_DATA_URL``
    A mirror to download from instead of the canonical sites: file ``F`` of data set ``D``
    is fetched from ``$DLCOURSE_DATA_URL/D/F`` -- the cache's own layout, so a filled cache
    folder served over HTTP is a mirror.

>>> md5sum_bytes(b"abc")
'900150983cd24fb0d6963f7d28e17f72'
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

CACHE_ENV = "DLCOURSE_DATA"
MIRROR_ENV = "DLCOURSE_DATA_URL"
TIMEOUT_S = 30.0
_CHUNK = 1 << 16


class DatasetUnavailable(Exception):
    """A data set file could not be downloaded or verified; the message says what to do.

    In a notebook IPython shows the message alone, not a traceback.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"DatasetUnavailable: {self}"]


class _Interrupted(Exception):
    """The server closed the connection before sending every byte it announced."""


def cache_dir() -> Path:
    """The folder of the data cache: ``$DLCOURSE_DATA``, else the user cache folder."""
    folder = os.environ.get(CACHE_ENV)
    if folder:
        return Path(folder).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("dlcourse", appauthor=False)) / "data"


def md5sum_bytes(data: bytes) -> str:
    """Hex MD5 of ``data`` (the checksum format torchvision publishes)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5sum(path: Path) -> str:
    """Hex MD5 of the file at ``path``, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_verified(path: Path, md5: str) -> bool:
    """True when ``path`` is a file whose MD5 is ``md5`` (no network)."""
    try:
        return path.is_file() and md5sum(path) == md5
    except OSError:
        return False


def _part(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _manual(dest: Path, url: str, what: str) -> DatasetUnavailable:
    """The one sentence shown for every failure."""
    return DatasetUnavailable(
        f"{what}; download {url} yourself (a browser will do) and put it at {dest}, "
        f"or set {CACHE_ENV} to a folder that holds it.")


def _download(url: str, part: Path, *, progress: bool, timeout: float) -> bool:
    """Append the missing bytes of ``url`` to ``part``; True if it resumed a partial file.

    Raises urllib's and http.client's errors, OSError and :class:`_Interrupted`.
    """
    from tqdm.auto import tqdm

    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "dlcourse"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                          timeout=timeout)
    except urllib.error.HTTPError as exc:
        if offset and exc.code == 416:  # the part is already complete: verify it
            return True
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        if not resumed:
            offset = 0  # the server ignored the range (200): start again
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        received = 0
        with open(part, "ab" if resumed else "wb") as f, tqdm(
                total=None if length is None else offset + length, initial=offset,
                unit="B", unit_scale=True, unit_divisor=1024, desc=part.name[:-5],
                disable=not progress, leave=False) as bar:
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
            f.flush()
            os.fsync(f.fileno())
    if length is not None and received < length:
        raise _Interrupted(f"after {offset + received} of {offset + length} bytes")
    return resumed


def fetch(url: str, dest: Path, md5: str, *, progress: bool = True,
          timeout: float = TIMEOUT_S) -> Path:
    """Make ``dest`` a verified copy of ``url`` (downloading only what is missing).

    Parameters
    ----------
    url : str
        Where the file is published.
    dest : Path
        Its place in the cache.
    md5 : str
        The published checksum (hex).
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in a terminal).
    timeout : float
        Seconds to wait for the server at each step before giving up.

    Returns
    -------
    Path
        ``dest``, verified.

    Raises
    ------
    DatasetUnavailable
        Offline, refused, interrupted, a checksum mismatch or an unwritable cache.
    """
    name = dest.name
    note = ""
    if dest.exists():
        if is_verified(dest, md5):
            return dest
        note = f"the copy at {dest} failed its checksum and was removed, and "
        try:
            dest.unlink()
        except OSError as exc:
            raise _manual(dest, url, f"the copy at {dest} failed its checksum and could not "
                                     f"be removed ({exc.strerror or exc})") from None
    part = _part(dest)
    for _attempt in range(2):  # a second try only after a resumed part failed its checksum
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            resumed = _download(url, part, progress=progress, timeout=timeout)
        except _Interrupted as exc:
            raise _manual(dest, url, f"{note}downloading {name} was interrupted {exc} "
                                     "(run again to resume)") from None
        except urllib.error.HTTPError as exc:
            raise _manual(dest, url, f"{note}the server answered HTTP {exc.code} "
                                     f"({exc.reason}) for {name}") from None
        except urllib.error.URLError as exc:
            raise _manual(dest, url, f"{note}{name} could not be downloaded "
                                     f"({exc.reason}: offline?)") from None
        except (http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            raise _manual(dest, url, f"{note}downloading {name} failed "
                                     f"({type(exc).__name__}: {exc}; run again to resume)"
                          ) from None
        except OSError as exc:
            raise _manual(dest, url, f"{note}{name} could not be written to "
                                     f"{dest.parent} ({exc.strerror or exc})") from None
        if md5sum(part) == md5:
            os.replace(part, dest)
            return dest
        part.unlink()
        if not resumed:
            break
    raise _manual(dest, url, f"{note}{name} does not match its published checksum "
                             f"(MD5 {md5}) and was deleted")
