# `python -m unittest` from plugins/example-checkout-py needs no PYTHONPATH:
# the handler (src/) and this checkout's SDK (guest-sdk-py/) are put on the
# path unless the SDK is importable already (e.g. pip-installed).
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = os.path.join(_HERE, os.pardir, "src")
_SDK = os.path.join(_HERE, os.pardir, os.pardir, os.pardir, "guest-sdk-py")

if os.path.abspath(_SRC) not in map(os.path.abspath, sys.path):
    sys.path.insert(0, os.path.abspath(_SRC))
if importlib.util.find_spec("checkout_plugin_sdk") is None:
    sys.path.insert(0, os.path.abspath(_SDK))
