"""A learner's JupyterLab (`make lab`): this folder comes first on JUPYTER_CONFIG_PATH, then
../shared. nbgrader's instructor tools are turned off, its Validate button stays:
labconfig/page_config.json beside this file disables their JupyterLab plugins (the Nbgrader
menu, the Create Assignment panel, the Formgrader, Course List and Assignment List pages), and
this file the server extensions behind them."""

c = get_config()  # noqa: F821 (provided by Jupyter)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    # The Assignment List fetches and submits through an nbgrader exchange: this course has
    # none, a learner grades with the lab's last cell or `make grade`.
    "nbgrader.server_extensions.assignment_list": False,
}
