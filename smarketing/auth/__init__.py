"""Who may do what: users and logins, the permission table, the audit log and the
directory of people shown by name.

May import: store and the base modules.
"""
