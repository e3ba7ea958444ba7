"""The student notebooks, labs/<lab>/, made by nbgrader from labs/solutions/<lab>/ -- never
over a learner's answers.

nbgrader's ``generate_assignment --force`` deletes a lab's folder and writes it anew. Here it
writes into a scratch copy of the course instead, and a generated notebook replaces the one
in labs/<lab>/ only while that one's answer cells are still the stubs it was handed out with
(notebook.answered). A notebook holding answers is left exactly as it is, and said so.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import notebook

LABS = Path(__file__).resolve().parent.parent / "labs"


class ReleaseError(Exception):
    """nbgrader could not generate a lab."""


def release(labs_dir=LABS, lab_ids=None, say=print):
    """Generate the student notebooks of lab_ids (default: every lab with a source).

    Returns the notebooks left alone because they hold answers.
    """
    labs_dir = Path(labs_dir)
    sources = labs_dir / "solutions"
    lab_ids = lab_ids or sorted(p.name for p in sources.iterdir() if p.is_dir())
    bin_dir = Path(sys.executable).parent  # nbgrader runs alembic: the venv's bin/ first
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    kept = []
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        course = Path(tmp)
        shutil.copytree(sources, course / "solutions")
        shutil.copy(labs_dir / "nbgrader_config.py", course)
        for lab_id in lab_ids:
            run = subprocess.run([str(bin_dir / "nbgrader"), "generate_assignment", lab_id,
                                  "--force", "--log-level=WARN"], cwd=course, env=env,
                                 capture_output=True, text=True)
            if run.returncode != 0:
                raise ReleaseError(f"nbgrader could not generate {lab_id}:\n{run.stderr[-2000:]}")
            for made in sorted(p for p in (course / lab_id).rglob("*") if p.is_file()):
                target = labs_dir / lab_id / made.relative_to(course / lab_id)
                answers = target.suffix == ".ipynb" and target.is_file() and \
                    notebook.answered(notebook.read(target))
                if answers:
                    kept.append(target)
                    say(f"{target}: left as it is -- it holds answers (cells "
                        f"{', '.join(answers)}). To regenerate it, move it elsewhere first; "
                        "your answers stay in the moved copy.")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made, target)
                say(f"{target}: generated from {sources / lab_id}")
    return kept
