# nbgrader is the authoring tool: `nbgrader generate_assignment 01-escape` (run from labs/)
# makes the student notebook labs/01-escape/ from the source in labs/solutions/01-escape/.
import atexit
import os
import tempfile

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions

from autograder.notebook import VALUE

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "."

# Generating needs a gradebook, but nothing in it is worth keeping: use a throwaway one.
_fd, _db = tempfile.mkstemp(prefix="nbgrader-", suffix=".db")
os.close(_fd)
atexit.register(os.unlink, _db)
c.CourseDirectory.db_url = f"sqlite:///{_db}"

# An answer that is a value, not code -- a solution region of one line `NAME = value  # why`,
# NAME in capitals (a prediction; autograder.notebook.VALUE, which the grader also reads) --
# is handed out as `NAME = None  # why`, where nbgrader would write `raise
# NotImplementedError()`: the notebook still runs top to bottom without it, and the test of
# that value says what is missing.


class ClearSolutionsAndValues(ClearSolutions):
    def _replace_solution_region(self, cell, language):
        lines = cell.source.split("\n")
        begin = [i for i, line in enumerate(lines) if self.begin_solution_delimeter in line]
        if cell.cell_type == "code" and len(begin) == 1:
            i = begin[0]
            value = VALUE.match(lines[i + 1]) if i + 2 < len(lines) else None
            if value and self.end_solution_delimeter in lines[i + 2]:
                stub = f"{value['indent']}{value['name']} = None{value['why'] or ''}"
                cell.source = "\n".join([*lines[:i], stub, *lines[i + 3:]])
                return True
        return super()._replace_solution_region(cell, language)


c.GenerateAssignment.preprocessors = [
    ClearSolutionsAndValues if p is ClearSolutions else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()]
