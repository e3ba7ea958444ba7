"""Drop duplicate inline scripts from each page.

sphinx-thebe adds its configuration script each time the environment reads documents, and
a page that declares the same ``const`` twice logs a SyntaxError in the browser. One copy is
enough.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # An inline script comes with filename None or "" depending on how it was added.
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)  # after the extensions that add them
    return {"parallel_read_safe": True, "parallel_write_safe": True}

