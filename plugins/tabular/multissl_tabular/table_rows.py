"""Tables for the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE): a row as ``Inputs``, a row
encoder over it, and SCARF's corruption from the training marginals as a view."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from multissl.encoders.base import Encoder
from multissl.errors import InvalidDataError
from multissl.methods.generic_input import GenericInput, Inputs, InputsAltered, InputsView
from multissl.views.base import check_ratio
from multissl_tabular.marginals import corrupt_from_marginals
from multissl_tabular.row_encoder import RowEncoder


class TableRows(GenericInput):
    """A batch ``{"numeric", "categorical"}`` as ``Inputs(x)``, ``x`` (N, n_num + n_cat) float: the scaled numbers
    (NaN missing) then the category codes (0 missing, 1 unknown). Core views alter ``x`` column-wise: a view that
    hides a value should write NaN (the column's missing token). ``context["marginals"]`` holds the training
    marginals (P, n_num + n_cat) for :class:`TrainingMarginalCorruption`.

    Masked reconstruction (``mae``) predicts, at each feature token of the encoder, the number (squared error) or the
    category (cross-entropy over the column's codes), scored on the hidden entries whose clean value is not missing:
    the mixed feature-reconstruction loss of VIME (Yoon et al. 2020).
    """

    def __init__(self, **input_spec: Any) -> None:
        super().__init__(**input_spec)
        self.n_numeric = int(input_spec["n_numeric"])
        self.cardinalities = [int(c) for c in input_spec["categorical_cardinalities"]]
        marginals = input_spec.get("marginals")
        self.register_buffer("marginals", torch.tensor(marginals if marginals is not None else [], dtype=torch.float32), persistent=False)

    def inputs(self, batch: dict[str, Tensor]) -> Inputs:
        x = torch.cat([batch["numeric"], batch["categorical"].to(batch["numeric"].dtype)], dim=1)
        return Inputs(x, context={"marginals": self.marginals})

    def embed(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        return encoder.embed(inputs.x)

    def encode(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """The encoder's outputs at the feature tokens, (N, F, dim)."""
        return encoder(inputs.x)[:, encoder.n_reg :]

    def reconstruction_dim(self) -> int:
        """One value for a number, one logit per code for the widest categorical column."""
        return max([1, *self.cardinalities])

    def reconstruction_loss(self, encoded, head, original, altered, error):
        """``mean over hidden numbers of (x̂ − x)²  +  mean over hidden categories of CE(logits, code)``."""
        if altered.mask is None:
            raise InvalidDataError("Table reconstruction needs a view that hides entries (a mask).")
        prediction, target = head(encoded), original.x
        hidden = altered.mask.expand_as(target) if altered.mask.dim() == 2 else altered.mask[:, None].expand_as(target)
        hidden = hidden & ~torch.isnan(target)
        numeric_hidden = hidden[:, : self.n_numeric]
        numeric_error = (prediction[:, : self.n_numeric, 0] - torch.nan_to_num(target[:, : self.n_numeric])) ** 2
        loss = numeric_error[numeric_hidden].sum()
        for j, cardinality in enumerate(self.cardinalities):
            column = self.n_numeric + j
            rows = hidden[:, column]
            logits = prediction[rows, column, :cardinality]
            loss = loss + F.cross_entropy(logits, target[rows, column].long(), reduction="sum")
        count = hidden.sum().clamp(min=1)
        return loss / count, {"reconstruction": (loss / count).detach()}


class TableTransformer(Encoder):
    """The row encoder of T-JEPA and SCARF (:class:`RowEncoder`: feature tokenizer, column positions, post-norm
    Transformer) reading ``x`` of :class:`TableRows`; ``forward`` gives every token (N, n_reg + F, dim), ``embed``
    their mean (N, dim)."""

    def __init__(
        self, n_numeric: int, categorical_cardinalities: list[int], marginals: Any = None, dim: int = 32,
        num_layers: int = 2, num_heads: int = 2, ffn_dim: int = 64, dropout: float = 0.0, n_reg: int = 1,
        init_std: float = 0.02, value_init_std: float | None = 1.0,
    ):
        super().__init__()
        self.n_numeric = int(n_numeric)
        self.n_reg = int(n_reg)
        self.rows = RowEncoder(n_numeric, categorical_cardinalities, dim, num_layers, num_heads, ffn_dim, dropout, n_reg,
                               init_std, value_init_std)
        self.output_dim = dim

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.rows.n_features:
            raise InvalidDataError(f"TableTransformer expects rows (N, {self.rows.n_features}), got {tuple(x.shape)}.")
        categorical = torch.nan_to_num(x[:, self.n_numeric :], nan=0.0).long()  # NaN: the missing code
        return self.rows(x[:, : self.n_numeric], categorical)

    def embed(self, x: Tensor) -> Tensor:
        return self(x).mean(dim=1)


@dataclasses.dataclass(frozen=True)
class TrainingMarginalCorruption(InputsView):
    """SCARF's corruption (Bahri et al. 2022): per row, ``round(ratio × F)`` columns drawn uniformly take a value
    drawn from the column's training marginal (``inputs.context["marginals"]``, :mod:`multissl_tabular.marginals`);
    the core ``marginal_corruption`` draws from the batch instead. ``mask`` marks the replaced entries."""

    ratio: float = 0.6

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "TrainingMarginalCorruption")

    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        marginals = inputs.context.get("marginals")
        if marginals is None or marginals.numel() == 0:
            raise InvalidDataError(
                "training_marginal_corruption needs the training marginals in inputs.context['marginals'] (the "
                "tabular input 'table_rows' puts them there); use the core view marginal_corruption otherwise."
            )
        corrupted, mask = corrupt_from_marginals(inputs.x, marginals, self.ratio, generator)
        return InputsAltered(inputs.replace(x=corrupted), mask)
