"""The text of every parameter several sktl estimators share, written once.

A docstring names a shared parameter with a ``%(name)s`` line, and
:func:`~sktl.utils._docstrings.fill_doc` replaces it by ``name : <type>, default=<the
signature's default>`` and the description below, in imbalanced-learn's ``Substitution``
style. A family whose parameter means something narrower passes its own description to
``fill_doc``; the type line and the default stay generated.
"""

from __future__ import annotations

#: {name: (numpydoc type, description)}
PARAMETER_DOCS: dict[str, tuple[str, str]] = {
    # -- the backbone tap --------------------------------------------------------------------------
    "backbone": (
        "str",
        'A registered pretrained CNN: "vgg16", "vgg19", "resnet18", "resnet50", '
        '"inception_v3", "densenet121", "efficientnet_b0", "efficientnet_lite0" (see '
        ":func:`sktl.backbones.available_backbones`).",
    ),
    "layer": (
        "str or None",
        'Tap to read, in the papers\' vocabulary (VGG: "conv1_1" ... "conv5_4", "pool1" ... '
        '"pool5", "fc6", "fc7"; ResNet: "conv1", "layer1" ... "layer4", "avgpool"; DenseNet: '
        '"denseblock1" ..., "avgpool"; EfficientNet: "stem", "stage1" ... "stage7", "head", '
        '"avgpool"; see :func:`sktl.list_layers`). None means the backbone\'s global-pool (or '
        "fc7 for VGG) features. VGG conv taps are taken after their ReLU.",
    ),
    "weights": (
        "None, str, path-like or WeightSource",
        '"imagenet" (torchvision weights, downloaded once and cached; offline packages for '
        'efficientnet_lite0), a named offline source such as "vgg19_normalised", a path to a '
        "state dict file (torchvision key layout, loaded with ``weights_only=True``), or None"
        ' for a random initialisation seeded by ``random_state`` (a control for "does '
        'ImageNet help?").',
    ),
    "freeze": (
        '"all", "none" or int',
        '"all" keeps the backbone frozen (its features are computed once per fit), "none" '
        "trains it end to end, an int k freezes its first k taps (see "
        ":func:`sktl.list_layers`) up to ``layer``, computes their output once and trains the"
        " rest.",
    ),
    "pooling": (
        '{"avg", "max", "flatten", "gram"}',
        "How the tap's activation map (C, H, W) becomes a feature vector: global average or "
        "max per channel (C features), the whole map flattened (C*H*W, size dependent), or "
        "the upper triangle of the channel Gram matrix ``F F^T / (H W)`` (C(C+1)/2 features)."
        ' Taps that are already vectors (fc, avgpool) pass through "avg", "max" and '
        '"flatten".',
    ),
    "input_size": (
        'None, "native", int or (int, int)',
        'Resize images before the backbone: None keeps their size, "native" uses the '
        "backbone's training size (224, or 299 for Inception v3).",
    ),
    # -- images ------------------------------------------------------------------------------------
    "image_shape": (
        "None or tuple",
        "(H, W) or (H, W, C) of the packed 2-D form (n, H*W*C). One of H or W may be -1, to "
        "be inferred from the number of columns, as in :func:`numpy.reshape`.",
    ),
    "intensity_range": (
        '"auto" or (float, float)',
        'Pixel values mapped to black and white. "auto" reads bool as 0..1, 8- and 16-bit '
        "integers over their full range (uint8 0..255, uint16 0..65535, int16 by np.iinfo) "
        "and floats as 0..1; float images outside [0, 1] and 32-/64-bit integers are refused "
        "with an error saying what to pass. An explicit (low, high) is a linear map (values "
        "outside it are not clipped). Label images (e.g. phases {0, 1, 2}) want ``(0, "
        "n_phases - 1)``.",
    ),
    # -- symmetries of the image (sktl/images/_symmetry.py) -----------------------------------------
    "augmentation": (
        'None, "d4", "shifts", "d4+shifts" or tuple of str',
        "Training-time augmentation: each epoch, every training image is transformed at random"
        ' and its targets with it (``target_symmetry``). "d4": one of the 8 rotations by '
        'multiples of 90 degrees and mirrors of the square (square images only); "shifts": a '
        "periodic shift (for periodic microstructures; the targets do not change); "
        '"d4+shifts" or ("d4", "shifts"): both. The draws are seeded by ``random_state``.',
    ),
    "target_symmetry": (
        "None or list of str",
        "How each target column transforms when an image is rotated or mirrored, one label per"
        ' column: "scalar" (unchanged), a rank-2 tensor component "xx", "yy", "xy" (e.g. a '
        'conductivity), or a plane Voigt stiffness component "11", "12", "16", "22", "26", '
        '"66" (1 = xx, 2 = yy, 6 = xy). x is image axis 0 (rows), y is axis 1 (columns). '
        'The components of a tensor must all be there ("xx" needs "yy"); a name and a '
        'colon tell several tensors apart ("k:xx", "e:xx"). None: every target is a scalar.',
    ),
    "test_time_augmentation": (
        "bool",
        "Predict each image as the mean over its 8 rotations and mirrors, each prediction "
        "mapped back by the inverse target transformation: rotating an image then rotates "
        "its predicted tensor exactly (8 forward passes per image; square images only).",
    ),
    # -- dense layers ------------------------------------------------------------------------------
    "image_units": (
        "tuple of int",
        "Dense layers of the image branch.",
    ),
    "image_dropout": (
        "float",
        "Dropout on the image features before the image branch.",
    ),
    "descriptor_units": (
        "tuple of int",
        "Dense layers of the descriptor branch.",
    ),
    "descriptor_dropout": (
        "float",
        "Dropout after each dense layer of the descriptor branch.",
    ),
    "head_units": (
        "tuple of int",
        "Dense layers of the head: after the image features, or after the concatenation of "
        "the branches.",
    ),
    "head_dropout": (
        "float",
        "Dropout after each dense layer of the head.",
    ),
    # -- training ----------------------------------------------------------------------------------
    "lr": (
        "float",
        "Adam's learning rate.",
    ),
    "lr_decay": (
        "float",
        "Keras-style time decay per batch, ``lr / (1 + lr_decay * t)`` (0 switches it off).",
    ),
    "weight_decay": (
        "float",
        "L2 penalty of Adam.",
    ),
    "batch_size": (
        "int",
        "Samples per gradient step.",
    ),
    "max_epochs": (
        "int",
        "Passes over the training samples.",
    ),
    "early_stopping": (
        "bool",
        "Hold out ``validation_fraction`` of the training rows (a seeded split) and stop when"
        " the validation loss has not improved for ``patience`` epochs, restoring the best "
        "weights. When off, a CV fold trains on all of its rows.",
    ),
    "patience": (
        "int",
        "Epochs without a better validation loss before early stopping ends training (used "
        "with ``early_stopping=True``).",
    ),
    "validation_fraction": (
        "float",
        "Share of the training rows held out for early stopping (used with "
        "``early_stopping=True``).",
    ),
    "standardize_y": (
        "bool",
        "Standardise the targets inside; predictions come back in the original units.",
    ),
    # -- running -----------------------------------------------------------------------------------
    "cache": (
        "FeatureCache or None",
        "A :class:`~sktl.FeatureCache` for the frozen image features, per image, keyed by the"
        " network, its settings and the image's content: estimators given the same cache "
        "(clones in a grid search, the models of one comparison) compute each image's "
        "features once, and build each backbone once. None computes them in each fit and "
        "shares nothing.",
    ),
    "domain_threshold": (
        "float or None",
        "The :meth:`domain_score` beyond which ``predict`` and ``predict_interval`` warn "
        "(one :class:`~sktl.OutOfDomainWarning` per call, naming how many samples and which) "
        "that samples lie outside the training data. A score of 1 is as remote as the 5 % "
        "most remote training rows. None: no check.",
    ),
    "time_budget": (
        "float or None",
        "Seconds the member fits may take. Checked between fits: when it has run out, the "
        "members that finished all their folds are blended, the rest are listed in "
        "``skipped_members_`` and a warning says so (as after a Ctrl-C). The first member "
        "always finishes. None: no limit.",
    ),
    "device": (
        "str",
        'Where the network runs: "cpu", "cuda", "cuda:N" or "auto".',
    ),
    "verbose": (
        "int",
        "0: quiet; > 0: skorch's per-epoch log.",
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds weight initialisation (including that of ``weights=None``), shuffling, dropout"
        " and the validation split; the global torch random state is left untouched.",
    ),
}

