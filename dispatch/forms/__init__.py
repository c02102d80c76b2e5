"""Printed forms (PDF): what offices print and sign at each step of a case.

Pure rendering: each function takes rows already read and scoped by ``dispatch.services.forms``
and returns PDF bytes. No session, no ``current_app``.
"""
