"""Crash tests: a process doing real user actions is killed at random moments, and the project
it leaves behind must hold every action that returned and no action half applied."""
