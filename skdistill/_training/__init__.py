"""The training toolkit shared by the estimators: validation splits, stoppers,
batch sources and the minibatch epoch, the loop of an iterative fit, and the
shared parameter constraints."""
