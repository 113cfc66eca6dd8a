"""The life of an appeal after intake: sign-for, return, extension, contribution, reply, review,
evaluation, reopen, merge, supervision and close (the state machine is in `workflow`)."""
