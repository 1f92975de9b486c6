"""Plans as plain data: building, diffing, safety checks, saved plan files, git-base plans."""
