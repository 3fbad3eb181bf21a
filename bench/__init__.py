"""Side-by-side benchmark of specdouble against Prism (issue 8).

Run ``python -m bench --help`` from the repository root; bench/README.md says
what it measures and how.
"""
