"""Background work of the branches app: none yet (branch sync will bring its tasks, issue 16)."""
