class DataError(Exception):
    """Base class for service errors the bot can show as a polite refusal."""


class NotFound(DataError):
    pass


class PermissionDenied(DataError):
    pass


class InvalidTransition(DataError):
    pass
