"""Time SSLRec (HKUDS/SSLRec) training epochs on a given train matrix: its own models and its own
epoch (sample_negs + DataLoader + zero_grad/cal_loss/backward/step, as trainer.Trainer.train_epoch),
without its evaluation. Runs inside an SSLRec checkout (``sslrec_speed.py`` copies it there as
``time_sslrec.py``), never from this repository.

Usage: python time_sslrec.py MODEL TRAIN_PKL EPOCHS THREADS [section.key=value ...]
"""
# ruff: noqa: I001  (SSLRec reads sys.argv when its config module is imported)
import json
import sys
import time
model_name, train_pkl, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
overrides = dict(a.split("=") for a in sys.argv[5:])
sys.argv = ["main.py", "--model", model_name, "--device", "cpu"]
import torch
torch.set_num_threads(threads)
# SSLRec's EmbedPerturb (SimGCL) calls .cuda() unconditionally; on a CPU-only machine make it a no-op.
torch.Tensor.cuda = lambda self, *args, **kwargs: self
from config.configurator import configs
for key, value in overrides.items():
    section, name = key.split(".")
    configs[section][name] = type(configs[section].get(name, 0.0))(float(value)) if name not in ("batch_size", "layer_num", "embedding_size") else int(value)
from data_utils.data_handler_general_cf import DataHandlerGeneralCF
handler = DataHandlerGeneralCF()
handler.trn_file = handler.tst_file = handler.val_file = train_pkl
handler.load_data()
import importlib
module = importlib.import_module(f"models.general_cf.{model_name}")
cls = {"lightgcn": "LightGCN", "sgl": "SGL", "simgcl": "SimGCL"}[model_name]
torch.manual_seed(0)
model = getattr(module, cls)(handler)
optimizer = torch.optim.Adam(model.parameters(), lr=configs["optimizer"]["lr"], weight_decay=0)
loader = handler.train_dataloader
for epoch in range(epochs):
    started = time.perf_counter()
    loader.dataset.sample_negs()
    model.train()
    for batch in loader:
        optimizer.zero_grad()
        loss, _ = model.cal_loss([x.long() for x in batch])
        loss.backward()
        optimizer.step()
    print(json.dumps({"impl": "sslrec", "model": model_name, "epoch": epoch, "seconds": time.perf_counter() - started, "steps": len(loader), "config": configs["model"], "batch_size": configs["train"]["batch_size"]}), flush=True)
