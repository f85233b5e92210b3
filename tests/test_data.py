import gzip
import hashlib
import socket
import time

import numpy as np
import pytest
import torch
import torchvision

from gancourse import data


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mnist_test_split(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, size=(20, 28, 28))
    images[0] = 0
    images[1] = 255
    _write_idx(raw / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(raw / "t10k-labels-idx1-ubyte.gz", np.arange(20) % 10)
    return tmp_path


def test_digits_offline_range_shape_labels(capsys):
    d = data.load_images("digits")
    assert d.images.shape == (1797, 1, 28, 28) and d.images.dtype == torch.float32
    assert d.images.min() >= -1 and d.images.max() <= 1
    assert d.images.min() == -1 and d.images.max() == 1
    assert sorted(d.labels.unique().tolist()) == list(range(10))
    assert "Loaded digits (all split): 1,797 images" in capsys.readouterr().out


def test_idx_test_split_is_read_and_auto_reports_it(fake_mnist_test_split, capsys):
    d = data.load_images("mnist", root=fake_mnist_test_split, download=False)
    assert d.split == "test" and len(d) == 20
    assert d.images[0].eq(-1).all() and d.images[1].eq(1).all()
    assert d.labels.tolist() == [i % 10 for i in range(20)]
    assert "mnist (test split): 20 images" in capsys.readouterr().out


def test_real_shared_mnist_test_split(shared_mnist_root):
    raw = shared_mnist_root / "MNIST" / "raw"
    assert hashlib.md5((raw / "t10k-images-idx3-ubyte.gz").read_bytes()).hexdigest() == "9fb629c4189551a2d022fa330f9573f3"
    d = data.load_images("mnist", root=shared_mnist_root, verbose=False)
    assert len(d) == 10000 and d.split == "test"
    assert torch.bincount(d.labels).tolist()[:2] == [980, 1135]  # the well-known test-split class counts


def test_train_split_missing_offline_says_what_to_do(fake_mnist_test_split):
    with pytest.raises(data.DatasetUnavailableError, match="split='auto'"):
        data.load_images("mnist", split="train", root=fake_mnist_test_split, download=False)


def test_failed_download_mentions_offline_and_digits(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(data.DatasetUnavailableError, match="offline") as info:
        data.load_images("fashion-mnist", root=tmp_path)
    assert "digits" in str(info.value) and str(tmp_path / "FashionMNIST" / "raw") in str(info.value)
    with pytest.raises(data.DatasetUnavailableError, match="digits"):
        data.load_images("cifar10", root=tmp_path)


def test_unknown_name_split_size_limit():
    with pytest.raises(ValueError, match="valid names are .*digits.*mnist"):
        data.load_images("imagenet")
    with pytest.raises(ValueError, match="valid splits"):
        data.load_images("digits", split="validation")
    with pytest.raises(ValueError, match="image_size"):
        data.load_images("digits", image_size=3)
    with pytest.raises(ValueError, match="single split"):
        data.load_images("digits", split="test")
    with pytest.raises(ValueError, match="limit"):
        data.load_images("digits", limit=0)


def test_resize_and_limit_and_aliases():
    d = data.load_images("DIGITS", image_size=32, limit=10, verbose=False)
    assert d.images.shape == (10, 1, 32, 32) and d.images.abs().max() <= 1


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(short)


def test_split_off_is_disjoint_and_seeded():
    d = data.load_images("digits", verbose=False)
    kept, held = d.split_off(0.2, seed=1)
    assert len(kept) + len(held) == len(d) and len(held) == round(0.2 * len(d))
    kept2, _ = d.split_off(0.2, seed=1)
    assert torch.equal(kept.images, kept2.images)
    with pytest.raises(ValueError):
        d.split_off(1.0)


def test_batches_cover_each_epoch_once_and_are_seeded():
    images = torch.arange(10, dtype=torch.float32).view(10, 1)
    labels = torch.arange(10)
    stream = iter(data.Batches(images, labels, batch_size=5, seed=0))
    epoch = [next(stream) for _ in range(2)]
    assert sorted(torch.cat([x for x, _ in epoch]).flatten().tolist()) == list(range(10))
    assert all(torch.equal(x.flatten().long(), y) for x, y in epoch)
    again = next(iter(data.Batches(images, labels, batch_size=5, seed=0)))
    assert torch.equal(again[0], epoch[0][0])


def test_batches_drop_last_and_errors():
    b = data.Batches(torch.zeros(10, 2), batch_size=4)
    assert len(b) == 2
    assert len(data.Batches(torch.zeros(10, 2), batch_size=4, drop_last=False)) == 3
    with pytest.raises(ValueError, match="batch_size"):
        data.Batches(torch.zeros(3, 2), batch_size=5)
    with pytest.raises(ValueError, match="differ in length"):
        data.Batches(torch.zeros(3, 2), torch.zeros(2), batch_size=1)


# ---- DATASET = "auto" and printed locations ------------------------------------------------------
def _failing_mnist(error):
    """torchvision's MNIST class (its mirrors list included) whose construction raises ``error``."""

    class FailingMNIST(torchvision.datasets.MNIST):
        def __init__(self, *args, **kwargs):
            raise error

    return FailingMNIST


@pytest.fixture
def no_download(monkeypatch):
    """Make "auto" see no network, whatever the machine has, and fail any download that is tried."""
    monkeypatch.setattr(data, "_reachable", lambda urls, timeout=2.0: False)
    monkeypatch.setattr(torchvision.datasets, "MNIST", _failing_mnist(AssertionError("auto tried a download")))


def test_auto_falls_back_to_digits_and_says_why(tmp_path, monkeypatch, capsys, no_download):
    monkeypatch.setenv("GANCOURSE_DATA", str(tmp_path))
    d = data.load_images("auto", verbose=False)
    assert d.name == "digits" and d.split == "all" and d.images.shape == (1797, 1, 28, 28)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "verbose=False still prints the one line that says what 'auto' chose"
    assert ("DATASET='auto': MNIST is not on disk under $GANCOURSE_DATA/MNIST/raw and could not be downloaded" in out
            and "→ using 'digits'" in out)
    assert str(tmp_path) not in out
    assert not any(tmp_path.iterdir()), "the fallback must not leave folders behind"
    with pytest.raises(data.DatasetUnavailableError, match="single split"):
        data.load_images("auto", split="test")  # digits cannot stand in for a held-out test split


def test_explicit_mnist_still_raises_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCOURSE_DATA", str(tmp_path))
    monkeypatch.setattr(torchvision.datasets, "MNIST", _failing_mnist(OSError("network is unreachable")))
    with pytest.raises(data.DatasetUnavailableError, match="offline") as info:
        data.load_images("mnist")
    assert str(tmp_path / "MNIST" / "raw") in str(info.value)  # errors keep the absolute path: the user acts on it


def test_auto_falls_back_when_the_download_itself_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "_reachable", lambda urls, timeout=2.0: True)
    monkeypatch.setattr(torchvision.datasets, "MNIST", _failing_mnist(OSError("checksum\nmismatch")))
    d = data.load_images("auto", root=tmp_path, verbose=False)
    assert d.name == "digits"
    assert "could not be downloaded (checksum mismatch) → using 'digits'" in capsys.readouterr().out.splitlines()[0]


def test_auto_uses_mnist_on_disk_and_prints_no_machine_path(fake_mnist_test_split, monkeypatch, capsys, no_download):
    monkeypatch.setenv("GANCOURSE_DATA", str(fake_mnist_test_split))
    d = data.load_images("auto")
    assert d.name == "mnist" and d.split == "test" and len(d) == 20
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "DATASET='auto' → 'mnist' (on disk under $GANCOURSE_DATA/MNIST/raw)",
        "Loaded mnist (test split): 20 images of 1×28×28 from $GANCOURSE_DATA/MNIST/raw",
    ]


