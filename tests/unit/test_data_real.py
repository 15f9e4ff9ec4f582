"""Real data sets through the real code path, offline: tiny files in the published formats
served by a local HTTP server (with Range support) that can cut a transfer short."""

import dataclasses
import gzip
import io
import os
import pickle
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from dlcourse import data
from dlcourse.data import cache, real
from dlcourse.data.cifar import load_batch
from dlcourse.data.idx import idx_bytes, parse_idx


class _Handler(BaseHTTPRequestHandler):
    """GET with optional ``Range: bytes=N-``; ``server.cut[path] = k`` sends k bytes, then
    hangs up (once)."""

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start, wanted = 0, self.headers.get("Range")
        if wanted and server.ranges:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = server.cut.pop(self.path, None)
        self.wfile.write(payload if cut is None else payload[:cut])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A mirror on 127.0.0.1 (``DLCOURSE_DATA_URL``) and an empty cache (``DLCOURSE_DATA``)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.cut, httpd.requests, httpd.ranges = {}, {}, [], True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(cache.MIRROR_ENV, f"http://127.0.0.1:{httpd.server_port}/")
    httpd.url = f"http://127.0.0.1:{httpd.server_port}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _md5(blob):
    return cache.md5sum_bytes(blob)


def _publish(server, monkeypatch, name, blobs):
    """Serve ``blobs`` (filename -> bytes) as data set ``name``, registered with their MD5s."""
    for filename, blob in blobs.items():
        server.files[f"/{name}/{filename}"] = blob
    files = tuple((f, _md5(b)) for f, b in blobs.items())
    monkeypatch.setitem(real.DATASETS, name, dataclasses.replace(real.DATASETS[name],
                                                                 files=files))


