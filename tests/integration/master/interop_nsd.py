#!/usr/bin/python3
"""Interop: nsd as a secondary of flatsign-master pulls the flattened zone, serves the same data, and follows an upstream change announced by NOTIFY."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import master_env as env  # noqa: E402

env.interop("nsd", key=False)
