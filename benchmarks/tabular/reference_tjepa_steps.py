"""Time T-JEPA pretraining steps of the reference implementation (jose-melo/t-jepa) on Adult.

Run by ``speed.py`` (this folder) with the reference's own interpreter and its checkout as the working directory
(outside this repository); it builds the reference's ``Encoder``, ``Predictors``, ``MaskCollator`` and
``init_optim`` with the settings of its ``scripts/launch_tjepa.sh`` (and its parser's defaults for the
rest) and repeats the body of its ``Trainer.train`` loop: target forward, context forward, predictor,
MSE, backward, AdamW step, EMA update, schedulers. Prints one JSON line: rows, seconds, rows_per_second,
rows_per_cpu_second (the process's CPU time, less sensitive than wall time to other processes on the machine).
Adult is encoded as the reference does: MinMax numerics, label-encoded categoricals (missing "?" is a
category), one float matrix in the original column order.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import torch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--label", default="income")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(Path.cwd()))
    # src.configs imports the downstream model zoo (xgboost, rtdl, lightning) only for the probe choices;
    # a stand-in keeps those heavy packages out of the reference's environment
    zoo = types.ModuleType("src.benchmark.utils")
    zoo.MODEL_NAME_TO_MODEL_MAP = {"linear_probe": None, "mlp": None}
    sys.modules["src.benchmark.utils"] = zoo
    from src.configs import build_parser
    from src.encoder import Encoder
    from src.mask import MaskCollator
    from src.predictors import Predictors
    from src.utils.optim_utils import init_optim
    from src.utils.train_utils import apply_masks_from_idx, init_weights

    frame = pd.read_parquet(args.data).drop(columns=[args.label])
    columns, cardinalities, numeric_index = [], [], []
    for index, name in enumerate(frame.columns):
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(dtype=np.float64, copy=True)
            values = (values - values.min()) / max(values.max() - values.min(), 1e-12)
            numeric_index.append(index)
        else:
            codes, uniques = pd.factorize(series.astype("str").fillna("?"))
            values = codes.astype(np.float64)
            cardinalities.append((index, len(uniques)))
        columns.append(values.astype(np.float32))
    data = torch.from_numpy(np.stack(columns, axis=1))
    n_features = data.shape[1]

    # scripts/launch_tjepa.sh settings; everything else from the reference's parser defaults
    ref = build_parser().parse_args([
        "--batch_size=512", "--model_dim_hidden=64", "--model_num_layers=16", "--model_num_heads=2",
        "--model_dim_feedforward=64", "--model_dropout_prob=0.0018542257314766695", "--pred_embed_dim=16",
        "--pred_num_layers=16", "--pred_num_heads=4", "--pred_p_dropout=0.0019307456645321797",
        "--pred_type=transformer", "--mask_min_ctx_share=0.13628349247854785", "--mask_max_ctx_share=0.36819012681604135",
        "--mask_min_trgt_share=0.1556321308543076", "--mask_max_trgt_share=0.6222278244105446", "--mask_num_preds=4",
        "--exp_lr=0.0003658682841082736", "--exp_warmup=10", "--exp_train_total_epochs=300", "--init_type=trunc_normal",
        "--n_cls_tokens=1",
    ])
    torch.manual_seed(ref.torch_seed)
    np.random.seed(ref.np_seed)
    device = torch.device("cpu")
    context_encoder = Encoder(
        idx_num_features=numeric_index, cardinalities=cardinalities, hidden_dim=ref.model_dim_hidden,
        num_layers=ref.model_num_layers, num_heads=ref.model_num_heads, p_dropout=ref.model_dropout_prob,
        layer_norm_eps=ref.model_layer_norm_eps, gradient_clipping=ref.exp_gradient_clipping,
        feature_type_embedding=False, feature_index_embedding=False, dim_feedforward=ref.model_dim_feedforward,
        device=device, args=ref,
    )
    predictors = Predictors(
        pred_type=ref.pred_type, hidden_dim=ref.model_dim_hidden, pred_embed_dim=ref.pred_embed_dim,
        num_features=n_features, num_layers=ref.pred_num_layers, num_heads=ref.pred_num_heads,
        p_dropout=ref.pred_p_dropout, layer_norm_eps=ref.pred_layer_norm_eps, activation=ref.pred_activation,
        device=device, cardinalities=cardinalities, pred_dim_feedforward=ref.pred_dim_feedforward,
    )
    for module in context_encoder.modules():
        init_weights(module, init_type=ref.init_type)
    target_encoder = copy.deepcopy(context_encoder)
    collator = MaskCollator(
        ref.mask_allow_overlap, ref.mask_min_ctx_share, ref.mask_max_ctx_share, ref.mask_min_trgt_share,
        ref.mask_max_trgt_share, ref.mask_num_preds, ref.mask_num_encs, n_features, cardinalities,
    )
    dataset = torch.utils.data.TensorDataset(data)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, collate_fn=collator, drop_last=True)
    ipe = len(loader)
    optimizer, scheduler, wd_scheduler = init_optim(
        context_encoder, predictors, ipe, ref.exp_start_lr, ref.exp_lr, ref.exp_warmup, ref.exp_train_total_epochs,
        ref.exp_weight_decay, ref.exp_final_weight_decay, ref.exp_final_lr, ref.exp_ipe_scale, ref.exp_scheduler,
        ref.exp_weight_decay_scheduler,
    )
    momentum = iter(
        ref.model_ema_start + i * (ref.model_ema_end - ref.model_ema_start) / (ipe * 300) for i in range(ipe * 300 + 1)
    )
    loss_fn = torch.nn.MSELoss()
    rows, started, cpu_started = 0, None, None
    batches = iter(loader)
    for step in range(args.warmup_steps + args.steps):
        if step == args.warmup_steps:
            started, cpu_started = time.perf_counter(), time.process_time()
        batch, masks_enc, masks_pred = next(batches)
        with torch.no_grad():
            h = apply_masks_from_idx(target_encoder(batch), masks_pred)
        z = predictors(context_encoder(batch, masks_enc), masks_enc, masks_pred)
        loss = loss_fn(z, h)
        loss.backward()
        optimizer.step()
        assert not np.isnan(loss.item())
        optimizer.zero_grad()
        with torch.no_grad():
            m = next(momentum)
            for q, k in zip(context_encoder.parameters(), target_encoder.parameters()):
                k.data.mul_(m).add_((1.0 - m) * q.detach().data)
        scheduler.step()
        wd_scheduler.step()
        if step >= args.warmup_steps:
            rows += len(batch)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds,
                      "rows_per_cpu_second": rows / cpu_seconds}))


if __name__ == "__main__":
    main()
