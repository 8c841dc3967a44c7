"""The fine-tune engine and the fine-tune recipe: what the training child does to fine-tune one run folder.

``recipe`` (``FINETUNE``, light: the recipe the job registers), ``finetune`` (tokenize, build the Trainer,
train or resume, final scores: a ``Trained``), ``outcome`` (``Trained``, what every recipe hands the job),
``trainer`` (the configured Trainer), ``arguments`` (schedule, device, precision), ``datasets`` (tokenize
and cache), ``callback`` (events written to ``events.jsonl``), ``dynamics`` (per-row probabilities,
``dynamics.npz``), ``sampler`` (shuffled length-grouped batches), ``stopping`` (STOP file and SIGTERM),
``threads`` (CPU threads), ``metrics`` (accuracy, F1, confusion matrix), ``saving`` (``model/`` at once),
``engine`` (speed), ``length`` (the auto training length and the time budget), ``calibration`` (temperature
fitting and folding it into the output layer; the job decides when). It knows nothing of SetFit, pre-training, the index or suspect labels: the run's status,
outputs and index are ``core.job``'s; run folders themselves are ``core.runs``.
"""
