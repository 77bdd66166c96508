"""The optimiser shared by the estimators: Adam over a list of tensors.

It updates the tensors in place from gradients handed to it, so that the
gradients can come from the hand-written passes of ``_mlp`` and ``_reverse``
rather than from autograd. The update is the one of scikit-learn's
``AdamOptimizer`` (Kingma & Ba 2014, with the bias corrections folded into the
step size), which :class:`DistilledMLPClassifier` mirrors.
"""

import math


class Adam:
    """Adam, updating ``params`` in place.

    Parameters
    ----------
    params : list of Tensor
        The tensors to optimise; none records an autograd graph.
    learning_rate : float, default=0.001
        Step size.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to the root of the second moment for numerical stability.
    step_scales : list of (Tensor or None), default=None
        Per tensor, a factor of its step broadcast over its entries (for
        example one per column); None: 1.
    """

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        step_scales=None,
    ):
        self.params = list(params)
        self.step_scales = step_scales or [None] * len(self.params)
        self.learning_rate = float(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.first = [p.new_zeros(p.shape) for p in self.params]
        self.second = [p.new_zeros(p.shape) for p in self.params]
        self.t = 0

    def step(self, grads):
        """Move every tensor against its gradient (one gradient per tensor)."""
        self.t += 1
        step_size = (
            self.learning_rate
            * math.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
        )
        for p, g, m, v, c in zip(
            self.params, grads, self.first, self.second, self.step_scales
        ):
            m.mul_(self.beta_1).add_(g, alpha=1.0 - self.beta_1)
            v.mul_(self.beta_2).addcmul_(g, g, value=1.0 - self.beta_2)
            if c is None:
                p.addcdiv_(m, v.sqrt().add_(self.epsilon), value=-step_size)
            else:
                p.sub_(m / v.sqrt().add_(self.epsilon) * c, alpha=step_size)
