"""The tabular modality: type inference, fitted preprocessing, its saved state, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_tabular.modality import (
    MISSING_CODE,
    UNKNOWN_CODE,
    Tabular,
    TabularOptions,
)

import multissl
from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError


def fitted(frame: pd.DataFrame, **options) -> tuple[Tabular, object]:
    modality = Tabular(TabularOptions(**options))
    raw = modality.load(frame)
    modality.fit(raw)
    return modality, raw


def test_example_infers_types_under_pandas_3():
    modality, raw = fitted(Tabular().example(), label_column="label")
    assert modality.numeric_sources == ["age", "income"]
    assert modality.categorical_columns == ["city", "member"]  # str and bool dtypes
    assert modality.vocabularies == [["Lyon", "Oslo", "Pune"], ["False", "True"]]
    assert raw.labels is not None and len(raw.labels) == 48
    batch = modality.collate([modality.dataset(raw)[i] for i in range(4)])
    assert batch["numeric"].dtype == torch.float32 and batch["numeric"].shape == (4, 2)
    assert batch["categorical"].dtype == torch.int64 and batch["categorical"].shape == (4, 2)


def test_minmax_scaling_is_fitted_on_training_rows_only():
    modality, _ = fitted(pd.DataFrame({"x": [0.0, 5.0, 10.0], "c": ["a", "b", "a"]}))
    numeric, _ = modality.transform(modality.load(pd.DataFrame({"x": [20.0, 5.0], "c": ["a", "a"]})))
    np.testing.assert_allclose(numeric.numpy()[:, 0], [2.0, 0.5])


def test_standard_scaling_and_constant_column():
    modality, raw = fitted(pd.DataFrame({"x": [1.0, 3.0], "k": [7, 7]}), scaling="standard")
    numeric, _ = modality.transform(raw)
    np.testing.assert_allclose(numeric.numpy(), [[-1.0, 0.0], [1.0, 0.0]])


def test_state_dict_round_trip_is_json_plus_arrays_and_reproduces_the_preprocessing():
    frame = Tabular().example()
    modality, raw = fitted(frame, label_column="label")
    state = modality.state_dict()
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    assert all(v.dtype.kind == "f" for v in arrays.values())
    plain = json.loads(json.dumps({k: v for k, v in state.items() if k not in arrays}))
    restored = Tabular(TabularOptions(label_column="label"))
    restored.load_state_dict({**plain, **{k: v.copy() for k, v in arrays.items()}})
    for before, after in zip(modality.transform(raw), restored.transform(restored.load(frame))):
        torch.testing.assert_close(before, after, equal_nan=True, rtol=0, atol=0)


def test_unseen_categories_map_to_the_unknown_token():
    modality, _ = fitted(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    _, codes = modality.transform(modality.load(pd.DataFrame({"x": [1.0, 2.0], "c": ["zzz", "b"]})))
    assert codes[0, 0] == UNKNOWN_CODE and codes[1, 0] > UNKNOWN_CODE


def test_missing_values_keep_nan_and_the_missing_token():
    modality, raw = fitted(pd.DataFrame({"x": [1.0, np.nan, 3.0], "c": ["a", None, "b"]}))
    numeric, codes = modality.transform(raw)
    assert torch.isnan(numeric[1, 0]) and not torch.isnan(numeric[[0, 2], 0]).any()
    assert codes[1, 0] == MISSING_CODE and (codes[[0, 2], 0] != MISSING_CODE).all()


def test_declared_missing_values_become_missing():
    modality, raw = fitted(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "?", "b"]}), missing_values=["?"])
    assert modality.vocabularies == [["a", "b"]]
    assert modality.transform(raw)[1][1, 0] == MISSING_CODE


def test_integer_categories_keep_their_keys_when_nan_turns_the_column_float():
    modality, _ = fitted(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": [1, 2, 3]}), categorical_columns=["c"], numeric_columns=["x"])
    _, codes = modality.transform(modality.load(pd.DataFrame({"x": [1.0, 2.0], "c": [2.0, np.nan]})))
    assert codes[0, 0] == 3 and codes[1, 0] == MISSING_CODE


def test_datetime_columns_become_year_month_day():
    dates = pd.to_datetime(["2020-01-31", "2021-06-15", None])
    modality, raw = fitted(pd.DataFrame({"when": dates, "c": ["a", "b", "a"]}))
    assert modality.numeric_names == ["when.year", "when.month", "when.day"]
    np.testing.assert_array_equal(raw.numeric[0], [2020, 1, 31])
    assert np.isnan(raw.numeric[2]).all()


@pytest.mark.parametrize(
    ("frame", "kinds"),
    [
        (pd.DataFrame({"a": ["x", "y"], "b": pd.Categorical(["u", "v"])}), (0, 2)),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]}), (2, 0)),
    ],
    ids=["zero-numeric", "zero-categorical"],
)
def test_tables_without_numeric_or_without_categorical_columns(frame, kinds):
    modality, raw = fitted(frame)
    numeric, codes = modality.transform(raw)
    assert (numeric.shape[1], codes.shape[1]) == kinds
    assert modality.input_spec()["n_numeric"] == kinds[0]


def test_csv_and_parquet_sources(tmp_path):
    frame = Tabular().example()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for path in (tmp_path / "t.csv", tmp_path / "t.parquet"):
        modality, _ = fitted(path, label_column="label")
        assert modality.categorical_columns == ["city", "member"], path


def test_the_source_frame_is_not_mutated():
    frame = Tabular().example()
    before = frame.copy()
    fitted(frame, label_column="label")
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("frame", "options", "error", "message"),
    [
        (pd.DataFrame({"x": [1.0, 2.0]}), {"label_column": "y"}, InvalidDataError, "Label column 'y'"),
        (pd.DataFrame({"x": [1.0, 2.0], "e": [np.nan, np.nan]}), {}, InvalidDataError, "missing \\(NaN\\) in every"),
        (pd.DataFrame({"x": [1.0], "c": ["a"]}), {}, InvalidDataError, "at least 2 rows"),
        (pd.DataFrame({"m": pd.Series([1, "a", 2.5], dtype=object)}), {}, InvalidDataError, "mixes value types"),
        (pd.DataFrame({"x": [1.0, np.inf]}), {}, NonFiniteDataError, "infinite"),
        (pd.DataFrame({"x": pd.Series([], dtype=float)}), {}, EmptyDataError, "no rows"),
        (pd.DataFrame({"y": [0, 1]}), {"label_column": "y"}, EmptyDataError, "no feature columns"),
        (pd.DataFrame({"x": [1.0, 2.0]}), {"categorical_columns": ["z"]}, InvalidDataError, "not in the table"),
    ],
    ids=["unknown-label", "all-nan", "single-row", "mixed-types", "infinite", "empty", "label-only", "unknown-column"],
)
def test_bad_input_raises_a_clear_error(frame, options, error, message):
    with pytest.raises(error, match=message):
        fitted(frame, **options)


def test_missing_trained_column_at_embed_time_is_named():
    modality, _ = fitted(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    with pytest.raises(InvalidDataError, match="'c'"):
        modality.load(pd.DataFrame({"x": [1.0]}))


def test_constant_column_is_kept_and_maps_to_zero_under_minmax():
    modality, raw = fitted(pd.DataFrame({"k": [7.0, 7.0, 7.0], "x": [1.0, 2.0, 3.0]}))
    numeric, _ = modality.transform(raw)
    assert modality.scale[0] == 1.0 and (numeric[:, 0] == 0).all()
    shifted, _ = modality.transform(modality.load(pd.DataFrame({"k": [8.0], "x": [2.0]})))
    assert shifted[0, 0] == 1.0  # a new value keeps its distance from the training constant


def test_a_single_row_can_be_embedded_after_fitting():
    modality, _ = fitted(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    numeric, codes = modality.transform(modality.load(pd.DataFrame({"x": [1.5], "c": ["never seen"]})))
    assert numeric.shape == (1, 1) and codes[0, 0] == UNKNOWN_CODE


def test_infinite_values_at_embed_time_are_refused_too():
    modality, _ = fitted(pd.DataFrame({"x": [1.0, 2.0]}))
    with pytest.raises(NonFiniteDataError, match="Replace them with NaN"):
        modality.load(pd.DataFrame({"x": [-np.inf]}))


def test_sample_ids_are_the_frame_index_or_the_file_row_numbers(tmp_path):
    modality = Tabular(TabularOptions(label_column="label"))
    frame = modality.example()
    frame.index = [f"row{i}" for i in range(len(frame))]
    raw = modality.load(frame)
    modality.fit(raw)
    assert list(modality.sample_ids(raw)) == list(frame.index)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    assert list(modality.sample_ids(modality.load(tmp_path / "rows.csv"))) == list(range(len(frame)))


def test_embed_as_frame_is_indexed_by_the_rows_index():
    frame = Tabular().example().iloc[::-1]
    run = multissl.pretrain("tabular", frame, "scarf", max_epochs=1, batch_size=16, dim=8, num_layers=1, ffn_dim=16,
                            projector_dims=[16, 8], **{"data.label_column": "label", "trainer.enable_progress_bar": False,
                                                       "trainer.loggers": []})
    embedded = run.embed(frame, as_frame=True)
    assert list(embedded.index) == list(frame.index) and embedded.shape == (48, 8)
    np.testing.assert_array_equal(embedded.to_numpy(), run.embed(frame))
