"""The ``node_classification`` evaluator: test accuracy on the graph's own split, against a GCN without SSL.

Test nodes: the graph's ``test_mask`` (Planetoid's public split: 1,000 Cora nodes); without one, a seeded,
stratified ``test_fraction`` of the labelled nodes. Training nodes: ``train_mask`` (else the other labelled nodes).

Accuracy, as the SelfTask paper reports it (Jin et al. 2020, Table 2): a run trained jointly with node
classification (a SelfTask run with a classifier) is scored by its own classifier,
``argmax softmax(g(h, A))`` on the test nodes; a label-free run by a linear probe on the frozen embeddings, by
default GraphMAE's (Hou et al. 2022, ``graphmae/evaluation.py`` and ``configs.yml`` for Cora): a logistic regression
trained full-batch on the training nodes with Adam (lr 0.01, weight decay 1e-4, 300 epochs), scored on the test nodes
at the epoch most accurate on the validation nodes (the last such epoch on ties); ``probe: sklearn`` fits scikit-learn's
L-BFGS logistic regression instead, its ``C`` picked on the validation nodes; ``probe_normalize`` (GRACE's and BGRL's
evaluations) scales each embedding to unit length first. Baseline, trained in the same call on the same graph with the
run's recipe (encoder, hidden size, dropout, trainer, optimizer, seed): the same GCN trained for node classification alone
(SelfTask with ``ssl_weight = 0``), scored by its classifier. A run of another method (DGI, GRACE, BGRL, GraphMAE,
the generic methods) is compared with that GCN at its own settings (Kipf & Welling 2017: hidden 128, dropout 0.5,
lr 0.01, weight decay 5e-4, 200 epochs, best validation epoch kept), whatever the run's encoder and schedule.
The same classifier or probe is also scored on the validation nodes (``node_classification/validation_accuracy``, no
baseline), the figure to pick a recipe's settings by without reading the test nodes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl_graph.baseline_run import train_variant
from multissl_graph.selftask import SelfTaskConfig

METRIC = "node_classification/accuracy"
VALIDATION_METRIC = "node_classification/validation_accuracy"
"""The run's accuracy on the validation nodes, by the same classifier or probe: what hyperparameters are picked by."""
SHARED_OPTIONS = ("encoder", "hidden_dim", "encoder_layers", "dropout")
"""SelfTask options the baseline GCN takes from the run (the model's shape), when the run is a SelfTask run."""


@dataclasses.dataclass
class NodeClassificationOptions:
    """Keys of the ``evaluate:`` block the ``node_classification`` evaluator reads."""

    test_fraction: float = 0.2
    """Share of the labelled nodes held out for testing when the graph has no ``test_mask`` (seeded, stratified)."""
    probe: str = "adam"
    """``adam``: GraphMAE's probe (a linear layer trained with Adam, the best validation epoch's test accuracy);
    ``sklearn``: scikit-learn's logistic regression with the ``probe_c`` most accurate on the validation nodes."""
    probe_lr: float = 0.01
    """Adam's learning rate for the ``adam`` probe (GraphMAE's ``lr_f`` on Cora)."""
    probe_weight_decay: float = 1e-4
    """Adam's weight decay for the ``adam`` probe (GraphMAE's ``weight_decay_f`` on Cora)."""
    probe_epochs: int = 300
    """Full-batch epochs of the ``adam`` probe (GraphMAE's ``max_epoch_f``)."""
    probe_normalize: bool = False
    """Scale each node's frozen embedding to unit L2 norm before the probe (GRACE's and BGRL's evaluations: their
    embeddings are trained through a cosine, so their lengths carry no class information)."""
    probe_standardize: bool = False
    """Standardise the frozen embeddings (per dimension, statistics of the training nodes) before the probe (after
    ``probe_normalize``)."""
    probe_c: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    """Inverse L2 strengths ``C`` of the logistic-regression probe; with several, the one whose probe is most accurate
    on the graph's validation nodes (``val_mask``) is kept, as the field picks its probe on the public split."""


