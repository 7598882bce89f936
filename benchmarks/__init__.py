"""Benchmark harness for cascade: recordings, replay, baselines, metrics and reports."""

import os

# litellm fetches its cost map from the network at import unless told otherwise; every module of
# this package may import litellm, so the setting is made here, before any of them runs.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
