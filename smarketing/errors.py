"""Domain errors carrying a message a person can act on."""


class SmarketingError(Exception):
    """Base class of every error the app explains to a person instead of a traceback."""


class PermissionDenied(SmarketingError):
    """The actor's roles do not allow this change."""


class InvalidInput(SmarketingError):
    """The input is wrong; the message says what and where.

    ``problems`` lists every problem found when there are several (a form shows them all
    at once); the message then joins them."""

    def __init__(self, message: str = "", *, problems: list[str] | tuple[str, ...] = ()):
        self.problems = list(problems) or [message]
        super().__init__(message or "; ".join(self.problems))


class NotFound(SmarketingError):
    """The thing asked for does not exist."""


class DatabaseUnavailable(SmarketingError):
    """The database cannot be opened or written."""


class DatabaseBusy(DatabaseUnavailable):
    """Someone else holds a lock longer than the app waits: the same step may work soon."""


class DatabaseConnectionLost(DatabaseUnavailable):
    """The database server does not answer or dropped the connection: retry when it is back."""
