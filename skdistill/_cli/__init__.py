"""The ``skdistill`` command line."""
