import pytest
import torch

from hpolib.dl.models import cnn, lenet5, max_conv_layers, mlp, vgg


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def conv(k, cin, cout, bias=True):
    return k * k * cin * cout + (cout if bias else 0)


def dense(i, o):
    return i * o + o


def check_forward_backward(model, shape, classes=10):
    x = torch.randn(*shape)
    out = model(x)
    assert out.shape == (shape[0], classes)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("channels, size", [(1, 32), (1, 28), (3, 32)])
def test_lenet5_shapes_and_classic_parameter_count(channels, size):
    model = lenet5(in_channels=channels, input_size=size)
    check_forward_backward(model, (2, channels, size, size))
    expected = conv(5, channels, 6) + conv(5, 6, 16) + conv(5, 16, 120) + dense(120, 84) + dense(84, 10)
    assert n_params(model) == expected
    if channels == 1:
        assert expected == 61_706  # LeNet-5 with a fully connected C3


def test_lenet5_searched_widths():
    model = lenet5(c1=32, c3=1, c5=130, f6=325, in_channels=3)
    check_forward_backward(model, (2, 3, 32, 32))
    assert n_params(model) == conv(5, 3, 32) + conv(5, 32, 1) + conv(5, 1, 130) + dense(130, 325) + dense(325, 10)
    with pytest.raises(ValueError, match="c1 must be a whole number >= 1"):
        lenet5(c1=0)
    with pytest.raises(ValueError, match="at least 28 px"):
        lenet5(input_size=16)


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_vgg_counts(depth):
    from hpolib.dl.models.vgg import CONFIGS

    model = vgg(depth, width_multiplier=0.125)
    check_forward_backward(model, (2, 3, 32, 32))
    widths = [max(1, round(c * 0.125)) for c in CONFIGS[depth] if c != "M"]
    expected, cin = 0, 3
    for w in widths:
        expected += conv(3, cin, w, bias=False) + 2 * w  # conv, then batch norm's scale and shift
        cin = w
    assert n_params(model) == expected + dense(cin, 10)
    if depth == 16:
        assert n_params(vgg(16, num_classes=10)) == 14_724_042


def test_mlp_shapes_and_counts():
    model = mlp(784, 10, hidden_layers=2, width=100, activation="sigmoid")
    check_forward_backward(model, (4, 1, 28, 28))
    assert n_params(model) == dense(784, 100) + dense(100, 100) + dense(100, 10)
    assert n_params(mlp(64, 10, hidden_layers=0)) == dense(64, 10)
    with pytest.raises(ValueError, match="activation"):
        mlp(activation="swish")


@pytest.mark.parametrize("size", [8, 16, 32, 48, 64, 96, 128])
def test_cnn_at_every_iis_resolution(size):
    depth = min(3, max_conv_layers(size))
    model = cnn(in_channels=1, input_size=size, filters=[8] * depth, kernel_sizes=[3, 5, 3][:depth], dense=[32, 16])
    check_forward_backward(model, (2, 1, size, size))


def test_cnn_counts_and_the_lcm_network():
    model = cnn(3, 10, 32, filters=[32, 32, 64, 64], kernel_sizes=[3, 3, 3, 3], strides=[1, 1, 1, 1],
                dropouts=[0.0, 0.25, 0.0, 0.25], pool=False, dense=[256], dense_dropout=0.5)
    check_forward_backward(model, (2, 3, 32, 32))
    expected = conv(3, 3, 32) + conv(3, 32, 32) + conv(3, 32, 64) + conv(3, 64, 64) + dense(64 * 32 * 32, 256)
    assert n_params(model) == expected + dense(256, 10)
    # pooling after the second and fourth layers only: 32 -> 16 -> 8 px before the dense layer
    keras = cnn(3, 10, 32, filters=[32, 32, 64, 64], pool=[False, True, False, True], dense=[512])
    check_forward_backward(keras, (2, 3, 32, 32))
    assert [type(m).__name__ for m in keras.features].count("MaxPool2d") == 2
    assert n_params(keras) == expected - dense(64 * 32 * 32, 256) + dense(64 * 8 * 8, 512) + dense(512, 10)
    # with pooling after every other layer, four layers fit 8 px inputs (pooling after each would not)
    assert cnn(1, 10, 8, filters=[4] * 4, pool=[False, True] * 2)(torch.zeros(1, 1, 8, 8)).shape == (1, 10)
    with pytest.raises(ValueError, match="pool must be True, False"):
        cnn(filters=[8, 8], pool=[1, 0])
    with pytest.raises(ValueError, match=r"filters\[1\] must be a whole number >= 1, got 0"):
        cnn(filters=[8, 0])
    with pytest.raises(ValueError, match=r"dropouts\[1\] must be a number in \[0, 1\), got 1.0"):
        cnn(filters=[8, 8], dropouts=[0.1, 1.0])
    with pytest.raises(ValueError, match=r"dense_dropout must be a number in \[0, 1\), got '0.5'"):
        cnn(filters=[8], dense_dropout="0.5")


def test_cnn_too_deep_is_a_clear_error():
    assert max_conv_layers(8) == 3 and max_conv_layers(32) == 5 and max_conv_layers(128) == 7
    with pytest.raises(ValueError, match="4 conv layers are too deep for 8 px inputs: at most 3 fit"):
        cnn(input_size=8, filters=[8, 8, 8, 8])
    with pytest.raises(ValueError, match="one value per conv layer"):
        cnn(filters=[8, 8], kernel_sizes=[3])


def test_cnn_from_layers_reads_the_active_layers_of_a_flat_configuration():
    from hpolib.dl.models import cnn_from_layers

    net = cnn_from_layers(3, 10, 32, conv_layers=3, filters_1=4, kernel_1=5, filters_2=8, kernel_2=3, filters_3=16,
                          kernel_3=1, filters_4=999, dense_layers=2, dense_units=20)
    convs = [m for m in net.features if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(4, 5), (8, 3), (16, 1)]
    assert [m.out_features for m in net.classifier if isinstance(m, torch.nn.Linear)] == [20, 20, 10]
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert cnn_from_layers(1, 10, 8, conv_layers=1, dense_layers=0)(torch.zeros(1, 1, 8, 8)).shape == (1, 10)
    with pytest.raises(ValueError, match="unknown setting 'width'"):
        cnn_from_layers(width=3)
    with pytest.raises(ValueError, match="too deep for 4 px"):
        cnn_from_layers(1, 10, 4, conv_layers=3)


def test_an_objective_passes_a_flat_configuration_to_a_builder_with_keyword_arguments():
    from hpolib.dl.objectives import image_classifier

    objective = image_classifier("cnn_from_layers", "digits", max_epochs=1, fixed={"batch_size": 64})
    metrics = objective({"conv_layers": 2, "filters_1": 4, "kernel_1": 3, "filters_2": 8, "kernel_2": 3,
                         "filters_3": 16, "kernel_3": 5, "dense_layers": 1, "dense_units": 16, "lr": 0.05, "l2": 1e-5})
    assert 0 <= metrics["val_accuracy"] <= 1 and metrics["epochs"] == 1
