"""Fine-tuning: everything the training child process does for one run folder.

``run`` (train to the end and record how it ended), ``trainer`` (the configured Trainer),
``arguments`` (schedule, device, precision), ``datasets`` (tokenize and cache), ``callback`` (events
written to ``events.jsonl``), ``sampler`` (shuffled length-grouped batches), ``stopping`` (STOP file
and SIGTERM), ``threads`` (CPU threads), ``metrics`` (accuracy, F1, confusion matrix). Nothing here is
imported by the app's server process except ``metrics``; run folders themselves are ``core.runs``.
"""
