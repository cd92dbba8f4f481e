"""Hypergradients by implicit differentiation against what ridge regression gives exactly."""

import pytest
import torch

from hpolib.hypergrad import WeightDecay, hypergradient, neumann_inverse_hvp, train_with_hypergradients

D = torch.float64  # exact enough to compare with finite differences


def ridge(seed=0, n=40, m=30, d=6):
    """Training and validation sets of a noisy linear problem."""
    g = torch.Generator().manual_seed(seed)
    w_true = torch.randn(d, generator=g, dtype=D)
    x, xv = torch.randn(n, d, generator=g, dtype=D), torch.randn(m, d, generator=g, dtype=D)
    y = x @ w_true + 0.5 * torch.randn(n, generator=g, dtype=D)
    return x, y, xv, xv @ w_true + 0.5 * torch.randn(m, generator=g, dtype=D)


def best_response(x, y, log_decay):
    """``argmin_w |Xw - y|^2 / 2n + sum exp(lam_j) w_j^2 / 2``, exactly."""
    n = len(y)
    return torch.linalg.solve(x.T @ x / n + torch.diag(log_decay.exp()), x.T @ y / n)


def val_loss_at(x, y, xv, yv, log_decay):
    w = best_response(x, y, log_decay)
    return (xv @ w - yv).pow(2).sum() / (2 * len(yv))


def test_hypergradient_of_per_weight_ridge_matches_finite_differences_of_the_exact_validation_loss():
    x, y, xv, yv = ridge()
    lam = torch.linspace(-3.0, 0.5, x.shape[1], dtype=D).requires_grad_()
    w = best_response(x, y, lam.detach()).requires_grad_()
    hessian = x.T @ x / len(y) + torch.diag(lam.detach().exp())
    alpha = 1.0 / float(torch.linalg.eigvalsh(hessian).max())
    grad, = hypergradient(lambda: (x @ w - y).pow(2).sum() / (2 * len(y)) + (lam.exp() * w.pow(2)).sum() / 2,
                          lambda: (xv @ w - yv).pow(2).sum() / (2 * len(yv)), [w], [lam],
                          neumann_steps=2000, neumann_lr=alpha)
    h = 1e-6
    finite = torch.stack([(val_loss_at(x, y, xv, yv, lam.detach() + h * e) -
                           val_loss_at(x, y, xv, yv, lam.detach() - h * e)) / (2 * h)
                          for e in torch.eye(len(lam), dtype=D)])
    assert finite.abs().max() > 1e-3  # a problem where the answer is not zero
    torch.testing.assert_close(grad, finite, rtol=1e-5, atol=1e-8)


def test_the_neumann_series_converges_to_the_inverse_hessian_vector_product():
    x, y, _, _ = ridge(1)
    w = torch.zeros(x.shape[1], dtype=D, requires_grad=True)
    grads = torch.autograd.grad((x @ w - y).pow(2).sum() / (2 * len(y)) + w.pow(2).sum() / 2, [w],
                                create_graph=True)
    hessian = x.T @ x / len(y) + torch.eye(x.shape[1], dtype=D)
    v = torch.arange(1.0, x.shape[1] + 1, dtype=D)
    exact = torch.linalg.solve(hessian, v)
    alpha = 1.0 / float(torch.linalg.eigvalsh(hessian).max())
    few, many = (neumann_inverse_hvp(grads, [w], [v], steps, alpha)[0] for steps in (2, 3000))
    torch.testing.assert_close(many, exact)
    assert not torch.allclose(few, exact, rtol=1e-2)  # a truncated series is only an approximation


def test_hyper_steps_lower_the_validation_loss_of_ridge():
    x, y, xv, yv = ridge(2, n=12, d=10)  # almost as many weights as examples: it overfits
    w = torch.zeros(x.shape[1], dtype=D, requires_grad=True)
    decay = WeightDecay([w], init=1e-3)
    before = val_loss_at(x, y, xv, yv, decay.log_decay[0].detach())
    train = lambda: (x @ w - y).pow(2).sum() / (2 * len(y))  # noqa: E731
    history = train_with_hypergradients([w], decay, lambda step: train(), train,
                                        lambda: (xv @ w - yv).pow(2).sum() / (2 * len(yv)), steps=600,
                                        inner_steps=20, lr=0.05, hyper_lr=0.1, neumann_steps=20, neumann_lr=0.05)
    after = val_loss_at(x, y, xv, yv, decay.log_decay[0].detach())
    assert len(history) == 30 and len(decay) == 10
    assert after < 0.9 * before


@pytest.mark.parametrize("kwargs, message", [({"init": 0}, "init must be"), ({"per": "unit"}, "per must be")])
def test_weight_decay_settings_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WeightDecay([torch.zeros(2)], **kwargs)
