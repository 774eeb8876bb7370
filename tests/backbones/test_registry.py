import pytest
import torch

from sktl.backbones import (
    available_backbones,
    build_backbone,
    list_layers,
    list_weight_sources,
    receptive_field,
)

REQUIRED = {
    "vgg16",
    "vgg19",
    "resnet18",
    "resnet50",
    "inception_v3",
    "densenet121",
    "efficientnet_b0",
    "efficientnet_lite0",
}


def test_registry_has_the_required_backbones():
    assert REQUIRED <= set(available_backbones())


def test_vgg_taps_use_the_papers_vocabulary():
    layers = list_layers("vgg19")
    for name in ["conv1_1", "conv3_4", "conv5_4", "pool1", "pool5", "fc6", "fc7"]:
        assert name in layers
    assert layers.index("conv1_1") < layers.index("pool1") < layers.index("fc6")
    assert "conv3_4" not in list_layers("vgg16")


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_backbone_builds_and_runs_at_its_default_and_first_tap(name):
    size = 75 if name == "inception_v3" else 32
    x = torch.rand(2, 3, size, size)
    for layer in (None, list_layers(name)[0]):
        model = build_backbone(name, layer, weights=None, random_state=0)
        with torch.inference_mode():
            out = model(x)
        assert out.shape[0] == 2 and torch.isfinite(out).all()


def test_truncation_builds_only_the_layers_up_to_the_tap():
    model = build_backbone("vgg19", "pool2", weights=None, random_state=0)
    assert list(model.body) == list(model.body)  # Sequential of taps
    assert [name for name, _ in model.body.named_children()] == list_layers("vgg19")[:6]
    n_params = sum(p.numel() for p in model.parameters())
    full = sum(p.numel() for p in build_backbone("vgg19", "fc7", weights=None).parameters())
    assert n_params < 0.01 * full


def test_random_weights_are_seeded():
    a = build_backbone("resnet18", "layer1", weights=None, random_state=1)
    b = build_backbone("resnet18", "layer1", weights=None, random_state=1)
    c = build_backbone("resnet18", "layer1", weights=None, random_state=2)
    wa, wb, wc = (m.body.conv1[0].weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_unknown_backbone_and_layer_list_the_valid_names():
    with pytest.raises(ValueError, match="Valid backbones: .*vgg19"):
        build_backbone("vgg20", weights=None)
    with pytest.raises(ValueError, match="Valid layers: .*pool3"):
        build_backbone("vgg19", "pool9", weights=None)


def test_weight_sources_are_listed():
    sources = list_weight_sources("vgg19")
    assert "vgg19:vgg19_normalised" in sources and "vgg19:imagenet" in sources


def test_receptive_fields_of_vgg19_taps():
    # Standard recursion r += (k - 1) * j, j *= s over 3x3/1 convs and 2x2/2 pools.
    expected = {"conv1_1": 3, "conv1_2": 5, "pool1": 6, "pool2": 16, "pool3": 52, "pool4": 124}
    assert {k: receptive_field("vgg19", k) for k in expected} == expected
    with pytest.raises(ValueError, match="VGG"):
        receptive_field("resnet18", "layer1")
