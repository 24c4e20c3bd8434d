"""SEENet data: the Tokyo-format and CSV readers, the grid, and the bad inputs they refuse."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from multissl_graph.seenet import (
    TemporalRelations,
    read_relation_csv,
    read_tokyo_format,
)
from multissl_graph.seenet.grid import (
    grid_cells,
    negative_candidates,
    project_to_metres,
)
from multissl_graph.seenet.modality import TemporalRelationsModality

from multissl.errors import EmptyDataError, InvalidDataError

REPO = Path(__file__).resolve().parents[3]
TOKYO = next((p for p in [REPO / "shared/datasets/graph/seenet_tokyo", REPO.parent / "shared/datasets/graph/seenet_tokyo"] if p.exists()),
             REPO.parent / "shared/datasets/graph/seenet_tokyo")
SLOTS = ["morning", "midday", "night", "late-night"]


def write_tokyo_dir(root: Path, *, train=None, grid=None, coords=None) -> Path:
    """A 6-location dataset in SEENet's format; keyword arguments replace one file's lines."""
    names = [f"p{i}" for i in range(6)]
    relations = [f"{k}_{s}" for k in ("competitive", "complementary") for s in SLOTS]
    files = {
        "entities.dict": [f"{i}\t{n}" for i, n in enumerate(names)],
        "relations.dict": [f"{i}\t{r}" for i, r in enumerate(relations)],
        "coords.dict": coords if coords is not None else [f"{n}\t{35.68 + 0.001 * i}\t{139.76 + 0.001 * i}" for i, n in enumerate(names)],
        "grids_300.dict": grid if grid is not None else ["0,0\tp0\tp1\tp2", "5,5\tp3\tp4"],
        "train.txt": train if train is not None else [f"p{i}\t{r}\tp{(i + 1) % 6}" for i in range(6) for r in relations],
        "valid.txt": ["p0\tcompetitive_morning\tp2"],
        "test.txt": ["p1\tcomplementary_night\tp3"],
    }
    root.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (root / name).write_text("".join(line + "\n" for line in lines))
    return root


def csv_tables():
    coords = pd.DataFrame({"location": ["a", "b", "c", "d"], "latitude": [35.680, 35.6801, 35.690, 35.6901],
                           "longitude": [139.760, 139.7601, 139.770, 139.7701]})
    train = pd.DataFrame({"head": ["a", "b", "c", "a"], "relation": ["competitive", "competitive", "complementary", "complementary"],
                          "time_slot": [0, 0, 1, 1], "tail": ["b", "a", "d", "c"]})
    valid = pd.DataFrame({"head": ["c"], "relation": ["competitive"], "time_slot": [0], "tail": ["d"]})
    return train, valid, valid.iloc[:0], coords


def test_tokyo_format_reads_ids_kinds_slots_and_grid(tmp_path):
    data = read_tokyo_format(write_tokyo_dir(tmp_path / "city"))
    assert data.kinds == ("competitive", "complementary") and data.slots == tuple(SLOTS)
    assert data.relation_names[5] == "complementary_midday"
    assert data.train.shape == (48, 3) and data.valid.tolist() == [[0, 0, 2]] and data.test.tolist() == [[1, 6, 3]]
    assert data.cell_of.tolist() == [0, 0, 0, 1, 1, -1]


def test_tokyo_format_computes_the_grid_without_a_grid_file(tmp_path):
    root = write_tokyo_dir(tmp_path / "city")
    (root / "grids_300.dict").unlink()
    data = read_tokyo_format(root, grid_size_m=1000)
    assert (data.cell_of >= 0).sum() >= 2


def test_csv_reader_orders_numeric_slots_and_names_relations():
    train, valid, test, coords = csv_tables()
    data = read_relation_csv(train, valid, test, coords)
    assert data.slots == ("0", "1") and data.kinds == ("competitive", "complementary")
    # relation id = kind * S + slot: complementary in slot 1 is 3
    assert data.train[2].tolist() == [2, 3, 3]


@pytest.mark.skipif(not TOKYO.exists(), reason=f"the shared SEENet Tokyo data are not at {TOKYO}")
def test_tokyo_dataset_has_the_documented_sizes():
    data = read_tokyo_format(TOKYO)
    assert data.num_locations == 3103 and data.num_relations == 8
    assert (len(data.train), len(data.valid), len(data.test)) == (26516, 3420, 3416)
    assert data.slots == tuple(SLOTS) and len(data.cells) == 470


# -- bad input ------------------------------------------------------------------------------------
def test_unknown_relation_names_are_named(tmp_path):
    root = write_tokyo_dir(tmp_path / "city", train=["p0\tcompetitive_mornin\tp1"])
    with pytest.raises(InvalidDataError, match=r"unknown relation names \['competitive_mornin'\].*Did you mean 'competitive_morning'"):
        read_tokyo_format(root)
    train, valid, test, coords = csv_tables()
    with pytest.raises(InvalidDataError, match=r"unknown relation names \['friendly'\]"):
        read_relation_csv(train, valid.assign(relation="friendly"), test, coords)


def test_relation_names_must_be_kind_slot(tmp_path):
    root = write_tokyo_dir(tmp_path / "city")
    (root / "relations.dict").write_text("0\tcompetitive\n")
    with pytest.raises(InvalidDataError, match="kind_slot"):
        read_tokyo_format(root)


def test_triples_whose_location_has_no_coordinates(tmp_path):
    root = write_tokyo_dir(tmp_path / "city", train=["p0\tcompetitive_morning\tnowhere"])
    with pytest.raises(InvalidDataError, match=r"no coordinates.*nowhere"):
        read_tokyo_format(root)
    root = write_tokyo_dir(tmp_path / "city2", coords=["p0\t35.68\t139.76"])
    with pytest.raises(InvalidDataError, match=r"5 locations have no coordinates"):
        read_tokyo_format(root)
    train, valid, test, coords = csv_tables()
    with pytest.raises(InvalidDataError, match=r"no coordinates.*'z'"):
        read_relation_csv(train.assign(tail=["b", "a", "d", "z"]), valid, test, coords)


def test_non_finite_coordinates():
    train, valid, test, coords = csv_tables()
    coords.loc[1, "latitude"] = np.nan
    with pytest.raises(InvalidDataError, match=r"non-finite coordinates.*'b'"):
        read_relation_csv(train, valid, test, coords)


def test_time_slots_absent_from_training():
    train, valid, test, coords = csv_tables()
    with pytest.raises(InvalidDataError, match=r"Time slots \['2'\] have no training triples but appear in valid"):
        read_relation_csv(train, valid.assign(time_slot=[2]), test, coords, slots=["0", "1", "2"])
    with pytest.raises(InvalidDataError, match=r"Time slots \['2'\] have no training triples"):
        read_relation_csv(train, valid, test, coords, slots=["0", "1", "2"])
    with pytest.raises(InvalidDataError, match=r"unknown time slots \['7'\]"):
        read_relation_csv(train, valid.assign(time_slot=[7]), test, coords)


def test_named_slots_need_an_order():
    train, valid, test, coords = csv_tables()
    named = train.assign(time_slot=["am", "am", "pm", "pm"])
    with pytest.raises(InvalidDataError, match="temporal order"):
        read_relation_csv(named, valid.assign(time_slot=["am"]), test, coords)
    assert read_relation_csv(named, valid.assign(time_slot=["am"]), test, coords, slots=["am", "pm"]).slots == ("am", "pm")


def test_an_empty_grid_is_refused(tmp_path):
    root = write_tokyo_dir(tmp_path / "city")
    (root / "grids_300.dict").write_text("")
    with pytest.raises(EmptyDataError, match="holds no cells"):
        read_tokyo_format(root)
    train, valid, test, coords = csv_tables()  # 1 m cells: every location alone, no cell kept
    with pytest.raises(EmptyDataError, match="The grid is empty"):
        read_relation_csv(train, valid, test, coords, grid_size_m=1)


def test_a_single_cell_grid_has_no_negatives():
    cells, cell_of = np.array([[0, 0]]), np.array([0, 0, -1])
    with pytest.raises(InvalidDataError, match="single cell"):
        negative_candidates(cells, cell_of, hop=8)


def test_missing_table_columns_and_sources():
    train, valid, test, coords = csv_tables()
    with pytest.raises(InvalidDataError, match=r"lacks columns \['time_slot'\]"):
        read_relation_csv(train.drop(columns="time_slot"), valid, test, coords)
    with pytest.raises(InvalidDataError, match="expects a TemporalRelations"):
        TemporalRelationsModality().load(42)
    with pytest.raises(EmptyDataError, match="no training triples|no rows"):
        read_relation_csv(train.iloc[:0], valid, test, coords)


# -- grid -------------------------------------------------------------------------------------------
def test_grid_cells_are_metres_wide_and_drop_lonely_locations():
    # 0.0027 degrees of latitude ~ 300 m: a, b share a cell; c is 1.1 km away and alone
    coords = np.array([[35.6800, 139.76], [35.68001, 139.76001], [35.6900, 139.76]])
    xy = project_to_metres(coords)
    assert abs(np.linalg.norm(xy[2] - xy[0]) - 1112) < 5
    cells, cell_of = grid_cells(coords, 300)
    assert len(cells) == 1 and cell_of.tolist() == [0, 0, -1]


def test_negative_candidates_come_from_the_distance_ring():
    cells = np.array([[0, 0], [0, 10], [0, 20]])
    cell_of = np.array([0, 0, 1, 1, 2, 2])
    pointer, locations = negative_candidates(cells, cell_of, hop=8)
    assert sorted(locations[pointer[0]:pointer[1]].tolist()) == [2, 3]  # distance 10: in (8, 12)
    assert sorted(locations[pointer[1]:pointer[2]].tolist()) == [0, 1, 4, 5]
    assert sorted(locations[pointer[2]:pointer[3]].tolist()) == [2, 3]


def test_container_validates_ids():
    with pytest.raises(InvalidDataError, match="location ids outside"):
        TemporalRelations(["a", "b"], [[0, 0], [0, 0]], ["k"], ["s"], [[0, 0, 5]], [], [], [[0, 0]], [0, 0])


@pytest.mark.skipif(not TOKYO.exists(), reason=f"the shared SEENet Tokyo data are not at {TOKYO}")
def test_tokyo_batch_holds_the_cached_paths_and_ssl_targets(tmp_path):
    modality = TemporalRelationsModality(TemporalRelationsModality.Options(path_cache=str(tmp_path)))
    raw = modality.load(TOKYO)
    modality.fit(raw)
    batch = modality.transform(raw)
    assert len(batch["path_source"]) == 331226 and len(list(tmp_path.glob("*.npz"))) == 1
    assert int(batch["path_pointer"][-1]) == 331226 and batch["boundaries"].shape == (39,)
    assert modality.input_spec() == {"num_locations": 3103, "num_kinds": 2, "slots": SLOTS, "num_distance_bins": 40}
    # every training relation falls in a quantile bin; the bins hold about equally many
    counts = np.bincount(batch["train_bins"].numpy(), minlength=40)
    assert counts.min() > 0.5 * counts.mean()
    assert int(batch["cell_pointer"][-1]) == 2352 and set(batch["evo_label"].unique().tolist()) == {0.0, 1.0}


def test_non_finite_coordinates_of_a_built_dataset_are_counted_and_named():
    from multissl.errors import NonFiniteDataError
    from multissl_graph.seenet.data import TemporalRelations

    coords = np.array([[35.0, 139.0], [np.nan, 139.1], [35.2, np.inf]])
    with pytest.raises(NonFiniteDataError, match=r"Coordinates of 2 locations .*\['b', 'c'\]"):
        TemporalRelations(("a", "b", "c"), coords, ("k",), ("0",), [[0, 0, 1]], [], [], [[0, 0]], [0, 0, 0])
