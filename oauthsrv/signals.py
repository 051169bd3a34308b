"""Signals other parts listen to, so a service does not import its listeners."""

from blinker import Namespace

_signals = Namespace()

# Sent inside the creating transaction, before the commit, with application=, secret-free
# created_by= (a description of who created it, e.g. "command line"). Listeners may add rows
# to db.session (an outbox message) that then commit together with the application.
application_created = _signals.signal("application-created")

# Sent inside the regenerating transaction, before the commit, with application=, actor= (who
# did it) and previous_valid_until= (naive UTC end of the overlap, or None when the old secret
# stopped at once). Never the secret.
secret_regenerated = _signals.signal("secret-regenerated")
