"""What the two sweeps of the whole site share (tests/faults/test_bad_input.py, tests/faults/test_security.py):
the world they run in (one real row of every model Admin shows), every route with real path parameters,
snapshots that show a refused request wrote nothing, and the garbage Hypothesis draws."""
