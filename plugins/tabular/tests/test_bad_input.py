"""Bad tables get an error from ``multissl.errors`` naming what is wrong and what to do, or the documented handling;
nothing is silently dropped or silently wrong."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from multissl_tabular.modality import UNKNOWN_CODE, Tabular, TabularOptions

import multissl
from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError


def load(source, **options):
    modality = Tabular(TabularOptions(**options))
    raw = modality.load(source)
    modality.fit(raw)
    return modality, raw


def frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "city": pd.Series(rng.choice(["Lyon", "Oslo"], n), dtype="str")})


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def duplicate_columns_in_frame(tmp_path):
    load(pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"]))


def duplicate_columns_in_csv(tmp_path):
    load(write(tmp_path, "t.csv", "a,b,a\n1,2,3\n4,5,6\n"))


def headerless_numeric_csv(tmp_path):
    load(write(tmp_path, "t.csv", "5.1,3.5,1.4\n4.9,3.0,1.4\n4.7,3.2,1.3\n"))


def headerless_mixed_csv(tmp_path):
    load(write(tmp_path, "t.csv", "25,Private,226802\n38,Private,89814\n28,Local-gov,336951\n"))


def corrupt_parquet(tmp_path):
    load(write(tmp_path, "t.parquet", b"PAR1 this is not a parquet file PAR1"))


def truncated_parquet(tmp_path):
    frame().to_parquet(tmp_path / "whole.parquet")
    load(write(tmp_path, "t.parquet", (tmp_path / "whole.parquet").read_bytes()[:200]))


def corrupt_parquet_streamed(tmp_path):
    load(write(tmp_path, "t.parquet", b"not parquet at all"), streaming=True)


def corrupt_csv_gzip(tmp_path):
    load(write(tmp_path, "t.csv.gz", b"\x1f\x8b\x08 truncated gzip"))


def string_category_arriving_as_integers(tmp_path):
    modality, _ = load(frame())
    modality.transform(modality.load(frame().assign(city=np.arange(30) % 2)))


def integer_codes_arriving_as_strings(tmp_path):
    modality, _ = load(frame().assign(city=np.arange(30) % 3), categorical_columns=["city"])
    modality.transform(modality.load(frame()))


def empty_table(tmp_path):
    load(frame().iloc[:0])


def infinite_value(tmp_path):
    load(frame().assign(x=[np.inf] + [0.0] * 29))


def label_column_typo(tmp_path):
    load(frame(), label_column="citty")


def column_missing_in_every_row(tmp_path):
    load(frame().assign(x=np.nan))


def column_mixing_numbers_and_strings(tmp_path):
    load(frame().assign(city=pd.Series([1, "a"] * 15, dtype=object)))


def missing_file(tmp_path):
    load(tmp_path / "absent.csv")


def unsupported_suffix(tmp_path):
    load(write(tmp_path, "t.xlsx", "x"))


def one_training_row(tmp_path):
    load(frame().iloc[:1])


def probe_test_fraction_out_of_range(tmp_path):
    multissl.pretrain("tabular", frame().assign(y=[0, 1] * 15), "scarf", **{"data.label_column": "y", "evaluate.test_fraction": 1.5})


def probe_without_labels(tmp_path):
    multissl.pretrain("tabular", frame(), "scarf", **{"evaluate.evaluators": ["tabular_probe"]})


def probe_with_empty_head(tmp_path):
    multissl.pretrain("tabular", frame().assign(y=[0, 1] * 15), "scarf", **{"data.label_column": "y", "evaluate.hidden": []})


def dataset_without_data_root(tmp_path):
    multissl.pretrain("tabular", "adult", "scarf", **{"data.root": str(tmp_path / "nowhere")})


CASES = [
    (duplicate_columns_in_frame, InvalidDataError, "appear more than once"),
    (duplicate_columns_in_csv, InvalidDataError, r"\['a'\] appear more than once .*t\.csv"),
    (headerless_numeric_csv, InvalidDataError, "looks header-less"),
    (headerless_mixed_csv, InvalidDataError, "looks header-less"),
    (corrupt_parquet, InvalidDataError, r"Cannot read .*t\.parquet. as Parquet"),
    (truncated_parquet, InvalidDataError, r"Cannot read .*t\.parquet. as Parquet"),
    (corrupt_parquet_streamed, InvalidDataError, r"Cannot read .*t\.parquet. as Parquet"),
    (corrupt_csv_gzip, InvalidDataError, r"Cannot read .*t\.csv\.gz. as CSV"),
    (string_category_arriving_as_integers, InvalidDataError, "holds numbers here .* held strings in training"),
    (integer_codes_arriving_as_strings, InvalidDataError, "holds strings here .* held numbers in training"),
    (empty_table, EmptyDataError, "no rows"),
    (infinite_value, NonFiniteDataError, "infinite"),
    (label_column_typo, InvalidDataError, "Did you mean 'city'"),
    (column_missing_in_every_row, InvalidDataError, "missing .NaN. in every training row"),
    (column_mixing_numbers_and_strings, InvalidDataError, "mixes value types"),
    (missing_file, InvalidDataError, "does not exist"),
    (unsupported_suffix, InvalidDataError, r"\.csv, \.csv\.gz or \.parquet"),
    (one_training_row, InvalidDataError, "at least 2 rows"),
    (probe_test_fraction_out_of_range, RecipeError, "test_fraction must lie strictly between 0 and 1"),
    (probe_without_labels, RecipeError, "tabular_probe needs labels"),
    (probe_with_empty_head, RecipeError, "hidden must be a non-empty list"),
    (dataset_without_data_root, Exception, "tabular/adult"),
]


@pytest.mark.parametrize(("case", "error", "match"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_raises_a_clear_error(case, error, match, tmp_path):
    with pytest.raises(error, match=match):
        case(tmp_path)


def test_dataset_without_data_root_is_a_dataset_not_found_error(tmp_path):
    from multissl.errors import DatasetNotFoundError

    with pytest.raises(DatasetNotFoundError, match="data.root"):
        dataset_without_data_root(tmp_path)


def test_pandas_default_integer_header_is_a_header(tmp_path):
    """``DataFrame(array).to_csv(index=False)`` writes the names 0, 1, ...: a real header, read as one."""
    path = tmp_path / "t.csv"
    pd.DataFrame(np.arange(12.0).reshape(4, 3)).to_csv(path, index=False)
    modality, raw = load(path)
    assert modality.numeric_sources == ["0", "1", "2"] and len(raw) == 4


def test_unseen_categories_map_to_unknown_with_a_warning():
    """Strings never seen in training are the documented unknown token; a column where all are unseen warns."""
    modality, _ = load(frame())
    with pytest.warns(UserWarning, match="None of the 30 values of categorical column 'city' was seen"):
        _, codes = modality.transform(modality.load(frame().assign(city="Atlantis")))
    assert (codes[:, 0] == UNKNOWN_CODE).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a few unseen values among known ones: no warning
        _, codes = modality.transform(modality.load(frame().assign(city=["Atlantis"] + ["Lyon"] * 29)))
    assert codes[0, 0] == UNKNOWN_CODE and (codes[1:, 0] != UNKNOWN_CODE).all()