def _mnist_like(seed):
    """Train (5) and test (3) images and labels, and their four IDX gzip files."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": np.array([5, 0, 4, 1, 9], dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": np.array([7, 2, 1], dtype=np.uint8)}
    return arrays, {f: gzip.compress(idx_bytes(a)) for f, a in arrays.items()}


def _batch_pickle(images, labels):
    """A CIFAR batch as its file holds it: a protocol-2 pickle of a dict with bytes keys."""
    return pickle.dumps({b"batch_label": b"testing", b"labels": [int(k) for k in labels],
                         b"data": images.reshape(len(images), -1),
                         b"filenames": [b"x.png"] * len(images)}, protocol=2)


def _cifar_like(seed, leave_out=()):
    """Images (n, 3, 32, 32) uint8 and labels of 5 training batches and the test batch, and
    the ``cifar-10-python.tar.gz`` holding them (last batch first, to test the order)."""
    rng = np.random.default_rng(seed)
    batches = {name: (rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8),
                      rng.integers(0, 10, 2)) for name in
               [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, (images, labels) in reversed(batches.items()):
            if name in leave_out:
                continue
            blob = _batch_pickle(images, labels)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return batches, buffer.getvalue()


# --- the formats -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_idx_round_trip_keeps_values_shape_and_dtype(dtype):
    a = (np.arange(24) - 12).astype(dtype).reshape(2, 3, 4)
    b = parse_idx(idx_bytes(a))
    assert b.dtype == np.dtype(dtype) and b.shape == (2, 3, 4)
    np.testing.assert_array_equal(a, b)


def test_idx_header_is_the_published_one():
    # MNIST's image files start with magic 2051 and the sizes as big-endian uint32
    blob = idx_bytes(np.zeros((60000, 28, 28), np.uint8))
    assert blob[:16] == bytes.fromhex("00000803" "0000ea60" "0000001c" "0000001c")


def test_idx_rejects_a_foreign_header_and_a_wrong_length():
    with pytest.raises(ValueError, match="not an IDX file"):
        parse_idx(b"PK\x03\x04rest")
    blob = idx_bytes(np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError, match="should have 18 bytes, has 17"):
        parse_idx(blob[:-1])


def test_cifar_batch_loads_as_nchw_images_and_int_labels():
    images = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3, 32, 32)
    X, y = load_batch(_batch_pickle(images, [3, 7]))
    np.testing.assert_array_equal(X, images)
    assert X.dtype == np.uint8 and y.dtype == np.int64 and y.tolist() == [3, 7]
    # the first 1024 values of a row are the red channel
    assert X[0, 0, 0, :3].tolist() == [0, 1, 2] and X[0, 1, 0, 0] == 1024 % 256


class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_cifar_batch_refuses_a_pickle_that_would_run_code(tmp_path):
    target = tmp_path / "pwned"
    blob = pickle.dumps({b"data": _Payload(str(target)), b"labels": []}, protocol=2)
    with pytest.raises(ValueError, match="may not refer to posix.mkdir|may not refer to os"):
        load_batch(blob)
    assert not target.exists()


@pytest.mark.parametrize("batch, problem", [
    ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, "'data' should be"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "'data' should be"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "'labels' should be"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "'labels' should be"),
    ([1, 2], "should hold a dict"),
])
def test_cifar_batch_with_the_wrong_content_is_named(batch, problem):
    with pytest.raises(ValueError, match=problem):
        load_batch(pickle.dumps(batch, protocol=2))


# --- the download cache ------------------------------------------------------------------

def test_mnist_downloads_verifies_caches_and_loads_what_was_written(server, monkeypatch):
    arrays, blobs = _mnist_like(0)
    _publish(server, monkeypatch, "mnist", blobs)
    assert not data.available("mnist")
    X, y = data.mnist(progress=False)
    assert X.shape == (5, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0], arrays["train-images-idx3-ubyte.gz"] / np.float32(255))
    assert y.tolist() == [5, 0, 4, 1, 9]
    X, y = data.mnist(train=False, normalize=False, flatten=True, progress=False)
    np.testing.assert_array_equal(X, arrays["t10k-images-idx3-ubyte.gz"].reshape(3, 784))
    assert X.dtype == np.uint8 and y.tolist() == [7, 2, 1]
    assert data.available("mnist")
    assert len(server.requests) == 4  # the second load came from the cache
    folder = cache.cache_dir() / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(blobs)


def test_fashion_mnist_uses_its_own_folder(server, monkeypatch):
    arrays, blobs = _mnist_like(1)
    _publish(server, monkeypatch, "fashion_mnist", blobs)
    X, y = data.fashion_mnist(train=False, progress=True)
    assert X.shape == (3, 1, 28, 28) and y.tolist() == [7, 2, 1]
    assert data.available("fashion_mnist") and not data.available("mnist")


def test_cifar10_loads_the_batches_of_the_archive_in_order(server, monkeypatch):
    batches, archive = _cifar_like(2)
    _publish(server, monkeypatch, "cifar10", {"cifar-10-python.tar.gz": archive})
    X, y = data.cifar10(normalize=False, progress=False)
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(X, np.concatenate([images for images, _ in train]))
    assert y.tolist() == np.concatenate([labels for _, labels in train]).tolist()
    X, y = data.cifar10(train=False, progress=False)
    assert X.shape == (2, 3, 32, 32) and X.dtype == np.float32 and float(X.max()) <= 1.0
    np.testing.assert_array_equal(X * 255, batches["test_batch"][0].astype(np.float32))


def test_cifar10_archive_without_a_batch_is_named(tmp_path):
    from dlcourse.data.cifar import read_cifar10

    _, archive = _cifar_like(3, leave_out=("data_batch_4",))
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(archive)
    assert read_cifar10(path, train=False)[0].shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="has no member cifar-10-batches-py/data_batch_4"):
        read_cifar10(path)


def _only_sentence(exc):
    text = str(exc.value)
    assert "\n" not in text and text.endswith(".") and "Traceback" not in text
    assert exc.value.__cause__ is None  # no chained urllib traceback either
    assert exc.value.__context__ is None or exc.value.__suppress_context__
    return text


def test_checksum_mismatch_leaves_nothing_and_says_where_a_copy_goes(server, monkeypatch):
    _, blobs = _mnist_like(0)
    _publish(server, monkeypatch, "mnist", blobs)
    name = "train-labels-idx1-ubyte.gz"
    server.files[f"/mnist/{name}"] = gzip.compress(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(data.DatasetUnavailable) as exc:
        data.mnist(progress=False)
    text = _only_sentence(exc)
    dest = cache.cache_dir() / "mnist" / name
    assert "does not match its published checksum" in text
    assert f"{server.url}/mnist/{name}" in text and str(dest) in text
    assert not dest.exists() and not dest.with_name(name + ".part").exists()
    assert not data.available("mnist")


def test_truncated_download_fails_its_checksum_and_leaves_nothing(tmp_path, server):
    blob = os.urandom(5000)
    server.files["/f.bin"] = blob[:3000]  # a complete response of the wrong (short) file
    dest = tmp_path / "c" / "f.bin"
    with pytest.raises(data.DatasetUnavailable, match="published checksum"):
        cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False)
    assert list(dest.parent.iterdir()) == []


def test_interrupted_download_keeps_a_part_and_the_next_call_resumes_it(tmp_path, server):
    blob = os.urandom(200_000)
    server.files["/f.bin"], server.cut["/f.bin"] = blob, 70_000
    dest = tmp_path / "c" / "f.bin"
    with pytest.raises(data.DatasetUnavailable) as exc:
        cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False)
    text = _only_sentence(exc)
    assert "interrupted after 70000 of 200000 bytes" in text and "run again" in text
    assert not dest.exists()
    assert (tmp_path / "c" / "f.bin.part").read_bytes() == blob[:70_000]
    assert cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False) == dest
    assert dest.read_bytes() == blob and not (tmp_path / "c" / "f.bin.part").exists()
    assert server.requests[-1] == ("/f.bin", "bytes=70000-")


def test_a_server_without_ranges_restarts_the_download(tmp_path, server):
    blob = os.urandom(50_000)
    server.files["/f.bin"], server.ranges = blob, False
    dest = tmp_path / "f.bin"
    dest.with_name("f.bin.part").write_bytes(blob[:1000])
    cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False)
    assert dest.read_bytes() == blob


def test_a_resumed_download_is_verified_again_and_redone_when_wrong(tmp_path, server):
    blob = os.urandom(50_000)
    server.files["/f.bin"] = blob
    dest = tmp_path / "f.bin"
    dest.with_name("f.bin.part").write_bytes(os.urandom(1000))  # not the file's first bytes
    cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False)
    assert dest.read_bytes() == blob
    assert server.requests == [("/f.bin", "bytes=1000-"), ("/f.bin", None)]


def test_a_complete_part_is_verified_without_downloading_again(tmp_path, server):
    blob = os.urandom(5000)
    server.files["/f.bin"] = blob
    dest = tmp_path / "f.bin"
    dest.with_name("f.bin.part").write_bytes(blob)
    cache.fetch(f"{server.url}/f.bin", dest, _md5(blob), progress=False)
    assert dest.read_bytes() == blob and server.requests == [("/f.bin", "bytes=5000-")]


def test_a_corrupt_cached_file_is_downloaded_again(server, monkeypatch):
    arrays, blobs = _mnist_like(0)
    _publish(server, monkeypatch, "mnist", blobs)
    data.download("mnist", progress=False)
    dest = cache.cache_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz"
    dest.write_bytes(dest.read_bytes()[:-3])
    assert not data.available("mnist")
    with pytest.raises(data.DatasetUnavailable, match="is not downloaded yet"):
        data.mnist(train=False, download=False)
    _, y = data.mnist(train=False, progress=False)
    assert y.tolist() == [7, 2, 1] and data.available("mnist")
    assert server.requests[-1] == ("/mnist/t10k-labels-idx1-ubyte.gz", None)


def test_no_network_is_one_sentence_naming_file_url_and_place(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(cache.MIRROR_ENV, f"http://127.0.0.1:{port}")
    bad = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    bad.parent.mkdir()
    bad.write_bytes(b"not mnist")
    with pytest.raises(data.DatasetUnavailable) as exc:
        data.mnist(progress=False)
    text = _only_sentence(exc)
    url = f"http://127.0.0.1:{port}/mnist/train-images-idx3-ubyte.gz"
    assert text.startswith(f"the copy at {bad} failed its checksum and was removed, and "
                           "train-images-idx3-ubyte.gz could not be downloaded (")
    assert f"download {url} yourself" in text and f"put it at {bad}," in text
    assert "DLCOURSE_DATA" in text
    assert list(bad.parent.iterdir()) == []


def test_http_error_names_the_status(tmp_path, server):
    with pytest.raises(data.DatasetUnavailable,
                       match=r"the server answered HTTP 404 \(Not Found\) for missing.gz"):
        cache.fetch(f"{server.url}/missing.gz", tmp_path / "missing.gz", "0" * 32,
                    progress=False)
    assert list(tmp_path.iterdir()) == []


def test_cache_defaults_to_the_user_cache_folder(monkeypatch):
    import platformdirs

    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    expected = platformdirs.user_cache_path("dlcourse", appauthor=False) / "data"
    assert cache.cache_dir() == expected


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown data set 'mnsit'; choose one of"):
        data.available("mnsit")

