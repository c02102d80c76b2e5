"""Daiban dispatch service. The application factory is :func:`dispatch.app.create_app`.

It is not imported here: the factory imports every layer at its top, and a package
``__init__`` runs before any of its modules, so importing ``dispatch.models`` or
``dispatch.planning`` (a benchmark, a worker child, a test) would load the whole web app.
"""
