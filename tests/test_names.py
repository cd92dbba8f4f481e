"""One set of display names, and the search space as a table of them."""

from hpolib.book.display import space_table
from hpolib.book.names import METHODS, PARAMETERS, PROBLEMS, name
from hpolib.dl.objectives import cnn_layers_space
from hpolib.space import Categorical, Float, Int, Space


def test_every_id_has_one_display_name_and_unknown_ids_read_as_words():
    assert name("optuna-tpe") == "Optuna TPE" and name("integers6") == "integer bowl 6-D"
    assert name("kernel_3") == "kernel size, conv layer 3" and name("max_leaf_nodes") == "leaves per tree"
    assert name("new_method") == "new method"
    shared = (set(METHODS) & set(PROBLEMS)) | (set(METHODS) & set(PARAMETERS)) | (set(PROBLEMS) & set(PARAMETERS))
    assert not shared, shared  # an id means one thing


def test_a_search_space_reads_as_parameter_range_scale_and_condition():
    space = cnn_layers_space(conv_layers=(1, 3), dense_layers=(0, 2), training={"lr": Float(1e-4, 0.3, log=True)})
    table = space_table(space).set_index("parameter")
    assert list(table.columns) == ["range", "scale", "active"]
    assert table.loc["learning rate"].tolist() == ["0.0001 to 0.3", "log, real", "always"]
    assert table.loc["filters, conv layer 2"].tolist() == ["4 to 64", "log, integer", "conv layers ≥ 2"]
    assert table.loc["kernel size, conv layer 3", "active"] == "conv layers = 3"
    assert table.loc["dense units", "active"] == "dense layers ≥ 1"
    svm = Space({"kernel": Categorical(["rbf", "poly", "sigmoid"]), "degree": Int(2, 5)},
                conditions={"degree": ("kernel", ["poly"])})
    rows = space_table(svm).set_index("parameter")
    assert rows.loc["kernel"].tolist() == ["rbf, poly, sigmoid", "choice", "always"]
    assert rows.loc["degree", "active"] == "kernel = poly"
    assert "Space(" not in space_table(space).to_string()