#: {name: (numpydoc type, description)} of the fitted attributes several estimators share
ATTRIBUTE_DOCS: dict[str, tuple[str, str]] = {
    "history_": (
        "list of dict",
        "Per-epoch train (and validation) loss, in standardised units with "
        "``standardize_y=True``; see :func:`sktl.plotting.plot_loss_curves`.",
    ),
    "interrupted_": (
        "bool",
        "True when a KeyboardInterrupt stopped training; the network is then the one of the "
        "last finished epoch.",
    ),
    "y_scaler_": (
        "sklearn.preprocessing.StandardScaler or None",
        "The target standardisation (None with ``standardize_y=False``).",
    ),
    "y_ndim_": (
        "int",
        "Dimensions of ``y`` in ``fit`` (1 or 2): ``predict`` returns 1-D predictions for a "
        "1-D ``y``.",
    ),
    "n_outputs_": ("int", "Number of targets."),
    "domain_": (
        "dict",
        "The reference of :meth:`domain_score`: a standardisation, at most 10,000 distinct "
        "training rows in that space (a seeded subsample beyond) and the calibrated cutoff.",
    ),
    "image_shape_": (
        "tuple of int",
        "(H, W, C) of the images seen in ``fit``; later calls require the same.",
    ),
    "feature_names_in_": (
        "ndarray of str of shape (``n_features_in_``,)",
        "Column names of ``X``, when ``fit`` is given a DataFrame whose column names are all "
        "strings.",
    ),
}

#: Placeholders that stand for a run of entries, in signature order: {group: names}. A group
#: line becomes one entry per name that the signature has (attributes: every name).
GROUPS: dict[str, tuple[str, ...]] = {
    "training": (
        "lr",
        "lr_decay",
        "weight_decay",
        "batch_size",
        "max_epochs",
        "early_stopping",
        "patience",
        "validation_fraction",
        "standardize_y",
    ),
    "running": ("device", "verbose", "random_state"),
    "training_state": ("history_", "interrupted_", "y_scaler_", "y_ndim_", "n_outputs_"),
}
