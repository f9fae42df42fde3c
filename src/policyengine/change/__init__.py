"""Change control: a rulebook's own tests and coverage, diff, fork and the policy document."""