def test_default_data_folder_is_printed_as_data(fake_mnist_test_split, monkeypatch, capsys):
    monkeypatch.delenv("GANCOURSE_DATA", raising=False)
    monkeypatch.setattr(data, "data_dir", lambda: fake_mnist_test_split)
    data.load_images("mnist")
    assert capsys.readouterr().out.endswith("from data/MNIST/raw\n")


def test_auto_reads_the_real_shared_mnist(shared_mnist_root, monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    d = data.load_images("auto")
    assert d.name == "mnist" and len(d) == 10000
    assert str(shared_mnist_root) not in capsys.readouterr().out


def test_reachable_is_quick_and_honest(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        local = f"http://127.0.0.1:{server.getsockname()[1]}"
        assert data._reachable([f"{local}/mnist/"])
        assert not data._reachable(["https://mirror.invalid/mnist/"])  # .invalid never resolves (RFC 2606)
        monkeypatch.setenv("https_proxy", local)  # urllib would go through the proxy: that is what counts
        assert data._reachable(["https://mirror.invalid/mnist/"])
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # as .ci/run's offline pass: a proxy that refuses
    assert not data._reachable(["https://mirror.invalid/mnist/"])

    def hanging(*args, **kwargs):  # a DNS look-up or a connect that never answers
        time.sleep(3)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hanging)
    start = time.perf_counter()
    assert not data._reachable(["https://mirror.example/mnist/"], timeout=0.3)
    assert time.perf_counter() - start < 2.0, "the probe must give up after its timeout"


# ---- faces: Olivetti (scikit-learn) and CelebA (torchvision), for 64×64 DCGANs ----------------------------
def test_faces_offline_raise_a_clear_error_and_are_never_replaced(tmp_path, monkeypatch):
    import sklearn.datasets
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(sklearn.datasets, "fetch_olivetti_faces", offline)
    monkeypatch.setattr(torchvision.datasets, "CelebA", offline)
    for name, words in (("olivetti", "about 4 MB"), ("celeba", "gdown")):
        with pytest.raises(data.DatasetUnavailableError, match=rf"(?s)Could not load '{name}'.*{words}.*'digits'"):
            data.load_images(name, root=tmp_path)
    with pytest.raises(ValueError, match="single split of 400 faces"):
        data.load_images("olivetti", split="test", root=tmp_path)


def test_olivetti_faces_load_as_64x64_grey_images(tmp_path, monkeypatch, capsys):
    import sklearn.datasets
    from sklearn.utils import Bunch

    faces = np.random.default_rng(0).random((400, 64, 64)).astype(np.float32)  # the fetcher's floats in [0, 1]
    asked = {}

    def fake_fetch(data_home, download_if_missing):
        asked.update(data_home=data_home, download=download_if_missing)
        return Bunch(images=faces, target=np.repeat(np.arange(40), 10))

    monkeypatch.setattr(sklearn.datasets, "fetch_olivetti_faces", fake_fetch)
    olivetti = data.load_images("olivetti", root=tmp_path)
    assert olivetti.shape == (1, 64, 64) and len(olivetti) == 400 and len(olivetti.classes) == 40
    assert asked == {"data_home": str(tmp_path / "olivetti"), "download": True}
    assert torch.allclose(olivetti.images[0, 0], torch.from_numpy(faces[0]) * 2 - 1, atol=1 / 255)
    assert "Loaded olivetti (all split): 400 images of 1×64×64" in capsys.readouterr().out
    assert data.load_images("olivetti", root=tmp_path, image_size=32, limit=8).images.shape == (8, 1, 32, 32)


def test_celeba_is_squared_to_64x64_rgb_and_decodes_only_what_is_asked(tmp_path, monkeypatch, capsys):
    import torchvision
    from PIL import Image

    decoded = []

    class FakeCelebA:  # 178 × 218 portraits, like the aligned CelebA images
        def __init__(self, root, split, target_type, download):
            self.split = split

        def __len__(self):
            return 1000

        def __getitem__(self, i):
            decoded.append(i)
            pixels = np.full((218, 178, 3), i % 256, dtype=np.uint8)
            return Image.fromarray(pixels), torch.tensor(i)

    monkeypatch.setattr(torchvision.datasets, "CelebA", FakeCelebA)
    faces = data.load_images("celeba", root=tmp_path, limit=5)
    assert faces.images.shape == (5, 3, 64, 64) and decoded == [0, 1, 2, 3, 4] and faces.split == "train"
    assert torch.allclose(faces.images[3], torch.full((3, 64, 64), 3 / 127.5 - 1))
    monkeypatch.setattr(data, "CELEBA_DEFAULT_LIMIT", 7)
    capsys.readouterr()
    assert len(data.load_images("celeba", root=tmp_path)) == 7
    assert "the first 7 of 1,000 train faces" in capsys.readouterr().out  # the course's choice, said aloud
