"""What `make lab` and `make lab-instructor` both give JupyterLab, for that one run: they put
this folder on JUPYTER_CONFIG_PATH, ahead of the learner's ~/.jupyter, which they leave as it
is. labconfig/page_config.json beside this file disables JupyterLab's announcements plugin: no
"get notified about official Jupyter news?" pop-up, and no request for news or updates to the
internet (the course runs offline)."""

import os
from pathlib import Path

from jupyter_server.services.contents.filecheckpoints import AsyncFileCheckpoints

c = get_config()  # noqa: F821 (provided by Jupyter)

# In a container or on a cloud VM the learner is often root; the token still guards the server.
c.ServerApp.allow_root = True


class OutsideCheckpoints(AsyncFileCheckpoints):
    """A notebook's checkpoint (File > Revert Notebook to Checkpoint) in a tree of its own that
    mirrors the labs folder, so that the server writes nothing into the repository: Jupyter's
    default, a .ipynb_checkpoints folder beside each notebook, appears as soon as one is opened.
    """

    def checkpoint_path(self, checkpoint_id, path):
        # The parent's method falls back to the system's temporary folder (lost at reboot)
        # when the notebook's folder does not exist in this tree yet: make it first.
        folder = os.path.dirname(path.strip("/"))
        os.makedirs(self._get_os_path(folder), exist_ok=True)
        return super().checkpoint_path(checkpoint_id, path)


# One tree per clone of the course, keyed on where its labs folder is, in the learner's state
# folder (XDG_STATE_HOME, else ~/.local/state): checkpoints outlive the server, like the files.
_state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
_labs = Path(__file__).resolve().parents[2] / "labs"
c.AsyncFileContentsManager.checkpoints_class = OutsideCheckpoints
c.FileCheckpoints.root_dir = str(_state / "pooling-in-depth" / "checkpoints" /
                                 _labs.relative_to(_labs.anchor))
