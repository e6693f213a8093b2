"""The planning engine: queue simulation, policies, the clairvoyant optimum and forecasts.

Plain Python and NumPy: it never imports Django (a test checks this), so it can be used,
tested and benchmarked on its own. The Django apps call it through thin adapters.
"""