class NodeClassification(Evaluator):
    """Test accuracy of the run (its classifier, else a probe on its embeddings) and of a GCN without SSL."""

    Options = NodeClassificationOptions

    def check(self, modality: Any) -> None:
        if not 0.0 < self.options.test_fraction < 1.0:
            raise RecipeError(f"evaluate.test_fraction must lie strictly between 0 and 1, got {self.options.test_fraction}.")
        if self.options.probe not in ("adam", "sklearn"):
            raise RecipeError(f"evaluate.probe must be 'adam' or 'sklearn', got {self.options.probe!r}.")
        if not (self.options.probe_lr > 0 and self.options.probe_weight_decay >= 0 and self.options.probe_epochs >= 1):
            raise RecipeError(
                f"evaluate.probe_lr must be positive, probe_weight_decay non-negative and probe_epochs at least 1; got "
                f"{self.options.probe_lr}, {self.options.probe_weight_decay} and {self.options.probe_epochs}."
            )
        if not self.options.probe_c or any(not c > 0 for c in self.options.probe_c):
            raise RecipeError(f"evaluate.probe_c must be a non-empty list of positive numbers, got {self.options.probe_c}.")

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        raw = run.read(source)
        train_nodes, test_nodes = self.split(raw)
        score = _accuracy(run, raw, train_nodes, test_nodes, self.options, self.seed)
        own = run.recipe.method_options
        selftask_run = isinstance(own, SelfTaskConfig)
        shape = {name: getattr(own, name) for name in SHARED_OPTIONS if selftask_run and hasattr(own, name)}
        held_out = raw.clone()
        held_out.train_mask = train_nodes
        baseline = train_variant(
            run, held_out, "selftask", {**shape, "task": "node_property", "ssl_weight": 0.0}, own_schedule=not selftask_run
        )
        baseline_score = _accuracy(baseline, held_out, train_nodes, test_nodes)
        validation = {} if score.validation is None else {VALIDATION_METRIC: score.validation}
        return {
            METRIC: score.test, BASELINE_PREFIX + METRIC: baseline_score.test, BASELINE_KEY: "GCN without SSL",
            **validation, "n_train": int(train_nodes.sum()), "n_test": int(test_nodes.sum()),
        }

    def split(self, raw) -> tuple[torch.Tensor, torch.Tensor]:
        """(training nodes, test nodes) as boolean masks: the graph's own split, else a seeded stratified one."""
        from sklearn.model_selection import train_test_split

        y = getattr(raw, "y", None)
        if y is None or not (y >= 0).any():
            raise InvalidDataError("node_classification needs node labels (data.y, -1 for unknown); this graph has none.")
        labelled = y >= 0
        train_mask, val_mask = getattr(raw, "train_mask", None), getattr(raw, "val_mask", None)
        test_mask = getattr(raw, "test_mask", None)
        if test_mask is None:  # from the labelled nodes neither trained on nor used for checkpoint selection
            candidates = labelled & ~(train_mask if train_mask is not None else torch.zeros_like(labelled))
            candidates &= ~(val_mask if val_mask is not None else torch.zeros_like(labelled))
            nodes = np.flatnonzero(candidates.numpy())
            counts = np.unique(y[candidates].numpy(), return_counts=True)[1]
            stratify = y[candidates].numpy() if len(counts) and counts.min() >= 2 else None
            test_mask = torch.zeros_like(labelled)
            if len(nodes) >= 2:
                try:
                    test = train_test_split(nodes, test_size=self.options.test_fraction, random_state=self.seed, stratify=stratify)[1]
                except ValueError as exc:  # fewer test nodes than classes
                    raise InvalidDataError(
                        f"{len(nodes)} labelled nodes cannot be split into training and test nodes with test_fraction "
                        f"{self.options.test_fraction} ({exc}); give the graph a test_mask or a larger test_fraction."
                    ) from exc
                test_mask[torch.as_tensor(test)] = True
        test_mask = test_mask & labelled
        train_mask = (labelled & ~test_mask & ~(val_mask if val_mask is not None else torch.zeros_like(labelled))
                      if train_mask is None else train_mask & labelled)
        if not test_mask.any() or not train_mask.any():
            raise InvalidDataError(
                f"node_classification needs labelled training and test nodes; this graph has {int(train_mask.sum())} "
                f"and {int(test_mask.sum())}."
            )
        return train_mask, test_mask


@dataclasses.dataclass(frozen=True)
class Accuracy:
    """A classifier's or probe's accuracy on the test nodes and on the validation nodes (``None`` without any)."""

    test: float
    validation: float | None


