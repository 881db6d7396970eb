"""What the sweeps of the whole site share (tests/faults/test_bad_input.py, tests/faults/test_security.py,
tests/drillquiz/test_security_headers.py): the world they run in (one real row of every model Admin shows,
the `world` fixture of tests/conftest.py), every route with real path parameters, snapshots that show a
refused request wrote nothing, and the garbage Hypothesis draws."""
