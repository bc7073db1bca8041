"""Builds a handler into a component with componentize-py, cached by a hash
of its inputs.

    python -m checkout_plugin_sdk.build --src src --app app -o target/my_plugin.wasm

runs

    componentize-py -d <wit> -w checkout-plugin componentize app -p <src> -p <sdk> -o <out>

unless `<out>.stamp` holds the hash of this build's inputs: every file
under `--src` and under the SDK package (but hidden files and directories
such as `.venv`, `__pycache__`, `tests`, `target`, `build`, `dist` and
`*.wasm`), the WIT files, `componentize-py --version` and the arguments. A build that
fails leaves no stamp. `--wit` defaults to the WIT shipped with the SDK
(`checkout_plugin_sdk/wit`, the contract `checkout:plugin@0.1.1`);
`--componentize-py` to the one next to this Python, else on `PATH`.

Exit 0 when the component is up to date or built, 1 when the build fails,
2 on bad usage. Stdout says which (`built` / `up to date`), with the size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from typing import Iterable, List, Optional

SDK_DIR = os.path.dirname(os.path.abspath(__file__))
SDK_ROOT = os.path.dirname(SDK_DIR)
DEFAULT_WIT = os.path.join(SDK_DIR, "wit")
WORLD = "checkout-plugin"
SKIP_DIRS = {"__pycache__", "tests", "fixtures", "target", "build", "dist", "node_modules"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".wasm", ".stamp", ".cwasm")


def _files(root: str) -> List[str]:
    """Every file under `root` that goes into a build, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SKIP_SUFFIXES) or name.startswith("."):
                continue
            out.append(os.path.join(dirpath, name))
    return out


def inputs_hash(roots: Iterable[str], extra: Iterable[str]) -> str:
    """SHA-256 of the files under `roots` (paths relative to their root,
    and contents) and the `extra` strings."""
    h = hashlib.sha256()
    for root in roots:
        h.update(b"root\0")
        for path in _files(root):
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    for item in extra:
        h.update(b"extra\0" + item.encode() + b"\0")
    return h.hexdigest()


def find_componentize_py(given: Optional[str]) -> str:
    if given:
        return given
    beside = os.path.join(os.path.dirname(sys.executable), "componentize-py")
    if os.path.exists(beside):
        return beside
    found = shutil.which("componentize-py")
    if found:
        return found
    raise SystemExit(
        "error: componentize-py not found: pip install componentize-py==0.25.1, "
        "or pass --componentize-py PATH"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checkout_plugin_sdk.build",
        description="Build a Python handler into a checkout-plugin component (cached).",
    )
    parser.add_argument("--src", required=True, help="directory of the handler and its entry module")
    parser.add_argument("--app", default="app", help="entry module defining WitWorld (default: app)")
    parser.add_argument("-o", "--output", required=True, help="the component to write")
    parser.add_argument("--wit", default=DEFAULT_WIT, help="WIT directory (default: the SDK's)")
    parser.add_argument("--world", default=WORLD, help=f"WIT world (default: {WORLD})")
    parser.add_argument("--componentize-py", dest="componentize_py", help="the componentize-py binary")
    parser.add_argument("--force", action="store_true", help="build even when up to date")
    args = parser.parse_args(argv)

    src = os.path.abspath(args.src)
    if not os.path.isfile(os.path.join(src, f"{args.app}.py")):
        print(f"error: no {args.app}.py in {src}", file=sys.stderr)
        return 2
    wit = os.path.abspath(args.wit)
    output = os.path.abspath(args.output)
    stamp = output + ".stamp"
    tool = find_componentize_py(args.componentize_py)
    try:
        version = subprocess.run(
            [tool, "--version"], check=True, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"error: {tool} --version: {e}", file=sys.stderr)
        return 1

    command = [
        tool, "-q", "-d", wit, "-w", args.world,
        "componentize", args.app, "-p", src, "-p", SDK_ROOT, "-o", output,
    ]
    digest = inputs_hash(
        [src, SDK_DIR, wit],
        [version, args.app, args.world, "checkout_plugin_sdk-build-1"],
    )
    if not args.force and os.path.exists(output) and os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            if f.read().strip() == digest:
                print(f"up to date: {args.output} ({os.path.getsize(output):,} bytes)")
                return 0

    os.makedirs(os.path.dirname(output), exist_ok=True)
    if os.path.exists(stamp):
        os.remove(stamp)
    started = time.monotonic()
    # No VIRTUAL_ENV: componentize-py would add its site-packages to the path.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run(command, env=env)
    if result.returncode != 0 or not os.path.exists(output):
        print(f"error: componentize-py failed (exit {result.returncode})", file=sys.stderr)
        return 1
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(digest + "\n")
    print(
        f"built: {args.output} ({os.path.getsize(output):,} bytes, "
        f"{time.monotonic() - started:.1f} s, {version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