def _validation_nodes(graph, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """The graph's labelled ``val_mask`` nodes outside the training and test nodes (none without a ``val_mask``)."""
    val_mask = getattr(graph, "val_mask", None)
    return np.zeros_like(train) if val_mask is None else val_mask.numpy() & (graph.y.numpy() >= 0) & ~train & ~test


def _accuracy(run: Any, graph, train_nodes: torch.Tensor, test_nodes: torch.Tensor, options=None, seed: int = 0) -> Accuracy:
    """Accuracy of ``run`` (trained on ``graph``): its classifier when it trained one, else a linear probe on its
    embeddings fitted on ``train_nodes`` (:func:`_probe_accuracy`)."""
    y = graph.y.long()
    method = run.method
    if getattr(method, "classifier", None) is None:
        return _probe_accuracy(run.embed_loaded(graph), graph, train_nodes, test_nodes, options or NodeClassificationOptions(), seed)
    batch = run.modality.transform(graph)
    seen = batch["train_mask"] & test_nodes
    if seen.any():
        raise InvalidDataError(
            f"The run trained its classifier on {int(seen.sum())} of the test nodes (without data.train_mask every labelled "
            "node is a training node). Give the graph a train_mask (and a test_mask), or train label-free (method option "
            "supervised=False)."
        )
    device = next(method.parameters()).device
    method.eval()
    with torch.inference_mode():
        correct = method.predict_classes({k: v.to(device) for k, v in batch.items()}).cpu() == y
    val = torch.as_tensor(_validation_nodes(graph, batch["train_mask"].numpy(), test_nodes.numpy()))
    return Accuracy(float(correct[test_nodes].float().mean()), float(correct[val].float().mean()) if val.any() else None)


def _probe_accuracy(embeddings: np.ndarray, graph, train_nodes: torch.Tensor, test_nodes: torch.Tensor, options, seed: int = 0) -> Accuracy:
    """Accuracy of a linear probe on frozen ``embeddings`` fitted on ``train_nodes``, optionally L2-normalised
    per node and standardised per dimension:
    :func:`_adam_probe_accuracy` or scikit-learn's logistic regression with the ``C`` of ``options.probe_c`` most
    accurate on the validation nodes (the first without any)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler, normalize

    y = graph.y.long().numpy()
    train, test = train_nodes.numpy(), test_nodes.numpy()
    if options.probe_normalize:
        embeddings = normalize(embeddings, norm="l2")
    if options.probe_standardize:
        embeddings = StandardScaler().fit(embeddings[train]).transform(embeddings)
    val = _validation_nodes(graph, train, test)
    if options.probe == "adam":
        return _adam_probe_accuracy(embeddings, y, train, val, test, options, seed)
    probes = [LogisticRegression(max_iter=1000, C=c).fit(embeddings[train], y[train]) for c in options.probe_c]
    if not val.any():
        return Accuracy(float(probes[0].score(embeddings[test], y[test])), None)
    scores = [probe.score(embeddings[val], y[val]) for probe in probes]
    best = int(np.argmax(scores))
    return Accuracy(float(probes[best].score(embeddings[test], y[test])), float(scores[best]))


def _adam_probe_accuracy(embeddings: np.ndarray, y: np.ndarray, train, val, test, options, seed: int) -> Accuracy:
    """GraphMAE's linear probe: ``softmax(W h + b)`` trained full-batch on the training nodes by cross-entropy with
    Adam; the test accuracy at the last epoch whose validation accuracy is the best so far (the last epoch's without
    validation nodes). A hand-written loop, as no library trains a probe with this early stopping."""
    torch.manual_seed(seed)
    x, labels = torch.as_tensor(embeddings, dtype=torch.float32), torch.as_tensor(y)
    probe = torch.nn.Linear(x.shape[1], int(y.max()) + 1)
    optimizer = torch.optim.Adam(probe.parameters(), lr=options.probe_lr, weight_decay=options.probe_weight_decay)
    train, val, test = (torch.as_tensor(nodes) for nodes in (train, val, test))
    best_val, test_accuracy = -1.0, 0.0
    for _ in range(options.probe_epochs):
        loss = torch.nn.functional.cross_entropy(probe(x[train]), labels[train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            correct = probe(x).argmax(dim=1) == labels
        val_accuracy = float(correct[val].float().mean()) if val.any() else 0.0
        if val_accuracy >= best_val:
            best_val, test_accuracy = val_accuracy, float(correct[test].float().mean())
    return Accuracy(test_accuracy, best_val if val.any() else None)
