"""Cora from the shared datasets (skipped when they are absent): preprocessing and task targets at full size."""

import torch

from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig


def test_cora_preprocesses_to_the_public_split(cora):
    modality = Graph()
    raw = modality.load(cora)
    modality.fit(raw)
    batch = modality.transform(raw)
    assert modality.input_spec() == {"input_dim": 1433, "num_classes": 7}
    assert batch["edge_index"].shape == (2, 10556)
    assert int(batch["train_mask"].sum()) == 140
    nonzero = batch["x"].sum(dim=1) > 0
    torch.testing.assert_close(batch["x"].sum(dim=1)[nonzero], torch.ones(int(nonzero.sum())))


def test_one_joint_pairwise_distance_step_on_cora(cora):
    modality = Graph()
    raw = modality.load(cora)
    modality.fit(raw)
    batch = modality.transform(raw)
    method = SelfTask(SelfTaskConfig(task="pairwise_distance"), modality.input_spec())
    loss, logs = method._total_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and {"ssl/pairwise_distance", "supervised/nll"} <= set(logs)


def test_label_propagation_fills_cora_like_the_reference(cora):
    """The card's figure: PyG's LabelPropagation from the 140 training labels puts 70.3% of Cora's test nodes
    (69.6% of all unlabelled nodes) in their class, about the ~70% of the reference's harmonic function."""
    from multissl_graph.tasks.label_fillers import label_propagation

    modality = Graph()
    raw = modality.load(cora)
    modality.fit(raw)
    batch = modality.transform(raw)
    predicted = label_propagation(batch["edge_index"], batch["y"], batch["train_mask"], 7).argmax(dim=1)
    test_accuracy = (predicted[cora.test_mask] == batch["y"][cora.test_mask]).float().mean().item()
    unlabelled_accuracy = (predicted[~batch["train_mask"]] == batch["y"][~batch["train_mask"]]).float().mean().item()
    assert round(test_accuracy, 3) == 0.703 and round(unlabelled_accuracy, 3) == 0.696
