"""Method.forward_step: one forward per step whose result both loss terms receive."""

import torch

from multissl.methods.base import Method


class Joint(Method):
    """A linear model with an SSL term (mean square of its output) and a supervised term (distance to 1)."""

    def __init__(self, shared: bool):
        super().__init__(None, {})
        self.linear = torch.nn.Linear(3, 1)
        self.shared = shared
        self.forwards = 0

    def forward_step(self, batch):
        if not self.shared:
            return super().forward_step(batch)
        self.forwards += 1
        return self.linear(batch["x"])

    def _outputs(self, batch, outputs):
        if outputs is None:
            self.forwards += 1
            return self.linear(batch["x"])
        return outputs

    def ssl_loss(self, batch, outputs=None):
        out = self._outputs(batch, outputs)
        return out.pow(2).mean(), {"square": out.pow(2).mean().detach()}

    def supervised_loss(self, batch, outputs=None):
        out = self._outputs(batch, outputs)
        return (out - 1).pow(2).mean(), {"distance": (out - 1).pow(2).mean().detach()}


class SslOnly(Method):
    """A method written before the hook: ``ssl_loss(batch)`` alone."""

    def __init__(self):
        super().__init__(None, {})
        self.linear = torch.nn.Linear(3, 1)

    def ssl_loss(self, batch):
        return self.linear(batch["x"]).pow(2).mean(), {}


def test_one_forward_reaches_both_terms_and_gives_the_same_loss():
    batch = {"x": torch.randn(5, 3)}
    shared, separate = Joint(shared=True), Joint(shared=False)
    separate.load_state_dict(shared.state_dict())
    loss, logs = shared._total_loss(batch)
    assert shared.forwards == 1 and set(logs) == {"ssl/square", "supervised/distance"}
    torch.testing.assert_close(loss, separate._total_loss(batch)[0])
    assert separate.forwards == 2


def test_methods_without_the_hook_keep_their_one_argument_losses():
    method = SslOnly()
    assert method.forward_step({"x": torch.randn(4, 3)}) is None
    loss, logs = method._total_loss({"x": torch.randn(4, 3)})
    assert loss.ndim == 0 and logs == {}
