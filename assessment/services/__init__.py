"""Services: the work of one request or command.  Each takes the session as
an argument, only flushes, and raises the named exceptions it documents."""
