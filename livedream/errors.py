"""The one exception type a user can cause; the CLI turns it into one line and a non-zero exit."""


class LivedreamError(Exception):
    """A problem with the user's input or environment (bad file, bad preset, missing device).

    Its message is shown to the user as is, on one line, without a traceback.
    """
