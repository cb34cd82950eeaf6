"""The Session: user code, namespace, runs, captures, cancellation, session files. No Qt."""
