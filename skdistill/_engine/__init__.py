"""The numerical engine: optimisers, schedules, unrolled runs, reverse passes."""
