# nbgrader is the authoring tool: `nbgrader generate_assignment 01-escape` (run from labs/)
# makes the student notebook labs/01-escape/ from the source in labs/solutions/01-escape/.
import atexit
import os
import tempfile

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "."

# Generating needs a gradebook, but nothing in it is worth keeping: use a throwaway one.
_fd, _db = tempfile.mkstemp(prefix="nbgrader-", suffix=".db")
os.close(_fd)
atexit.register(os.unlink, _db)
c.CourseDirectory.db_url = f"sqlite:///{_db}"
