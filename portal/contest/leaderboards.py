"""Public leaderboards: provisional while a round is open, final once it is finalized."""
