"""The chunks of ``sktl featurize``: what they are keyed on, how one is computed.

A chunk is a run of consecutive input files; its arrays (``rows``: the files featurised, by
position in the chunk; ``features``; ``skipped``: [position, reason] pairs and ``names``: the
feature names, both as JSON bytes) are written with :func:`sktl.utils._verified.write_verified`
under a key of everything that determines them, so a damaged or foreign file is never read
as features.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ._featurize_inputs import other_size_reason, read_checked, skip_reason

#: Bumped when a chunk file's content changes meaning, so older partial folders are not read.
CHUNK_FORMAT = 1
#: The arrays of a chunk file.
ARRAYS = ("rows", "features", "skipped", "names")
#: Fitted featurizers kept at once (one per shape and dtype of the files read).
_MAX_FEATURIZERS = 4


def run_key(args, files) -> str:
    """A digest of everything that determines the features: settings, sktl, the files.

    Parameters
    ----------
    args : argparse.Namespace
        The command's settings (``--batch-size`` and ``--quiet`` do not change the features
        and are left out).
    files : list of Path
        The input files, in order; each enters with its real path, size and modification time,
        so a changed file changes the key.

    Returns
    -------
    key : str
        A sha256 hex digest.
    """
    from .. import __version__

    weights = args.weights
    if weights is not None and os.path.isfile(weights):
        st = os.stat(weights)
        weights = [os.path.realpath(weights), st.st_size, st.st_mtime_ns]
    settings = {
        "format": CHUNK_FORMAT,
        "sktl": __version__,
        "backbone": args.backbone,
        "layer": args.layer,
        "pooling": args.pooling,
        "weights": weights,
        "size": args.size,
        "intensity_range": args.intensity_range,
        "device": args.device,
        "seed": args.seed,
        "chunk_size": args.chunk_size,
    }
    stats = []
    for path in files:
        try:
            st = os.stat(path)
            stats.append([os.path.realpath(path), st.st_size, st.st_mtime_ns])
        except OSError:
            stats.append([os.path.realpath(path), None, None])
    text = json.dumps([settings, stats], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def as_bytes(obj) -> np.ndarray:
    """``obj`` as JSON in a uint8 array (a verified file holds arrays of numbers only)."""
    return np.frombuffer(json.dumps(obj).encode(), dtype=np.uint8)


def from_bytes(array: np.ndarray):
    """The object :func:`as_bytes` stored."""
    return json.loads(bytes(array).decode())


class Featurizers:
    """Fitted featurizers per (shape, dtype) of the files read, the backbone built once.

    A featurizer transforms images of the shape it was fitted on, so grey and RGB files (or
    files of several sizes, with ``--size``) each get one; they share one
    :class:`~sktl.FeatureCache` that keeps no feature rows, only the built backbone.

    Parameters
    ----------
    args : argparse.Namespace
        The command's settings, passed to :class:`~sktl.PretrainedCNNFeaturizer`.
    """

    def __init__(self, args):
        from ..featurizers import FeatureCache

        self.params = dict(
            backbone=args.backbone,
            layer=args.layer,
            weights=args.weights,
            pooling=args.pooling,
            input_size=args.size,
            intensity_range=args.intensity_range,
            batch_size=args.batch_size,
            device=args.device,
            random_state=args.seed,
        )
        # rows are not kept (max_bytes=0): the cache only shares the built backbone
        self.cache = FeatureCache(max_bytes=0)
        self.fitted: OrderedDict = OrderedDict()

    def get(self, image: np.ndarray):
        """The featurizer fitted on images like ``image`` (an array as read from a file)."""
        from ..featurizers import PretrainedCNNFeaturizer

        key = (image.shape, image.dtype.str)
        if key in self.fitted:
            self.fitted.move_to_end(key)
        else:
            featurizer = PretrainedCNNFeaturizer(**self.params, cache=self.cache)
            self.fitted[key] = featurizer.fit(image[None])
            while len(self.fitted) > _MAX_FEATURIZERS:
                self.fitted.popitem(last=False)
        return self.fitted[key]


def featurize_chunk(files, shown, featurizers, args, example, progress) -> dict:
    """The arrays of one chunk: features of its readable files, and the skipped ones.

    The files are read one at a time and featurised ``--batch-size`` images of one shape at
    a time, so memory holds a few batches, not the chunk.

    Parameters
    ----------
    files : list of Path
        The chunk's files.
    shown : list of str
        Their names in the table.
    featurizers : Featurizers
        The fitted featurizers of the run.
    args : argparse.Namespace
        The command's settings.
    example : (str, (int, int)) or None
        A file and its (H, W), which every image must have (without ``--size``): an image
        of another size (one whose header gave no size) is skipped; None accepts any size.
    progress : tqdm
        Advanced by one per file.

    Returns
    -------
    arrays : dict of str to ndarray
        The arrays of :data:`ARRAYS`, ready for ``write_verified``.

    Raises
    ------
    ValueError
        For settings the featurizer refuses.
    """
    rows, features, skipped, names = [], [], [], []
    pending: dict = {}  # (shape, dtype) -> [(row, image)], featurised batch_size at a time

    def flush(key):
        batch = pending.pop(key)
        with warnings.catch_warnings():  # --help says so; the warning's advice is for Python
            warnings.filterwarnings("ignore", "Dropped the alpha channel", UserWarning)
            featurizer = featurizers.get(batch[0][1])
            features.append(featurizer.transform(np.stack([im for _, im in batch])))
        rows.extend(r for r, _ in batch)
        names[:] = featurizer.get_feature_names_out().tolist()
        progress.update(len(batch))

    for row, path in enumerate(files):
        try:
            image = read_checked(path, args.intensity_range)
        except (ValueError, OSError) as exc:
            skipped.append([row, skip_reason(exc)])
            progress.update(1)
            continue
        if example is not None and image.shape[:2] != example[1]:
            skipped.append([row, other_size_reason(image.shape[:2], example)])
            progress.update(1)
            continue
        key = (image.shape, image.dtype.str)
        pending.setdefault(key, []).append((row, image))
        if len(pending[key]) >= args.batch_size:
            flush(key)
    for key in list(pending):
        flush(key)
    order = np.argsort(rows, kind="stable")
    width = len(names)
    stacked = np.concatenate(features) if features else np.empty((0, width), np.float32)
    return {
        "rows": np.asarray(rows, dtype=np.int64)[order],
        "features": np.ascontiguousarray(stacked[order], dtype=np.float32),
        "skipped": as_bytes(skipped),
        "names": as_bytes(names),
    }


def partial_folder(out: Path, key: str) -> Path:
    """The folder of this run's chunks, ``.<out name>.partial/<key>/``, beside ``out``.

    The chunks of other settings or files in ``.<out name>.partial/`` are removed: only one
    run at a time writes a given table.

    Parameters
    ----------
    out : Path
        The table.
    key : str
        :func:`run_key` of the run.

    Returns
    -------
    folder : Path
        Not created here (``write_verified`` creates it).
    """
    partial = out.with_name(f".{out.name}.partial")
    folder = partial / key[:16]
    if partial.is_dir():
        for stale in partial.iterdir():
            if stale != folder:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    return folder
