"""Where things are on disk, relative to the repository."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = REPO_ROOT / "policy"
LOCAL_DIR = REPO_ROOT / ".local"
