"""Ways to run the whole of Tasklane: embedded in one process, as local processes, and the bench."""
