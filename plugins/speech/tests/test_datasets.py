"""The fsdd and librispeech_subset manifests: labels and splits from the file names, resolved by dataset name."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from multissl_speech.datasets import fsdd, librispeech_subset
from multissl_speech.modality import Speech, SpeechOptions

from multissl.datasets import materialise
from multissl.errors import DatasetNotFoundError
from multissl.plugins import registry


def test_fsdd_reads_digit_speaker_and_the_official_split_from_file_names(tmp_path, tone):
    folder = tmp_path / "speech" / "fsdd"
    (folder / "recordings").mkdir(parents=True)
    for name in ("3_theo_0", "3_theo_4", "3_theo_5", "7_lucas_49"):
        sf.write(folder / "recordings" / f"{name}.wav", tone(0.2, 8000), 8000)
    table = materialise("fsdd", "speech", registry(), root=tmp_path)
    assert table[["digit", "speaker", "split"]].values.tolist() == [
        ["3", "theo", "test"], ["3", "theo", "test"], ["3", "theo", "train"], ["7", "lucas", "train"]]
    raw = Speech(SpeechOptions(label_column="digit", splits=["train"])).load(table)
    assert len(raw) == 2 and Speech(SpeechOptions(label_column="digit")).labels(raw).tolist() == ["3", "7"]


def test_a_folder_without_fsdd_recordings_is_named(tmp_path):
    (tmp_path / "notes.wav").write_bytes(b"")
    with pytest.raises(DatasetNotFoundError, match="digit.*speaker.*index"):
        fsdd(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="FLAC"):
        librispeech_subset(tmp_path)


def test_the_shared_datasets_have_their_documented_sizes_and_splits(speech_data: Path):
    table = fsdd(speech_data / "fsdd")
    assert len(table) == 3000 and table["split"].value_counts().to_dict() == {"train": 2700, "test": 300}
    assert table["speaker"].nunique() == 6 and sorted(table["digit"].unique()) == [str(d) for d in range(10)]
    libri = librispeech_subset(speech_data / "librispeech_subset")
    counts = libri.groupby(["subset", "split"]).size().to_dict()
    assert counts == {("test-other", "test"): 50, ("test-other", "train"): 50, ("train-clean-100", "unlabelled"): 251}
    labelled = libri[libri["subset"] == "test-other"]
    assert (labelled.groupby("speaker")["split"].value_counts() == 5).all()  # 5 + 5 clips of each of 10 speakers
