"""The stoppers of an iterative fit: one rule on the training loss, one on a
validation score, both scikit-learn's.

* `NoImprovementStopper`: MLPClassifier's rule on the training loss; stops once
  more than ``n_iter_no_change`` iterations in a row have not lowered the best
  loss by ``tol``. `StackStopper` applies it to every network of a stack.
* `ValidationStopper`: MLPClassifier's ``early_stopping`` rule on a validation
  score (higher is better), keeping the state of the best score seen. Scores
  may be checked every few iterations: the rule counts iterations, not checks.
"""

import numpy as np
import torch


class NoImprovementStopper:
    """Stop when the loss has not improved by ``tol`` for more than
    ``n_iter_no_change`` consecutive iterations: MLPClassifier's rule, which
    stops once its count of epochs without improvement exceeds
    ``n_iter_no_change`` (at the ``n_iter_no_change + 1``-th such epoch).

    ``loss`` may be an array, one loss per network of a stack: each network
    then follows the rule on its own (``stopped_each``), and the stack stops
    when all of them have. A network that has stopped stays stopped, as its
    own fit would have ended there (its later losses, of parameters kept
    where it stopped, may still tie its best at ``tol=0``).
    """

    def __init__(self, tol, n_iter_no_change):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.best, self.no_improvement, self.stopped = np.inf, 0, False
        self.stopped_each = False

    def __call__(self, iteration, loss):
        loss = np.asarray(loss, dtype=np.float64)
        improved = loss <= self.best - self.tol
        self.no_improvement = np.where(improved, 0, self.no_improvement + 1)
        self.best = np.minimum(self.best, loss)
        self.stopped_each = self.stopped_each | (
            self.no_improvement > self.n_iter_no_change
        )
        self.stopped = bool(np.all(self.stopped_each))
        return self.stopped


class StackStopper(NoImprovementStopper):
    """`NoImprovementStopper` on every network of a stack of parameters.

    Many networks trained at once each stop on their own loss and keep their
    parameters from then on, so a network is trained exactly as a fit of its
    own would train it, whichever others share its stack. Call `keep_stopped`
    after every update of ``params``.
    """

    def __init__(self, params, tol, n_iter_no_change):
        super().__init__(tol, n_iter_no_change)
        self.params, self.frozen, self.done = params, None, None

    def __call__(self, iteration, loss):
        stopped = super().__call__(iteration, loss)
        each = torch.as_tensor(np.atleast_1d(self.stopped_each))
        if len(self.params[0]) > 1 and (self.frozen is not None or each.any()):
            if self.frozen is None:
                self.frozen = [p.clone() for p in self.params]
                self.done = torch.zeros_like(each)
            newly = each & ~self.done
            for p, f in zip(self.params, self.frozen):
                f[newly] = p[newly]
            self.done = each
        return stopped

    def keep_stopped(self):
        """Put the stopped networks back to where they stopped."""
        if self.frozen is not None:
            for p, f in zip(self.params, self.frozen):
                p[self.done] = f[self.done]


def improves(score, best, tol):
    """Whether ``score`` improves on ``best`` by ``tol``: `ValidationStopper`'s
    rule, on tuples compared in order (see there)."""
    for value, best_value in zip(score, best):
        if value >= best_value + tol:
            return True
        if value < best_value:
            return False
    return False


class ValidationStopper:
    """Early stopping on a validation score, keeping the best state:
    MLPClassifier's ``early_stopping`` rule.

    A check *improves* when its score is at least the best score so far plus
    ``tol``; the fit stops once more than ``n_iter_no_change`` iterations have
    passed since the last check that improved (checked every iteration, that
    is MLPClassifier's count of epochs without improvement). The kept state is
    that of the best score seen, improved by ``tol`` or not.

    A score is a number, or a tuple compared in order: ``(accuracy, -loss)``
    breaks ties of accuracy by the loss. A tuple improves when its first
    component does by ``tol``, or when it is not below the best there and its
    second component improves by ``tol``, and so on.

    Call it with the iteration, the score and ``state``, a function returning a
    copy of the current state (called only for a new best). Afterwards
    ``scores`` holds the scores (first components), ``best`` the best score
    (a tuple), ``best_state`` the kept state, ``best_iteration`` its iteration.
    """

    def __init__(self, tol, n_iter_no_change):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.scores, self.best, self.best_state = [], None, None
        self.best_iteration = self.last_improvement = 0
        self.stopped = False

    def _improves(self, score):
        return improves(score, self.best, self.tol)

    def __call__(self, iteration, score, state):
        score = tuple(float(s) for s in np.atleast_1d(score))
        self.scores.append(score[0])
        if self.best is None or self._improves(score):
            self.last_improvement = iteration
        if self.best is None or score > self.best:
            self.best, self.best_iteration = score, iteration
            self.best_state = state()
        self.stopped = iteration - self.last_improvement > self.n_iter_no_change
        return self.stopped
