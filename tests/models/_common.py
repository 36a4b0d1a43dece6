"""Shared bits of the models/ tests (run by ctest with LIVEPUPPET_PYTHON)."""
import os
import sys

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS_DIR = os.path.join(SOURCE_DIR, "models")
sys.path.insert(0, MODELS_DIR)

# ctest treats this exit status as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt).
SKIP = 77


def shared_dir():
    return os.environ.get("LIVEPUPPET_SHARED_DIR",
                          os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared")))


def require_shared(rel):
    """Path of ../shared/<rel>; exits with SKIP and a visible reason if absent."""
    path = os.path.join(shared_dir(), rel)
    if not os.path.exists(path):
        print(f"SKIP: {path} not found (the shared LivePortrait reference data is only "
              f"available in CI and development checkouts)")
        sys.exit(SKIP)
    return path


class Failures:
    def __init__(self):
        self.messages = []

    def check(self, ok, message):
        print(("ok    " if ok else "FAIL  ") + message, flush=True)
        if not ok:
            self.messages.append(message)

    def exit(self):
        if self.messages:
            print(f"{len(self.messages)} check(s) failed")
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)
