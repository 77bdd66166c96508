"""The training toolkit shared by the estimators: the validation split
(`splits`), the stoppers (`stopping`), batch sources and the minibatch epoch
(`batches`), and the shared parameter constraints (`constraints`). The loop they
plug into is ``run_iterations`` of ``_base.py``."""
