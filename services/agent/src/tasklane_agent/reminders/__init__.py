"""Reminders: the planner keeps a task's reminder rows in line with it (in the same transaction);
the worker sends them when they fall due."""
